"""Where finished photos live: a directory (the embedded default) or an S3-compatible bucket.

Chosen by configuration (``PHOTO_STORAGE=fs|s3``). Keys are paths such as
``full/ab/<uuid>.jpg``; the directory layout and the bucket layout are the same, so a
county can move from one to the other with ``aws s3 sync``. Uploads in progress stay in a
local spool (``PHOTO_DIR/partial``) on the app server that receives them.

A full disk is an answer, not a crash: ``photo.storage_full`` (507, retry later); the
phone keeps the photo and resends from the last stored offset once space returns.
"""
from __future__ import annotations

import errno
import io
import os
import shutil
import tempfile
from pathlib import Path

from flask import Flask, current_app, send_file

from .errors import ApiError


class StorageFull(ApiError):
    def __init__(self) -> None:
        super().__init__("photo.storage_full", 507, headers={"Retry-After": "600"})


def check_free(directory: Path, needed: int) -> None:
    """Refuse before writing when the disk would fall below the configured reserve."""
    directory.mkdir(parents=True, exist_ok=True)
    reserve = current_app.config["PHOTO_MIN_FREE_BYTES"]
    if shutil.disk_usage(directory).free - needed < reserve:
        raise StorageFull()


def no_space(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


class FileStorage:
    kind = "fs"

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key

    def put_file(self, key: str, src: Path) -> None:
        dest = self.path(key)
        check_free(dest.parent, src.stat().st_size)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".in-")
        try:
            with os.fdopen(fd, "wb") as out, open(src, "rb") as fh:
                shutil.copyfileobj(fh, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)  # readers see the whole file or none
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            if no_space(exc):
                raise StorageFull() from None
            raise

    def get_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def send(self, key: str, mimetype: str):
        return send_file(self.path(key), mimetype=mimetype, max_age=86400)

    def check(self) -> dict:
        """For readiness: writable, and free space above the reserve."""
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".ready-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
        free = shutil.disk_usage(self.root).free
        return {"ok": free >= current_app.config["PHOTO_MIN_FREE_BYTES"], "free_bytes": free}


class S3Storage:
    kind = "s3"

    def __init__(self, bucket: str, endpoint_url: str | None, region: str | None, prefix: str = "") -> None:
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # credentials: the standard AWS variables or instance profile; retries ride over a restart
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
                                   config=BotoConfig(retries={"max_attempts": 5, "mode": "standard"},
                                                     connect_timeout=5, read_timeout=30))

    def _key(self, key: str) -> str:
        return self.prefix + key

    def put_file(self, key: str, src: Path) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.upload_file(str(src), self.bucket, self._key(key),
                                    ExtraArgs={"ContentType": "image/jpeg"})
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("QuotaExceeded", "EntityTooLarge", "InsufficientStorage"):
                raise StorageFull() from None
            raise

    def get_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def send(self, key: str, mimetype: str):
        # photos are re-encoded to at most 1600 px (a few hundred KB): streamed through the app,
        # so the bucket stays private and every read is checked against the caller's scope
        return send_file(io.BytesIO(self.get_bytes(key)), mimetype=mimetype, max_age=86400)

    def check(self) -> dict:
        self.client.head_bucket(Bucket=self.bucket)
        return {"ok": True, "bucket": self.bucket}


def init_app(app: Flask) -> None:
    cfg = app.config
    if cfg["PHOTO_STORAGE"] == "s3":
        if not cfg["S3_BUCKET"]:
            raise RuntimeError("PHOTO_STORAGE=s3 needs RIVERPATROL_S3_BUCKET / 照片存储为 S3 时须设置存储桶")
        store: FileStorage | S3Storage = S3Storage(cfg["S3_BUCKET"], cfg["S3_ENDPOINT_URL"], cfg["S3_REGION"],
                                                   cfg["S3_PREFIX"])
    elif cfg["PHOTO_STORAGE"] == "fs":
        store = FileStorage(cfg["PHOTO_DIR"])
    else:
        raise RuntimeError(f"PHOTO_STORAGE must be fs or s3, not {cfg['PHOTO_STORAGE']!r}")
    app.extensions["riverpatrol.storage"] = store


def storage() -> FileStorage | S3Storage:
    return current_app.extensions["riverpatrol.storage"]
