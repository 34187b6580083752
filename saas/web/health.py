"""What /healthz reports: the database, the queue and the rate limits' storage (which fails open: while it
is down, pages still answer and the limits are not counted)."""
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from saas.core.extensions import db
from saas.web.extensions import limiter
from worker.queue import redis_connection


def check() -> dict[str, str]:
    return {"db": _database(), "queue": _queue(), "rate_limits": _rate_limits()}


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError:
        db.session.rollback()
        return "down"


def _queue() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "inline"
    try:
        redis_connection(url).ping()
        return "ok"
    except RedisError:
        return "down"


def _rate_limits() -> str:
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        return "memory"
    try:
        return "ok" if limiter.storage.check() else "down"
    except Exception:  # noqa: BLE001 - whatever the storage raises, it is not answering
        return "down"
