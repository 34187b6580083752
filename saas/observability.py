"""Sentry: errors from web requests and RQ jobs, tagged with the tenant, without PII."""
from __future__ import annotations

import re

import sentry_sdk
from flask import Flask
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.rq import RqIntegration

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
SENSITIVE_KEYS = {
    "email", "new_email", "recipient", "comment", "password", "current_password", "new_password",
    "confirm", "body_text", "body_html", "cookie", "authorization", "csrf_token", "token",
}
FILTERED = "[Filtered]"


def init_sentry(app: Flask, transport=None) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration(), RqIntegration()],
        before_send=scrub_event,
        transport=transport or app.config.get("SENTRY_TRANSPORT"),
        traces_sample_rate=float(app.config.get("SENTRY_TRACES_SAMPLE_RATE", 0.0)),
    )


def tag_tenant(tenant) -> None:
    sentry_sdk.set_tag("tenant", tenant.slug if tenant is not None else "-")


def scrub_event(event: dict, hint=None) -> dict:
    """Drop personal data (customer emails, comments, names, credentials) anywhere in the event."""
    event.pop("user", None)
    return _scrub(event)


def _scrub(value, key: str | None = None):
    if key is not None and key.lower() in SENSITIVE_KEYS:
        return FILTERED
    if isinstance(value, dict):
        return {k: _scrub(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_scrub(item) for item in value)
    if isinstance(value, str):
        return EMAIL_PATTERN.sub(FILTERED, value)
    return value
