"""Background jobs: the registry each domain's ``jobs`` module adds to, and the queue.

``JOBS_BACKEND=inline`` (the embedded default) runs a job at once in the process that asks
for it. ``JOBS_BACKEND=rq`` puts it on a Redis queue for ``riverpatrol worker`` (RQ); if
Redis cannot be reached the job runs inline instead, so nothing waits on a queue that is
down. Jobs are idempotent: running one twice does no harm. Each runs as one unit of work; a job
asked for by a request is queued once the request's work is committed (``transaction.after_commit``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app

from .transaction import unit_of_work

log = logging.getLogger(__name__)
QUEUE = "riverpatrol"
JOBS: dict[str, Callable[..., object]] = {}
_worker_app: Flask | None = None


def job(name: str):
    def register(fn):
        JOBS[name] = fn
        return fn
    return register


def _redis():
    import redis

    return redis.Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)


def queue():
    from rq import Queue

    return Queue(QUEUE, connection=_redis(), default_timeout=3600)


def enqueue(name: str, **kwargs) -> str:
    """Run job ``name`` now (inline) or on the queue (rq); returns where it went."""
    if name not in JOBS:
        raise KeyError(name)
    if current_app.config["JOBS_BACKEND"] == "rq":
        import redis
        from rq import Retry

        try:
            queue().enqueue(run, name, kwargs, retry=Retry(max=5, interval=[5, 30, 120, 600, 1800]),
                            description=f"{name} {kwargs}")
            log.info("job queued", extra={"job": name, "job_args": kwargs})
            return "queued"
        except redis.RedisError as exc:
            log.warning("job queue unreachable, running inline", extra={"job": name, "error": str(exc)[:200]})
    with unit_of_work():  # (inside a request's or command's unit of work: part of it)
        JOBS[name](**kwargs)
    return "inline"


def run(name: str, kwargs: dict) -> None:
    """What the worker executes: the job inside an app context of the worker's own app."""
    if _worker_app is None:
        raise RuntimeError("jobs run in `riverpatrol worker`, which names its app / 请用 riverpatrol worker 运行队列")
    with _worker_app.app_context():
        log.info("job started", extra={"job": name, "job_args": kwargs})
        with unit_of_work():
            JOBS[name](**kwargs)
        log.info("job done", extra={"job": name})


def ping() -> dict:
    """For readiness: the queue answers (only when the rq backend is configured)."""
    if current_app.config["JOBS_BACKEND"] != "rq":
        return {"ok": True, "backend": "inline"}
    r = _redis()
    r.ping()
    return {"ok": True, "backend": "rq", "queued": r.llen(f"rq:queue:{QUEUE}")}


def work(burst: bool = False) -> None:
    """``riverpatrol worker``: process the queue in this process (one job at a time)."""
    global _worker_app
    from rq import SimpleWorker

    _worker_app = current_app._get_current_object()
    SimpleWorker([QUEUE], connection=_redis()).work(burst=burst, with_scheduler=True)

