"""The production path: Redis + RQ + real `rq worker --burst` processes + a real SMTP server.

A sign-up only enqueues the delivery; a separate worker process, configured from the
environment like the Procfile's, sends it. When Redis is down at commit time the sign-up
still succeeds and the outbox sweep (run by `rq cron worker.cron`) catches up."""
from __future__ import annotations

import os
import subprocess
import time
from datetime import timedelta

import pytest
import redis
from rq import Queue
from rq.cron import CronScheduler
from rq.registry import FailedJobRegistry

from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.timeutil import utcnow
from tests.support.apps import make_app
from tests.support.http import link_in, messages, request_signup, signup
from tests.support.mail import body_of
from tests.support.processes import BIN, PROJECT_ROOT, WORKER_ARGS, free_port
from worker import jobs
from worker.queue import QUEUE_NAME

pytestmark = pytest.mark.worker

SETTINGS = {"SECRET_KEY": "worker-test-secret-of-32-characters", "BASE_URL": "http://loopline.test"}


def _queue(redis_url) -> Queue:
    return Queue(QUEUE_NAME, connection=redis.Redis.from_url(redis_url))


def _env(database_url, redis_url, smtp_url) -> dict:
    """What a worker process gets: configuration from the environment only."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SMTP_URL": smtp_url, **SETTINGS}
    for name in ("SENTRY_DSN", "OUTBOX_DIR", "FLASK_APP"):
        env.pop(name, None)
    return env


def _burst(env) -> subprocess.CompletedProcess:
    """The Procfile's worker class, in burst mode: it builds its app from the environment."""
    result = subprocess.run(
        [BIN / "rq", "worker", *WORKER_ARGS, "--burst", "--url", env["REDIS_URL"], QUEUE_NAME],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _make_due(app, message_id):
    with app.app_context():
        db.session.get(Message, message_id).next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()


def _signup_while_redis_is_down(database_url, tmp_path, smtp_url, email):
    down = make_app(database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", SMTP_URL=smtp_url,
                    **SETTINGS)
    response = signup(down.test_client(), email=email)
    assert response.status_code == 302  # the owner is signed up all the same
    [message] = messages(down)
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 0)
    return message


def test_a_real_worker_process_delivers_what_the_request_enqueued(database_url, clean_redis, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, REDIS_URL=clean_redis, SMTP_URL=smtp_server.url, **SETTINGS)
    client = app.test_client()
    request_signup(client, email="eve@example.com")

    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 0)  # queued, not sent in the request
    [job] = _queue(clean_redis).jobs
    assert (job.func_name, job.args) == ("worker.jobs.deliver_message", (message.id,))
    time.sleep(0.3)
    assert smtp_server.messages == []

    # The worker process builds its app from its own environment.
    _burst(_env(database_url, clean_redis, smtp_server.url))
    [received] = smtp_server.wait_for(1)
    assert received["to"] == ["eve@example.com"]
    link = link_in(body_of(received["email"]), "/signup/")
    assert link.startswith(SETTINGS["BASE_URL"] + "/signup/")  # the worker's BASE_URL
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
    assert _queue(clean_redis).count == 0
    assert FailedJobRegistry(queue=_queue(clean_redis)).count == 0

    # The worker signed the link with the shared SECRET_KEY: the web app accepts it.
    opened = client.get(link.removeprefix(SETTINGS["BASE_URL"]))
    assert opened.status_code == 200 and "Finish signing up" in opened.get_data(as_text=True)

    _burst(_env(database_url, clean_redis, smtp_server.url))  # nothing left: nothing sent twice
    assert len(smtp_server.messages) == 1


def test_redis_down_at_commit_then_the_sweep_and_a_worker_catch_up(database_url, clean_redis, tmp_path, smtp_server):
    message = _signup_while_redis_is_down(database_url, tmp_path, smtp_server.url, "fay@example.com")
    assert _queue(clean_redis).count == 0

    up = make_app(database_url, tmp_path, REDIS_URL=clean_redis, SMTP_URL=smtp_server.url, **SETTINGS)
    with up.app_context():
        assert jobs.sweep_outbox() == 0  # not yet due: a first delivery may still be on its way
    _make_due(up, message.id)
    with up.app_context():
        assert jobs.sweep_outbox() == 1
        assert jobs.sweep_outbox() == 0  # claimed: enqueued once, not once a minute
    [job] = _queue(clean_redis).jobs
    assert (job.func_name, job.args) == ("worker.jobs.deliver_message", (message.id,))
    assert smtp_server.messages == []

    _burst(_env(database_url, clean_redis, smtp_server.url))
    assert [m["to"] for m in smtp_server.wait_for(1)] == [["fay@example.com"]]
    [message] = messages(up)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)


def test_cron_config_registers_the_sweeps(redis_url):
    scheduler = CronScheduler(connection=redis.Redis.from_url(redis_url))
    scheduler.load_config_from_file("worker.cron")  # what `rq cron worker.cron` does
    registered = {job.func: job for job in scheduler.get_jobs()}
    assert {jobs.sweep_outbox, jobs.sweep_responses, jobs.sweep_deadlines} <= set(registered)
    outbox_sweep = registered[jobs.sweep_outbox]
    assert outbox_sweep.queue_name == QUEUE_NAME and outbox_sweep.interval <= 300


def test_rq_cron_enqueues_the_outbox_sweep_and_a_worker_delivers(database_url, clean_redis, tmp_path, smtp_server):
    message = _signup_while_redis_is_down(database_url, tmp_path, smtp_server.url, "gus@example.com")
    app = make_app(database_url, tmp_path, REDIS_URL=clean_redis, SMTP_URL=smtp_server.url, **SETTINGS)
    _make_due(app, message.id)
    env = _env(database_url, clean_redis, smtp_server.url)

    clock = subprocess.Popen([BIN / "rq", "cron", "--url", clean_redis, "worker.cron"], env=env, cwd=PROJECT_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 15
        enqueued = []
        while time.monotonic() < deadline and "worker.jobs.sweep_outbox" not in enqueued:
            assert clock.poll() is None, clock.stdout.read()
            enqueued = [job.func_name for job in _queue(clean_redis).jobs]
            time.sleep(0.2)
    finally:
        clock.terminate()
        try:
            clock.wait(timeout=10)
        except subprocess.TimeoutExpired:
            clock.kill()
            clock.wait()
    assert "worker.jobs.sweep_outbox" in enqueued, clock.stdout.read()
    assert smtp_server.messages == []

    # The worker runs the sweep, which enqueues the delivery; a burst worker runs that too.
    _burst(env)
    delivered = smtp_server.wait_for(1)  # on a Monday the owner's weekly digest goes too
    assert [m["to"] for m in delivered if m["email"]["Subject"] == message.subject] == [["gus@example.com"]]
    [message] = [kept for kept in messages(app) if kept.id == message.id]
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
    assert FailedJobRegistry(queue=_queue(clean_redis)).count == 0
