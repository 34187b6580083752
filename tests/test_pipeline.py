"""The pipeline: every comment categorised, the two decisions made, a named person told by
email with a deadline; reminders and escalations; nothing processed twice."""
from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.outbox import Message
from saas.core.scoping import unscoped
from saas.core.timeutil import utcnow
from saas.feedback import sweeps
from saas.feedback.models import (
    Category,
    CategorySource,
    Response,
    ResponseCategory,
    ResponseState,
    Task,
    TaskEvent,
    Touchpoint,
)
from saas.feedback.pipeline import process_response
from saas.feedback.surveys import Answer, new_submission_key, record_response
from tenants.models import Membership
from tests.support.apps import make_app
from tests.support.builders import build_business, rows, submit
from tests.support.mail import SmtpServer, body_of
from tests.support.processes import free_port, kill_worker, run_burst_worker, start_worker
from worker import jobs

UKRAINIAN_COMPLAINT = "Кур'єр запізнився на дві години, а коробка була пом'ята. Зателефонуйте мені, будь ласка."


def test_ukrainian_delivery_complaint_becomes_a_task_for_the_delivery_person(app):
    business = build_business(app)
    response_id = submit(app, business["touchpoint"], 2, UKRAINIAN_COMPLAINT, email="klient@example.com")
    with app.app_context():
        task = process_response(response_id)
        db.session.commit()
        assert task is not None
    [task] = rows(app, Task)
    assert task.assignee_id == business["Dina"]
    with app.app_context(), unscoped():
        response = db.session.get(Response, response_id)
        assert response.state == ResponseState.CATEGORISED
        assert (response.sentiment, response.needs_reply, response.needs_action) == ("negative", True, True)
        keys = {link.category.key for link in response.categories}
        assert "delivery" in keys and all(link.source == CategorySource.RULE for link in response.categories)
        due = task.due_at if task.due_at.tzinfo else task.due_at.replace(tzinfo=utcnow().tzinfo)
        assert timedelta(hours=23, minutes=59) < due - utcnow() <= timedelta(hours=24)
    assert [e.kind for e in rows(app, TaskEvent)] == ["created", "assigned"]
    [email] = rows(app, Message, kind="assignment")
    assert email.recipient == "dina@zerno.example" and email.locale == "uk"
    assert UKRAINIAN_COMPLAINT in email.body_text and "Доставка" in email.body_text
    assert f"/tasks/{task.id}" in email.body_text


def test_praise_creates_no_task(app):
    business = build_business(app)
    response_id = submit(app, business["touchpoint"], 10, "Дуже смачна кава і привітний бариста, дякую!")
    with app.app_context():
        assert process_response(response_id) is None
        db.session.commit()
    assert rows(app, Task) == [] and rows(app, Message, kind="assignment") == []
    [response] = rows(app, Response)
    assert (response.sentiment, response.needs_reply, response.needs_action) == ("positive", False, False)


def test_processing_twice_changes_nothing(app):
    business = build_business(app)
    response_id = submit(app, business["touchpoint"], 1, "Курьер так и не привез заказ")
    with app.app_context():
        process_response(response_id)
        db.session.commit()
        assert process_response(response_id) is None
        db.session.commit()
    assert len(rows(app, Task)) == 1 and len(rows(app, Message, kind="assignment")) == 1


def test_round_robin_skips_people_who_left(app):
    business = build_business(app)
    assignees = []
    for _ in range(2):
        response_id = submit(app, business["touchpoint"], 3, "The courier was late again")
        with app.app_context():
            assignees.append(process_response(response_id).assignee_id)
            db.session.commit()
    assert assignees == [business["Dina"], business["Petro"]]
    with app.app_context(), unscoped():
        db.session.delete(db.session.get(Membership, business["Petro"]))
        db.session.commit()
    for _ in range(2):
        response_id = submit(app, business["touchpoint"], 3, "Delivery late, parcel damaged")
        with app.app_context():
            assert process_response(response_id).assignee_id == business["Dina"]
            db.session.commit()


def test_touchpoint_default_then_owner(app):
    business = build_business(app)
    owner_task = submit(app, business["touchpoint"], 2, "Why is the music so loud?")
    with app.app_context():
        assert process_response(owner_task).assignee_id == business["Olena"]
        db.session.commit()
    with app.app_context(), unscoped():
        db.session.scalar(sa.select(Touchpoint)).default_assignee_id = business["Petro"]
        db.session.commit()
    default_task = submit(app, business["touchpoint"], 2, "Why is the music so loud?")
    with app.app_context():
        assert process_response(default_task).assignee_id == business["Petro"]
        db.session.commit()


def test_a_late_comment_is_read_again_and_manual_categories_stay(app):
    business = build_business(app)
    with app.app_context(), unscoped():
        touchpoint = db.session.scalar(sa.select(Touchpoint))
        key = new_submission_key()
        response_id, _ = record_response(touchpoint, Answer(score=9, submission_key=key))
        db.session.commit()
        process_response(response_id)
        db.session.commit()
        price = db.session.scalar(sa.select(Category).where(Category.key == "price"))
        db.session.add(ResponseCategory(tenant_id=business["tenant"], response_id=response_id, category_id=price.id,
                                        source=CategorySource.MANUAL))
        db.session.commit()
        _, waiting = record_response(touchpoint, Answer(score=3, submission_key=key, comment="The courier was rude"))
        db.session.commit()
        assert waiting
        task = process_response(response_id)
        db.session.commit()
        response = db.session.get(Response, response_id)
        sources = {(link.category.key, link.source) for link in response.categories}
        assert sources == {("price", CategorySource.MANUAL)}  # a person chose: the rules add nothing
        assert task is not None and response.needs_action


def test_locked_responses_wait_until_unlocked(app):
    business = build_business(app, plan="free")
    with app.app_context(), unscoped():
        from billing.usage import count_response

        for _ in range(100):
            count_response(business["tenant"])
        db.session.commit()
    response_id = submit(app, business["touchpoint"], 1, "Courier lost my parcel")
    with app.app_context():
        assert process_response(response_id) is None
        db.session.commit()
    [response] = rows(app, Response)
    assert response.state == ResponseState.LOCKED and rows(app, Task) == []


def test_reminder_then_escalation_once_each(app):
    business = build_business(app)
    response_id = submit(app, business["touchpoint"], 2, "Кур'єр нагрубив")
    with app.app_context():
        process_response(response_id)
        db.session.commit()
    with app.app_context(), unscoped():
        assert sweeps.send_reminders() == 0  # not due yet
        task = db.session.scalar(sa.select(Task))
        task.due_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    with app.app_context():
        assert jobs.sweep_deadlines() == {"reminded": 1, "escalated": 0}
        assert jobs.sweep_deadlines() == {"reminded": 0, "escalated": 0}
    [reminder] = rows(app, Message, kind="reminder")
    assert reminder.recipient == "dina@zerno.example"
    with app.app_context(), unscoped():
        db.session.scalar(sa.select(Task)).escalate_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    with app.app_context():
        assert jobs.sweep_deadlines() == {"reminded": 0, "escalated": 1}
        assert jobs.sweep_deadlines() == {"reminded": 0, "escalated": 0}
    assert [m.recipient for m in rows(app, Message, kind="escalation")] == ["owner@zerno.example"]
    assert [e.kind for e in rows(app, TaskEvent)] == ["created", "assigned", "reminded", "escalated"]


def test_answered_tasks_get_no_reminder(app):
    business = build_business(app)
    response_id = submit(app, business["touchpoint"], 2, "Кур'єр нагрубив")
    with app.app_context():
        process_response(response_id)
        db.session.commit()
    with app.app_context(), unscoped():
        task = db.session.scalar(sa.select(Task))
        task.first_reply_at = utcnow()
        task.due_at = task.escalate_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    with app.app_context():
        assert jobs.sweep_deadlines() == {"reminded": 0, "escalated": 0}


# --- with real workers, Redis and SMTP ---------------------------------------------------------


def _env(database_url, redis_url, smtp_url, app):
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SMTP_URL": smtp_url,
            "SECRET_KEY": app.config["SECRET_KEY"], "BASE_URL": app.config["BASE_URL"]}


def _make_stale(app):
    with app.app_context(), unscoped():
        for response in db.session.scalars(sa.select(Response).where(Response.state == ResponseState.RECEIVED)):
            response.updated_at = utcnow() - timedelta(minutes=5)
        db.session.commit()


@pytest.mark.worker
def test_a_real_worker_assigns_and_emails(database_url, own_redis, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, REDIS_URL=own_redis.url, SMTP_URL=smtp_server.url)
    business = build_business(app)
    client = app.test_client()
    page = client.get(f"/s/{business['touchpoint']}").get_data(as_text=True)
    key = page.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
    assert client.post(f"/s/{business['touchpoint']}",
                       data={"score": "1", "comment": UKRAINIAN_COMPLAINT, "submission_key": key}).status_code == 302
    client.get(f"/s/{business['touchpoint']}?score=10&c=email")  # a promoter's one-click score
    assert rows(app, Task) == []  # nothing processed in the request

    result = run_burst_worker(_env(database_url, own_redis.url, smtp_server.url, app))
    assert result.returncode == 0, result.stdout + result.stderr
    [task] = rows(app, Task)
    assert task.assignee_id == business["Dina"]
    [received] = smtp_server.wait_for(1)
    assert received["to"] == ["dina@zerno.example"] and UKRAINIAN_COMPLAINT in body_of(received["email"])
    assert len(smtp_server.messages) == 1
    assert {r.state for r in rows(app, Response)} == {ResponseState.CATEGORISED}


def _wait_for(predicate, timeout=20.0, explain=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out: {explain()}")


@pytest.mark.worker
def test_worker_killed_mid_job_then_exactly_one_task_and_email(database_url, own_redis, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, REDIS_URL=own_redis.url, SMTP_URL=smtp_server.url)
    business = build_business(app)
    response_id = submit(app, business["touchpoint"], 2, UKRAINIAN_COMPLAINT)
    with app.app_context():
        from worker.queue import enqueue

        enqueue(jobs.process_response, response_id)
    env = _env(database_url, own_redis.url, smtp_server.url, app)

    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    blocker, watcher = engine.connect(), engine.connect()
    blocker.execute(sa.text("BEGIN"))
    blocker.execute(sa.text("SELECT id FROM response WHERE id = :id FOR UPDATE"), {"id": response_id})
    worker = start_worker(env)
    try:
        _wait_for(lambda: watcher.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT response.id%'"
        )).scalar() > 0, explain=lambda: watcher.execute(sa.text(
            "SELECT state, wait_event_type, left(query, 120) FROM pg_stat_activity WHERE datname = current_database()"
        )).all())  # the job is mid-run, waiting on the row
        kill_worker(worker)  # the worker and its work horse, mid-job
    finally:
        if worker.poll() is None:
            kill_worker(worker)
        blocker.execute(sa.text("ROLLBACK"))
        blocker.close()
        watcher.close()
        engine.dispose()
    assert rows(app, Task) == []

    _make_stale(app)
    with app.app_context():
        assert jobs.sweep_responses() == 1
    assert run_burst_worker(env).returncode == 0
    with app.app_context():
        assert jobs.sweep_responses() == 0
    assert run_burst_worker(env).returncode == 0
    assert len(rows(app, Task)) == 1
    smtp_server.wait_for(1)
    time.sleep(0.5)
    assert len(smtp_server.messages) == 1 and len(rows(app, Message, kind="assignment")) == 1


@pytest.mark.worker
def test_redis_down_while_a_customer_submits(database_url, own_redis, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, REDIS_URL=own_redis.url, SMTP_URL=smtp_server.url)
    business = build_business(app)
    own_redis.stop()
    client = app.test_client()
    page = client.get(f"/s/{business['touchpoint']}").get_data(as_text=True)
    key = page.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
    thanks = client.post(f"/s/{business['touchpoint']}", data={"score": "0", "comment": UKRAINIAN_COMPLAINT,
                                                              "submission_key": key}, follow_redirects=True)
    assert thanks.status_code == 200 and "Дякуємо!" in thanks.get_data(as_text=True)  # the business speaks uk
    [response] = rows(app, Response)
    assert response.state == ResponseState.RECEIVED

    own_redis.start()
    _make_stale(app)
    with app.app_context():
        assert jobs.sweep_responses() == 1
    assert run_burst_worker(_env(database_url, own_redis.url, smtp_server.url, app)).returncode == 0
    assert len(rows(app, Task)) == 1
    assert [m["to"] for m in smtp_server.wait_for(1)] == [["dina@zerno.example"]]


@pytest.mark.worker
def test_smtp_down_then_the_assignment_is_delivered_exactly_once(database_url, own_redis, tmp_path):
    port = free_port()
    app = make_app(database_url, tmp_path, REDIS_URL=own_redis.url, SMTP_URL=f"smtp://127.0.0.1:{port}")
    business = build_business(app)
    response_id = submit(app, business["touchpoint"], 2, UKRAINIAN_COMPLAINT)
    with app.app_context():
        from worker.queue import enqueue

        enqueue(jobs.process_response, response_id)
    env = _env(database_url, own_redis.url, f"smtp://127.0.0.1:{port}", app)
    assert run_burst_worker(env).returncode == 0
    [message] = rows(app, Message, kind="assignment")
    assert message.status.value == "pending" and message.attempts == 1 and message.last_error

    server = SmtpServer(port).start()
    try:
        with app.app_context():
            db.session.get(Message, message.id).next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
            assert jobs.sweep_outbox() == 1
            assert jobs.sweep_outbox() == 0
        assert run_burst_worker(env).returncode == 0
        server.wait_for(1)
        time.sleep(0.3)
        assert len(server.messages) == 1
    finally:
        server.stop()
    [message] = rows(app, Message, kind="assignment")
    assert (message.status.value, message.attempts) == ("sent", 2)
