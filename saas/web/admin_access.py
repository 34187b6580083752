"""The mark a platform admin's browser session carries once they have given a two-factor code: the admin
pages open while it is there. It names the user and their browser session (saas.core.sessions), so it
ends with either; log-out clears it."""
from __future__ import annotations

import time

from flask import session
from flask_login import current_user

KEY = "admin_verified"


def mark_verified() -> None:
    session[KEY] = {"user": current_user.id, "session": current_user.session_key, "at": time.time()}


def verified_recently(within_seconds: float | None = None) -> bool:
    """A code was given in this browser session (within the last `within_seconds`, if given)."""
    mark = session.get(KEY) or {}
    if mark.get("user") != current_user.id or mark.get("session") != current_user.session_key:
        return False
    return within_seconds is None or time.time() - mark.get("at", 0) <= within_seconds
