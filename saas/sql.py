"""SQL helpers shared by services."""
from sqlalchemy.dialects import postgresql, sqlite

from saas.extensions import db


def insert(model):
    """An INSERT that knows ON CONFLICT, for PostgreSQL and for the embedded SQLite alike."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
