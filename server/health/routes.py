from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..db import engine_info

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="运行状态 Health")


class HealthSchema(Schema):
    status = fields.String()
    engine = fields.String()
    engine_version = fields.String()
    spatial = fields.String()
    spatial_version = fields.String()


@blp.get("/health")
@blp.response(200, HealthSchema)
def health():
    """运行状态 Database engine and spatial library in use"""
    return {"status": "ok", **engine_info()}
