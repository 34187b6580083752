"""The platform admin's console: the overview's revenue, growth and health; businesses listed, sorted and
shown without their customers; each action changes what it says and writes one audit row; the operations
pages act on real RQ registries, the outbox and Stripe's events."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa
from babel.numbers import format_currency
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

from billing.models import BillingAccount, EventStatus, PlanChange, StripeEvent
from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.scoping import unscoped
from saas.core.sweep_runs import SweepRun
from saas.core.timeutil import utcnow
from saas.feedback.models import Response, ResponseState, Touchpoint
from saas.web import impersonation
from tenants import admin_numbers
from tenants.admin_actions import AdminAuditEvent
from tenants.models import Membership, Role, Tenant, User
from tests.support.admin import ADMIN, act, verified_admin
from tests.support.apps import make_app
from tests.support.builders import build_business, complaint, process, rows, staff_client, submit
from tests.support.http import csrf_token
from worker import jobs

OTHER_TEAM = (("owner@lavka.example", "Ivan", Role.OWNER, "en"),)


def _account(app, tenant_id: int, **mirror) -> None:
    with app.app_context(), unscoped():
        db.session.add(BillingAccount(tenant_id=tenant_id, cancel_at_period_end=False, **mirror))
        db.session.commit()


def _business(app, slug: str, **kwargs) -> int:
    return build_business(app, name=slug.title(), slug=slug, team=((f"owner@{slug}.example", "O", Role.OWNER, "en"),),
                          routes={}, **kwargs)["tenant"]


def _audit_rows(app, action: str | None = None) -> list[AdminAuditEvent]:
    return [row for row in rows(app, AdminAuditEvent) if action is None or row.action == action]


def test_the_overviews_revenue_is_the_sum_over_the_subscription_mirror(app):
    mirrors = [  # (status, interval, amount, currency): only active and past-due subscriptions are revenue
        ("active", "month", 1900, "eur"), ("active", "year", 19000, "eur"), ("past_due", "month", 4900, "eur"),
        ("trialing", "month", 4900, "eur"), ("canceled", "month", 1900, "eur"), ("active", "month", 2500, "usd"),
    ]
    for index, (status, interval, amount, currency) in enumerate(mirrors):
        _account(app, _business(app, f"shop{index}"), stripe_customer_id=f"cus_{index}", status=status,
                 plan="starter" if amount < 4900 else "pro", interval=interval, amount=amount, currency=currency)
    expected = {"eur": 1900 + 19000 / 12 + 4900, "usd": 2500}

    with app.app_context(), unscoped():
        assert admin_numbers.revenue_totals(admin_numbers.monthly_revenue()) == pytest.approx(expected)
    admin, _secret = verified_admin(app)
    page = admin.get("/admin/").get_data(as_text=True)
    for currency, cents in expected.items():
        shown = re.search(rf'data-total="{currency}">([^<]+)<', page).group(1)
        assert shown == format_currency(cents / 100, currency.upper(), locale="en")


def test_sign_ups_and_upgrades_per_week_and_answers_per_day(app):
    business = build_business(app, plan="free")
    admin, _secret = verified_admin(app)
    page = f"/admin/tenants/{business['tenant']}"
    assert act(admin, business["tenant"], "comp", plan="pro", reason="Partner").status_code == 302
    process(app, submit(app, business["touchpoint"], 9, "Дякую"))

    with app.app_context(), unscoped():
        [this_week] = admin_numbers.weekly_growth(weeks=1)
        assert (this_week.signups, this_week.upgrades) == (1, 1)
        assert [(change.from_plan, change.to_plan) for change in db.session.scalars(sa.select(PlanChange))] == [
            ("free", "pro")]
    overview = admin.get("/admin/").get_data(as_text=True)
    growth = re.search(r'<table class="touchpoint-table" id="growth">.*?</table>', overview, re.S).group(0)
    assert "<td>1</td><td>1</td>" in growth
    assert re.search(r"<title>[^<]+: 1</title>", overview)  # today's bar counts the answer
    assert "Pro" in admin.get(page).get_data(as_text=True)


def test_health_shows_each_sweeps_last_run_and_the_backlogs(app):
    build_business(app)
    admin, _secret = verified_admin(app)
    health = admin.get("/admin/").get_data(as_text=True)
    assert "Jobs run inline in this set-up" in health and health.count("never") == len(jobs.SCHEDULE)

    with app.app_context():
        jobs.sweep_outbox()
        db.session.add(Message(kind="invite", recipient="x@example.com", subject="s", body_text="t", body_html="h",
                               status=MessageStatus.FAILED, attempts=5, next_attempt_at=utcnow(), last_error="550"))
        db.session.commit()
        [run] = db.session.scalars(sa.select(SweepRun)).all()
        assert (run.name, run.ok) == ("sweep_outbox", True)
    health = admin.get("/admin/").get_data(as_text=True)
    assert health.count("never") == len(jobs.SCHEDULE) - 1
    assert "0 waiting, 1 failed" in health


def test_a_failing_sweep_is_recorded_as_failed(app, monkeypatch):
    def broken():
        raise RuntimeError("database went away")

    monkeypatch.setattr(jobs.outbox, "claim_due_messages", broken)
    with app.app_context():
        with pytest.raises(RuntimeError):
            jobs.sweep_outbox()
        run = db.session.get(SweepRun, "sweep_outbox")
        assert not run.ok and "database went away" in run.result


def test_queue_depths_and_failed_jobs_come_from_rqs_registries(database_url, tmp_path, clean_redis):
    app = make_app(database_url, tmp_path, REDIS_URL=clean_redis)
    build_business(app)
    admin, _secret = verified_admin(app)
    connection = redis.Redis.from_url(clean_redis)
    queue = Queue("default", connection=connection)
    failing = queue.enqueue("tests.support.jobs.explode", "the cause")
    SimpleWorker([queue], connection=connection).work(burst=True)
    waiting = queue.enqueue("tests.support.jobs.explode", "later")
    listening = SimpleWorker([queue], connection=connection)
    listening.register_birth()  # a worker on `default`; none on `learning`, which has had no job yet

    overview = admin.get("/admin/").get_data(as_text=True)
    depths = re.search(r'id="queues">.*?</table>', overview, re.S).group(0)
    assert re.search(r"<th scope=\"row\">default</th><td>1</td><td>0</td><td><a [^>]+>1</a></td><td>0</td><td>1</td>",
                     depths)
    assert '<th scope="row">learning</th><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td>' in depths
    assert 'id="no-worker-learning"' in overview and 'id="no-worker-default"' not in overview
    listening.register_death()
    listing = admin.get("/admin/jobs/failed/").get_data(as_text=True)
    assert "tests.support.jobs.explode(&#39;the cause&#39;)" in listing and "RuntimeError: the cause" in listing

    def on_job(action, reason="Fixed the cause"):
        token = csrf_token(admin, "/admin/jobs/failed/")
        return admin.post(f"/admin/jobs/failed/{failing.id}/{action}", data={"csrf_token": token, "reason": reason})

    assert on_job("requeue", reason=" ").status_code == 302 and _audit_rows(app) == []  # no reason, nothing done
    assert failing.id in FailedJobRegistry("default", connection=connection)
    assert on_job("requeue").status_code == 302
    assert failing.id not in FailedJobRegistry("default", connection=connection)
    assert queue.job_ids == [waiting.id, failing.id]
    SimpleWorker([queue], connection=connection).work(burst=True)  # both fail again
    assert on_job("delete").status_code == 302
    assert FailedJobRegistry("default", connection=connection).get_job_ids() == [waiting.id]
    assert [(row.action, row.before["function"], row.tenant_id) for row in _audit_rows(app)] == [
        ("requeue_job", "tests.support.jobs.explode", None), ("delete_job", "tests.support.jobs.explode", None)]
    assert on_job("delete").status_code == 404  # gone


def test_the_business_list_searches_filters_and_sorts_by_usage_and_revenue(app):
    quiet, busy = _business(app, "quiet"), _business(app, "busy")
    _account(app, quiet, stripe_customer_id="cus_q", status="active", plan="pro", interval="month", amount=4900,
             currency="eur")
    for score in (9, 3, 10):
        submit(app, _token_of(app, busy), score, "")
    admin, _secret = verified_admin(app)

    def order(query):
        page = admin.get(f"/admin/tenants/?{query}").get_data(as_text=True)
        return re.findall(r'<small>([a-z]+) · owner@', page)

    assert order("sort=usage") == ["busy", "quiet"]
    assert order("sort=revenue") == ["quiet", "busy"]
    assert order("sort=signup") == ["busy", "quiet"]
    assert order("subscription=active") == ["quiet"] and order("subscription=none") == ["busy"]
    assert order("q=OWNER@BUSY") == ["busy"]
    listing = admin.get("/admin/tenants/?sort=usage").get_data(as_text=True)
    assert re.search(r"<td class=\"num\">3 / 1000</td>", listing)
    assert admin.get("/admin/tenants/?sort=nonsense&subscription=x&page=-4").status_code == 200


def _token_of(app, tenant_id: int) -> str:
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(Touchpoint.token).where(Touchpoint.tenant_id == tenant_id))


def _locked(app, business, comment: str) -> None:
    """An answer kept over the plan's quota."""
    response_id = submit(app, business["touchpoint"], 1, comment)
    with app.app_context(), unscoped():
        db.session.get(Response, response_id).state = ResponseState.LOCKED
        db.session.commit()


def test_a_business_page_shows_numbers_and_never_its_customers(app):
    business = build_business(app, plan="free")
    complaint(app, business, text="The courier was rude, call me back", email="maria@customer.example")
    _locked(app, business, "Locked secret comment")
    _account(app, business["tenant"], stripe_customer_id="cus_zerno", status="active", plan="starter",
             interval="month", amount=1900, currency="eur")
    admin, _secret = verified_admin(app)
    page = admin.get(f"/admin/tenants/{business['tenant']}").get_data(as_text=True)
    assert "courier" not in page and "maria@" not in page and "Locked secret" not in page
    assert "https://dashboard.stripe.com/customers/cus_zerno" in page
    assert re.search(r"Locked answers</th><td>1</td>", page)
    assert re.search(r"Open tasks</th><td>1</td>", page)
    emails = admin.get("/admin/outbox/?status=pending&tenant=zerno").get_data(as_text=True)
    assert "maria@" not in emails and "courier" not in emails
    assert admin.get("/admin/tenants/999999").status_code == 404


def test_comp_then_end_comp_each_change_the_plan_and_write_one_audit_row(app):
    business = build_business(app, plan="free")
    tenant_id = business["tenant"]
    admin, _secret = verified_admin(app)
    past = act(admin, tenant_id, "comp", plan="pro", until="2000-01-01", reason="Partner")
    assert past.status_code == 422 and "must be in the future" in past.get_data(as_text=True)
    assert act(admin, tenant_id, "comp", plan="pro", until="2999-12-31", reason="Partner").status_code == 302
    assert _plan(app, tenant_id) == "pro"
    assert act(admin, tenant_id, "end_comp", reason="Partnership over").status_code == 302
    assert _plan(app, tenant_id) == "free"
    again = act(admin, tenant_id, "end_comp", reason="Twice")
    assert again.status_code == 422 and "no comped plan" in again.get_data(as_text=True)
    comp, end = _audit_rows(app)
    assert (comp.action, comp.before["plan"], comp.after["plan"], comp.after["comp_until"][:10]) == (
        "comp", "free", "pro", "2999-12-31")
    assert (end.action, end.before["comp_plan"], end.after["plan"]) == ("end_comp", "pro", "free")


def _plan(app, tenant_id: int) -> str:
    with app.app_context(), unscoped():
        return db.session.get(Tenant, tenant_id).plan


def test_a_comp_unlocks_answers_kept_over_the_old_quota(app):
    business = build_business(app, plan="free")
    _locked(app, business, "")
    admin, _secret = verified_admin(app)
    assert act(admin, business["tenant"], "comp", plan="starter", reason="Goodwill").status_code == 302
    assert [response.state for response in rows(app, Response)] != [ResponseState.LOCKED]


def test_extending_a_past_due_grace_keeps_the_paid_plan(app):
    tenant_id = build_business(app, plan="free")["tenant"]  # past due for 10 days: its 7 days' grace is over
    _account(app, tenant_id, stripe_customer_id="cus_late", status="past_due", plan="pro", interval="month",
             amount=4900, currency="eur", past_due_since=utcnow() - timedelta(days=10))
    admin, _secret = verified_admin(app)
    assert act(admin, tenant_id, "extend_grace", days="0", reason="Bank holiday").status_code == 422
    assert act(admin, tenant_id, "extend_grace", days="5", reason="Bank holiday").status_code == 302
    assert _plan(app, tenant_id) == "pro"
    [event] = _audit_rows(app, "extend_grace")
    assert (event.before["plan"], event.after["plan"]) == ("free", "pro")
    assert event.after["grace_ends"] > event.before["grace_ends"]


def test_resend_verification_and_transfer_ownership(app):
    business = build_business(app)
    tenant_id = business["tenant"]
    admin, _secret = verified_admin(app)
    refused = act(admin, tenant_id, "resend_verification", reason="Asked by phone")
    assert refused.status_code == 422 and "verified their address already" in refused.get_data(as_text=True)
    with app.app_context(), unscoped():
        db.session.scalar(sa.select(User).where(User.email == "owner@zerno.example")).verified_at = None
        db.session.commit()
    assert act(admin, tenant_id, "resend_verification", reason="Asked by phone").status_code == 302
    assert [m.recipient for m in rows(app, Message) if m.kind == "verification"] == ["owner@zerno.example"]

    with app.app_context(), unscoped():
        dina = db.session.scalar(sa.select(Membership).join(Membership.user).where(User.email == "dina@zerno.example"))
        dina_id = dina.id
    assert act(admin, tenant_id, "transfer_ownership", member="999999", reason="Sold").status_code == 422
    assert act(admin, tenant_id, "transfer_ownership", member=str(dina_id), reason="Sold").status_code == 302
    with app.app_context(), unscoped():
        roles = dict(db.session.execute(sa.select(User.email, Membership.role).join(Membership.user)).all())
    assert roles["dina@zerno.example"] == Role.OWNER and roles["owner@zerno.example"] == Role.ADMIN
    assert [row.action for row in _audit_rows(app)] == ["resend_verification", "transfer_ownership"]
    assert staff_client(app, "dina@zerno.example").get("/team").status_code == 200


def _failed_message(app, tenant_id: int | None = None) -> int:
    with app.app_context(), unscoped():
        message = Message(tenant_id=tenant_id, kind="assignment", recipient="dina@zerno.example", subject="s",
                          body_text="t", body_html="<p>h</p>", status=MessageStatus.FAILED, attempts=5,
                          next_attempt_at=utcnow(),
                          last_error="SMTPRecipientsRefused: {'dina@zerno.example': (550, b'5.1.1 unknown')}")
        db.session.add(message)
        db.session.commit()
        return message.id


def test_a_failed_email_is_retried_or_cancelled_with_a_reason(app):
    tenant_id = build_business(app)["tenant"]
    retried, cancelled = _failed_message(app, tenant_id), _failed_message(app, tenant_id)
    admin, _secret = verified_admin(app)
    listing = admin.get("/admin/outbox/").get_data(as_text=True)
    assert "SMTPRecipientsRefused: {&#39;d***@zerno.example&#39;: (550" in listing
    assert "dina@zerno.example" not in listing

    def on(message_id, action, reason="Mailbox fixed"):
        token = csrf_token(admin, "/admin/outbox/")
        return admin.post(f"/admin/outbox/{message_id}/{action}?status=failed",
                          data={"csrf_token": token, "reason": reason})

    assert on(retried, "retry", reason="").headers["Location"] == "/admin/outbox/?status=failed"
    assert on(retried, "retry").status_code == 302 and on(cancelled, "cancel").status_code == 302
    with app.app_context(), unscoped():
        assert db.session.get(Message, retried).status == MessageStatus.SENT  # delivered inline, to the outbox
        assert db.session.get(Message, cancelled).status == MessageStatus.CANCELLED
    assert on(cancelled, "retry").status_code == 302  # refused: said on the page, nothing written
    assert [(row.action, row.tenant_id, row.before["status"]) for row in _audit_rows(app)] == [
        ("retry_email", tenant_id, "failed"), ("cancel_email", tenant_id, "failed")]


def test_a_stripe_event_is_replayed_with_a_reason(app):
    with app.app_context(), unscoped():
        event = StripeEvent(stripe_id="evt_1", type="invoice.paid", created=utcnow(), customer_id="cus_unknown",
                            payload={}, status=EventStatus.PROCESSED, attempts=1)
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    admin, _secret = verified_admin(app)
    assert "evt_1" in admin.get("/admin/stripe-events/?q=cus_unknown").get_data(as_text=True)
    assert "evt_1" not in admin.get("/admin/stripe-events/?status=failed").get_data(as_text=True)
    token = csrf_token(admin, "/admin/stripe-events/")
    assert admin.post(f"/admin/stripe-events/{event_id}/replay", data={"csrf_token": token, "reason": "Check"}
                      ).status_code == 302
    with app.app_context(), unscoped():
        replayed = db.session.get(StripeEvent, event_id)
        assert (replayed.status, replayed.attempts) == (EventStatus.IGNORED, 2)  # processed again: no such customer
    [row] = _audit_rows(app)
    assert (row.action, row.before, row.after) == ("replay_event", {"event": "evt_1", "status": "processed"},
                                                   {"event": "evt_1", "status": "pending"})


def _start_viewing_as(app, admin, business, email="owner@zerno.example"):
    with app.app_context(), unscoped():
        member_id = db.session.scalar(sa.select(Membership.id).join(Membership.user).where(User.email == email))
    return act(admin, business["tenant"], "impersonate", member=str(member_id), reason="Ticket 4411: sees no tasks")


def test_viewing_as_a_member_is_read_only_sends_nothing_and_is_audited(app, tmp_path):
    business = build_business(app)
    complaint(app, business)  # a task, and its assignment email, before the admin looks
    emails_before = len(rows(app, Message))
    admin, _secret = verified_admin(app)
    started = _start_viewing_as(app, admin, business)
    assert started.headers["Location"] == "/dashboard"
    dashboard = admin.get("/dashboard").get_data(as_text=True)
    banner = re.search(r'<div class="banner impersonation".*?</div>', dashboard, re.S).group(0)
    assert ADMIN in banner and "owner@zerno.example" in banner and "Кав&#39;ярня Зерно" in banner  # in her language

    pages = [rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and not rule.arguments
             and not rule.endpoint.startswith(("admin.", "static", "survey."))]
    for path in pages:
        status = admin.get(path).status_code
        assert status < 500, f"GET {path} while viewing as: {status}"
    token = csrf_token(admin, "/dashboard")
    for path in ("/team/invite", "/logout", "/account/language", "/tasks/1/reply"):
        answer = admin.post(path, data={"csrf_token": token, "email": "new@zerno.example", "role": "staff"})
        assert answer.status_code == 403, path
        page = answer.get_data(as_text=True)
        assert "banner impersonation" in page and 'class="tenant-name"' in page  # the member's menu, as on GET
    assert len(rows(app, Message)) == emails_before
    assert admin.get("/admin/").status_code == 200  # the admin pages stay the admin's own

    assert admin.post("/admin/stop-viewing-as", data={"csrf_token": token}).status_code == 302
    assert "banner impersonation" not in admin.get("/account").get_data(as_text=True)
    assert [(row.action, row.reason) for row in _audit_rows(app)] == [
        ("impersonate", "Ticket 4411: sees no tasks"), ("stop_impersonating", "stopped by the admin")]
    assert _audit_rows(app)[0].after == {"as": "owner@zerno.example", "role": "owner"}


def test_viewing_as_ends_after_thirty_minutes(app, monkeypatch):
    business = build_business(app)
    admin, _secret = verified_admin(app)
    _start_viewing_as(app, admin, business, email="dina@zerno.example")
    assert 'class="banner impersonation"' in admin.get("/tasks/").get_data(as_text=True)
    later = time.time() + 31 * 60
    monkeypatch.setattr(impersonation.time, "time", lambda: later)
    ended = admin.get("/tasks/")
    assert ended.headers["Location"] == f"/admin/tenants/{business['tenant']}"
    assert [(row.action, row.reason) for row in _audit_rows(app)][-1] == ("stop_impersonating", "30 minutes passed")
    assert "banner impersonation" not in admin.get("/account").get_data(as_text=True)


def test_another_tenants_member_cannot_be_chosen(app):
    build_business(app)
    other = build_business(app, name="Lavka", slug="lavka", team=OTHER_TEAM, routes={})
    admin, _secret = verified_admin(app)
    with app.app_context(), unscoped():
        stranger = db.session.scalar(sa.select(Membership.id).join(Membership.user)
                                     .where(User.email == "owner@zerno.example"))
    refused = act(admin, other["tenant"], "impersonate", member=str(stranger), reason="x")
    assert refused.status_code == 422 and _audit_rows(app) == []
