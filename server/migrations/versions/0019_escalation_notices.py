"""督办单: a numbered notice issued with each escalation step of an overdue case

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 04:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'escalation_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=40), nullable=False),
        sa.Column('responsible', sa.String(length=200), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('overdue_working_days', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_escalation_notices_case_id_cases')),
        sa.ForeignKeyConstraint(['county_id'], ['org_units.id'], name=op.f('fk_escalation_notices_county_id_org_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_notices')),
        sa.UniqueConstraint('county_id', 'year', 'seq', name='uq_escalation_notices_county_id_year_seq'),
    )
    op.create_index(op.f('ix_escalation_notices_case_id'), 'escalation_notices', ['case_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_escalation_notices_case_id'), table_name='escalation_notices')
    op.drop_table('escalation_notices')
