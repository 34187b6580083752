"""Email delivery through the outbox: SMTP with back-off, the sweep, and the production
path with Redis and a real `rq worker` process."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from saas.extensions import db
from saas.outbox import Message, MessageStatus
from saas.timeutil import utcnow
from tests.conftest import SmtpServer, body_of, free_port, link_in, make_app, messages, path_of, run_burst_worker, signup
from worker import jobs, mail



def _make_due(app, message_id):
    with app.app_context():
        db.session.get(Message, message_id).next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()


def test_verification_email_arrives_over_smtp(database_url, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)
    client = app.test_client()
    signup(client, email="ann@example.com")
    [received] = smtp_server.wait_for(1)
    email = received["email"]
    assert received["to"] == ["ann@example.com"] and email["Subject"] == "Verify your email address for Loopline"
    assert email.get_body(preferencelist=("html",)) is not None
    link = link_in(body_of(email), "/verify/")
    assert client.get(path_of(link)).status_code == 302
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)


def test_smtp_down_backs_off_then_the_sweep_delivers_exactly_once(database_url, tmp_path):
    port = free_port()
    app = make_app(database_url, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{port}", MAIL_MAX_ATTEMPTS=3)
    signup(app.test_client(), email="bo@example.com")
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)
    assert "ConnectionRefused" in message.last_error
    assert message.next_attempt_at > utcnow() + timedelta(seconds=50)  # backed off, not retried at once
    with app.app_context():
        assert jobs.sweep_outbox() == 0  # not due yet

    server = SmtpServer(port).start()
    try:
        _make_due(app, message.id)
        with app.app_context():
            assert jobs.sweep_outbox() == 1
            assert jobs.sweep_outbox() == 0
            assert mail.deliver(message.id) is None  # already sent: a second run sends nothing
        assert len(server.wait_for(1)) == 1
    finally:
        server.stop()
    [message] = messages(app)
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 2, None)


def test_gives_up_after_the_last_attempt(database_url, tmp_path):
    app = make_app(database_url, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{free_port()}", MAIL_MAX_ATTEMPTS=2)
    signup(app.test_client(), email="cy@example.com")
    [message] = messages(app)
    _make_due(app, message.id)
    with app.app_context():
        jobs.sweep_outbox()
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 2)


def test_embedded_mode_writes_eml_files_and_lists_them(app, client):
    signup(client, email="dee@example.com")
    files = list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    assert len(files) == 1 and b"dee@example.com" in files[0].read_bytes()
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "Verify your email address for Loopline" in page


@pytest.fixture
def clean_redis(redis_url):
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    yield redis_url
    connection.flushdb()


@pytest.mark.worker
def test_production_path_a_real_worker_delivers(database_url, clean_redis, tmp_path, smtp_server):
    settings = {"SECRET_KEY": "shared-secret", "BASE_URL": "http://localhost"}
    app = make_app(database_url, tmp_path, REDIS_URL=clean_redis, SMTP_URL=smtp_server.url, **settings)
    signup(app.test_client(), email="eve@example.com")
    [message] = messages(app)
    assert message.status == MessageStatus.PENDING and message.attempts == 0  # queued, not sent inline
    assert redis.Redis.from_url(clean_redis).llen("rq:queue:default") == 1

    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": clean_redis, "SMTP_URL": smtp_server.url, **settings}
    result = run_burst_worker(env)
    assert result.returncode == 0, result.stderr
    [received] = smtp_server.wait_for(1)
    assert received["to"] == ["eve@example.com"]
    [message] = messages(app)
    assert message.status == MessageStatus.SENT


@pytest.mark.worker
def test_redis_down_at_commit_the_sweep_catches_up(database_url, clean_redis, tmp_path, smtp_server):
    settings = {"SECRET_KEY": "shared-secret", "BASE_URL": "http://localhost", "SMTP_URL": smtp_server.url}
    down = make_app(database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", **settings)
    response = signup(down.test_client(), email="fay@example.com")
    assert response.status_code == 302  # the owner is signed up all the same
    [message] = messages(down)
    assert message.status == MessageStatus.PENDING

    up = make_app(database_url, tmp_path, REDIS_URL=clean_redis, **settings)
    _make_due(up, message.id)
    with up.app_context():
        assert jobs.sweep_outbox() == 1
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": clean_redis, **settings}
    assert run_burst_worker(env).returncode == 0
    assert [m["to"] for m in smtp_server.wait_for(1)] == [["fay@example.com"]]
    [message] = messages(up)
    assert message.status == MessageStatus.SENT


def test_cron_registers_the_outbox_sweep():
    from rq import cron

    import worker.cron  # noqa: F401  (registers on import)

    registered = [entry["func"] for entry in cron._job_data_registry]
    assert jobs.sweep_outbox in registered
