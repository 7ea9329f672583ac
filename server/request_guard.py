"""What every request must be before a route sees it, checked at a cost bounded by its size.

**Body size per route.** Most routes take a few hundred bytes; only uploads take megabytes.
Each request's limit is set as soon as its route is known (before anything reads the body):
``MAX_SMALL_BODY_BYTES`` (64 KB) unless its endpoint is in ``LARGE_BODIES`` (patrol uploads,
GPX, grid and segment imports, the console's import form: ``MAX_CONTENT_LENGTH``) or is a
photo or voice-note chunk (``PHOTO_CHUNK_MAX_BYTES``), never above ``MAX_CONTENT_LENGTH``. A body over its
limit is refused by its Content-Length before a byte is read (a chunked body once it passes
the limit): 413 with the limit, as the API's JSON or the console's error page. nginx applies
the same caps (deploy/nginx/riverpatrol.conf).

**Text no database can store, and nesting.** A NUL character (PostgreSQL refuses it) or an
unpaired surrogate (not UTF-8), anywhere in the path, the query string, a form or a JSON body
(keys too), is a 422 ``request.bad_character`` naming where; JSON nested deeper than
``MAX_JSON_DEPTH`` is a 422 ``request.too_deep``. The check is central rather than in the
schemas' fields because it must cover what no field sees: keys, free-form ``Dict``/``Raw``
values (GeoJSON properties, checklists), query strings and console forms read without a
schema, and any field a new schema forgets. It costs little: JSON text can hold a NUL or a
lone surrogate only as a ``\\u0000``/``\\uD800``-``\\uDFFF`` escape or as bytes that are not
UTF-8, so a body without either is never walked; one with such an escape (an emoji escaped
as a surrogate pair) is re-encoded by the C encoder and searched; only a body that really
holds a bad string is searched for where: by halving with the C encoder, scalars sorted out by
type in C, a path only for each bad string found (none per element).
Depth is bounded by the count of brackets, and counted over the bracket bytes outside strings
(regex and numpy) only when there are more than ``MAX_JSON_DEPTH`` of them.
"""
from __future__ import annotations

import json
import re
from itertools import compress

import numpy as np
from flask import Flask, current_app, g, jsonify, redirect, render_template, request, session, url_for
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge

from .auth import service as auth_service
from .errors import ApiError, error_body

# endpoints that take a large body (MAX_CONTENT_LENGTH); a test checks that each still exists
LARGE_BODIES = frozenset({
    "patrols.upload_patrol", "patrols.import_gpx",
    "grids.import_grids", "grids.import_segments",
    "console.grid_import", "console.case_rectify",
})
# the resumable uploads' chunk endpoints, with the code of a chunk over its limit
CHUNKS = {"photos.append_chunk": "photo.chunk_too_large", "voicenotes.append_voice_chunk": "voice.chunk_too_large"}
BAD_CHARACTER = "不允许空字符或不成对的代理字符 / NUL characters and unpaired surrogates are not allowed"
MAX_JSON_DEPTH = 64  # GeoJSON needs 7; deeper input only exhausts recursion in the decoder or the encoders

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_RAW_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")  # a NUL or surrogate escape (possibly a valid pair)
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = np.zeros(256, np.int8)
_OPEN[list(b"[{")], _OPEN[list(b"]}")] = 1, -1


def body_limit(endpoint: str | None) -> int:
    cfg = current_app.config
    largest = cfg["MAX_CONTENT_LENGTH"]
    if endpoint in LARGE_BODIES:
        return largest
    if endpoint in CHUNKS:
        return min(cfg["PHOTO_CHUNK_MAX_BYTES"], largest)
    return min(cfg["MAX_SMALL_BODY_BYTES"], largest)


def json_depth(raw: bytes) -> int:
    """The nesting of a valid JSON text (its brackets outside strings), or a bound on it not above
    ``MAX_JSON_DEPTH`` when there are no more brackets than that: linear, in C and numpy."""
    opening = raw.count(b"[") + raw.count(b"{")
    if opening <= MAX_JSON_DEPTH:
        return opening
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    deepest, level = 0, 0
    for start in range(0, len(brackets), 1 << 20):  # 1 MB at a time: a few MB of scratch at most
        steps = _OPEN[np.frombuffer(brackets, np.uint8, count=min(1 << 20, len(brackets) - start), offset=start)]
        running = np.cumsum(steps, dtype=np.int64) + level
        deepest, level = max(deepest, int(running.max())), int(running[-1])
    return deepest


def _may_hold_unstorable(raw: bytes) -> bool:
    """False when no string decoded from this JSON text can hold a NUL or a lone surrogate."""
    if b"\x00" in raw or _RAW_SUSPECT.search(raw):
        return True
    if raw.isascii():
        return False
    try:
        raw.decode("utf-8")  # strict: the bytes of a surrogate fail here (the decoder lets them pass)
    except UnicodeDecodeError:
        return True
    return False


def _holds_unstorable(value) -> bool:
    """Whether any string (key or value) in decoded JSON holds one: one pass of the C encoder."""
    text = json.dumps(value, ensure_ascii=False, check_circular=False)
    return "\\u0000" in text or _UNSTORABLE.search(text) is not None  # (a literal "\u0000" text: walked, passes)


def _dotted(path: list, key=None) -> str:
    parts = [*path, key] if key is not None else path
    return _UNSTORABLE.sub("?", ".".join(str(p) for p in parts)) or "_"


def bad_json_paths(value) -> dict:
    """``{dotted.path: [message]}`` of every unstorable string in decoded JSON. Scalars are sorted
    out by type in C (``map``/``compress``), the strings of a container searched at once, and only
    containers that hold a bad string are entered (found by halving with the C encoder)."""
    out: dict = {}
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            out["_"] = [BAD_CHARACTER]
    elif isinstance(value, dict | list) and _holds_unstorable(value):
        _walk(value, [], out)
    return out


_IS_STR = frozenset({str}).__contains__
_IS_NESTED = frozenset({dict, list}).__contains__


def _walk(node: dict | list, path: list, out: dict) -> None:
    if isinstance(node, dict):
        keys: list | None = list(node)
        if _UNSTORABLE.search("".join(keys)):  # (JSON's keys are strings)
            for key in keys:
                if _UNSTORABLE.search(key):
                    out[_dotted(path, key)] = [BAD_CHARACTER]
        items = list(node.values())
    else:
        keys, items = None, node
    strings = list(compress(range(len(items)), map(_IS_STR, map(type, items))))
    if strings and _UNSTORABLE.search("".join(map(items.__getitem__, strings))):
        for i in strings:
            if _UNSTORABLE.search(items[i]):
                out[_dotted(path, keys[i] if keys else i)] = [BAD_CHARACTER]
    _enter(items, keys, list(compress(range(len(items)), map(_IS_NESTED, map(type, items)))), path, out)


def _enter(items: list, keys: list | None, nested: list[int], path: list, out: dict) -> None:
    """Walk those of ``items[i] for i in nested`` that hold a bad string."""
    if len(nested) > 8:
        half = len(nested) // 2
        for part in (nested[:half], nested[half:]):
            if _holds_unstorable(list(map(items.__getitem__, part))):
                _enter(items, keys, part, path, out)
        return
    for i in nested:
        if _holds_unstorable(items[i]):
            _walk(items[i], [*path, keys[i] if keys else i], out)


def _bad_in_fields(fields) -> dict:
    """For the path, the query string and a form: ``{name: [message]}``."""
    out = {}
    for key, values in fields.items():
        values = values if isinstance(values, list) else [values]
        if _UNSTORABLE.search(key) or any(isinstance(v, str) and _UNSTORABLE.search(v) for v in values):
            out[_UNSTORABLE.sub("?", key)] = [BAD_CHARACTER]
    return out


def bad_text_in_request() -> dict:
    """``{location: {field: [message]}}`` for every unstorable string in this request."""
    found: dict[str, dict] = {}
    sources = {"path": request.view_args or {}, "query": request.args.to_dict(flat=False)}
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources["form"] = request.form.to_dict(flat=False)
    for location, fields in sources.items():
        out = _bad_in_fields(fields)
        if out:
            found[location] = out
    if request.is_json:
        raw = request.get_data(cache=True)
        try:
            value = request.get_json(silent=True)  # cached for the route
        except RecursionError:  # (only ValueError is silenced): thousands of levels
            raise ApiError("request.too_deep", 422, max_depth=MAX_JSON_DEPTH) from None
        if value is not None and json_depth(raw) > MAX_JSON_DEPTH:
            raise ApiError("request.too_deep", 422, max_depth=MAX_JSON_DEPTH)
        if _may_hold_unstorable(raw):
            out = bad_json_paths(value)
            if out:
                found["json"] = out
    return found


class JsonOnceParser(FlaskParser):
    """webargs reading the JSON this guard decoded (Flask caches it), not decoding it a second
    time: an 8 MB upload is parsed once. Invalid JSON is still answered by webargs."""

    def _raw_load_json(self, req):
        value = req.get_json(silent=True) if is_json_request(req) else None
        return value if value is not None else super()._raw_load_json(req)


def _too_large(exc):
    limit = body_limit(request.endpoint)
    code = CHUNKS.get(request.endpoint, "payload_too_large")
    if request.blueprint == "console":
        size = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit >> 10} KB"
        return render_template("console/error.html", code=413, zh=f"提交的数据过大（上限 {size}）",
                               en=f"The request body is too large (at most {size})"), 413
    resp = jsonify(error_body(code, limit=limit))
    resp.status_code = 413
    return resp


def _stranger():
    """The answer for a caller not signed in, on a route taking a large body (every one needs a
    signed-in caller): checked before the body is read, so a stranger's 8 MB costs its headers.
    None for a signed-in caller (the API's user is kept for ``login_required``)."""
    if request.blueprint == "console":
        if auth_service.session_user(session.get("sid")) is None:
            return redirect(url_for("console.login", next=request.path))
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError("auth.unauthenticated", 401, headers={"WWW-Authenticate": "Bearer"})
    g.user, g.device_session = auth_service.authenticate(token.strip())
    return None


def init_app(app: Flask) -> None:
    @app.url_value_preprocessor
    def _limit_body(endpoint, _values) -> None:
        # the first hook that runs once the route is known: every reader of the body sees the limit
        request.max_content_length = body_limit(endpoint)

    @app.before_request
    def _refuse_large_and_unstorable():
        limit = request.max_content_length
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge()  # by its declared length, before a byte is read
        if request.endpoint in LARGE_BODIES or request.endpoint in CHUNKS:
            stranger = _stranger()  # before a byte is read
            if stranger is not None:
                return stranger
        if request.content_length is None and request.environ.get("wsgi.input_terminated"):
            # chunked: werkzeug would cut it at the limit silently, so one byte more tells
            request.max_content_length = limit + 1
            if len(request.get_data(cache=True)) > limit:
                raise RequestEntityTooLarge()
        found = bad_text_in_request()
        if found:
            raise ApiError("request.bad_character", 422, errors=found)

    app.register_error_handler(RequestEntityTooLarge, _too_large)
