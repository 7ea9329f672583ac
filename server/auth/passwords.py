"""Password hashing with Argon2id (argon2-cffi), at most a few checks at once per process.

Each check takes ``PASSWORD_HASH_MEMORY_KIB`` (64 MB) for its duration: ``verify_password``
holds one of ``PASSWORD_HASH_CONCURRENCY`` slots while it hashes and waits at most
``LOGIN_HASH_WAIT_SECONDS`` for one; beyond that it raises ``HashingBusy`` (the sign-in is
answered 503 with Retry-After) instead of queueing unbounded memory. And one address has at
most one check under way per process: a second from it at the same instant is busy at once
(a spray of 30 wrong passwords from one address took 3.6 s of both cores, every one of them
checked; a real sign-in is once per device, and the phone retries a busy answer).
"""
from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


class HashingBusy(Exception):
    """Every hashing slot stayed taken for the whole wait."""


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["PASSWORD_HASH_TIME_COST"], memory_cost=cfg["PASSWORD_HASH_MEMORY_KIB"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def _slots() -> threading.BoundedSemaphore:
    size = current_app.config["PASSWORD_HASH_CONCURRENCY"]
    with _SLOTS_LOCK:
        if size not in _SLOTS:
            _SLOTS[size] = threading.BoundedSemaphore(size)
        return _SLOTS[size]


_CHECKING: set[str] = set()  # addresses with a check under way


def verify_password(stored_hash: str | None, password: str, address: str | None = None) -> bool:
    """Constant work whether or not the user exists (a dummy hash is checked when none)."""
    if address is not None:
        with _SLOTS_LOCK:
            if address in _CHECKING:
                raise HashingBusy()
            _CHECKING.add(address)
    try:
        slots = _slots()
        if not slots.acquire(timeout=current_app.config["LOGIN_HASH_WAIT_SECONDS"]):
            raise HashingBusy()
        try:
            return _check(stored_hash, password)
        finally:
            slots.release()
    finally:
        if address is not None:
            with _SLOTS_LOCK:
                _CHECKING.discard(address)


def _check(stored_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    try:
        return hasher.verify(stored_hash or _dummy_hash(hasher), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: dict[tuple[int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash("not-a-password")
    return _DUMMY[key]
