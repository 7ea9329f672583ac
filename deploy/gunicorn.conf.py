"""gunicorn settings for RiverPatrol: `gunicorn -c deploy/gunicorn.conf.py`.

Every value can be overridden from the environment (GUNICORN_*), e.g. GUNICORN_BIND.
Behind nginx, which buffers request bodies, so slow phones on weak signal never hold a
worker: threads serve the short requests while the database does the waiting.
"""
import multiprocessing
import os

wsgi_app = "server.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))      # a month's payroll export stays well below
graceful_timeout = 30
keepalive = 5
max_requests = 5000                                          # recycle workers: bounded memory
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# the app writes its own JSON access lines (with request id and user); gunicorn's own errors to stderr
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
preload_app = False                                          # each worker opens its own database pool
