"""Security headers on every response (CSP without inline scripts or styles)."""
from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def _reject_nul_bytes():
    """PostgreSQL text cannot hold NUL; no honest client sends one. Refuse it up front
    (400 with an explanation) instead of letting it reach the database as a 500."""
    values = [*(request.view_args or {}).values(), *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [*request.form.keys(), *request.form.values()]
    if any(isinstance(value, str) and "\x00" in value for value in values):
        abort(400, description=_l("The request contained a NUL character, which is never valid text."))


def install(app: Flask) -> None:
    app.before_request(_reject_nul_bytes)
    app.after_request(_set_headers)
    if app.config.get("SESSION_COOKIE_SECURE"):
        app.after_request(_strict_transport)


def _strict_transport(response):
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
