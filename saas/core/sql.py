"""Database helpers shared by services: ON CONFLICT inserts for both dialects, statements built once,
and the one way to fetch a tenant's row by id."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from saas.core.extensions import db


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


def owned(model, tenant_id: int, row_id: int, *options):
    """The tenant's row with this id, or LookupError (which views turn into a 404). The
    tenant is named explicitly too, so a lookup is safe even outside a request's scope."""
    row = db.session.scalar(
        select(model).where(model.id == row_id, model.tenant_id == tenant_id).options(*options)
    )
    if row is None:
        raise LookupError(f"{model.__name__} {row_id}")
    return row


PAGE_SIZE = 25
# A page past the last one is simply empty, but its offset must still be a number the database takes.
MAX_PAGE = 2**31 // PAGE_SIZE


def paginate(query, page: int):
    """One page of the query's rows (Flask-SQLAlchemy's Pagination); any page number is answered."""
    return db.paginate(query, page=min(max(page, 1), MAX_PAGE), per_page=PAGE_SIZE, error_out=False)
