"""The child process: an uploaded KML or zipped Shapefile on standard input, GeoJSON out.

Run as ``python -E -s -B child.py KIND LIMITS_JSON`` by ``server.grids.formats``. Before it
reads a byte of the upload it limits its own address space, CPU time and file writes,
leaves the network (a new network namespace where the kernel allows it) and refuses, by an
audit hook, sockets, new processes and opening files for writing. It answers one JSON
object: ``{"fc": FeatureCollection}`` or ``{"refused": reason, "detail": ...}`` (reasons of
``shared_models.errors.IMPORT_REASONS``); anything else (a crash, a limit) the parent
turns into a refusal of its own. Nothing here imports the server: standard library,
defusedxml, pyshp and (for a ``.prj``) pyproj only.
"""
from __future__ import annotations

import codecs
import io
import json
import os
import re
import resource
import stat
import struct
import sys
import zipfile

KML_NAMESPACES = {"", "http://www.opengis.net/kml/2.2", "http://earth.google.com/kml/2.0",
                  "http://earth.google.com/kml/2.1", "http://earth.google.com/kml/2.2"}
GEOMETRY_TAGS = {"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"}

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")  # the only members read
# Side files desktop GIS writes next to a Shapefile: accepted in the zip, never read.
SIDE_FILES = (".sbn", ".sbx", ".shp.xml", ".qix", ".qpj", ".cst")
MAX_MEMBERS = 16
MAX_MEMBER_BYTES = {".shp": 32 << 20, ".dbf": 32 << 20, ".prj": 16 << 10, ".cpg": 64}
MAX_RATIO = 100  # uncompressed / compressed, for members over 1 MiB: beyond it, a zip bomb
MAX_RING_PAIRS = 4_000_000  # about a second of pyshp's hole sorting (2,000 rings in one polygon)
DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0xCB, 0xF5, 0xFB}
GB_LANGUAGE_DRIVERS = {0x4D, 0x7A}  # DBF language driver ids of code page 936


class Refused(Exception):
    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


class Budget:
    """Features and coordinates counted as they are read: refused past the limits, not after."""

    def __init__(self, limits: dict) -> None:
        self.max_features, self.max_points = limits["max_features"], limits["max_points"]
        self.features = self.points = self.ring_pairs = 0

    def feature(self, points: int) -> None:
        self.features += 1
        self.points += points
        if self.features > self.max_features:
            raise Refused("too_many_features", f"> {self.max_features}")
        if self.points > self.max_points:
            raise Refused("too_many_points", f"> {self.max_points}")

    def rings(self, count: int) -> None:
        """pyshp sorts a polygon's holes into its outer rings pair by pair: that work is counted too."""
        self.ring_pairs += count * count
        if self.ring_pairs > MAX_RING_PAIRS:
            raise Refused("too_complex", f"{count} rings")


# ---------------------------------------------------------------- KML (Google Earth, 奥维)

def _split(tag: str) -> tuple[str, str]:
    ns, _, local = tag.rpartition("}")
    return ns.lstrip("{"), local


def _coordinates(el, where: str) -> list[list[float]]:
    text = el.findtext(".//{*}coordinates") if el is not None else None
    try:
        return [[float(v) for v in tup.split(",")[:2]] for tup in re.sub(r"\s*,\s*", ",", text or "").split()]
    except ValueError:
        raise Refused("bad_coordinates", where) from None


def _kml_geometry(el, where: str) -> dict | None:
    kind = _split(el.tag)[1]
    if kind == "Point":
        coords = _coordinates(el, where)
        return {"type": "Point", "coordinates": coords[0]} if coords else None
    if kind in ("LineString", "LinearRing"):
        return {"type": "LineString", "coordinates": _coordinates(el, where)}
    if kind == "Polygon":
        rings = [_coordinates(el.find("{*}outerBoundaryIs"), where)]
        rings += [_coordinates(inner, where) for inner in el.findall("{*}innerBoundaryIs")]
        return {"type": "Polygon", "coordinates": rings}
    if kind == "MultiGeometry":
        parts: list[dict] = []
        for child in el:
            g = _kml_geometry(child, where) if _split(child.tag)[1] in GEOMETRY_TAGS else None
            if g is None:
                continue
            if g["type"] == "GeometryCollection":
                parts.extend(g["geometries"])
            elif g["type"].startswith("Multi"):
                parts.extend({"type": g["type"][5:], "coordinates": c} for c in g["coordinates"])
            else:
                parts.append(g)
        types = {p["type"] for p in parts}
        if types in ({"Polygon"}, {"LineString"}, {"Point"}):
            return {"type": "Multi" + types.pop(), "coordinates": [p["coordinates"] for p in parts]}
        return {"type": "GeometryCollection", "geometries": parts}
    return None


def _count(coords) -> int:
    if coords and isinstance(coords[0], float):
        return 1
    return sum(_count(c) for c in coords) if coords and isinstance(coords[0], list) else 0


def _placemark(el, number: int, budget: Budget) -> dict:
    props: dict[str, str] = {}
    for data in el.iterfind(".//{*}Data"):
        if data.get("name"):
            props[data.get("name")] = (data.findtext("{*}value") or "").strip()
    for data in el.iterfind(".//{*}SimpleData"):
        if data.get("name"):
            props[data.get("name")] = (data.text or "").strip()
    name = (el.findtext("{*}name") or "").strip()
    if name and "name" not in props:
        props["name"] = name
    geometry = next((_kml_geometry(child, f"Placemark {number}") for child in el
                     if _split(child.tag)[1] in GEOMETRY_TAGS), None)
    parts = (geometry or {}).get("geometries") or [geometry or {}]
    budget.feature(sum(_count(p.get("coordinates") or []) for p in parts))
    return {"type": "Feature", "properties": props, "geometry": geometry}


def read_kml(data: bytes, limits: dict) -> dict:
    """Placemarks (name, ExtendedData, geometry) of a KML document, parsed by defusedxml."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, iterparse

    budget, features, depth, in_placemark = Budget(limits), [], 0, 0
    try:
        for event, el in iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
            ns, local = _split(el.tag)
            if event == "start":
                if depth == 0 and (local != "kml" or ns not in KML_NAMESPACES):
                    raise Refused("not_kml", None)
                depth += 1
                in_placemark += local == "Placemark"
                continue
            depth -= 1
            if local == "Placemark":
                in_placemark -= 1
                features.append(_placemark(el, len(features) + 1, budget))
                el.clear()
            elif not in_placemark:
                el.clear()  # styles, folders' names...: nothing kept outside placemarks
    except (ParseError, DefusedXmlException, UnicodeError):
        raise Refused("not_kml", None) from None
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------- zipped Shapefile

def _member_ext(name: str) -> str:
    lower = name.lower()
    return next((s for s in SIDE_FILES if lower.endswith(s)), os.path.splitext(lower)[1])


def _members(z: zipfile.ZipFile, budget: Budget) -> dict[str, zipfile.ZipInfo]:
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise Refused("zip_too_many_members", f"{len(infos)} > {MAX_MEMBERS}")
    parts: dict[str, zipfile.ZipInfo] = {}
    stems = set()
    for info in infos:
        name = info.filename
        pieces = name.rstrip("/").split("/")
        if name.startswith("/") or "\\" in name or ":" in name or any(p in ("", ".", "..") for p in pieces):
            raise Refused("zip_member_path", name[:200])
        if stat.S_ISLNK(info.external_attr >> 16):
            raise Refused("zip_link", name[:200])
        if info.is_dir() or pieces[0] == "__MACOSX":
            continue  # a folder entry, or macOS's resource forks: never read
        ext = _member_ext(name)
        if ext in SIDE_FILES:
            continue
        if ext not in SHAPEFILE_PARTS:
            raise Refused("zip_member_not_allowed", pieces[-1][:200])
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused("zip_unsupported", pieces[-1][:200])
        if ext in parts:
            raise Refused("one_shapefile", pieces[-1][:200])
        parts[ext] = info
        stems.add(name[:len(name) - len(ext)].lower())
    if ".shx" in parts and parts[".shx"].file_size > 100 + 8 * budget.max_features:  # 8 bytes a record
        raise Refused("too_many_features", f"{(parts['.shx'].file_size - 100) // 8} > {budget.max_features}")
    for ext, info in parts.items():
        cap = 100 + 8 * budget.max_features if ext == ".shx" else MAX_MEMBER_BYTES[ext]
        if info.file_size > cap or info.file_size > 1 << 20 and info.file_size > MAX_RATIO * info.compress_size:
            raise Refused("zip_too_large", info.filename.rsplit("/", 1)[-1][:200])
    if not all(e in parts for e in (".shp", ".shx", ".dbf")) or len(stems) != 1:
        raise Refused("one_shapefile", None)
    return parts


def _read(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than it declared (the declared sizes were checked)."""
    with z.open(info) as f:
        blob = f.read(info.file_size + 1)
    if len(blob) != info.file_size:
        raise Refused("not_zip", None)
    return blob


def _check_headers(shp: bytes, shx: bytes, dbf: bytes, budget: Budget) -> None:
    for blob in (shp, shx):
        if len(blob) < 100 or struct.unpack(">i", blob[:4])[0] != 9994 or struct.unpack("<i", blob[28:32])[0] != 1000:
            raise Refused("not_shapefile", None)
        if struct.unpack(">i", blob[24:28])[0] * 2 != len(blob):
            raise Refused("not_shapefile", None)
    records = (len(shx) - 100) // 8
    if len(dbf) < 32 or dbf[0] not in DBF_VERSIONS:
        raise Refused("not_shapefile", None)
    count, header, size = struct.unpack("<IHH", dbf[4:12])
    if count != records or header < 33 or header + count * size > len(dbf):
        raise Refused("not_shapefile", None)
    if count > budget.max_features:
        raise Refused("too_many_features", f"{count} > {budget.max_features}")


def _encoding(cpg: bytes | None, dbf: bytes) -> str:
    """The .cpg's code page; else the DBF's language driver; else UTF-8 if the text is UTF-8, else
    GB18030 (Chinese ArcGIS of old wrote GBK and no .cpg)."""
    name = (cpg or b"").decode("ascii", "replace").strip().lower()
    if name in ("936", "cp936", "gbk", "gb2312", "gb18030") or not name and dbf[29] in GB_LANGUAGE_DRIVERS:
        return "gb18030"
    if name in ("65001", "utf-8", "utf8"):
        return "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        try:
            dbf[32:].decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            return "gb18030"


def _crs_name(prj: bytes) -> str:
    text = prj.decode("ascii", "replace").strip()
    if not re.match(r"^(GEOGCS|PROJCS|GEOGCRS|PROJCRS|GEODCRS|COMPD_CS)\[", text):
        return "unknown (.prj)"
    try:
        from pyproj import CRS

        crs = CRS.from_wkt(text)
    except Exception:  # noqa: BLE001  (PROJ says why in its own words; the office needs "not WGS84")
        return "unknown (.prj)"
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name[:100]


def _value(v):
    return v.isoformat() if hasattr(v, "isoformat") else v.decode("latin-1") if isinstance(v, bytes) else v


def _features(shp: bytes, shx: bytes, dbf: bytes, encoding: str, budget: Budget) -> list[dict]:
    import shapefile

    reader = shapefile.Reader(shp=io.BytesIO(shp), shx=io.BytesIO(shx), dbf=io.BytesIO(dbf), encoding=encoding)
    names = [f.name for f in reader.fields[1:]]
    features = []
    for item in reader.iterShapeRecords():
        shape = item.shape
        budget.feature(len(shape.points))
        if shape.shapeType in (shapefile.POLYGON, shapefile.POLYGONZ, shapefile.POLYGONM):
            budget.rings(len(shape.parts))
        props = {n: _value(v) for n, v in zip(names, item.record, strict=False)}
        if "parent_cod" in props and "parent_code" not in props:
            props["parent_code"] = props.pop("parent_cod")  # a DBF field name has at most 10 letters
        if "name" not in props and props.get("Name"):
            props["name"] = props["Name"]
        geometry = shape.__geo_interface__ if shape.shapeType != shapefile.NULL else None
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return features


def read_zip(data: bytes, limits: dict) -> dict:
    """The one Shapefile in a zip, its members checked by name, kind and size before any is read."""
    budget = Budget(limits)
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, NotImplementedError, EOFError):
        raise Refused("not_zip", None) from None
    parts = _members(z, budget)
    try:
        shx, dbf, shp = (_read(z, parts[e]) for e in (".shx", ".dbf", ".shp"))
        extra = {e: _read(z, parts[e]) for e in (".prj", ".cpg") if e in parts}
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError):
        raise Refused("not_zip", None) from None
    _check_headers(shp, shx, dbf, budget)
    fc: dict = {"type": "FeatureCollection", "features": []}
    if ".prj" in extra:
        fc["crs"] = {"type": "name", "properties": {"name": _crs_name(extra[".prj"])}}
        if fc["crs"]["properties"]["name"] not in limits["wgs84_names"]:
            return fc  # the importer names the wrong coordinate system; no coordinate is read
    encoding = _encoding(extra.get(".cpg"), dbf)
    try:
        fc["features"] = _features(shp, shx, dbf, encoding, Budget(limits))
    except (Refused, MemoryError):
        raise
    except Exception:  # noqa: BLE001  (pyshp on a damaged file: struct, index, value, encoding errors...)
        raise Refused("not_shapefile", None) from None
    return fc


# ---------------------------------------------------------------- the sandbox

FORBIDDEN_EVENTS = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                    "os.forkpty", "pty.", "ctypes.", "urllib.", "http.", "ftplib.", "smtplib.", "webbrowser.")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


READABLE: tuple[str, ...] = ()  # where Python may open files once confined: its own installation (imports)


def _audit(event: str, args) -> None:
    if event.startswith(FORBIDDEN_EVENTS):
        raise PermissionError(f"{event} is not allowed while converting an upload")
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, 0))[:3]
        writes = isinstance(mode, str) and any(c in mode for c in "wax+")
        if writes or (isinstance(flags, int) and flags & WRITE_FLAGS):
            raise PermissionError("writing files is not allowed while converting an upload")
        if path is not None and not isinstance(path, int) and \
                not os.path.abspath(os.fsdecode(path)).startswith(READABLE):
            raise PermissionError("only Python's own files may be opened while converting an upload")


def confine(limits: dict) -> None:
    """Limits first, then out of the network, then the audit hook; only then the upload is read."""
    memory = limits["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:  # a network namespace of its own: no interface but a dead loopback (where the kernel lets us)
        import ctypes

        ctypes.CDLL(None, use_errno=True).unshare(0x10000000 | 0x40000000)  # CLONE_NEWUSER | CLONE_NEWNET
    except (OSError, AttributeError):
        pass
    import defusedxml.ElementTree  # noqa: F401  (imported before the hook: imports only read)
    import shapefile  # noqa: F401

    global READABLE
    READABLE = tuple(os.path.realpath(p) + os.sep for p in {sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                            *(p for p in sys.path if os.path.isdir(p))})
    sys.addaudithook(_audit)


def main() -> None:
    kind, limits = sys.argv[1], json.loads(sys.argv[2])
    confine(limits)
    data = sys.stdin.buffer.read(limits["max_bytes"] + 1)
    try:
        if len(data) > limits["max_bytes"]:
            raise Refused("zip_too_large" if kind == "zip" else "too_many_features", None)
        answer = {"fc": read_kml(data, limits) if kind == "kml" else read_zip(data, limits)}
    except Refused as exc:
        answer = {"refused": exc.reason, "detail": exc.detail}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    main()
