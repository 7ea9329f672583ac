"""What Alembic compares: our tables only, with GeoAlchemy2's spatial helpers.

SpatiaLite and PostGIS keep their own tables (spatial_ref_sys, geometry_columns, the
idx_* R-tree tables...); they are not ours, so autogenerate and the drift check skip them.

On PostgreSQL ``patrols`` is partitioned by month (migration 0009): its partitions and the
``patrol_keys`` table are not in the models (tables in the database that are not ours are
skipped anyway), and the constraints a partitioned table cannot have are kept elsewhere:
``uuid`` is unique in ``patrol_keys`` (plus ``uq_patrols_uuid_started_at``), and the foreign
keys to ``patrols.id`` point at ``patrol_keys.id``. Those differences, and only on PostgreSQL,
are not drift.
"""
from __future__ import annotations

from functools import partial

from geoalchemy2 import alembic_helpers
from sqlalchemy import text

PARTITION_AHEAD = 3  # months of patrol partitions kept ready beyond the current one
PG_KEYS = "patrol_keys"
PG_ONLY_INDEXES = {"uq_patrols_uuid_started_at"}
PG_MOVED_UNIQUE = {"uq_patrols_uuid"}


def _partitioned_pg(obj, name, obj_type, reflected, compare_to) -> bool:
    """A difference the partitioned patrols table on PostgreSQL makes by design."""
    if compare_to is not None:
        return False
    if obj_type == "foreign_key_constraint":
        target = obj.referred_table.name
        return (reflected and target == PG_KEYS) or (not reflected and target == "patrols")
    if obj_type == "unique_constraint":
        return not reflected and name in PG_MOVED_UNIQUE
    if obj_type == "index":
        return reflected and name in PG_ONLY_INDEXES
    return False


def include_object(obj, name, obj_type, reflected, compare_to, dialect: str | None = None):
    if obj_type == "table" and reflected and compare_to is None:
        return False  # a table in the database that is not in our metadata: not ours
    if obj_type == "index" and name and name.startswith("idx_") and reflected and compare_to is None:
        return False  # spatial indexes as the engines name them
    if dialect == "postgresql" and _partitioned_pg(obj, name, obj_type, reflected, compare_to):
        return False
    return alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to)


def include_object_for(dialect: str | None):
    return partial(include_object, dialect=dialect)


def render_item(type_, obj, autogen_context):
    from .db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return alembic_helpers.render_item(type_, obj, autogen_context)


def compare_args(dialect: str | None = None) -> dict:
    return {
        "include_object": include_object_for(dialect),
        "render_item": render_item,
        "compare_type": True,
    }


def ensure_patrol_partitions(connection, ahead: int = PARTITION_AHEAD) -> int | None:
    """On PostgreSQL with 0009 applied: the current Asia/Shanghai month's patrol partition and
    ``ahead`` more (created if missing, moving their rows out of the default partition).
    Returns how many were made; None where patrols are not partitioned."""
    if connection.dialect.name != "postgresql":
        return None
    if connection.scalar(text("SELECT to_regprocedure('patrols_ensure_partitions(integer)')")) is None:
        return None
    return connection.scalar(text("SELECT patrols_ensure_partitions(:ahead)"), {"ahead": ahead})


def ensure_patrol_partition(connection, month) -> str | None:
    """The partition of the month holding ``month`` (a date); its name if it was made now."""
    if connection.dialect.name != "postgresql":
        return None
    return connection.scalar(text("SELECT patrols_ensure_partition(:m)"), {"m": month})
