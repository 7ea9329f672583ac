"""The WSGI entry point for gunicorn (deploy/gunicorn.conf.py): configuration from the environment."""
from werkzeug.middleware.proxy_fix import ProxyFix

from . import create_app

app = create_app()
# nginx in front sets X-Forwarded-For/-Proto: the client's address reaches the logs and rate limits
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
