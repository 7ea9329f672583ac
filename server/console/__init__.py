"""The web console (网页控制台) for supervisors and administrators: Flask + Jinja, Chinese first.

Signed in with a session cookie that names a device session (revoked like any other: an
admin's "sign out everywhere" reaches the console too); every form carries a CSRF token.
"""
