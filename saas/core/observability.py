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
    # what staff write to or about a customer: a reply, a note, a resolution, an improvement
    "text", "note", "body", "resolution_note",
}
FILTERED = "[Filtered]"
# Reset, verification, invitation, unsubscribe and survey links carry their secret as a path
# segment: a long run of token characters.
TOKEN_IN_PATH = re.compile(r"(?<=/)[A-Za-z0-9_\-.]{16,}(?=[/?#]|$)")


def init_sentry(app: Flask, transport=None) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration(), RqIntegration()],
        before_send=scrub_event,
        # A request or a job reads customers' words into variables of any name, and SQLAlchemy's frames
        # hold a statement's parameters: no frame's local variables are sent at all.
        include_local_variables=False,
        transport=transport or app.config.get("SENTRY_TRANSPORT"),
        traces_sample_rate=float(app.config.get("SENTRY_TRACES_SAMPLE_RATE", 0.0)),
    )


def tag_tenant(tenant) -> None:
    sentry_sdk.set_tag("tenant", tenant.slug if tenant is not None else "-")


def scrub_event(event: dict, hint=None) -> dict:
    """Drop personal data (customer emails, comments, names, credentials) anywhere in the event.
    A value seen under a sensitive key (the form's comment) is also cut out wherever else it
    appears: in an exception message, in a local variable of another name."""
    event.pop("user", None)
    _scrub_links(event.get("request") or {})
    _drop_local_variables(event)
    return _scrub(event, secrets=_variants(_sensitive_values(event)))


def _scrub_links(request: dict) -> None:
    """Tokens in the URL (and in a Referer that came from such a page) and the whole query
    string (hidden fields such as an order number) never leave."""
    if request.get("url"):
        request["url"] = without_tokens(request["url"])
    if request.get("query_string"):
        request["query_string"] = FILTERED
    headers = request.get("headers") or {}
    for name in [name for name in headers if name.lower() == "referer"]:
        headers[name] = without_tokens(headers[name].split("?", 1)[0])


def without_tokens(url: str) -> str:
    return TOKEN_IN_PATH.sub(FILTERED, url)


def _drop_local_variables(event: dict) -> None:
    """Code reads customers' words into variables of any name; nothing tells the scrubber which values
    they are. Frames go without their local variables (init_sentry asks for none; this holds for an
    event built any other way too)."""
    for part in ("exception", "threads"):
        for entry in (event.get(part) or {}).get("values") or []:
            for frame in (entry.get("stacktrace") or {}).get("frames") or []:
                frame.pop("vars", None)


def _sensitive_values(value, sensitive: bool = False) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_sensitive_values(v, sensitive or (isinstance(k, str) and k.lower() in SENSITIVE_KEYS))
                             for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return set().union(*(_sensitive_values(item, sensitive) for item in value))
    return {value} if sensitive and isinstance(value, str) else set()


def _variants(values: set[str]) -> list[str]:
    """Each value as it may appear in the event: raw, repr()'d (frame variables), unquoted."""
    found = set()
    for value in values:
        if len(value) > 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]  # already a repr (a frame variable)
        for text in {value, value.replace("\r\n", "\n"), value.replace("\r\n", "\n").replace("\r", "\n")}:
            found.update({text, repr(text)[1:-1]})
            # and each line on its own: a browser's \r\n, a form's normalised \n or a log's one line each
            found.update(line for line in text.splitlines() if len(line.strip()) >= 12)
    found = {v for v in found if len(v.strip()) >= 4 and v not in (FILTERED, "None", "True", "False") and not v.isdigit()}
    return sorted(found, key=len, reverse=True)


def _scrub(value, key: str | None = None, secrets: list[str] = ()):
    if key is not None and key.lower() in SENSITIVE_KEYS:
        return FILTERED
    if isinstance(value, dict):
        return {k: _scrub(v, k if isinstance(k, str) else None, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets=secrets) for item in value]
    if isinstance(value, tuple):
        return tuple(_scrub(item, secrets=secrets) for item in value)
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, FILTERED)
        return EMAIL_PATTERN.sub(FILTERED, value)
    return value
