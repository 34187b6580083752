"""Signed-in browsers as rows (UserSession): a session cookie or a remember-me cookie is worth something only
while its row is open. Log-out ends that browser's session; a password change or reset ends them all.
Services add to the session and leave the commit to the caller."""
from __future__ import annotations

import secrets

from sqlalchemy import select, update

from saas.core.extensions import db
from saas.core.timeutil import utcnow
from tenants.models import User, UserSession
from tenants.tokens import hash_token


def open_session(user: User) -> None:
    """A new signed-in browser for the user; user.get_id() names it from now on."""
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=hash_token(key)))
    user.session_key = key


def user_for(session_id: str) -> User | None:
    """The user of an open session named by get_id()'s "<user id>.<key>", or None."""
    user_id, _, key = (session_id or "").partition(".")
    if not (user_id.isdigit() and key):
        return None
    user = db.session.scalar(
        select(User).join(UserSession, UserSession.user_id == User.id)
        .where(User.id == int(user_id), UserSession.key_hash == hash_token(key), UserSession.ended_at.is_(None))
    )
    if user is not None:
        user.session_key = key
    return user


def end_session(user: User) -> None:
    if user.session_key:
        db.session.execute(
            update(UserSession).where(UserSession.key_hash == hash_token(user.session_key), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        user.session_key = None


def end_all_sessions(user: User) -> None:
    """Every browser the user is signed in on, this one included (the caller may open a new one)."""
    db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None)).values(ended_at=utcnow())
    )
    user.session_key = None
