"""Test fixtures: a PostgreSQL database of this run's own (built by the migrations),
Redis at REDIS_URL, a real SMTP server (aiosmtpd) and app/client helpers.

DATABASE_URL names the PostgreSQL server (its database is only used to create and
drop this run's own, so parallel runs never collide); REDIS_URL the Redis server.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from email import message_from_bytes, policy
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
import redis
from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright

from saas.app import create_app
from saas.core.extensions import db

SERVER_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _with_database(url: str, name: str) -> str:
    from saas.core.config import normalise_database_url

    parts = urlsplit(normalise_database_url(url))
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def database_url():
    """Create a fresh database for this run, build it with `flask db upgrade`, drop it after."""
    name = f"loopline_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(_with_database(SERVER_URL, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = _with_database(SERVER_URL, name)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database index of this run's own on the shared server."""
    base = urlsplit(REDIS_URL)
    return urlunsplit(base._replace(path=f"/{1 + os.getpid() % 15}"))


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


_made_apps: list = []


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """After each test: close the database connections of every app it made, and empty
    the tables if it used the database."""
    yield
    while _made_apps:
        made = _made_apps.pop()
        with made.app_context():
            db.session.remove()
            db.engine.dispose()
    if "database_url" in request.fixturenames:
        _truncate_all(request.getfixturevalue("database_url"))


def make_app(database_url, tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": None,
        "SMTP_URL": None,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "BASE_URL": "http://localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "test-secret",
        "SENTRY_DSN": None,
    }
    config.update(overrides)
    app = create_app(config)
    _made_apps.append(app)
    return app


@pytest.fixture
def app(database_url, tmp_path):
    return make_app(database_url, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


# --- helpers used across test modules -------------------------------------------------

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, page="/login") -> str:
    html = client.get(page).get_data(as_text=True)
    match = CSRF_PATTERN.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post_form(client, url, data=None, page="/login", **kwargs):
    """POST like a browser that loaded a form first: with a valid CSRF token."""
    payload = {"csrf_token": csrf_token(client, page), **(data or {})}
    return client.post(url, data=payload, **kwargs)


def signup(client, email="owner@example.com", password="correct horse battery", business="Bakery Bliss", name="Olga"):
    response = post_form(
        client, "/signup", {"business_name": business, "name": name, "email": email, "password": password}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def login(client, email, password="correct horse battery"):
    return post_form(client, "/login", {"email": email, "password": password})


def messages(app, **filters):
    """Outbox rows (all tenants), oldest first."""
    from saas.core.outbox import Message

    with app.app_context():
        query = sa.select(Message).filter_by(**filters).order_by(Message.id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


LINK_PATTERN = re.compile(r"https?://[^\s\"'<>]+")


def link_in(text: str, path_fragment: str) -> str:
    for link in LINK_PATTERN.findall(text):
        if path_fragment in link:
            return link
    raise AssertionError(f"no link containing {path_fragment!r} in:\n{text}")


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def verify(client, app, email):
    message = [m for m in messages(app, kind="verification") if m.recipient == email][-1]
    return client.get(path_of(link_in(message.body_text, "/verify/")))


# --- a real SMTP server -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    def __init__(self):
        self.messages = []
        self.received = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        with self.received:
            self.messages.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "email": message_from_bytes(envelope.content, policy=policy.default),
                }
            )
            self.received.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 15) -> list:
        with self.received:
            self.received.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        return self.handler.messages

    def wait_for(self, count: int, timeout: float = 15) -> list:
        return self.handler.wait_for(count, timeout)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


def body_of(email) -> str:
    return email.get_body(preferencelist=("plain",)).get_content()


# --- the app as separate processes, and a browser --------------------------------------

BIN = Path(sys.executable).parent
WORKER_ARGS = ("-w", "worker.app_worker.AppWorker")  # as the Procfile runs it
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


class Mailbox:
    """Where the app's emails land: the SMTP server, or the outbox folder."""

    def __init__(self, smtp: SmtpServer | None = None, folder: Path | None = None):
        self.smtp, self.folder = smtp, folder

    def bodies(self) -> list[tuple[str, str]]:
        if self.smtp:
            return [(m["email"]["To"], body_of(m["email"])) for m in self.smtp.messages]
        emails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(self.folder.glob("*.eml"))]
        return [(e["To"], body_of(e)) for e in emails]

    def link_for(self, recipient: str, path_fragment: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for to, body in reversed(self.bodies()):
                if to == recipient and path_fragment in body:
                    return link_in(body, path_fragment)
            time.sleep(0.2)
        raise AssertionError(f"no email to {recipient} with {path_fragment}; got {self.bodies()}")


def _start(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(params=["embedded", "production"])
def running_app(request, tmp_path, database_url, redis_url):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SECRET_KEY": "browser-test-secret", "BASE_URL": base_url, "FLASK_APP": "saas.app"}
    processes = []
    if request.param == "embedded":
        env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}", OUTBOX_DIR=str(tmp_path / "outbox"))
        env.pop("REDIS_URL", None)
        env.pop("SMTP_URL", None)
        subprocess.run([BIN / "flask", "db", "upgrade"], env=env, check=True, capture_output=True)
        mailbox = Mailbox(folder=tmp_path / "outbox")
        processes.append(_start([BIN / "flask", "run", "--host", "127.0.0.1", "--port", str(port)], env))
    else:
        smtp = SmtpServer().start()
        request.addfinalizer(smtp.stop)
        redis.Redis.from_url(redis_url).flushdb()
        env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SMTP_URL=smtp.url)
        mailbox = Mailbox(smtp=smtp)
        processes.append(_start([BIN / "gunicorn", "saas.app:create_app()", "--bind", f"127.0.0.1:{port}", "--workers", "2"], env))
        processes.append(_start([BIN / "rq", "worker", *WORKER_ARGS, "--with-scheduler", "--url", redis_url, "default"], env))
    try:
        _wait_until_up(base_url, processes[0])
        yield base_url, mailbox
    finally:
        _stop(*processes)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the browser tests need it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()




# --- a Redis server of a test's own, to break --------------------------------------------


class OwnRedis:
    """redis-server on a free port, for fault tests that stop and restart it."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return self
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path).start()
    yield server
    server.stop()


def start_worker(env: dict, *extra: str) -> subprocess.Popen:
    """A real `rq worker` process, running until it is stopped or killed."""
    return subprocess.Popen(
        [BIN / "rq", "worker", *WORKER_ARGS, "--url", env["REDIS_URL"], *extra, "default"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL a worker and its work horse (RQ puts the horse in a session of its own)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == worker.pid:
            children.append(int(stat.parent.name))
    for pid in [worker.pid, *children]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.wait(timeout=10)


def run_burst_worker(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "rq", "worker", *WORKER_ARGS, "--burst", "--url", env["REDIS_URL"], "default"],
        env=env, capture_output=True, text=True, timeout=120,
    )
