"""What Alembic compares: our tables only, with GeoAlchemy2's spatial helpers.

SpatiaLite and PostGIS keep their own tables (spatial_ref_sys, geometry_columns, the
idx_* R-tree tables...); they are not ours, so autogenerate and the drift check skip them.
"""
from geoalchemy2 import alembic_helpers


def include_object(obj, name, obj_type, reflected, compare_to):
    if obj_type == "table" and reflected and compare_to is None:
        return False  # a table in the database that is not in our metadata: not ours
    if obj_type == "index" and name and name.startswith("idx_") and reflected and compare_to is None:
        return False  # spatial indexes as the engines name them
    return alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to)


def render_item(type_, obj, autogen_context):
    from .db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return alembic_helpers.render_item(type_, obj, autogen_context)


def compare_args() -> dict:
    return {
        "include_object": include_object,
        "render_item": render_item,
        "compare_type": True,
    }
