"""patrols keep their display line and a replay sketch, made once at intake

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:30:00

Two nullable columns, on both engines (on PostgreSQL added to the partitioned parent, so
to every partition): ``display`` (JSON: the line a map shows, at most 500 vertices, with
each piece's speed) and ``replay_sketch`` (bytes: the bounded stand-in a later upload is
compared with to find replays). Reading a patrol then costs the same for 200,000 fixes as
for a walk, and so does the replay check of an upload beside it.

Rows stored before are filled here from their tracks, by the same code that fills them at
intake (a few milliseconds a patrol; a 200,000-fix one about a quarter of a second), in
batches by id. The downgrade drops the columns.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BATCH = 200


def upgrade():
    op.add_column('patrols', sa.Column('display', sa.JSON(), nullable=True))
    op.add_column('patrols', sa.Column('replay_sketch', sa.LargeBinary(), nullable=True))
    _fill(op.get_bind())


def _fill(conn):
    from server.patrols.export import display
    from shared_models.track import codec, replay

    patrols = sa.table('patrols', sa.column('id', sa.Integer), sa.column('started_at', sa.DateTime(timezone=True)),
                       sa.column('track', sa.LargeBinary), sa.column('display', sa.JSON),
                       sa.column('replay_sketch', sa.LargeBinary))
    last = 0
    while True:
        rows = conn.execute(sa.select(patrols.c.id, patrols.c.started_at, patrols.c.track)
                            .where(patrols.c.id > last).order_by(patrols.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            track = codec.decode(row.track)
            conn.execute(sa.update(patrols).where(patrols.c.id == row.id, patrols.c.started_at == row.started_at)
                         .values(display=display(track.lon, track.lat, track.t), replay_sketch=replay.sketch(track)))
        last = rows[-1].id


def downgrade():
    op.drop_column('patrols', 'replay_sketch')
    op.drop_column('patrols', 'display')
