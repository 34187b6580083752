"""The migrations are the only way the schema changes: they build it from nothing on
PostgreSQL and SQLite, and they agree with the models."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from saas import create_app
from saas.extensions import db


def test_migrations_match_the_models_on_postgresql(database_url):
    """The session database was built by `flask db upgrade`; autogenerate finds nothing to add."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_downgrade_upgrade_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"tenant", "users", "membership", "invitation", "message"} <= tables
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert {"tenant", "users"} <= set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
