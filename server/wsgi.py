"""The WSGI entry point for gunicorn (deploy/gunicorn.conf.py): configuration from the environment.

It refuses to start without RIVERPATROL_SECRET_KEY, whatever RIVERPATROL_ENV says: gunicorn
serves other machines, and the development secret is public.
"""
from werkzeug.middleware.proxy_fix import ProxyFix

from . import create_app

app = create_app({"REQUIRE_SECRET": True})
# nginx in front sets X-Forwarded-For/-Proto: the client's address reaches the logs and rate limits
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
