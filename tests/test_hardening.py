"""Hardening (issue 10): each finding of the attack run reproduced against the real thing (an SMTP
server receiving bytes, gunicorn as the Procfile runs it, the flask CLI), then held."""
from __future__ import annotations

import os
import shlex
import subprocess
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from saas.app import create_app
from saas.core.config import InsecureConfiguration
from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.timeutil import utcnow
from tests.support.apps import make_app
from tests.support.builders import build_business, complaint, rows, staff_client
from tests.support.http import messages, post_form, signup
from tests.support.mail import SmtpServer
from tests.support.processes import BIN, free_port, stop_processes, wait_until_up
from worker import mail

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LONG_KEY = "k" * 48


# --- 2. the development SECRET_KEY never serves people ----------------------------------------------


@pytest.mark.parametrize("key", [None, "dev-only-secret-change-me", "short-but-not-empty"])
def test_an_app_served_to_others_refuses_a_forgeable_secret_key(key):
    overrides = {"BASE_URL": "https://feedback.example.com", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    if key is not None:
        overrides["SECRET_KEY"] = key
    env_key = os.environ.pop("SECRET_KEY", None)
    try:
        with pytest.raises(InsecureConfiguration, match="token_urlsafe"):
            create_app(overrides)
    finally:
        if env_key is not None:
            os.environ["SECRET_KEY"] = env_key


def test_a_real_key_or_this_machine_alone_starts():
    assert create_app({"BASE_URL": "https://feedback.example.com", "SECRET_KEY": LONG_KEY,
                       "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"] == LONG_KEY
    assert create_app({"BASE_URL": "http://127.0.0.1:5000", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_cli_says_how_to_make_a_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(BASE_URL="https://feedback.example.com", DATABASE_URL="sqlite://")
    result = subprocess.run([BIN / "flask", "--app", "saas.app", "routes"], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "secrets.token_urlsafe" in result.stderr


# --- 3, 5. what goes on the wire ---------------------------------------------------------------------


def _header_lines(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return head.split("\r\n")


def test_a_customer_email_carries_list_unsubscribe_as_rfc_8058_writes_it(database_url, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)
    business = build_business(app)
    task_id = complaint(app, business, email="klient@example.com")
    dina = staff_client(app)
    post_form(dina, f"/tasks/{task_id}/reply", {"text": "Простите, курьера заменили."}, page=f"/tasks/{task_id}")
    [received] = [m for m in smtp_server.wait_for(2) if m["to"] == ["klient@example.com"]]
    lines = _header_lines(received["raw"])
    [unsubscribe] = [line for line in lines if line.startswith("List-Unsubscribe:")]
    assert unsubscribe.startswith("List-Unsubscribe: <http://localhost/u/") and unsubscribe.endswith(">")
    assert "=?" not in unsubscribe  # a plain <URI>, never an encoded word
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    assert "Reply-To: owner@zerno.example" in lines
    assert "Content-Language: uk" in lines  # the customer answered in Ukrainian
    sender = message_from_bytes(received["raw"], policy=policy.default)["From"]
    [address] = sender.addresses
    assert (address.display_name, address.addr_spec) == ("Кав'ярня Зерно", "no-reply@loopline.local")


def _message(app, **fields) -> int:
    """An outbox row; committing it delivers it at once (jobs run inline here), as a request would."""
    values = {"kind": "customer_reply", "recipient": "klient@example.com", "locale": "en", "subject": "Hello",
              "body_text": "Hello", "body_html": "<p>Hello</p>", "status": MessageStatus.PENDING, "attempts": 0,
              "next_attempt_at": utcnow(), "headers": {}, **fields}
    with app.app_context():
        message = Message(**values)
        db.session.add(message)
        db.session.commit()
        return message.id


def _deliver(app, message_id) -> MessageStatus | None:
    with app.app_context():
        return mail.deliver(message_id)


def test_a_business_named_like_an_address_stays_a_display_name(database_url, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)
    _deliver(app, _message(app, sender_name="Bänk <security@bank.com>"))
    [received] = smtp_server.wait_for(1)
    [address] = message_from_bytes(received["raw"], policy=policy.default)["From"].addresses
    assert address.addr_spec == "no-reply@loopline.local"
    assert address.display_name == "Bänk <security@bank.com>"


def test_a_message_that_cannot_be_built_fails_once_with_its_reason(database_url, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)
    message_id = _message(app, sender_name="Bank\r\nBcc: victim@example.com")
    [message] = messages(app)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1) and "ValueError" in message.last_error
    assert _deliver(app, message_id) is None  # failed for good: not tried again
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    assert smtp_server.messages == []


def test_a_retry_after_a_slow_relay_has_the_same_message_id(database_url, tmp_path):
    relay = SmtpServer(delays=[1.5]).start()  # keeps the first message but answers late
    try:
        impatient = make_app(database_url, tmp_path, SMTP_URL=relay.url, SMTP_TIMEOUT=0.5)
        message_id = _message(impatient)
        [message] = messages(impatient)
        assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)  # timed out: to be retried
        assert "timed out" in message.last_error
        with impatient.app_context():
            db.session.get(Message, message_id).next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
        assert _deliver(impatient, message_id) == MessageStatus.SENT
        first, second = relay.wait_for(2)
        ids = {message_from_bytes(m["raw"], policy=policy.default)["Message-ID"] for m in (first, second)}
        assert len(ids) == 1  # the receiver can drop the copy
    finally:
        relay.stop()


def test_the_default_timeout_waits_for_a_slow_relay(database_url, tmp_path):
    relay = SmtpServer(delays=[1.5]).start()
    try:
        app = make_app(database_url, tmp_path, SMTP_URL=relay.url)
        assert app.config["SMTP_TIMEOUT"] >= 30
        _message(app)
        [message] = messages(app)
        assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
        time.sleep(0.2)
        assert len(relay.messages) == 1
    finally:
        relay.stop()


# --- 12. the development outbox --------------------------------------------------------------------


def test_the_dev_outbox_never_shows_another_business_mail(app):
    business = build_business(app)
    task_id = complaint(app, business, email="klient@example.com")
    dina = staff_client(app)
    post_form(dina, f"/tasks/{task_id}/reply", {"text": "Sorry!"}, page=f"/tasks/{task_id}")
    [reply] = rows(app, Message, kind="customer_reply")
    customer = app.test_client()
    signup(customer, email="klient@example.com", business="Klient's own shop")
    page = customer.get("/dev/outbox").get_data(as_text=True)
    assert "Verify your email" in page and reply.subject not in page
    assert customer.get(f"/dev/outbox/{reply.id}").status_code == 404


# --- 14. tokens in the access log ---------------------------------------------------------------------


def _procfile_web_command(port: int) -> list[str]:
    with open(os.path.join(PROJECT_ROOT, "Procfile")) as procfile:
        [line] = [line for line in procfile if line.startswith("web:")]
    command = line.split(":", 1)[1].strip()
    command = command.replace("${PORT:-8000}", str(port)).replace("${WEB_CONCURRENCY:-2}", "1")
    return [str(BIN / part) if i == 0 else part for i, part in enumerate(shlex.split(command))]


def test_tokens_never_reach_the_access_log(database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": LONG_KEY, "BASE_URL": f"http://127.0.0.1:{port}"}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(_procfile_web_command(port), env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    token = "Zx9" * 20
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
        import urllib.request

        for path in (f"/verify/{token}", f"/u/{token}?email=klient%40example.com", f"/s/{token}?order=4711"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
            except OSError:
                pass  # 404s and friends are fine: the log line is what is checked
    finally:
        stop_processes(server)
    log = server.stdout.read()
    requests = [line for line in log.splitlines() if '"GET /' in line]
    assert len(requests) >= 3, log
    assert token not in log and "klient" not in log and "4711" not in log
    assert any("/verify/[Filtered]" in line for line in requests)


# --- 15. numbers no row can have -------------------------------------------------------------------------


def test_ids_out_of_range_are_a_404(app):
    business = build_business(app)
    owner = staff_client(app, email="owner@zerno.example")
    for path in ("/tasks/99999999999999999999", f"/tasks/{2**31}", "/touchpoints/99999999999999999999/poster",
                 f"/improvements/{2**40}"):
        assert owner.get(path).status_code == 404, path
    assert business
