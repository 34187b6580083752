"""Touchpoints (with their business) looked up by token in the last few seconds, kept in this process.

Every survey request starts by finding its touchpoint, and the same few tokens are asked for again and
again; the lookup was the largest part of a survey page's cost (bench/survey.py). A touchpoint found here
is merged into the request's session without a query (Session.merge(load=False)), so callers get an
ordinary attached object.

A change to a touchpoint or a business committed in this process forgets them all at once; other
processes see it within SURVEY_LOOKUP_SECONDS (0 turns the cache off). That is how long a survey
deactivated, or a plan changed, elsewhere may go on being served as it was."""
from __future__ import annotations

import threading
import time

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback.models import Touchpoint
from tenants.models import Tenant

MAX_ENTRIES = 1000
_lock = threading.Lock()


def _entries() -> dict[str, tuple[float, Touchpoint]]:
    """This app's: token -> (monotonic expiry, detached touchpoint)."""
    return current_app.extensions.setdefault("recent_touchpoints", {})


def touchpoint(token: str, statement) -> Touchpoint | None:
    """The touchpoint `statement` finds for `token` (bind parameter "token"), attached to db.session."""
    seconds = current_app.config["SURVEY_LOOKUP_SECONDS"]
    if seconds <= 0:
        with unscoped():
            return db.session.scalar(statement, {"token": token})
    entries = _entries()
    entry = entries.get(token)
    if entry is None or entry[0] <= time.monotonic():
        found = _load_detached(token, statement)
        if found is None:
            return None  # unknown tokens are not kept: anyone can make up as many as they like
        entry = (time.monotonic() + seconds, found)
        with _lock:
            if len(entries) >= MAX_ENTRIES:
                entries.clear()
            entries[token] = entry
    with unscoped():
        return db.session.merge(entry[1], load=False)


def _load_detached(token: str, statement) -> Touchpoint | None:
    """Loaded in a session of its own and left detached, so the kept copy belongs to no request."""
    with unscoped(), Session(db.engine) as private:
        return private.scalar(statement, {"token": token})


def forget_all() -> None:
    with _lock:
        _entries().clear()


@event.listens_for(Session, "after_flush")
def _forget_changed(session: Session, flush_context) -> None:
    if has_app_context() and any(isinstance(row, (Touchpoint, Tenant)) for row in (*session.dirty, *session.deleted)):
        forget_all()
