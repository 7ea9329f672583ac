"""a township's sign-off of a month's assessment before the county locks it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 03:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'assessment_signoffs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_unit_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('signed_by_id', sa.Integer(), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'],
                                name=op.f('fk_assessment_signoffs_org_unit_id_org_units')),
        sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_assessment_signoffs_signed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_signoffs')),
        sa.UniqueConstraint('org_unit_id', 'period', name='uq_assessment_signoffs_org_unit_id_period'),
    )
    op.create_index(op.f('ix_assessment_signoffs_org_unit_id'), 'assessment_signoffs', ['org_unit_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_assessment_signoffs_org_unit_id'), table_name='assessment_signoffs')
    op.drop_table('assessment_signoffs')
