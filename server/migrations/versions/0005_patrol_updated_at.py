"""patrol updated_at for the phone's change feed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:52:37.477143

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # plain ALTER TABLE on both engines (SQLite >= 3.35 drops columns in place): batch mode's
    # copy-and-rename of a spatial table trips over the foreign keys that point at it
    op.add_column('patrols', sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_patrols_updated_at'), 'patrols', ['updated_at'], unique=False)
    op.execute("UPDATE patrols SET updated_at = created_at")


def downgrade():
    op.drop_index(op.f('ix_patrols_updated_at'), table_name='patrols')
    op.drop_column('patrols', 'updated_at')
