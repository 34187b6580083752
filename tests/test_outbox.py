"""The outbox: every email is a Message row first, delivered over SMTP (a real aiosmtpd
server) with back-off, re-delivered by the sweep, never sent twice; without SMTP_URL it
is written as an .eml file and listed on the owner's dev outbox page.

Jobs run inline here (no REDIS_URL); tests/test_worker.py drives the same path through
Redis and real `rq worker` processes."""
from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.timeutil import utcnow
from tenants.models import User
from tests.support.apps import make_app
from tests.support.http import link_in, messages, path_of, post_form, request_signup, signup
from tests.support.mail import SmtpServer, body_of
from tests.support.processes import free_port
from worker import jobs, mail

SUBJECT = "Finish signing up for Loopline"


def _make_due(app, message_id):
    """Move the message's next attempt into the past, as the clock would."""
    with app.app_context():
        db.session.get(Message, message_id).next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()


def _sweep(app) -> int:
    with app.app_context():
        return jobs.sweep_outbox()


def _verified_at(app, email):
    with app.app_context():
        return db.session.scalar(sa.select(User.verified_at).where(User.email == email))


def _closed_smtp_url() -> tuple[int, str]:
    port = free_port()
    return port, f"smtp://127.0.0.1:{port}"


# --- over SMTP ---------------------------------------------------------------------------------


def test_the_signup_email_arrives_over_smtp_with_text_and_html(database_url, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)
    client = app.test_client()
    request_signup(client, email="ann@example.com")

    [received] = smtp_server.wait_for(1)
    email = received["email"]
    assert received["to"] == ["ann@example.com"]
    assert email["To"] == "ann@example.com" and email["Subject"] == SUBJECT
    assert email["From"] == app.config["MAIL_FROM"]
    assert email.get_content_type() == "multipart/alternative"
    text_link = link_in(body_of(email), "/signup/")
    html = email.get_body(preferencelist=("html",))
    assert html is not None and html.get_content_type() == "text/html"
    assert link_in(html.get_content(), "/signup/") == text_link
    assert text_link.startswith(app.config["BASE_URL"] + "/signup/")

    [message] = messages(app)
    assert (message.kind, message.recipient) == ("signup", "ann@example.com")
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 1, None)
    assert message.sent_at is not None
    assert not list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))  # SMTP, not the folder

    link = path_of(text_link)
    assert post_form(client, link, {"password": "correct horse battery"}, page=link).status_code == 302
    assert _verified_at(app, "ann@example.com") is not None


def test_smtp_down_backs_off_then_the_sweep_delivers_exactly_once(database_url, tmp_path):
    port, url = _closed_smtp_url()
    app = make_app(database_url, tmp_path, SMTP_URL=url, MAIL_MAX_ATTEMPTS=3)
    before = utcnow()
    assert signup(app.test_client(), email="bo@example.com").status_code == 302  # signed up all the same
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)
    assert "ConnectionRefused" in message.last_error
    # Backed off by the first retry delay (a minute), counted from the failed attempt.
    assert before + timedelta(minutes=1) <= message.next_attempt_at <= utcnow() + timedelta(minutes=1)
    assert _sweep(app) == 0  # not due yet: nothing is retried early

    server = SmtpServer(port).start()
    try:
        _make_due(app, message.id)
        assert _sweep(app) == 1
        assert _sweep(app) == 0  # sent, so no longer due
        with app.app_context():
            assert mail.deliver(message.id) is None  # a second delivery run sends nothing
            assert jobs.deliver_message(message.id) is None
        _make_due(app, message.id)  # even if the clock says so, a sent message is never due
        assert _sweep(app) == 0
        assert [m["to"] for m in server.wait_for(1)] == [["bo@example.com"]]
        assert len(server.messages) == 1
    finally:
        server.stop()
    [message] = messages(app)
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 2, None)


def test_gives_up_after_the_last_attempt_with_growing_delays(database_url, tmp_path):
    port, url = _closed_smtp_url()
    app = make_app(database_url, tmp_path, SMTP_URL=url, MAIL_MAX_ATTEMPTS=3)
    signup(app.test_client(), email="cy@example.com")
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)

    _make_due(app, message.id)
    before = utcnow()
    assert _sweep(app) == 1
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 2)
    assert before + timedelta(minutes=2) <= message.next_attempt_at <= utcnow() + timedelta(minutes=2)

    _make_due(app, message.id)
    assert _sweep(app) == 1
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert "ConnectionRefused" in message.last_error

    server = SmtpServer(port).start()  # the server comes back: a failed message stays failed
    try:
        _make_due(app, message.id)
        assert _sweep(app) == 0
        with app.app_context():
            assert mail.deliver(message.id) is None
        assert server.messages == []
    finally:
        server.stop()
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)


def test_a_message_another_worker_is_sending_is_not_sent_again(database_url, tmp_path, smtp_server):
    port, url = _closed_smtp_url()
    down = make_app(database_url, tmp_path, SMTP_URL=url)
    signup(down.test_client(), email="di@example.com")
    [message] = messages(down)
    assert message.status == MessageStatus.PENDING
    up = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)

    other_worker = sa.create_engine(database_url)
    try:
        with other_worker.connect() as conn:
            # Another worker holds the row while it talks to the SMTP server.
            conn.execute(sa.text("SELECT id FROM message WHERE id = :id FOR UPDATE"), {"id": message.id})
            with up.app_context():
                assert jobs.deliver_message(message.id) is None
            assert smtp_server.messages == []
            conn.rollback()
    finally:
        other_worker.dispose()

    with up.app_context():
        assert jobs.deliver_message(message.id) == "sent"
        assert jobs.deliver_message(message.id) is None
    assert len(smtp_server.wait_for(1)) == 1
    [message] = messages(up)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)


# --- without SMTP: the outbox folder and the dev page -----------------------------------------------


def _eml_files(app) -> list:
    folder = Path(app.config["OUTBOX_DIR"])
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(folder.glob("*.eml"))]


def test_embedded_mode_writes_eml_files_and_the_owner_sees_them(app, client):
    request_signup(client, email="dee@example.com")
    [email] = _eml_files(app)
    assert email["To"] == "dee@example.com" and email["Subject"] == SUBJECT
    assert email.get_body(preferencelist=("html",)) is not None
    link = path_of(link_in(body_of(email), "/signup/"))
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)

    # the link in the file works
    assert post_form(client, link, {"password": "correct horse battery"}, page=link).status_code == 302
    assert _verified_at(app, "dee@example.com") is not None
    page = client.get("/dev/outbox")
    assert page.status_code == 200
    assert SUBJECT in page.get_data(as_text=True) and "dee@example.com" in page.get_data(as_text=True)
    detail = client.get(f"/dev/outbox/{message.id}")
    assert detail.status_code == 200 and link in detail.get_data(as_text=True)


def test_the_dev_outbox_is_for_owners_of_the_tenant_only(app, client):
    signup(client, email="owner@example.com")
    assert post_form(client, "/team/invite", {"email": "sam@example.com", "role": "staff"}, page="/team").status_code == 302
    invitation = [m for m in messages(app, kind="invitation") if m.recipient == "sam@example.com"][-1]
    [own] = messages(app, kind="signup")

    staff = app.test_client()
    link = path_of(link_in(invitation.body_text, "/invite/"))
    assert post_form(staff, link, {"name": "Sam", "password": "sam password 1"}, page=link).status_code == 302
    assert staff.get("/dashboard").status_code == 200
    assert staff.get("/dev/outbox").status_code == 403
    assert staff.get(f"/dev/outbox/{own.id}").status_code == 403

    stranger = app.test_client()
    signup(stranger, email="stranger@example.com", business="Other Shop")
    listing = stranger.get("/dev/outbox").get_data(as_text=True)
    assert "stranger@example.com" in listing and "owner@example.com" not in listing
    assert stranger.get(f"/dev/outbox/{own.id}").status_code == 404

    anonymous = app.test_client().get("/dev/outbox")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_dev_outbox_does_not_exist_with_smtp(database_url, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)
    client = app.test_client()
    signup(client, email="eli@example.com")
    [message] = messages(app)
    assert client.get("/dashboard").status_code == 200  # logged in as the owner
    assert client.get("/dev/outbox").status_code == 404
    assert client.get(f"/dev/outbox/{message.id}").status_code == 404
