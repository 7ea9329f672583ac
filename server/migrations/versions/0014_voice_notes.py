"""voice notes: recorded audio attached to a problem, uploaded resumably like a photo

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 19:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'voice_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('received', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('problem_uuid', sa.String(length=36), nullable=True),
        sa.Column('container', sa.String(length=8), nullable=True),
        sa.Column('duration_s', sa.Float(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_voice_notes_owner_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_notes')),
        sa.UniqueConstraint('uuid', name=op.f('uq_voice_notes_uuid')),
    )
    op.create_index(op.f('ix_voice_notes_owner_id'), 'voice_notes', ['owner_id'], unique=False)
    op.create_index(op.f('ix_voice_notes_problem_uuid'), 'voice_notes', ['problem_uuid'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_voice_notes_problem_uuid'), table_name='voice_notes')
    op.drop_index(op.f('ix_voice_notes_owner_id'), table_name='voice_notes')
    op.drop_table('voice_notes')
