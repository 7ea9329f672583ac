"""patrols partitioned by month on PostGIS; indexes for the phone's changes and the review queue

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 15:10:00

On PostgreSQL ``patrols`` becomes ``PARTITION BY RANGE (started_at)``, one partition per
Asia/Shanghai month (``patrols_2026_10`` holds 2026-10-01 00:00+08 up to 2026-11-01 00:00+08,
the months the assessment, the locks and the pay are counted in) and ``patrols_default`` for
anything else, so no insert ever fails.

A partitioned table's primary key and unique constraints must contain the partition key, and
a foreign key can only point at such a constraint. So, on PostgreSQL only:

- the primary key is ``(id, started_at)``; ``id`` still comes from ``patrols_id_seq``;
- ``patrol_keys (id PK, uuid UNIQUE, started_at)``, an unpartitioned table, holds one row
  per patrol, written by a trigger on ``patrols`` in the same statement: the uniqueness of
  the phone's UUID (what makes uploads idempotent: the loser of two concurrent uploads gets
  the unique violation and answers with the winner's patrol, server/idempotency.py) stays a
  database constraint over all partitions, and ``patrol_flags``, ``patrol_segments`` and
  ``assessment_corrections`` keep a real foreign key, now to ``patrol_keys.id`` (cascades as
  before). Deleting a patrol deletes its key (trigger), which cascades to its flags and
  segments; ``id``, ``uuid`` and ``started_at`` of a stored patrol never change (trigger);
- ``patrols_ensure_partition(date)`` creates a month's partition (moving that month's rows
  out of the default partition first), ``patrols_ensure_partitions(ahead)`` the current month
  and ``ahead`` more; migrations/env.py calls the latter at every ``db upgrade``.

On both engines: ``(inspector_id, updated_at)`` for the phone's /me/changes and a partial
``(grid_id, started_at) WHERE flagged AND review_status IS NULL`` for the review queue. On
SQLite that is all; the table itself stays as it is.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

AHEAD = 3  # months of partitions made ahead of the current one

# the plain table's indexes (0004, 0005, 0007), rebuilt on the partitioned parent (they cascade to partitions)
INDEXES = {"ix_patrols_card_id": "card_id", "ix_patrols_flagged": "flagged", "ix_patrols_grid_id": "grid_id",
           "ix_patrols_inspector_id": "inspector_id", "ix_patrols_started_at": "started_at",
           "ix_patrols_valid": "valid", "ix_patrols_updated_at": "updated_at",
           "ix_patrols_review_status": "review_status"}
OUTER_FKS = {"fk_patrols_card_id_responsibility_cards": ("card_id", "responsibility_cards"),
             "fk_patrols_grid_id_org_units": ("grid_id", "org_units"),
             "fk_patrols_inspector_id_users": ("inspector_id", "users")}
# (table, column, ON DELETE) of every foreign key to patrols.id
CHILDREN = [("patrol_flags", "patrol_id", "CASCADE"), ("patrol_segments", "patrol_id", "CASCADE"),
            ("assessment_corrections", "patrol_id", None)]

FUNCTIONS = r"""
CREATE FUNCTION patrol_keys_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('riverpatrol.moving_patrols', true) = 'on' THEN
        -- patrols_ensure_partition moving rows out of the default partition: the keys stay
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO patrol_keys (id, uuid, started_at) VALUES (NEW.id, NEW.uuid, NEW.started_at);
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.id <> OLD.id OR NEW.uuid <> OLD.uuid OR NEW.started_at <> OLD.started_at THEN
            RAISE EXCEPTION 'a stored patrol keeps its id, uuid and started_at (patrol %)', OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    DELETE FROM patrol_keys WHERE id = OLD.id;
    RETURN OLD;
END $$;

CREATE FUNCTION patrols_ensure_partition(month date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', month)::date;
    next date := (date_trunc('month', month) + interval '1 month')::date;
    lo timestamptz := make_timestamptz(extract(year FROM first)::int, extract(month FROM first)::int, 1,
                                       0, 0, 0, 'Asia/Shanghai');
    hi timestamptz := make_timestamptz(extract(year FROM next)::int, extract(month FROM next)::int, 1,
                                       0, 0, 0, 'Asia/Shanghai');
    part text := 'patrols_' || to_char(first, 'YYYY_MM');
    cols text;
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- no insert may slip into the default partition between the move and the attach
    LOCK TABLE patrols_default IN ACCESS EXCLUSIVE MODE;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
      FROM pg_attribute WHERE attrelid = 'patrols'::regclass AND attnum > 0 AND NOT attisdropped;
    EXECUTE format('CREATE TABLE %I (LIKE patrols INCLUDING DEFAULTS INCLUDING STORAGE)', part);
    -- the constraint lets ATTACH skip its validating scan
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (started_at >= %L AND started_at < %L)',
                   part, part || '_range', lo, hi);
    PERFORM set_config('riverpatrol.moving_patrols', 'on', true);
    EXECUTE format('WITH moved AS (DELETE FROM patrols_default WHERE started_at >= %L AND started_at < %L '
                   'RETURNING %s) INSERT INTO %I (%s) SELECT %s FROM moved', lo, hi, cols, part, cols, cols);
    PERFORM set_config('riverpatrol.moving_patrols', 'off', true);
    EXECUTE format('ALTER TABLE patrols ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_range');
    RETURN part;
END $$;

CREATE FUNCTION patrols_ensure_partitions(ahead integer DEFAULT 3) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    this_month date := date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')::date;
    made integer := 0;
BEGIN
    FOR i IN 0..ahead LOOP
        IF patrols_ensure_partition((this_month + make_interval(months => i))::date) IS NOT NULL THEN
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;
"""


def _both_engines_up():
    op.create_index('ix_patrols_inspector_id_updated_at', 'patrols', ['inspector_id', 'updated_at'], unique=False)
    op.create_index('ix_patrols_review_queue', 'patrols', ['grid_id', 'started_at'], unique=False,
                    postgresql_where=sa.text('flagged AND review_status IS NULL'),
                    sqlite_where=sa.text('flagged AND review_status IS NULL'))


def _both_engines_down():
    op.drop_index('ix_patrols_review_queue', table_name='patrols')
    op.drop_index('ix_patrols_inspector_id_updated_at', table_name='patrols')


def _plain_indexes_and_fks(table):
    for name, column in INDEXES.items():
        op.execute(f'CREATE INDEX {name} ON {table} ({column})')
    op.execute(f'CREATE INDEX idx_patrols_geom ON {table} USING gist (geom)')
    for name, (column, target) in OUTER_FKS.items():
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {target} (id)')


def _drop_plain_indexes_and_fks(table):
    for name in [*INDEXES, 'idx_patrols_geom']:
        op.execute(f'DROP INDEX IF EXISTS {name}')
    for name in OUTER_FKS:
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT {name}')


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        _both_engines_up()
        return
    op.execute('ALTER TABLE patrols RENAME TO patrols_unpartitioned')
    for table, column, _ in CHILDREN:
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT fk_{table}_{column}_patrols')
    op.execute('ALTER TABLE patrols_unpartitioned DROP CONSTRAINT pk_patrols')
    op.execute('ALTER TABLE patrols_unpartitioned DROP CONSTRAINT uq_patrols_uuid')
    _drop_plain_indexes_and_fks('patrols_unpartitioned')
    op.execute('ALTER SEQUENCE patrols_id_seq OWNED BY NONE')  # or it goes with the old table

    op.execute('CREATE TABLE patrols (LIKE patrols_unpartitioned INCLUDING DEFAULTS INCLUDING STORAGE) '
               'PARTITION BY RANGE (started_at)')
    op.execute('ALTER SEQUENCE patrols_id_seq OWNED BY patrols.id')
    op.execute('CREATE TABLE patrols_default PARTITION OF patrols DEFAULT')
    op.execute('CREATE TABLE patrol_keys (id integer NOT NULL CONSTRAINT pk_patrol_keys PRIMARY KEY, '
               'uuid varchar(36) NOT NULL CONSTRAINT uq_patrol_keys_uuid UNIQUE, '
               'started_at timestamptz NOT NULL)')
    op.execute(FUNCTIONS)
    # a partition for every month that has patrols, and the months ahead
    op.execute("SELECT patrols_ensure_partition(m) FROM (SELECT DISTINCT date_trunc('month', "
               "started_at AT TIME ZONE 'Asia/Shanghai')::date AS m FROM patrols_unpartitioned) months ORDER BY m")
    op.execute(f'SELECT patrols_ensure_partitions({AHEAD})')

    op.execute('INSERT INTO patrol_keys (id, uuid, started_at) SELECT id, uuid, started_at FROM patrols_unpartitioned')
    op.execute('INSERT INTO patrols SELECT * FROM patrols_unpartitioned')  # the same columns in the same order
    op.execute('DROP TABLE patrols_unpartitioned')

    op.execute('ALTER TABLE patrols ADD CONSTRAINT pk_patrols PRIMARY KEY (id, started_at)')
    op.execute('CREATE UNIQUE INDEX uq_patrols_uuid_started_at ON patrols (uuid, started_at)')
    _plain_indexes_and_fks('patrols')
    op.execute('ALTER TABLE patrols ADD CONSTRAINT fk_patrols_id_patrol_keys FOREIGN KEY (id) REFERENCES patrol_keys (id)')
    op.execute('CREATE TRIGGER patrol_keys_write BEFORE INSERT OR UPDATE OF id, uuid, started_at ON patrols '
               'FOR EACH ROW EXECUTE FUNCTION patrol_keys_sync()')
    op.execute('CREATE TRIGGER patrol_keys_delete AFTER DELETE ON patrols '
               'FOR EACH ROW EXECUTE FUNCTION patrol_keys_sync()')
    for table, column, on_delete in CHILDREN:
        cascade = f' ON DELETE {on_delete}' if on_delete else ''
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT fk_{table}_{column}_patrol_keys FOREIGN KEY ({column}) '
                   f'REFERENCES patrol_keys (id){cascade}')
    _both_engines_up()
    op.execute('ANALYZE patrols')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        _both_engines_down()
        return
    _both_engines_down()
    op.execute('CREATE TABLE patrols_unpartitioned (LIKE patrols INCLUDING DEFAULTS INCLUDING STORAGE)')
    op.execute('INSERT INTO patrols_unpartitioned SELECT * FROM patrols')
    op.execute('ALTER SEQUENCE patrols_id_seq OWNED BY NONE')
    for table, column, _ in CHILDREN:
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT fk_{table}_{column}_patrol_keys')
    op.execute('DROP TABLE patrols')  # with its partitions, indexes and triggers
    op.execute('DROP TABLE patrol_keys')
    op.execute('DROP FUNCTION patrols_ensure_partitions(integer)')
    op.execute('DROP FUNCTION patrols_ensure_partition(date)')
    op.execute('DROP FUNCTION patrol_keys_sync()')
    op.execute('ALTER TABLE patrols_unpartitioned RENAME TO patrols')
    op.execute('ALTER SEQUENCE patrols_id_seq OWNED BY patrols.id')
    op.execute('ALTER TABLE patrols ADD CONSTRAINT pk_patrols PRIMARY KEY (id)')
    op.execute('ALTER TABLE patrols ADD CONSTRAINT uq_patrols_uuid UNIQUE (uuid)')
    _plain_indexes_and_fks('patrols')
    for table, column, on_delete in CHILDREN:
        cascade = f' ON DELETE {on_delete}' if on_delete else ''
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT fk_{table}_{column}_patrols FOREIGN KEY ({column}) '
                   f'REFERENCES patrols (id){cascade}')
    op.execute('ANALYZE patrols')
