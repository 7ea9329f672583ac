"""Backup and restore: `riverpatrol backup create`, then restore into a new empty database and photo
directory, and the restored county equals the original, row for row and byte for byte."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pysqlite3.dbapi2 as sqlite_module
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from server.demo import DEMO_PASSWORD
from server.extensions import db

from .conftest import TEST_CONFIG, _serve, make_app
from .patrol_data import card_of, patrol_body, walk_on
from .photos import CHUNK, jpeg_with_exif, send, start, upload

RIVERPATROL = str(Path(sys.executable).parent / "riverpatrol")
INSP_A = "13900000101"


def _cli(url: str, photo_dir: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RIVERPATROL_DATABASE_URL": url, "RIVERPATROL_PHOTO_DIR": str(photo_dir),
           "RIVERPATROL_SECRET_KEY": TEST_CONFIG["SECRET_KEY"], "RIVERPATROL_PASSWORD_TIME_COST": "1",
           "RIVERPATROL_PASSWORD_MEMORY_KIB": "1024", **{f"RIVERPATROL_{k}": v for k, v in settings.items()}}
    return subprocess.run([RIVERPATROL, "backup", *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def empty_target(engine_name, databases, tmp_path):
    """A new, empty database: no file yet on SQLite; on PostgreSQL a bare database without PostGIS."""
    store = databases(engine_name)
    if engine_name == "spatialite":
        url = f"sqlite:///{tmp_path / 'restored' / 'riverpatrol.sqlite'}"
    else:
        name = f"restored_{uuid.uuid4().hex[:10]}"
        store._exec(f"CREATE DATABASE {name}")
        url = store.cluster.url(name)
    yield url
    store.drop(url)


@pytest.fixture
def owned_target(engine_name, databases, tmp_path):
    """A new, empty database as production has it: on PostgreSQL owned by an ordinary role (no superuser),
    PostGIS created beforehand by the superuser; the restore connects as that role."""
    store = databases(engine_name)
    if engine_name == "spatialite":
        url = f"sqlite:///{tmp_path / 'owned' / 'riverpatrol.sqlite'}"
        yield url
    else:
        name = f"owned_{uuid.uuid4().hex[:10]}"
        store._exec(f"DO $$ BEGIN CREATE ROLE {name} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        store._exec(f"CREATE DATABASE {name} OWNER {name}")
        store._exec("CREATE EXTENSION postgis", name)
        url = store.cluster.url(name)
        yield url.replace("postgres@", f"{name}@")
        store._exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        store._exec(f"DROP ROLE IF EXISTS {name}")
        return
    store.drop(url)


def _engine(url: str) -> sa.Engine:
    u = make_url(url)
    u = u.set(query={k: v for k, v in u.query.items() if not k.startswith("geoalchemy2")})
    extra = {"module": sqlite_module} if u.get_backend_name() == "sqlite" else {}
    return sa.create_engine(u, poolclass=sa.pool.NullPool, **extra)


def _tables(url: str) -> set[str]:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and not Path(u.database).exists():
        return set()
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names()) - {"spatial_ref_sys"}
    finally:
        engine.dispose()


def _norm(value):
    if isinstance(value, memoryview):
        value = bytes(value)
    return value.hex() if isinstance(value, bytes) else repr(value)


def _rows(url: str, tables) -> dict[str, list[tuple[str, str]]]:
    """Per table: sorted (primary key, sha256 of the row's values)."""
    engine = _engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            for table in tables:
                pk = inspector.get_pk_constraint(table)["constrained_columns"]
                result = conn.execute(sa.text(f'SELECT * FROM "{table}"'))
                cols = list(result.keys())
                rows = []
                for row in result:
                    values = tuple(_norm(v) for v in row)
                    key = repr(tuple(values[cols.index(c)] for c in pk))
                    rows.append((key, hashlib.sha256(repr(values).encode()).hexdigest()))
                out[table] = sorted(rows)
    finally:
        engine.dispose()
    return out


def _seed(api) -> dict:
    """What an inspector's phone sends: a patrol, a photo in chunks with a problem report, an unfinished upload."""
    token = api.token(INSP_A)
    card = card_of(INSP_A)
    patrol = api.post("/api/v1/patrols", token=token, json=patrol_body(walk_on(card), card))
    assert patrol.status_code == 201, patrol.text
    data = jpeg_with_exif()
    assert len(data) > 2 * CHUNK  # sent in several chunks
    problem_uuid = str(uuid.uuid4())
    photo = upload(api, token, data, problem_uuid=problem_uuid)
    assert photo["complete"] is True
    problem = api.post("/api/v1/problems", token=token, json={
        "uuid": problem_uuid, "category": "luan_dui", "severity": "serious", "description": "河岸堆放建筑垃圾",
        "lon": 108.8745, "lat": 34.3655, "accuracy_m": 6.5, "reported_at": "2026-11-20T09:30:00+08:00",
        "photo_uuids": [photo["uuid"]]})
    assert problem.status_code == 201, problem.text
    partial, _ = start(api, token, jpeg_with_exif(size=(1600, 1200)))
    assert send(api, token, partial, jpeg_with_exif(size=(1600, 1200)), 0).status_code == 200
    image = api.get(f"/api/v1/photos/{photo['uuid']}/image", token=token)
    assert image.status_code == 200
    return {"patrol": patrol.json()["uuid"], "photo": photo["uuid"], "problem": problem_uuid,
            "image": image.content, "sent": data}


def _photo_dir(demo_app) -> Path:
    return Path(demo_app.config["PHOTO_DIR"])


@contextmanager
def _server_on(url: str, photo_dir: Path, **overrides):
    app = make_app(url, PHOTO_DIR=str(photo_dir), **overrides)
    try:
        with contextmanager(_serve)(app) as client:
            yield client
    finally:
        with app.app_context():
            db.engine.dispose()


def test_backup_restores_into_a_new_database_row_for_row_and_photo_for_photo(
        engine_name, demo_app, api, empty_target, tmp_path):
    seeded = _seed(api)
    source_url, source_photos = demo_app.config["SQLALCHEMY_DATABASE_URI"], _photo_dir(demo_app)
    archive = tmp_path / "backups" / "riverpatrol-2026-11-23.tar.gz"

    made = _cli(source_url, source_photos, "create", str(archive))
    assert made.returncode == 0, made.stderr
    assert "unfinished uploads not backed up: 1" in made.stdout
    manifest = json.loads(subprocess.run(["tar", "-xzOf", str(archive), "manifest.json"], capture_output=True,
                                         check=True).stdout)
    assert manifest["engine"] == ("sqlite" if engine_name == "spatialite" else "postgresql")
    assert manifest["alembic_revision"] and manifest["app_version"]
    assert manifest["created_at"].endswith("Z") and manifest["created_at"] <= manifest["finished_at"]
    assert manifest["tables"]["patrols"] == 1 and manifest["tables"]["problems"] == 1
    assert manifest["tables"]["photos"] == 2  # the finished photo and the unfinished upload's row
    full = f"full/{seeded['photo'][:2]}/{seeded['photo']}.jpg"
    assert manifest["photos"][full] == {"sha256": hashlib.sha256(seeded["image"]).hexdigest(),
                                        "size": len(seeded["image"])}
    assert not any(name.startswith("partial/") for name in manifest["photos"])
    sent = {"sha256": hashlib.sha256(seeded["sent"]).hexdigest(), "size": len(seeded["sent"])}
    assert manifest["photo_records"] == {seeded["photo"]: {**sent, "status": "complete"}}
    assert manifest["photos"][f"original/{seeded['photo'][:2]}/{seeded['photo']}"] == sent  # the phone's bytes
    assert manifest["missing_photo_files"] == []
    assert _cli(source_url, source_photos, "verify", str(archive)).returncode == 0

    restored_photos = tmp_path / "restored-photos"
    done = _cli(empty_target, restored_photos, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert "restored and verified" in done.stdout

    # every table holds the same rows: same primary keys, same values
    tables = sorted(manifest["tables"])
    assert _tables(empty_target) >= set(tables)
    original, restored = _rows(source_url, tables), _rows(empty_target, tables)
    assert restored == original
    assert sum(len(rows) for rows in restored.values()) == sum(manifest["tables"].values())
    assert sorted(p.relative_to(restored_photos).as_posix() for p in restored_photos.rglob("*") if p.is_file()) \
        == sorted(manifest["photos"])

    with _server_on(empty_target, restored_photos) as restored_api:
        token = restored_api.login(INSP_A, DEMO_PASSWORD)["access_token"]
        mine = restored_api.get("/api/v1/patrols", token=token)
        assert mine.status_code == 200 and seeded["patrol"] in {p["uuid"] for p in mine.json()}
        assert restored_api.get(f"/api/v1/patrols/{seeded['patrol']}", token=token).json()["valid"] is True
        image = restored_api.get(f"/api/v1/photos/{seeded['photo']}/image", token=token)
        assert image.status_code == 200 and image.content == seeded["image"]
        problem = restored_api.get(f"/api/v1/problems/{seeded['problem']}", token=token).json()
        assert [p["uuid"] for p in problem["photos"]] == [seeded["photo"]]


def test_a_photo_changed_by_one_byte_fails_verify_and_restore_naming_the_file(
        engine_name, demo_app, api, empty_target, tmp_path):
    token = api.token(INSP_A)
    photo = upload(api, token, jpeg_with_exif(size=(800, 600)))
    backup_dir = tmp_path / "backup"
    made = _cli(demo_app.config["SQLALCHEMY_DATABASE_URI"], _photo_dir(demo_app), "create", str(backup_dir))
    assert made.returncode == 0, made.stderr
    rel = f"full/{photo['uuid'][:2]}/{photo['uuid']}.jpg"
    damaged = backup_dir / "photos" / rel
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))

    checked = _cli(empty_target, tmp_path / "unused", "verify", str(backup_dir))
    assert checked.returncode == 1
    assert f"photo corrupted: {rel}" in checked.stderr and "照片已损坏" in checked.stderr

    restored_photos = tmp_path / "restored-photos"
    refused = _cli(empty_target, restored_photos, "restore", str(backup_dir))
    assert refused.returncode == 1
    assert f"photo corrupted: {rel}" in refused.stderr and "nothing was restored" in refused.stderr
    assert _tables(empty_target) == set()  # nothing half-restored
    assert not restored_photos.exists() or not any(restored_photos.iterdir())


def test_a_backup_that_disagrees_with_its_manifest_is_never_left_restored(
        engine_name, demo_app, api, empty_target, tmp_path):
    upload(api, api.token(INSP_A), jpeg_with_exif(size=(800, 600)))
    source, photos = demo_app.config["SQLALCHEMY_DATABASE_URI"], _photo_dir(demo_app)
    backup_dir = tmp_path / "backup"
    assert _cli(source, photos, "create", str(backup_dir)).returncode == 0
    manifest_path = backup_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["users"] += 1  # a manifest that claims one user more than the database holds
    manifest_path.write_text(json.dumps(manifest))

    restored_photos = tmp_path / "restored-photos"
    failed = _cli(empty_target, restored_photos, "restore", str(backup_dir))
    assert failed.returncode == 1
    users = manifest["tables"]["users"]
    assert f"table users: {users - 1} rows, manifest {users}" in failed.stderr
    assert _tables(empty_target) == set()  # loaded and cleared again (PostgreSQL), or never put in place (SQLite)
    assert not restored_photos.exists()
    assert not [p for p in restored_photos.parent.iterdir() if p.name.startswith(".restored-photos")]

    archive = tmp_path / "cut.tar"  # a copy that stopped half way
    assert _cli(source, photos, "create", str(archive)).returncode == 0
    whole = archive.read_bytes()
    with tarfile.open(archive) as tar:
        last = tar.getmember("manifest.json")
    for size in (len(whole) // 2, len(whole) // 2 + 100, last.offset, last.offset_data + last.size // 2):
        archive.write_bytes(whole[:size])
        cut = _cli(source, photos, "verify", str(archive))
        assert cut.returncode == 1 and "the backup archive cannot be read or is incomplete" in cut.stderr


def test_verify_finds_a_photo_gone_from_the_live_directory_or_a_synced_copy(engine_name, demo_app, api, tmp_path):
    photo = upload(api, api.token(INSP_A), jpeg_with_exif(size=(800, 600)))
    live = _photo_dir(demo_app)
    backup_dir = tmp_path / "backup"
    assert _cli(demo_app.config["SQLALCHEMY_DATABASE_URI"], live, "create", str(backup_dir)).returncode == 0
    ok = _cli(demo_app.config["SQLALCHEMY_DATABASE_URI"], live, "verify", "--photos", str(live), str(backup_dir))
    assert ok.returncode == 0, ok.stderr
    assert "the photo directory holds every photo of the backup" in ok.stdout

    synced = tmp_path / "bucket-copy"  # what `aws s3 sync s3://bucket synced/` leaves
    shutil.copytree(live, synced)
    full = f"full/{photo['uuid'][:2]}/{photo['uuid']}.jpg"
    thumb = f"thumb/{photo['uuid'][:2]}/{photo['uuid']}.jpg"
    (synced / full).unlink()
    (synced / thumb).write_bytes(b"not the thumbnail")
    bad = _cli(demo_app.config["SQLALCHEMY_DATABASE_URI"], live, "verify", "--photos", str(synced), str(backup_dir))
    assert bad.returncode == 1
    assert f"photo missing: {full}" in bad.stderr and f"photo differs from the backup: {thumb}" in bad.stderr


def test_a_backup_taken_while_phones_sign_in_restores_exactly(engine_name, demo_app, api, owned_target, tmp_path):
    """The database copy and its row counts are one snapshot even while the server writes."""
    def sessions(url):
        return len(_rows(url, ["device_sessions"])["device_sessions"])

    source = demo_app.config["SQLALCHEMY_DATABASE_URI"]
    stop, answers = threading.Event(), []

    def phones():
        while not stop.is_set():
            r = api.post("/api/v1/auth/login", json={"phone": INSP_A, "password": DEMO_PASSWORD,
                                                     "device_id": f"phone-{len(answers)}"})
            answers.append(r.status_code)

    writer = threading.Thread(target=phones)
    writer.start()
    try:
        while len(answers) < 3:
            time.sleep(0.01)
        before = sessions(source)
        made = _cli(source, _photo_dir(demo_app), "create", str(tmp_path / "backup"))
    finally:
        stop.set()
        writer.join()
    assert made.returncode == 0, made.stderr
    assert set(answers) == {200}
    taken = json.loads((tmp_path / "backup" / "manifest.json").read_text())["tables"]["device_sessions"]
    assert before < taken <= sessions(source)  # sign-ins landed while the backup ran

    done = _cli(owned_target, tmp_path / "restored-photos", "restore", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    assert sessions(owned_target) == taken


def test_restore_into_a_database_holding_data_is_refused_unless_forced(engine_name, demo_app, fresh_db, tmp_path):
    backup_dir = tmp_path / "backup"
    made = _cli(demo_app.config["SQLALCHEMY_DATABASE_URI"], _photo_dir(demo_app), "create", str(backup_dir))
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    other = fresh_db(demo=True)
    with _server_on(other, tmp_path / "other-photos") as other_api:  # a county in use: someone signed in
        other_api.login(INSP_A)
    before = _rows(other, sorted(manifest["tables"]))

    refused = _cli(other, tmp_path / "restored-photos", "restore", str(backup_dir))
    assert refused.returncode == 1
    assert "the target database is not empty" in refused.stderr and "--force" in refused.stderr
    assert "目标数据库不是空的" in refused.stderr
    assert _rows(other, sorted(manifest["tables"])) == before  # untouched

    forced = _cli(other, tmp_path / "restored-photos", "restore", "--force", str(backup_dir))
    assert forced.returncode == 0, forced.stderr
    assert _rows(other, sorted(manifest["tables"])) == _rows(demo_app.config["SQLALCHEMY_DATABASE_URI"],
                                                              sorted(manifest["tables"]))


def test_photos_in_a_bucket_are_listed_not_copied_and_a_synced_copy_verifies(
        engine_name, fresh_db, empty_target, bucket, tmp_path):
    url, spool = fresh_db(demo=True), tmp_path / "spool"
    s3 = {"PHOTO_STORAGE": "s3", "S3_BUCKET": "photos", "S3_ENDPOINT_URL": bucket["endpoint"],
          "S3_PREFIX": "county-610112"}
    data = jpeg_with_exif(size=(800, 600))
    with _server_on(url, spool, **s3) as api:
        photo = upload(api, api.token(INSP_A), data)
    made = _cli(url, spool, "create", str(tmp_path / "backup"), **s3)
    assert made.returncode == 0, made.stderr
    assert "photos are in the bucket and were not copied" in made.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["photo_storage"] == "s3" and manifest["photos"] == {}
    assert manifest["photo_records"][photo["uuid"]]["sha256"] == hashlib.sha256(data).hexdigest()

    synced = tmp_path / "synced"  # what `aws s3 sync s3://photos/county-610112 synced` leaves
    for obj in bucket["client"].list_objects_v2(Bucket="photos", Prefix="county-610112/")["Contents"]:
        dest = synced / obj["Key"].removeprefix("county-610112/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(bucket["client"].get_object(Bucket="photos", Key=obj["Key"])["Body"].read())
    ok = _cli(url, spool, "verify", "--photos", str(synced), str(tmp_path / "backup"))
    assert ok.returncode == 0, ok.stderr
    original = f"original/{photo['uuid'][:2]}/{photo['uuid']}"
    (synced / original).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    bad = _cli(url, spool, "verify", "--photos", str(synced), str(tmp_path / "backup"))
    assert bad.returncode == 1 and f"original differs from its sha256 in the database: {original}" in bad.stderr

    done = _cli(empty_target, tmp_path / "restored-spool", "restore", str(tmp_path / "backup"), **s3)
    assert done.returncode == 0, done.stderr
    assert "the photos are in a bucket, not in this backup" in done.stdout
    with _server_on(empty_target, tmp_path / "restored-spool", **s3) as restored:  # the same bucket serves them
        image = restored.get(f"/api/v1/photos/{photo['uuid']}/image", token=restored.token(INSP_A))
        assert image.status_code == 200 and image.content == bucket["client"].get_object(
            Bucket="photos", Key=f"county-610112/full/{photo['uuid'][:2]}/{photo['uuid']}.jpg")["Body"].read()
