"""Grid and segment files an office has: GeoJSON, KML (drawn in Google Earth or 奥维) or a zipped
Shapefile, each recognised by its content before anything reads it, into the GeoJSON the
importer checks.

GeoJSON is parsed here (the standard library's JSON). KML and Shapefiles are converted in a
child process (``converter/child.py``) with no GDAL at all: KML by defusedxml (no DTD, no
entities, nothing external) and our own code, Shapefiles by pyshp (pure Python) after the
zip's members are checked by name, kind and size. The child runs with a memory, CPU-time
and wall-clock limit, without network, without the app's environment (no secret, no
database address) and in ``/``; when it crashes or hits a limit the answer is a 422
``unreadable``, never a dead worker. GDAL used to read these files with every driver on:
a VRT named ``.kml`` read any file on the server and fetched URLs, SQLite files crashed it.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from shared_models.crs import WGS84_CRS_NAMES
from shared_models.errors import IMPORT_REASONS

from .importer import MAX_FEATURES, Problems

log = logging.getLogger(__name__)

MAX_POINTS = 500_000  # coordinates of one file: about what the largest GeoJSON body (8 MB) can carry
CHILD = Path(__file__).with_name("converter") / "child.py"
LIMITS = {
    "memory_bytes": 512 << 20,  # address space: the largest file accepted converts within 256 MiB
    "cpu_seconds": 20,
    "max_bytes": 16 << 20,
    "max_features": MAX_FEATURES,
    "max_points": MAX_POINTS,
    "wgs84_names": sorted(WGS84_CRS_NAMES),  # a .prj naming another system: no coordinate is read
}
WALL_SECONDS = 40  # the CPU limit ends a busy child; this one a child that waits
CHILD_ENV = {"PATH": os.defpath, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PROJ_NETWORK": "OFF"}
KINDS = {".geojson": "geojson", ".json": "geojson", ".kml": "kml", ".zip": "zip"}


def refuse(reason: str, detail: str | None = None):
    problems = Problems()
    problems.add(None, None, "file", reason, detail=detail)
    problems.raise_if_any()


def read_upload(filename: str, data: bytes) -> dict:
    """A FeatureCollection from an uploaded file: its name says what it should be, its content must agree."""
    kind = KINDS.get(Path(filename or "").suffix.lower())
    if kind is None:
        refuse("unsupported_format")
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if kind == "geojson":
        return _geojson(data)
    if kind == "kml" and not head.startswith(b"<"):
        refuse("not_kml")
    if kind == "zip" and not head.startswith(b"PK\x03\x04"):
        refuse("not_zip")
    return convert(kind, data)


def _geojson(data: bytes) -> dict:
    try:
        text = data.decode("utf-8-sig")
        if text.lstrip()[:1] != "{":
            raise ValueError("not an object")
        return json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        refuse("not_geojson")


def convert(kind: str, data: bytes) -> dict:
    """KML or zip bytes to a FeatureCollection, in the confined child (see the module docstring)."""
    command = [sys.executable, "-E", "-s", "-B", str(CHILD), kind, json.dumps(LIMITS)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=WALL_SECONDS, env=CHILD_ENV,
                              cwd="/", close_fds=True, check=False)
    except subprocess.TimeoutExpired:
        log.warning("import conversion (%s, %d bytes) timed out after %d s", kind, len(data), WALL_SECONDS)
        refuse("unreadable")
    try:
        answer = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not ("fc" in answer or "refused" in answer):
        log.warning("import conversion (%s, %d bytes) failed: exit %s, %s", kind, len(data), done.returncode,
                    done.stderr[-500:].decode("utf-8", "replace").strip())
        refuse("unreadable")
    if "refused" in answer:
        reason = answer["refused"] if answer["refused"] in IMPORT_REASONS else "unreadable"
        refuse(reason, answer.get("detail") if isinstance(answer.get("detail"), str) else None)
    return answer["fc"]
