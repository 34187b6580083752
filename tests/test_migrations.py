"""The migrations are the only way the schema changes: `flask db upgrade` builds it from
nothing on PostgreSQL and on SQLite, downgrades all the way back, and autogenerate finds
no difference between what the migrations built and what the models say."""
from __future__ import annotations

import os
import shlex
import subprocess

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from saas.app import create_app
from saas.core.extensions import db
from saas.feedback import learned_models, learning
from tests.support.apps import scratch_database
from tests.support.processes import BIN, PROJECT_ROOT

ACCOUNT_TABLES = {"tenant", "users", "membership", "invitation", "message"}


def _differences(engine) -> list:
    """What `flask db migrate` would write: autogenerate's comparison, types included."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _scripts() -> ScriptDirectory:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None})
    with app.app_context():
        return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def _head() -> str:
    heads = _scripts().get_heads()
    assert len(heads) == 1, f"the migrations branch: several heads {heads}; merge them"
    return heads[0]


def _flask_db(*args: str, database_url: str) -> subprocess.CompletedProcess:
    """The release command exactly as the Procfile runs it, configured from the environment."""
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "saas.app"}
    for name in ("REDIS_URL", "SMTP_URL", "SENTRY_DSN"):
        env.pop(name, None)
    result = subprocess.run([BIN / "flask", "--app", "saas.app", "db", *args], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _revision(revision: str):
    """A migration's module: what it wrote is its own, whatever the taxonomy has become since."""
    return _scripts().get_revision(revision).module


def _version(engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def test_one_head():
    _head()


@pytest.fixture
def fresh_postgresql():
    """An empty PostgreSQL database of this test's own, dropped afterwards."""
    with scratch_database("loopline_migrations", migrated=False) as url:
        yield url


def test_upgrade_builds_postgresql_from_nothing_and_matches_the_models(fresh_postgresql):
    # Hosting platforms hand out postgres:// URLs: the release command takes them as they come.
    platform_url = "postgres://" + fresh_postgresql.split("://", 1)[1]
    _flask_db("upgrade", database_url=platform_url)

    engine = sa.create_engine(fresh_postgresql)
    try:
        assert ACCOUNT_TABLES <= set(sa.inspect(engine).get_table_names())
        assert _version(engine) == _head()
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_the_release_step_as_the_procfile_runs_it_leaves_the_app_s_categoriser_for_the_workers(fresh_postgresql):
    [line] = [line for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line.startswith("release:")]
    env = {**os.environ, "DATABASE_URL": fresh_postgresql}
    for name in ("REDIS_URL", "SMTP_URL", "SENTRY_DSN"):
        env.pop(name, None)
    for command in line.split(":", 1)[1].split("&&"):
        program, *arguments = shlex.split(command)
        result = subprocess.run([BIN / program, *arguments], env=env, cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "The app's categoriser is ready" in result.stdout

    engine = sa.create_engine(fresh_postgresql)
    try:
        with engine.connect() as conn:
            digest, examples = conn.execute(sa.text("SELECT digest, examples FROM app_categoriser")).one()
        assert digest == learned_models.app_model_digest() and examples == len(learning.corpus())
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again_on_postgresql(fresh_postgresql):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_postgresql, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        inspector = sa.inspect(db.engine)
        assert set(inspector.get_table_names()) <= {"alembic_version"}
        upgrade()  # nothing left behind by the downgrade gets in the way
        assert _differences(db.engine) == []
        db.engine.dispose()


def test_upgrade_downgrade_upgrade_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    _flask_db("upgrade", database_url=url)  # as `make run` does on a fresh machine

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        assert ACCOUNT_TABLES <= set(sa.inspect(db.engine).get_table_names())
        assert _version(db.engine) == _head()
        assert _differences(db.engine) == []

        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        assert _version(db.engine) is None

        upgrade()
        assert ACCOUNT_TABLES <= set(sa.inspect(db.engine).get_table_names())
        assert _differences(db.engine) == []
        db.engine.dispose()


OLD_DELIVERY_EN = ("deliver*, courier*, shipping, shipment*, shipped, ship, parcel*, package*, pickup, pick up, "
                   "pick-up, driver*, arrived, arrive*, dispatch*, postal, post office, tracking number, "
                   "wrong address, wrong door, left at, doorstep, box was, the box, order came, order arrived, "
                   "never came")


def _insert_categories(locale: str, categories: list[tuple[str, str]]) -> None:
    """A business (id 1) and its default categories as rows (key, keywords), ids 1, 2, ... in order."""
    with db.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO tenant (id, name, slug, locale, timezone, plan, status, metric, "
                                   "brand_color, sla_hours, created_at) VALUES (1, 'T', 't', :locale, 'UTC', "
                                   "'free', 'active', 'nps', '#000000', 24, now())"), {"locale": locale})
        for category_id, (key, keywords) in enumerate(categories, 1):
            connection.execute(sa.text(
                "INSERT INTO category (id, tenant_id, key, name, keywords, assignee_ids, next_assignee, created_at) "
                "VALUES (:id, 1, :key, :name, :keywords, '[]', 0, now())"),
                {"id": category_id, "key": key, "name": f"{key} {category_id}", "keywords": keywords})


def _keywords_after(url: str, before: str, after: str, locale: str, categories: list[tuple[str, str]]) -> dict:
    """Each category's stored keywords (by id) once `categories` (_insert_categories) written at revision
    `before` are upgraded to `after`."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        upgrade(revision=before)
        _insert_categories(locale, categories)
        upgrade(revision=after)
        with db.engine.connect() as connection:
            stored = dict(connection.execute(sa.text("SELECT id, keywords FROM category")).all())
        db.engine.dispose()
    return stored


def test_default_keywords_still_as_seeded_become_words_and_edited_ones_stay(fresh_postgresql):
    stored = _keywords_after(fresh_postgresql, "a1c3e5f7b9d2", "b2d4f6a8c0e1", "en",
                             [("delivery", OLD_DELIVERY_EN), ("delivery", OLD_DELIVERY_EN + ", bike")])
    assert stored[1] == _revision("b2d4f6a8c0e1").NEW["delivery:en"] and "*" not in stored[1]
    assert stored[2] == OLD_DELIVERY_EN + ", bike"  # an owner's edit is theirs


def test_payment_s_twice_becomes_phrases_of_being_charged_twice(fresh_postgresql):
    stored = _keywords_after(fresh_postgresql, "c4e6a8b0d2f4", "e6a8c0d2f4b7", "ru",
                             [("payment", "оплата, карта, дважды, чек"), ("staff", "персонал, дважды")])
    assert stored[1] == "оплата, карта, списать дважды, дважды списать, оплатить дважды, заплатить дважды, чек"
    assert stored[2] == "персонал, дважды"  # another category's words are not payment's to change


def test_communication_s_by_phone_goes_from_every_stored_list(fresh_postgresql):
    stored = _keywords_after(fresh_postgresql, "7de13cbefee1", "a3d5f7b9c1e4", "uk",
                             [("communication", "дзвінок, по телефону, телефоном, лист"), ("quality", "якість, телефоном")])
    assert stored[1] == "дзвінок, по телефону, лист"
    assert stored[2] == "якість, телефоном"  # another category's words are not communication's to change
