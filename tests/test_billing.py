"""Billing against a stateful fake Stripe run as a process (tests/support/fake_stripe.py), through
stripe-python's real client: the catalogue, Checkout, the success page, the portal, webhooks signed with
Stripe's scheme (played to the app's real endpoint, as Stripe delivers them), and the entitlement every
limit reads. Jobs run inline, so a delivered event is processed within its request."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from billing.entitlement import effective_plan
from billing.models import BillingAccount, EventStatus, StripeEvent
from saas.core.extensions import db
from saas.core.outbox import Message
from saas.core.scoping import unscoped
from saas.core.timeutil import utcnow
from saas.feedback.models import Response, ResponseState, Task, Touchpoint
from tenants.admin_actions import AdminAuditEvent
from tests.support.admin import act, verified_admin
from tests.support.apps import make_app
from tests.support.builders import add_touchpoint, build_business, rows, staff_client, submit, touchpoint_named
from tests.support.fake_stripe import FakeStripeProcess
from tests.support.http import post_form, signup


@pytest.fixture
def fake_stripe():
    fake = FakeStripeProcess()
    yield fake
    fake.stop()


@pytest.fixture
def paying_app(database_url, tmp_path, fake_stripe):
    app = make_app(database_url, tmp_path, **fake_stripe.config())
    result = app.test_cli_runner().invoke(args=["billing", "setup"])
    assert result.exit_code == 0, result.output
    return app


def owner_of(app, email="owner@shop.example"):
    client = app.test_client()
    signup(client, email=email, business=f"Shop of {email}")
    return client


def deliver(app, fake, already: int = 0) -> int:
    """Stripe delivers the events it has not delivered yet to the app's endpoint; how many it has sent."""
    events = fake.events()
    client = app.test_client()
    for event in events[already:]:
        body, headers = fake.signed(event)
        assert client.post("/billing/webhook", data=body, headers=headers).status_code == 200
    return len(events)


def account(app, email="owner@shop.example") -> BillingAccount:
    with app.app_context(), unscoped():
        tenant_id = db.session.scalar(sa.text("SELECT tenant_id FROM membership m JOIN users u ON u.id = m.user_id "
                                              "WHERE u.email = :email"), {"email": email})
        found = db.session.scalar(sa.select(BillingAccount).where(BillingAccount.tenant_id == tenant_id))
        db.session.expunge_all()
        return found


def plan(app, email="owner@shop.example") -> str:
    with app.app_context(), unscoped():
        return db.session.scalar(sa.text("SELECT t.plan FROM tenant t JOIN membership m ON m.tenant_id = t.id "
                                         "JOIN users u ON u.id = m.user_id WHERE u.email = :email"), {"email": email})


def checkout(owner, plan_key="starter", interval="month"):
    return post_form(owner, "/billing/checkout", {"plan": plan_key, "interval": interval}, page="/billing/")


def subscribe(app, fake, owner) -> str:
    """The owner buys starter through Checkout; the subscription's id."""
    response = checkout(owner)
    assert response.status_code == 303 and response.headers["Location"].startswith(fake.url + "/checkout/")
    back = fake.pay(response.headers["Location"])
    assert back.startswith("http://localhost/billing/success?session_id=cs_test_")
    return account(app).subscription_id if owner.get(back.removeprefix("http://localhost")) else None


# --- the catalogue ---------------------------------------------------------------------------------------


def test_billing_setup_creates_the_catalogue_once(paying_app, fake_stripe):
    again = paying_app.test_cli_runner().invoke(args=["billing", "setup"])
    assert again.exit_code == 0 and "nothing created" in again.output
    response = owner_of(paying_app).get("/billing/")
    assert "form-action 'self' https://checkout.stripe.com" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    for price in ("19.00 EUR / month", "190.00 EUR / year", "49.00 EUR / month", "490.00 EUR / year"):
        assert price in page  # shown from Stripe
    assert "Upgrade to Starter, monthly" in page and "Upgrade to Pro, yearly" in page


def test_without_stripe_the_page_shows_plans_and_usage_and_says_payments_are_not_configured(app):
    owner = owner_of(app)
    add_touchpoint(owner)
    page = owner.get("/billing/").get_data(as_text=True)
    assert "Your plan: Free" in page and "1 of 2" in page  # one of two touchpoints
    assert "Payments are not configured on this installation" in page and "Upgrade to" not in page
    assert checkout(owner).status_code == 400


# --- Checkout, the success page, the portal -----------------------------------------------------------


def test_an_owner_upgrades_through_checkout_and_the_limits_follow(paying_app, fake_stripe):
    owner = owner_of(paying_app)
    for name in ("Web", "Shop"):
        assert add_touchpoint(owner, name=name).status_code == 302
    refused = add_touchpoint(owner, name="Delivery")
    assert refused.status_code == 422 and "Upgrade your plan" in refused.get_data(as_text=True)

    response = checkout(owner)
    first_customer = account(paying_app).stripe_customer_id
    assert first_customer and response.status_code == 303
    checkout(owner)  # the owner goes back and starts again: the same customer, never a second one
    assert account(paying_app).stripe_customer_id == first_customer

    back = fake_stripe.pay(response.headers["Location"])
    success = owner.get(back.removeprefix("http://localhost"))
    assert "You are on the Starter plan now." in success.get_data(as_text=True)  # synced once, from Stripe
    mirror = account(paying_app)
    assert (mirror.status, mirror.plan, mirror.interval, mirror.cancel_at_period_end) == ("active", "starter",
                                                                                          "month", False)
    assert (mirror.amount, mirror.currency) == (1900, "eur")  # the price, for the admins' monthly revenue
    assert plan(paying_app) == "starter"
    assert add_touchpoint(owner, name="Delivery").status_code == 302

    delivered = deliver(paying_app, fake_stripe)
    assert delivered == 3
    with paying_app.app_context():
        stored = db.session.scalars(sa.select(StripeEvent.status)).all()
    assert sorted(stored) == [EventStatus.PROCESSED] * 3

    again = checkout(owner)  # subscribed: changing plan goes through the portal
    assert again.status_code == 302 and "change your plan with Manage billing" in owner.get(
        again.headers["Location"]).get_data(as_text=True)
    portal = post_form(owner, "/billing/portal", page="/billing/")
    assert portal.status_code == 303 and portal.headers["Location"].startswith(fake_stripe.url + "/portal/")


def test_the_success_page_trusts_only_stripe_and_only_this_tenants_session(paying_app, fake_stripe):
    owner, other = owner_of(paying_app), owner_of(paying_app, "other@shop.example")
    back = fake_stripe.pay(checkout(other).headers["Location"])
    session_id = back.split("session_id=")[1]
    page = owner.get(f"/billing/success?session_id={session_id}").get_data(as_text=True)
    assert "Payment processing" in page and plan(paying_app) == "free"  # another tenant's session
    assert owner.get("/billing/success?session_id=cs_test_made_up").status_code == 200
    assert plan(paying_app) == "free" and plan(paying_app, "other@shop.example") == "free"  # not synced yet
    deliver(paying_app, fake_stripe)
    assert plan(paying_app, "other@shop.example") == "starter" and plan(paying_app) == "free"


def test_staff_and_admins_cannot_pay_and_staff_cannot_see_billing(paying_app):
    from tenants.models import Role
    from tests.support.builders import ZERNO_TEAM

    build_business(paying_app, team=(*ZERNO_TEAM, ("ivan@zerno.example", "Ivan", Role.ADMIN, "en")))
    staff, admin = staff_client(paying_app), staff_client(paying_app, "ivan@zerno.example")
    assert staff.get("/billing/").status_code == 403
    assert post_form(staff, "/billing/checkout", {"plan": "pro", "interval": "month"}, page="/").status_code == 403
    assert post_form(staff, "/billing/portal", page="/").status_code == 403
    page = admin.get("/billing/")
    assert page.status_code == 200 and "Upgrade to" not in page.get_data(as_text=True)
    assert post_form(admin, "/billing/checkout", {"plan": "pro", "interval": "month"}, page="/").status_code == 403


# --- webhooks ---------------------------------------------------------------------------------------


def test_a_duplicate_event_has_one_effect(paying_app, fake_stripe):
    owner = owner_of(paying_app)
    fake_stripe.pay(checkout(owner).headers["Location"])
    deliver(paying_app, fake_stripe)
    first = fake_stripe.events()[0]
    body, headers = fake_stripe.signed(first)
    assert paying_app.test_client().post("/billing/webhook", data=body, headers=headers).status_code == 200
    with paying_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 3
    assert plan(paying_app) == "starter"


@pytest.mark.parametrize("how", ["no signature", "wrong secret", "tampered body", "replayed old timestamp"])
def test_an_unsigned_or_replayed_event_is_refused_and_stores_nothing(paying_app, fake_stripe, how):
    event = {"id": "evt_forged", "object": "event", "type": "customer.subscription.updated", "created": int(time.time()),
             "data": {"object": {"id": "sub_x", "object": "subscription", "customer": "cus_x", "status": "active"}}}
    body, headers = {
        "no signature": lambda: (fake_stripe.signed(event)[0], {"Content-Type": "application/json"}),
        "wrong secret": lambda: fake_stripe.signed(event, secret="whsec_someone_else"),
        "tampered body": lambda: (fake_stripe.signed(event)[0].replace("active", "trialing"),
                                  fake_stripe.signed(event)[1]),
        "replayed old timestamp": lambda: fake_stripe.signed(event, timestamp=int(time.time()) - 3600),
    }[how]()
    assert paying_app.test_client().post("/billing/webhook", data=body, headers=headers).status_code == 400
    with paying_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 0


def test_a_huge_body_is_a_413_and_an_unknown_type_is_stored_and_ignored(paying_app, fake_stripe):
    client = paying_app.test_client()
    assert client.post("/billing/webhook", data="x" * 300_000, headers={"Stripe-Signature": "t=1,v1=0"}
                       ).status_code == 413
    event = {"id": "evt_unknown", "object": "event", "type": "radar.early_fraud_warning.created",
             "created": int(time.time()), "data": {"object": {"id": "issfr_1", "customer": "cus_x"}}}
    body, headers = fake_stripe.signed(event)
    assert client.post("/billing/webhook", data=body, headers=headers).status_code == 200
    with paying_app.app_context():
        [stored] = db.session.scalars(sa.select(StripeEvent)).all()
        assert (stored.type, stored.status) == ("radar.early_fraud_warning.created", EventStatus.IGNORED)


def test_events_out_of_order_leave_the_mirror_matching_stripe(paying_app, fake_stripe):
    owner = owner_of(paying_app)
    fake_stripe.pay(checkout(owner).headers["Location"])
    sent = fake_stripe.events()
    subscription_id = sent[1]["data"]["object"]["id"]
    fake_stripe.set_subscription(subscription_id, cancel_at_period_end=True)
    updated = fake_stripe.events()[-1]
    # .updated arrives before .created and the rest: each is a reason to read Stripe, which has the truth
    for event in [updated, *sent]:
        body, headers = fake_stripe.signed(event)
        paying_app.test_client().post("/billing/webhook", data=body, headers=headers)
    mirror = account(paying_app)
    assert (mirror.status, mirror.cancel_at_period_end) == ("active", True) and plan(paying_app) == "starter"

    fake_stripe.set_subscription(subscription_id, status="canceled")
    deleted = fake_stripe.events()[-1]
    body, headers = fake_stripe.signed(deleted)
    paying_app.test_client().post("/billing/webhook", data=body, headers=headers)
    assert account(paying_app).status == "canceled" and plan(paying_app) == "free"
    stale = {**updated, "id": "evt_stale_copy", "created": updated["created"] - 60}  # late, older than applied
    body, headers = fake_stripe.signed(stale)
    paying_app.test_client().post("/billing/webhook", data=body, headers=headers)
    assert account(paying_app).status == "canceled" and plan(paying_app) == "free"
    with paying_app.app_context():
        stale_row = db.session.scalar(sa.select(StripeEvent).where(StripeEvent.stripe_id == "evt_stale_copy"))
        assert stale_row.status == EventStatus.IGNORED  # older than the newest applied: not even a reason to look


def test_stripe_down_while_processing_keeps_the_event_pending_until_the_sweep(paying_app, fake_stripe):
    owner = owner_of(paying_app)
    fake_stripe.pay(checkout(owner).headers["Location"])
    fake_stripe.outage(True)
    deliver(paying_app, fake_stripe)  # stored and answered 200; processing fails: Stripe is down
    with paying_app.app_context():
        events = db.session.scalars(sa.select(StripeEvent)).all()
        assert {event.status for event in events} == {EventStatus.PENDING}
        assert all("Stripe is down" in (event.last_error or "") for event in events)
    assert plan(paying_app) == "free"

    fake_stripe.outage(False)
    with paying_app.app_context(), unscoped():
        db.session.execute(sa.update(StripeEvent).values(received_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
    result = paying_app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert plan(paying_app) == "starter"
    with paying_app.app_context():
        assert set(db.session.scalars(sa.select(StripeEvent.status))) <= {EventStatus.PROCESSED, EventStatus.IGNORED}


def test_past_due_keeps_the_plan_through_the_grace_period_then_free(paying_app, fake_stripe):
    owner = owner_of(paying_app)
    subscription_id = subscribe(paying_app, fake_stripe, owner)
    fake_stripe.set_subscription(subscription_id, status="past_due")
    deliver(paying_app, fake_stripe)
    assert account(paying_app).past_due_since is not None and plan(paying_app) == "starter"
    assert "The last payment failed" in owner.get("/billing/").get_data(as_text=True)
    assert "The last payment failed: your plan stays until" in owner.get("/dashboard").get_data(as_text=True)
    [told] = rows(paying_app, Message, kind="payment_failed")  # once, though two events said it
    assert told.recipient == "owner@shop.example" and "/billing/" in told.body_text
    with paying_app.app_context(), unscoped():
        db.session.execute(sa.update(BillingAccount).values(past_due_since=utcnow() - timedelta(days=8)))
        db.session.commit()
    paying_app.test_cli_runner().invoke(args=["sweep"])
    assert plan(paying_app) == "free"


def test_billing_sync_reconciles_a_tenant_from_stripe(paying_app, fake_stripe):
    owner = owner_of(paying_app)
    fake_stripe.pay(checkout(owner).headers["Location"])  # no event delivered, no success page
    assert plan(paying_app) == "free"
    result = paying_app.test_cli_runner().invoke(args=["billing", "sync"])
    assert result.exit_code == 0 and '"starter"' in result.output
    assert plan(paying_app) == "starter"


# --- entitlement ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, since_days, expected", [
    ("active", None, "pro"), ("trialing", None, "pro"), ("past_due", 3, "pro"), ("past_due", 8, "free"),
    ("canceled", None, "free"), ("unpaid", None, "free"), ("incomplete_expired", None, "free"), (None, None, "free"),
])
def test_the_effective_plan_for_every_subscription_status(app, status, since_days, expected):
    now = utcnow()
    since = now - timedelta(days=since_days) if since_days is not None else None
    mirror = BillingAccount(plan="pro", status=status, past_due_since=since)
    with app.app_context():
        assert effective_plan(mirror, now) == expected


@pytest.mark.parametrize("comp_until_days, expected", [(None, "starter"), (5, "starter"), (-1, "free")])
def test_a_comp_overrides_stripe_until_it_ends(app, comp_until_days, expected):
    now = utcnow()
    until = now + timedelta(days=comp_until_days) if comp_until_days is not None else None
    mirror = BillingAccount(plan="pro", status="canceled", comp_plan="starter", comp_until=until)
    with app.app_context():
        assert effective_plan(mirror, now) == expected
        assert effective_plan(BillingAccount(plan="pro", status="active", comp_plan="starter"), now) == "starter"


# --- limits ---------------------------------------------------------------------------------------


def _answers(app, token: str, count: int, comment: str = "Cold coffee and a long queue") -> list[int]:
    return [submit(app, token, 3, f"{comment} #{n}") for n in range(count)]


def _state_counts(app) -> dict:
    with app.app_context(), unscoped():
        return dict(db.session.execute(sa.select(Response.state, sa.func.count()).group_by(Response.state)).all())


def test_owners_hear_at_80_and_100_percent_of_the_quota_once_and_see_a_banner(app):
    business = build_business(app, plan="free")
    _answers(app, business["touchpoint"], 79)
    owner = staff_client(app, "owner@zerno.example")
    assert "answers of this month" not in owner.get("/dashboard").get_data(as_text=True)
    _answers(app, business["touchpoint"], 1)
    assert [m.recipient for m in rows(app, Message, kind="quota_80")] == ["owner@zerno.example"]
    [banner] = re.findall(r'<div class="banner" role="status">(.*?)</div>', owner.get("/dashboard").get_data(
        as_text=True), re.S)
    assert "80 з 100" in banner  # in the owner's language
    _answers(app, business["touchpoint"], 25)
    [full] = rows(app, Message, kind="quota_100")
    assert full.recipient == "owner@zerno.example" and "/billing/" in full.body_text
    assert len(rows(app, Message, kind="quota_80")) == 1  # once each
    assert _state_counts(app)[ResponseState.LOCKED] == 5
    assert staff_client(app).get("/dashboard").get_data(as_text=True).count('class="banner"') == 0  # owners only


def test_a_bigger_plan_unlocks_locked_answers_oldest_first_and_processes_them(paying_app, fake_stripe):
    owner = owner_of(paying_app)
    assert add_touchpoint(owner).status_code == 302
    token = touchpoint_named(paying_app, "Shop counter").token
    ids = _answers(paying_app, token, 103)
    assert _state_counts(paying_app)[ResponseState.LOCKED] == 3
    back = fake_stripe.pay(checkout(owner).headers["Location"])
    owner.get(back.removeprefix("http://localhost"))  # the success page reads Stripe: starter, unlocked
    assert plan(paying_app) == "starter"
    states = _state_counts(paying_app)
    assert ResponseState.LOCKED not in states and states.get(ResponseState.RECEIVED, 0) == 100  # never processed
    with paying_app.app_context(), unscoped():
        processed = set(db.session.scalars(sa.select(Response.id).where(Response.processed_at.is_not(None))))
    assert processed == set(ids[100:])  # the three that were locked, now processed
    deliver(paying_app, fake_stripe)  # the events come later: nothing is unlocked or processed twice
    assert len(rows(paying_app, Task)) == len({task.response_id for task in rows(paying_app, Task)})


def test_a_downgrade_removes_nothing_and_new_things_wait_until_within_the_plan(paying_app, fake_stripe):
    owner = owner_of(paying_app)
    subscribe(paying_app, fake_stripe, owner)
    for name in ("One", "Two", "Three"):
        assert add_touchpoint(owner, name=name).status_code == 302
    subscription_id = account(paying_app).subscription_id
    fake_stripe.set_subscription(subscription_id, status="canceled")
    deliver(paying_app, fake_stripe)
    assert plan(paying_app) == "free"
    with paying_app.app_context(), unscoped():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Touchpoint).where(Touchpoint.active)) == 3
    assert add_touchpoint(owner, name="Four").status_code == 422
    assert "You use more than this plan includes" in owner.get("/billing/").get_data(as_text=True)
    _answers(paying_app, touchpoint_named(paying_app, "Three").token, 101)
    assert _state_counts(paying_app)[ResponseState.LOCKED] == 1  # the free quota, kept and locked


def test_deleting_a_business_ends_its_stripe_subscription_and_refuses_while_stripe_is_down(paying_app, fake_stripe):
    owner = owner_of(paying_app)
    subscription_id = subscribe(paying_app, fake_stripe, owner)
    tenant_id = account(paying_app).tenant_id
    admin, _secret = verified_admin(paying_app)
    fake_stripe.outage(True)
    refused = act(admin, tenant_id, "delete", slug="shop-of-owner-shop-example", reason="Closed")
    assert refused.status_code == 422 and "Payments are not available" in refused.get_data(as_text=True)
    assert rows(paying_app, AdminAuditEvent) == []
    fake_stripe.outage(False)

    assert act(admin, tenant_id, "delete", slug="shop-of-owner-shop-example", reason="Closed").status_code == 302
    [ended] = [event for event in fake_stripe.events() if event["type"] == "customer.subscription.deleted"]
    assert ended["data"]["object"]["id"] == subscription_id
    assert (account(paying_app).status, plan(paying_app)) == ("canceled", "free")
    [event] = rows(paying_app, AdminAuditEvent)
    assert event.after["subscription_cancelled"] == subscription_id
