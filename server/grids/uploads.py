"""The console's import of a grid or segment file: a preview that writes nothing, then the import.

The previewed FeatureCollection waits as JSON in the instance folder under a random token
that only its uploader can confirm (one preview per user: a new one replaces the last);
confirming imports exactly what was previewed.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from flask import current_app

from ..auth.models import User
from ..extensions import db
from ..transaction import unit_of_work
from . import importer
from .formats import read_upload, refuse

KINDS = ("grids", "segments")


class UnknownPreview(LookupError):
    """The token names no preview of this user's (already imported, or never made)."""


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "console-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _run(kind: str, doc: dict, actor: User, check_only: bool) -> dict:
    if kind == "grids":
        return importer.import_grids(doc, actor=actor, levels=current_app.config["ORG_LEVELS"], check_only=check_only)
    return importer.import_segments(doc, actor=actor, check_only=check_only)


def preview(actor: User, kind: str, filename: str | None, data: bytes | None) -> tuple[dict, str]:
    """What the file would import and the token that confirms it; ApiError when it would not."""
    if not filename:
        refuse("missing_file")
    doc = read_upload(filename, data or b"")
    try:
        result = _run(kind, doc, actor, check_only=True)
    finally:
        db.session.rollback()  # a preview writes nothing
    token = secrets.token_hex(16)
    for older in _folder().glob(f"{actor.id}-*.json"):  # one preview waits per user: the disk holds no heap of them
        older.unlink(missing_ok=True)
    (_folder() / f"{actor.id}-{token}.json").write_text(json.dumps(doc), encoding="utf-8")
    return result, token


def confirm(actor: User, kind: str, token: str) -> dict:
    path = _folder() / f"{actor.id}-{token}.json"
    if not token.isalnum() or not path.exists():
        raise UnknownPreview(token)
    doc = json.loads(path.read_text(encoding="utf-8"))
    with unit_of_work():
        result = _run(kind, doc, actor, check_only=False)
    path.unlink()
    return result
