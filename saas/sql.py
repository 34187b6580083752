"""SQL helpers shared by services."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from saas.extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def insert_for(dialect: str):
    """The INSERT construct that knows ON CONFLICT, for PostgreSQL and the embedded SQLite alike."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert(model):
    return insert_for(dialect_name())(model)


def execute_built(build, params: dict):
    """Run a statement that `build(dialect)` (a functools.cache'd function) makes once per
    dialect, on the session's connection and transaction. For hot paths: building an ORM
    statement per call cost a public survey submission more than everything else it does."""
    return db.session.connection().execute(build(dialect_name()), params)
