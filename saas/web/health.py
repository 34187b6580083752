"""What /healthz reports: the database and the queue."""
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from saas.core.extensions import db
from worker.queue import redis_connection


def check() -> dict[str, str]:
    return {"db": _database(), "queue": _queue()}


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
