"""photos keep what the phone recorded when they were taken

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:40:00

Nullable columns on both engines: ``captured_at`` (the phone's time of the shot), ``capture_lon`` /
``capture_lat`` / ``capture_accuracy`` (the recorder's position then), ``source`` (``camera``: taken in the app;
``gallery``: picked from the phone's pictures). Photos stored before have none of them (their EXIF stays).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('photos', sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('photos', sa.Column('capture_lon', sa.Float(), nullable=True))
    op.add_column('photos', sa.Column('capture_lat', sa.Float(), nullable=True))
    op.add_column('photos', sa.Column('capture_accuracy', sa.Float(), nullable=True))
    op.add_column('photos', sa.Column('source', sa.String(length=10), nullable=True))


def downgrade():
    for name in ('source', 'capture_accuracy', 'capture_lat', 'capture_lon', 'captured_at'):
        op.drop_column('photos', name)
