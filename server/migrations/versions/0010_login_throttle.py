"""login_throttle: counters of failed sign-ins reserved before the password is checked

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:40:00

Replaces ``login_attempts`` (one row per attempt, counted after the password was checked, so
concurrent attempts all passed the count) with one row per counter, ``key`` as its primary key,
updated by a single conditional insert-or-update (server/auth/throttle.py). The old rows only
served a 15-minute window: nothing is carried over; a downgrade recreates the empty table.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle')),
    )
    op.create_index(op.f('ix_login_throttle_window_start'), 'login_throttle', ['window_start'], unique=False)
    op.drop_index('ix_login_attempts_phone_at', table_name='login_attempts')
    op.drop_index('ix_login_attempts_address_at', table_name='login_attempts')
    op.drop_table('login_attempts')


def downgrade():
    op.create_table(
        'login_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('success', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts')),
    )
    op.create_index('ix_login_attempts_address_at', 'login_attempts', ['address', 'at'], unique=False)
    op.create_index('ix_login_attempts_phone_at', 'login_attempts', ['phone', 'at'], unique=False)
    op.drop_index(op.f('ix_login_throttle_window_start'), table_name='login_throttle')
    op.drop_table('login_throttle')
