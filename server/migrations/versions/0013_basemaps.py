"""offline basemaps: a county's MBTiles tile package for its phones

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00

One row per imported package (the newest of a county is the one its phones fetch); the file itself is kept under
BASEMAP_DIR by its SHA-256.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'basemaps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('attribution', sa.String(length=500), nullable=False),
        sa.Column('tile_format', sa.String(length=10), nullable=False),
        sa.Column('min_zoom', sa.Integer(), nullable=False),
        sa.Column('max_zoom', sa.Integer(), nullable=False),
        sa.Column('west', sa.Float(), nullable=False),
        sa.Column('south', sa.Float(), nullable=False),
        sa.Column('east', sa.Float(), nullable=False),
        sa.Column('north', sa.Float(), nullable=False),
        sa.Column('tiles', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_basemaps_org_unit_id_org_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_basemaps')),
    )
    op.create_index(op.f('ix_basemaps_org_unit_id'), 'basemaps', ['org_unit_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_basemaps_org_unit_id'), table_name='basemaps')
    op.drop_table('basemaps')
