"""Apps and PostgreSQL databases for tests and benchmarks: make_app, scratch databases, emptying tables."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask_migrate import upgrade

from saas.app import create_app
from saas.core.config import normalise_database_url
from saas.core.extensions import db

SERVER_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

_made_apps: list = []


def with_database(url: str, name: str) -> str:
    """The same server's URL, naming another database."""
    parts = urlsplit(normalise_database_url(url))
    return urlunsplit(parts._replace(path=f"/{name}"))


def _on_server(server: str, statement: str) -> None:
    admin = sa.create_engine(with_database(server, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        admin.dispose()


def bare_app(url: str):
    """The app on this database with nothing else configured: no Redis, defaults for the rest."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})


def dispose(app) -> None:
    """Close the app's database connections (so its database can be dropped or emptied)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def migrate(url: str) -> None:
    """Build the schema as `flask db upgrade` does."""
    app = bare_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@contextmanager
def scratch_database(prefix: str, migrated: bool = True, server: str = SERVER_URL):
    """A database of its own on the server (built by the migrations unless `migrated` is false),
    dropped afterwards; yields its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _on_server(server, f'CREATE DATABASE "{name}"')
    url = with_database(server, name)
    try:
        if migrated:
            migrate(url)
        yield url
    finally:
        _on_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def truncate_all(url: str) -> None:
    """Empty every table the models know, restarting their ids."""
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def make_app(database_url, tmp_path, **overrides):
    """The app as the tests run it: jobs inline, emails to tmp_path/outbox, fixed secret and BASE_URL."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": None,
        "SMTP_URL": None,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "BASE_URL": "http://localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "test-secret-of-at-least-32-characters",
        "SENTRY_DSN": None,
    }
    config.update(overrides)
    app = create_app(config)
    _made_apps.append(app)
    return app


def dispose_made_apps() -> None:
    """Close the connections of every app make_app made since the last call."""
    while _made_apps:
        dispose(_made_apps.pop())


def statements_while(app, request) -> tuple[object, list[str]]:
    """The response to request() and the SQL statements it ran, with their parameters left out."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = request()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return response, seen
