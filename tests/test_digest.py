"""The weekly digest: Monday morning in the business's time zone, owners and admins only, once per person and
week whatever the sweeps do, in each reader's language, and easy to turn off (a GET shows, a POST acts)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.outbox import Message
from saas.core.scoping import unscoped
from saas.feedback import digest, stats
from saas.feedback.models import Response
from tenants.models import Tenant, User
from tests.support.apps import make_app
from tests.support.builders import build_business, complaint, rows, staff_client
from tests.support.http import post_form

# Monday 30 November 2026: 08:00 in Kyiv (UTC+2) is 06:00 UTC.
MONDAY_EARLY = datetime(2026, 11, 30, 5, 59, tzinfo=timezone.utc)
MONDAY_MORNING = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)


def _kyiv_business_with_last_weeks_answers(app) -> dict:
    business = build_business(app, plan="pro")
    complaint(app, business, "Кур'єр запізнився на дві години, доставка жахлива", score=1)
    complaint(app, business, "Все чудово, дякую", score=10)
    with app.app_context(), unscoped():
        db.session.get(Tenant, business["tenant"]).timezone = "Europe/Kyiv"
        for response in db.session.scalars(sa.select(Response)):
            response.created_at = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)  # last Thursday
        db.session.commit()
        stats.rebuild(db.session.get(Tenant, business["tenant"]))
        db.session.commit()
    return business


def _send(app, now) -> int:
    with app.app_context(), unscoped():
        queued = digest.send_due(now)
        db.session.commit()
        return queued


def test_monday_morning_in_the_business_s_zone_owners_get_it_once_in_their_language(app):
    _kyiv_business_with_last_weeks_answers(app)
    assert _send(app, MONDAY_EARLY) == 0  # 07:59 in Kyiv
    assert _send(app, MONDAY_MORNING) == 1  # the owner; staff get no digest
    assert _send(app, MONDAY_MORNING + timedelta(hours=3)) == 0  # the sweep runs again: nothing new
    assert _send(app, MONDAY_MORNING + timedelta(days=1)) == 0  # Tuesday
    [message] = rows(app, Message, kind="weekly_digest")
    assert message.recipient == "owner@zerno.example" and message.locale == "uk"
    assert "Кав'ярня Зерно" in message.subject and "NPS" in message.subject
    assert "Кур'єр запізнився на дві години" in message.body_text  # the latest unhappy comment
    assert "2026-11-23 – 2026-11-29" in message.body_text and "2 відповіді" in message.body_text
    assert "/dashboard?period=custom&from=2026-11-23&to=2026-11-29" in message.body_text
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _send(app, MONDAY_MORNING + timedelta(days=7)) == 1  # next week's


def test_two_sweeps_at_once_queue_one_digest_per_person(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    _kyiv_business_with_last_weeks_answers(app)
    start, counts = threading.Barrier(4), []

    def sweep():
        start.wait()
        counts.append(_send(app, MONDAY_MORNING))

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 0, 0, 1]
    assert len(rows(app, Message, kind="weekly_digest")) == 1


def test_the_link_in_the_digest_shows_a_button_and_only_the_button_turns_it_off(app):
    _kyiv_business_with_last_weeks_answers(app)
    _send(app, MONDAY_MORNING)
    [message] = rows(app, Message, kind="weekly_digest")
    link = message.headers["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    scanner = app.test_client()
    page = scanner.get(link)
    assert page.status_code == 200 and "Вимкнути тижневий дайджест?" in page.get_data(as_text=True)
    assert rows(app, User, email="owner@zerno.example")[0].weekly_digest  # a GET changed nothing
    assert scanner.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # RFC 8058, no session
    assert not rows(app, User, email="owner@zerno.example")[0].weekly_digest
    assert _send(app, MONDAY_MORNING + timedelta(days=7)) == 0
    assert scanner.get(link[:-3] + "xyz").status_code == 404


def test_the_owner_turns_it_off_and_on_in_their_account(app):
    _kyiv_business_with_last_weeks_answers(app)
    owner = staff_client(app, "owner@zerno.example")
    page = owner.get("/account/").get_data(as_text=True)
    assert 'name="digest-weekly_digest"' in page and "checked" in page
    assert 'name="digest-weekly_digest"' not in staff_client(app).get("/account/").get_data(as_text=True)  # not theirs
    assert post_form(owner, "/account/digest", {}, page="/account/").status_code == 302  # unticked
    assert _send(app, MONDAY_MORNING) == 0
    assert post_form(owner, "/account/digest", {"digest-weekly_digest": "y"}, page="/account/").status_code == 302
    assert _send(app, MONDAY_MORNING) == 1


def test_on_the_wire_the_digest_carries_a_one_click_list_unsubscribe(database_url, tmp_path, smtp_server):
    app = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)
    _kyiv_business_with_last_weeks_answers(app)
    before = len(smtp_server.messages)
    _send(app, MONDAY_MORNING)
    [received] = [m for m in smtp_server.wait_for(before + 1) if m["to"] == ["owner@zerno.example"]
                  and b"List-Unsubscribe-Post" in m["raw"]]
    head = received["raw"].split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
    [unsubscribe] = [line for line in head if line.startswith("List-Unsubscribe:")]
    assert unsubscribe.startswith("List-Unsubscribe: <http://localhost/account/digest/off/") and unsubscribe.endswith(">")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in head
    email = message_from_bytes(received["raw"], policy=policy.default)
    assert "Кав'ярня Зерно" in str(email["Subject"])
