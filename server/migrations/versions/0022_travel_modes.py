"""the ways a county counts a patrol travelled (foot, bicycle, e-bike) in its validity rule

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 01:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('validity_rules', sa.Column('allowed_modes', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('validity_rules', 'allowed_modes')  # (in place on both engines, as 0005)
