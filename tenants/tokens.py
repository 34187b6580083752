"""Signed, expiring tokens for links sent by email (itsdangerous, keyed by SECRET_KEY)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

VERIFY_EMAIL_MAX_AGE = 48 * 3600
RESET_PASSWORD_MAX_AGE = 3600
SET_PASSWORD_MAX_AGE = 72 * 3600


class InvalidToken(Exception):
    """Tampered, expired or already used."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"loopline.{purpose}")


def sign(purpose: str, payload) -> str:
    return _serializer(purpose).dumps(payload)


def unsign(purpose: str, token: str, max_age: int):
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except (BadSignature, UnicodeError, ValueError, TypeError) as error:
        raise InvalidToken(str(error)) from error


def unsign_with_own_ttl(purpose: str, token: str, ceiling: int) -> dict:
    """For tokens whose payload carries its own lifetime ("ttl", at most `ceiling`)."""
    try:
        payload, signed_at = _serializer(purpose).loads(token, max_age=ceiling, return_timestamp=True)
    except (BadSignature, UnicodeError, ValueError, TypeError) as error:
        raise InvalidToken(str(error)) from error
    if not isinstance(payload, dict):
        raise InvalidToken("malformed payload")
    age = (datetime.now(timezone.utc) - signed_at).total_seconds()
    if age > min(int(payload.get("ttl", ceiling)), ceiling):
        raise InvalidToken("expired")
    return payload


def password_fingerprint(password_hash: str | None) -> str:
    """Part of a reset token: the token dies as soon as the password changes (single use)."""
    return hashlib.sha256((password_hash or "unset").encode()).hexdigest()[:16]


def new_random_token() -> tuple[str, str]:
    """(token for the link, sha256 to store): a database leak does not leak live links."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
