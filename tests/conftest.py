"""Test fixtures: a PostgreSQL database of this run's own (built by the migrations),
Redis at REDIS_URL, a real SMTP server (aiosmtpd), the app as separate processes, a browser.

DATABASE_URL names the PostgreSQL server (its database is only used to create and
drop this run's own, so parallel runs never collide); REDIS_URL the Redis server.
The helpers behind these fixtures, and those the test modules share, are in tests/support.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from playwright.sync_api import sync_playwright

pytest.register_assert_rewrite("tests.support")  # before its first import: failed asserts in helpers explain themselves

from saas.feedback import learned_models  # noqa: E402
from tests.support.apps import dispose_made_apps, make_app, scratch_database, truncate_all  # noqa: E402
from tests.support.mail import Mailbox, SmtpServer  # noqa: E402
from tests.support.processes import (  # noqa: E402
    BIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    OwnRedis,
    free_port,
    start_flask,
    start_gunicorn,
    start_worker,
    stop_processes,
    wait_until_up,
)

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session", autouse=True)
def app_categoriser():
    """The app's model, trained once (or read from instance/cache/) before any process of the run needs it:
    the workers and servers the tests start then read it rather than each train it."""
    learned_models.app_model()


@pytest.fixture(scope="session")
def database_url():
    """A fresh database for this run, built with `flask db upgrade`, dropped after."""
    with scratch_database("loopline_test") as url:
        yield url


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database index of this run's own on the shared server."""
    base = urlsplit(REDIS_URL)
    return urlunsplit(base._replace(path=f"/{1 + os.getpid() % 15}"))


@pytest.fixture
def clean_redis(redis_url):
    """This run's Redis database, empty before and after."""
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    yield redis_url
    connection.flushdb()
    connection.close()


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """After each test: close the database connections of every app it made, and empty
    the tables if it used the database (and forget the businesses' models this process loaded: the next
    test's business may have the same id)."""
    yield
    dispose_made_apps()
    if "database_url" in request.fixturenames:
        truncate_all(request.getfixturevalue("database_url"))
        learned_models.forget_loaded()


@pytest.fixture
def app(database_url, tmp_path):
    return make_app(database_url, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own, to break."""
    with OwnRedis(tmp_path) as server:
        yield server


@pytest.fixture(params=["embedded", "production"])
def running_app(request, tmp_path, database_url, redis_url):
    """The app as separate processes, either way to run it: (its base URL, where its emails land, the
    environment it runs in). One proxy is trusted, so a test's browser may say which address it is at."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SECRET_KEY": "browser-test-secret", "BASE_URL": base_url, "FLASK_APP": "saas.app",
           "TRUSTED_PROXIES": "1"}
    processes = []
    if request.param == "embedded":
        env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}", OUTBOX_DIR=str(tmp_path / "outbox"))
        env.pop("REDIS_URL", None)
        env.pop("SMTP_URL", None)
        subprocess.run([BIN / "flask", "db", "upgrade"], env=env, check=True, capture_output=True)
        mailbox = Mailbox(folder=tmp_path / "outbox")
        processes.append(start_flask(port, env))
    else:
        smtp = SmtpServer().start()
        request.addfinalizer(smtp.stop)
        redis.Redis.from_url(redis_url).flushdb()
        env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SMTP_URL=smtp.url)
        mailbox = Mailbox(smtp=smtp)
        processes.append(start_gunicorn("saas.app:create_app()", port, env, "--workers", "2"))
        processes.append(start_worker(env, "--with-scheduler"))
    try:
        wait_until_up(base_url, processes[0])
        yield base_url, mailbox, env
    finally:
        stop_processes(*processes)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the browser tests need it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
