"""The backup's format: its layout and manifest, the error every step raises, writing a finished backup
under its final name (the manifest last) and opening one (a directory, or a tar archive unpacked)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared_models.clock import utcnow

FORMAT = "riverpatrol-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PHOTOS = "photos"
PARTIAL = "partial"  # unfinished uploads under PHOTO_DIR: not backed up
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz")


class BackupError(Exception):
    """A backup or restore that must not be trusted; ``problems`` lists each difference found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {p}" for p in self.problems)])


def now() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("riverpatrol")
    except PackageNotFoundError:
        return "unknown"


def hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def is_archive(path: Path) -> bool:
    return path.name.endswith(ARCHIVE_SUFFIXES)


def seal(work: Path, dest: Path, manifest: dict) -> None:
    """Write the manifest into ``work`` and put the backup at ``dest``: the directory renamed, or a tar archive."""
    try:
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")
        if is_archive(dest):
            tmp = dest.with_name(f".{dest.name}.partial")
            with tarfile.open(tmp, "w:gz" if dest.name.endswith(("gz", "tgz")) else "w") as tar:
                # the manifest last: an archive cut short anywhere lacks it, and says so
                for item in sorted(work.iterdir(), key=lambda p: (p.name == MANIFEST, p.name)):
                    tar.add(item, arcname=item.name)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
        else:
            if dest.exists():
                dest.rmdir()
            os.rename(work, dest)
    finally:
        dest.with_name(f".{dest.name}.partial").unlink(missing_ok=True)


@contextmanager
def opened(archive: str | os.PathLike) -> Iterator[tuple[Path, dict]]:
    """The backup as a directory and its manifest; a tar archive is unpacked into a temporary directory."""
    path = Path(archive)
    if not path.exists():
        raise BackupError(f"备份不存在 / backup not found: {path}")
    tmp = None
    try:
        if path.is_file():
            tmp = Path(tempfile.mkdtemp(prefix="riverpatrol-restore-"))
            try:
                with tarfile.open(path) as tar:
                    tar.extractall(tmp, filter="data")
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise BackupError(f"备份归档无法读取或不完整 / the backup archive cannot be read or is incomplete: "
                                  f"{path}", [str(exc)]) from exc
            if not (tmp / MANIFEST).is_file():
                raise BackupError(f"备份归档无法读取或不完整 / the backup archive cannot be read or is incomplete: "
                                  f"{path}", ["no manifest.json (it is the last member: the archive was cut short?)"])
            path = tmp
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackupError(f"备份中没有可读的 manifest.json / no readable manifest.json in {archive}",
                              [str(exc)]) from exc
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"不认识的备份格式 / not a RiverPatrol backup (format {manifest.get('format')!r}, "
                              f"version {manifest.get('format_version')!r})")
        yield path, manifest
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
