"""Hardening (issue 10): each finding of the attack run reproduced against the real thing (an SMTP
server receiving bytes, gunicorn as the Procfile runs it, the flask CLI), then held."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sentry_sdk
import sqlalchemy as sa
from flask import request

from billing.usage import Usage
from saas.app import create_app
from saas.core.config import InsecureConfiguration
from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.scoping import tenant_scope, unscoped
from saas.core.timeutil import utcnow
from saas.feedback import customers, surveys
from saas.feedback.models import Category, Improvement, Response, ResponseState, Task
from saas.web.extensions import csrf
from tenants import services
from tenants.models import Invitation, Membership, Role, Tenant, User
from tests.support.apps import make_app
from tests.support.builders import PASSWORD, answer, build_business, complaint, rows, staff_client
from tests.support.http import messages, post_form, signup
from tests.support.mail import SmtpServer
from tests.support.processes import BIN, free_port, procfile_command, stop_processes, wait_until_up
from tests.support.sentry import MemoryTransport
from worker import jobs, mail

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
    assert "Finish signing up" in page and reply.subject not in page
    assert customer.get(f"/dev/outbox/{reply.id}").status_code == 404


# --- 14. tokens in the access log ---------------------------------------------------------------------


def test_tokens_never_reach_the_access_log(database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": LONG_KEY, "BASE_URL": f"http://127.0.0.1:{port}"}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(procfile_command("web", PORT=str(port), WEB_CONCURRENCY="1"), env=env, cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    token = "Zx9" * 20
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
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
    for path in ("/tasks/?view=all&page=99999999999999999999", "/responses/?page=99999999999999999999",
                 "/tasks/?page=-5"):
        assert owner.get(path).status_code == 200, path  # a page past the last one is empty
    assert business


# --- 6. the last owner, under concurrency -----------------------------------------------------------


TWO_OWNERS = (("olena@zerno.example", "Olena", Role.OWNER, "uk"), ("taras@zerno.example", "Taras", Role.OWNER, "uk"))


def test_two_owners_demoting_each_other_at_once_leave_one_owner(app):
    business = build_business(app, team=TWO_OWNERS, routes={})
    first_changed, outcomes = threading.Event(), {}

    def demote(actor: str, target: str, hold: float) -> None:
        with app.app_context(), tenant_scope(business["tenant"]):
            try:
                services.change_role(db.session.get(Membership, business[actor]), business[target], Role.ADMIN)
                first_changed.set()
                time.sleep(hold)  # the other owner acts before this change commits
                db.session.commit()
                outcomes[actor] = "demoted"
            except Refusal:
                db.session.rollback()
                outcomes[actor] = "refused"
            finally:
                first_changed.set()

    first = threading.Thread(target=demote, args=("Olena", "Taras", 0.5))
    first.start()
    assert first_changed.wait(10)
    second = threading.Thread(target=demote, args=("Taras", "Olena", 0))
    second.start()
    first.join(10)
    second.join(10)
    assert outcomes == {"Olena": "demoted", "Taras": "refused"}
    assert [m.role for m in rows(app, Membership)].count(Role.OWNER) == 1


# --- 7. an improvement asked for while Redis is down ------------------------------------------------


def _delivery_improvement(app, business) -> str:
    for email in ("ann@example.com", "bo@example.com"):
        complaint(app, business, "The courier was two hours late", email=email, locale="en")
    with app.app_context(), unscoped():
        delivery = db.session.scalar(sa.select(Category.id).where(Category.key == "delivery"))
    owner = staff_client(app, "owner@zerno.example")
    created = post_form(owner, "/improvements/", {"title": "A new courier company", "body": "Parcels on time.",
                                                  "category_ids": [str(delivery)]}, page="/improvements/")
    assert created.status_code == 302
    return created.headers["Location"]


def _make_requests_stale(app) -> None:
    with app.app_context(), unscoped():
        db.session.execute(sa.update(Improvement).values(send_requested_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()


def test_an_improvement_sent_while_redis_is_down_is_swept_once_it_is_back(database_url, tmp_path):
    down = make_app(database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    business = build_business(down)
    location = _delivery_improvement(down, business)
    owner = staff_client(down, "owner@zerno.example")
    sending = post_form(owner, location + "/send", page=location)
    assert sending.status_code == 302  # "Sending…": the owner is told, the request is recorded
    assert rows(down, Message, kind="improvement") == []

    app = make_app(database_url, tmp_path)  # Redis is back (jobs inline)
    with app.app_context():
        assert jobs.sweep_improvements() == 0  # asked for a moment ago: the queue gets its chance first
    _make_requests_stale(app)
    with app.app_context():
        assert jobs.sweep_improvements() == 1
        assert jobs.sweep_improvements() == 0  # claimed: not enqueued again by the next sweep
    assert sorted(m.recipient for m in rows(app, Message, kind="improvement")) == ["ann@example.com", "bo@example.com"]
    [improvement] = rows(app, Improvement)
    assert improvement.sent_at >= improvement.send_requested_at
    _make_requests_stale(app)
    with app.app_context():
        assert jobs.sweep_improvements() == 0  # finished: nothing to sweep, nothing sent twice
    assert len(rows(app, Message, kind="improvement")) == 2


# --- 11. sessions end when people say so --------------------------------------------------------------


def _copy(client, *names) -> object:
    """A second browser holding only the named cookies of the first (a stolen or left-behind copy)."""
    copy = client.application.test_client()
    for name in names:
        copy.set_cookie(name, client.get_cookie(name).value)
    return copy


def test_log_out_ends_the_session_and_the_remember_me_cookie_for_good(app):
    build_business(app)
    browser = app.test_client()
    login = post_form(browser, "/login", {"email": "owner@zerno.example", "password": PASSWORD, "remember": "y"})
    assert login.status_code == 302 and browser.get("/dashboard").status_code == 200
    left_behind, remembered = _copy(browser, "session"), _copy(browser, "remember_token")
    assert left_behind.get("/dashboard").status_code == 200 and remembered.get("/dashboard").status_code == 200
    post_form(browser, "/logout", page="/dashboard")
    assert browser.get("/dashboard").status_code == 302
    assert left_behind.get("/dashboard").status_code == 302  # the old session cookie opens nothing
    assert remembered.get("/dashboard").status_code == 302  # nor does the old remember-me cookie


def test_a_password_change_ends_every_other_session(app):
    build_business(app)
    laptop, phone = staff_client(app, "owner@zerno.example"), staff_client(app, "owner@zerno.example")
    changed = post_form(laptop, "/account/password", {"pw-current_password": PASSWORD,
                                                      "pw-new_password": "an even longer password"}, page="/account/")
    assert changed.status_code == 302
    assert laptop.get("/dashboard").status_code == 200  # this browser goes on
    assert phone.get("/dashboard").status_code == 302  # the other one is logged out


# --- 4. Sentry receives no customer's words ------------------------------------------------------------


def test_what_staff_and_customers_wrote_never_reaches_sentry(database_url, tmp_path):
    transport = MemoryTransport()
    app = make_app(database_url, tmp_path, SENTRY_DSN="https://public@sentry.example/1", SENTRY_TRANSPORT=transport,
                   PROPAGATE_EXCEPTIONS=False)
    words = {"comment": "Курьер бросил посылку через забор,\r\nи никто не извинился", "text": "We are so sorry, Maria",
             "note": "Maria Petrova called twice about the fence", "body": "From Monday a new courier company"}

    def careless():  # code that puts what people wrote into a message and into plainly named locals
        said = " / ".join(request.form[key] for key in words)
        raise RuntimeError(f"could not store: {said}")

    app.add_url_rule("/careless", "careless", csrf.exempt(careless), methods=["POST"])
    try:
        assert app.test_client().post("/careless", data=words).status_code == 500
        sentry_sdk.flush()
        events = transport.events()
        assert events
        serialized = json.dumps(events, ensure_ascii=False)
        for value in words.values():
            for line in value.splitlines():
                assert line.strip() not in serialized
        assert all("vars" not in frame for event in events for value in event["exception"]["values"]
                   for frame in value["stacktrace"]["frames"])
    finally:
        sentry_sdk.init(dsn=None)


# --- 3. names that pass for an address ----------------------------------------------------------------


def test_a_business_name_loses_the_characters_of_addresses_and_headers(app, client):
    signup(client, email="bank@example.com", business='Bänk <security@bank.com>\r\nBcc: "x"')
    with app.app_context(), unscoped():
        [name] = db.session.scalars(sa.select(Tenant.name)).all()
    assert name == "Bänk security bank.com Bcc: x"


def _unverify(app, email: str) -> None:
    with app.app_context(), unscoped():
        db.session.execute(sa.update(User).where(User.email == email).values(verified_at=None))
        db.session.commit()


def test_a_business_whose_owner_never_verified_writes_to_no_customer(app):
    business = build_business(app)
    task_id = complaint(app, business, email="klient@example.com")
    location = _delivery_improvement(app, business)
    _unverify(app, "owner@zerno.example")
    dina = staff_client(app)
    refused = post_form(dina, f"/tasks/{task_id}/reply", {"text": "Sorry!"}, page=f"/tasks/{task_id}")
    assert "власник має підтвердити" in dina.get(refused.headers["Location"]).get_data(as_text=True)  # staff read uk
    owner = staff_client(app, "owner@zerno.example")
    refused = post_form(owner, location + "/send", page=location)
    assert "власник має підтвердити" in owner.get(refused.headers["Location"]).get_data(as_text=True)
    assert rows(app, Message, kind="customer_reply") == [] and rows(app, Message, kind="improvement") == []
    assert [i.send_requested_at for i in rows(app, Improvement)] == [None]


def test_invite_revoke_invite_cannot_mail_the_world(app):
    build_business(app)
    owner = staff_client(app, "owner@zerno.example")
    for n in range(services.INVITATIONS_PER_HOUR + 1):
        answer = post_form(owner, "/team/invite", {"email": f"stranger{n}@example.com", "role": "staff"}, page="/team")
        for invitation in rows(app, Invitation):
            post_form(owner, f"/team/invitations/{invitation.id}/revoke", page="/team")
    assert answer.status_code == 422 and "За останню годину ви надіслали 20 запрошень" in answer.get_data(as_text=True)
    assert len(rows(app, Message, kind="invitation")) == services.INVITATIONS_PER_HOUR


def test_personal_emails_to_customers_stop_at_the_daily_ceiling(app):
    business = build_business(app)
    task_id = complaint(app, business, email="klient@example.com")
    with app.app_context():
        db.session.execute(sa.insert(Message), [
            {"tenant_id": business["tenant"], "kind": "customer_reply", "recipient": f"c{n}@example.com", "locale": "en",
             "subject": "s", "body_text": "t", "body_html": "h", "headers": {}, "status": MessageStatus.SENT,
             "attempts": 1, "next_attempt_at": utcnow(), "created_at": utcnow()}
            for n in range(customers.PERSONAL_EMAILS_PER_DAY)
        ])
        db.session.commit()
    dina = staff_client(app)
    refused = post_form(dina, f"/tasks/{task_id}/reply", {"text": "Sorry!"}, page=f"/tasks/{task_id}")
    assert "це наша денна межа" in dina.get(refused.headers["Location"]).get_data(as_text=True)
    assert len(rows(app, Message, kind="customer_reply")) == customers.PERSONAL_EMAILS_PER_DAY


# --- 8. a flood from one source ------------------------------------------------------------------------


def _answer_from(app, token: str, address: str, comment: str):
    visitor = app.test_client()
    visitor.environ_base["REMOTE_ADDR"] = address
    response, _ = answer(visitor, token, score="1", comment=comment)
    return response


def test_a_flood_from_one_address_is_held_not_counted_and_released_by_the_owner(database_url, tmp_path):
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=False)
    business = build_business(app, plan="free")
    limit = surveys.ANSWERS_PER_SOURCE_PER_DAY
    for n in range(limit + 5):
        assert _answer_from(app, business["touchpoint"], "203.0.113.7", f"junk {n}").status_code == 302
    real = _answer_from(app, business["touchpoint"], "198.51.100.4", "Food poisoning after your soup")
    assert real.status_code == 302  # every one of them was thanked
    states = {r.comment: r.state for r in rows(app, Response)}
    assert [states[f"junk {n}"] for n in range(limit + 5)] == [ResponseState.CATEGORISED] * limit + [ResponseState.HELD] * 5
    assert states["Food poisoning after your soup"] == ResponseState.CATEGORISED  # another customer is not held
    [usage] = rows(app, Usage)
    assert usage.responses == limit + 1  # held answers do not eat the month's quota
    assert len(rows(app, Task)) == limit + 1  # nor become tasks

    owner = staff_client(app, "owner@zerno.example")
    page = owner.get("/responses/").get_data(as_text=True)
    assert page.count("Затримано як можливий спам") == 5 and "junk 14" in page  # shown, in the owner's language
    held = [r for r in rows(app, Response) if r.state == ResponseState.HELD][0]
    assert staff_client(app).post(f"/responses/{held.id}/release").status_code in (400, 403)  # staff may not
    released = post_form(owner, f"/responses/{held.id}/release", page="/responses/")
    assert released.status_code == 302
    post_form(owner, f"/responses/{held.id}/release", page="/responses/")  # a second click changes nothing
    assert {r.id: r.state for r in rows(app, Response)}[held.id] == ResponseState.CATEGORISED
    assert rows(app, Usage)[0].responses == limit + 2
    assert len(rows(app, Task)) == limit + 2
    with app.app_context(), unscoped():
        sources = set(db.session.scalars(sa.select(Response.source)))
    assert "203.0.113.7" not in sources and len(sources) == 2  # a keyed hash, never the address
