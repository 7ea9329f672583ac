"""roles as capabilities held at an org unit: role_grants (one row per person and capability), every existing person
keeping their role at their own unit; the duty a card is held in (the role its rules name)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 02:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'role_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('org_unit_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_role_grants_org_unit_id_org_units')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_grants_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grants')),
        sa.UniqueConstraint('user_id', 'role', name='uq_role_grants_user_id_role'),
    )
    op.create_index(op.f('ix_role_grants_org_unit_id'), 'role_grants', ['org_unit_id'], unique=False)
    op.create_index(op.f('ix_role_grants_user_id'), 'role_grants', ['user_id'], unique=False)
    # everyone keeps the access they had: their one role, at the unit they belong to
    op.execute("INSERT INTO role_grants (user_id, role, org_unit_id, created_at) "
               "SELECT id, role, org_unit_id, created_at FROM users ORDER BY id")
    op.add_column('responsibility_cards',
                  sa.Column('duty', sa.String(length=20), server_default='inspector', nullable=False))


def downgrade():
    op.drop_column('responsibility_cards', 'duty')  # (in place on both engines, as 0005)
    op.drop_index(op.f('ix_role_grants_user_id'), table_name='role_grants')
    op.drop_index(op.f('ix_role_grants_org_unit_id'), table_name='role_grants')
    op.drop_table('role_grants')
