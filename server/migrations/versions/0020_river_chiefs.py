"""river chiefs' cards: an assistant named on a card may patrol on the holder's behalf (代巡), the patrol keeps
whom it was walked for, and a frequency rule says whether such patrols count

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 00:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # user ids without a foreign key, as patrols.reviewed_by_id (SQLite cannot add one in place)
    op.add_column('responsibility_cards', sa.Column('assistant_id', sa.Integer(), nullable=True))
    op.add_column('patrols', sa.Column('for_user_id', sa.Integer(), nullable=True))
    op.add_column('frequency_rules', sa.Column('counts_delegated', sa.Boolean(), server_default=sa.false(),
                                               nullable=False))


def downgrade():
    op.drop_column('frequency_rules', 'counts_delegated')  # (in place on both engines, as 0005)
    op.drop_column('patrols', 'for_user_id')
    op.drop_column('responsibility_cards', 'assistant_id')
