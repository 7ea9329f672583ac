"""a case's pending request: the assignee asks for an extension or a transfer, the manager decides

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 03:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('cases', sa.Column('pending', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('cases', 'pending')  # (in place on both engines, as 0005)
