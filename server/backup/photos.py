"""The photos: copied with their sha256 (unfinished uploads left out), the files a database snapshot needs,
and a photo directory checked against the manifest."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .archive import PARTIAL, hash_file


def _copy_hashing(src: Path, dest: Path) -> tuple[str, int]:
    """Copy and hash the very bytes written, in one read."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        for block in iter(lambda: fin.read(1 << 20), b""):
            digest.update(block)
            fout.write(block)
            size += len(block)
        fout.flush()
        os.fsync(fout.fileno())
    shutil.copystat(src, dest)
    return digest.hexdigest(), size


def _full_key(uuid: str) -> str:
    return f"full/{uuid[:2]}/{uuid}.jpg"


def _original_key(uuid: str) -> str:
    return f"original/{uuid[:2]}/{uuid}"


def missing_files(records: dict[str, dict], present) -> list[str]:
    """A complete photo needs its served file; one still processing needs the original it is made from."""
    missing = []
    for uuid, rec in sorted(records.items()):
        key = _full_key(uuid) if rec["status"] == "complete" else _original_key(uuid)
        if not present(key):
            missing.append(key)
    return missing


def copy_photos(photo_dir: Path, dest: Path) -> tuple[dict[str, dict], int]:
    photos: dict[str, dict] = {}
    skipped = 0
    if not photo_dir.is_dir():
        return photos, skipped
    for root, dirs, files in os.walk(photo_dir):
        rel_root = Path(root).relative_to(photo_dir)
        if rel_root == Path(".") and PARTIAL in dirs:
            dirs.remove(PARTIAL)
            skipped = sum(len(f) for _, _, f in os.walk(photo_dir / PARTIAL))
        dirs.sort()
        for name in sorted(files):
            if name.startswith("."):  # a file still being written (a temporary name, renamed when whole)
                continue
            rel = (rel_root / name).as_posix()
            try:
                sha, size = _copy_hashing(Path(root) / name, dest / rel)
            except FileNotFoundError:  # removed while we walked (a discarded upload)
                continue
            photos[rel] = {"sha256": sha, "size": size}
    return photos, skipped


def check_photo_files(root: Path, expected: dict[str, dict]) -> list[str]:
    problems = []
    for rel, want in sorted(expected.items()):
        path = root / rel
        if not path.is_file():
            problems.append(f"照片缺失 / photo missing: {rel}")
            continue
        sha, size = hash_file(path)
        if sha != want["sha256"] or size != want["size"]:
            problems.append(f"照片已损坏 / photo corrupted: {rel} (sha256 {sha[:12]}… size {size}, "
                            f"manifest {want['sha256'][:12]}… size {want['size']})")
    if root.is_dir():
        extra = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                       and p.relative_to(root).as_posix() not in expected)
        problems += [f"清单外的照片文件 / photo file not in the manifest: {rel}" for rel in extra]
    return problems


def check_photo_copy(root: Path, manifest: dict) -> list[str]:
    """Does a photo directory (the live PHOTO_DIR, or a bucket synced down with ``aws s3 sync``) still hold
    what the backup knows? Each file the backup copied, with its sha256; each finished photo of the database
    snapshot, and where the bytes the phone sent are kept (``original/``), their sha256 from the database."""
    problems: dict[str, str] = {}
    for rel, want in manifest["photos"].items():
        path = root / rel
        if not path.is_file():
            problems[rel] = f"照片缺失 / photo missing: {rel}"
        elif hash_file(path) != (want["sha256"], want["size"]):
            problems[rel] = f"照片与备份不同 / photo differs from the backup: {rel}"
    records = manifest.get("photo_records", {})
    for key in missing_files(records, lambda key: (root / key).is_file()):
        problems.setdefault(key, f"照片缺失 / photo missing: {key}")
    for uuid, want in records.items():
        original = _original_key(uuid)
        if (root / original).is_file() and hash_file(root / original) != (want["sha256"], want["size"]):
            problems[original] = f"原图与数据库记录的 sha256 不符 / original differs from its sha256 in the " \
                                 f"database: {original}"
    return [problems[k] for k in sorted(problems)]
