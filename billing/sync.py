"""The mirror of each billing account's subscription, kept right from Stripe, and the webhook events that
say when to look again. Events come at least once, late and out of order, so an event is only a reason to
re-read the customer's subscription from Stripe (mirror_subscription), never a source of what to write;
an event older than the newest one applied changes nothing. The caller commits; tenants.billing applies
the result to the tenant's plan."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select

from billing import stripe_api
from billing.models import BillingAccount, EventStatus, StripeEvent
from saas.core.extensions import db
from saas.core.sql import insert
from saas.core.timeutil import as_utc, utcnow

# The events that may change what a customer pays for; any other is stored and ignored.
HANDLED = frozenset({
    "checkout.session.completed", "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed",
})


def _moment(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, timezone.utc) if timestamp else None


def mirror_subscription(account: BillingAccount, now: datetime | None = None) -> None:
    """Write what Stripe says now of the account's customer's subscription."""
    now = now or utcnow()
    subscription = stripe_api.current_subscription(account.stripe_customer_id) if account.stripe_customer_id else None
    account.synced_at = now
    if subscription is None:
        account.subscription_id = account.status = account.price_id = account.plan = account.interval = None
        account.amount = account.currency = None
        account.current_period_end = account.trial_end = account.past_due_since = account.grace_until = None
        account.cancel_at_period_end = False
        return
    item = subscription["items"].data[0]
    plan_interval = stripe_api.plan_of(item.price.lookup_key) or (None, None)
    account.subscription_id, account.status, account.price_id = subscription.id, subscription.status, item.price.id
    account.plan, account.interval = plan_interval
    account.amount = (item.price.unit_amount or 0) * (getattr(item, "quantity", None) or 1)
    account.currency = item.price.currency
    # Newer API versions keep the period on the item; older ones on the subscription.
    account.current_period_end = _moment(getattr(item, "current_period_end", None)
                                         or getattr(subscription, "current_period_end", None))
    account.cancel_at_period_end = bool(subscription.cancel_at_period_end)
    account.trial_end = _moment(getattr(subscription, "trial_end", None))
    if subscription.status != "past_due":
        account.past_due_since = account.grace_until = None
    elif account.past_due_since is None:
        account.past_due_since = now  # the grace period counts from the first failed payment seen


def record_event(payload: bytes, signature: str) -> tuple[int, bool]:
    """Verify and store a webhook event: (its row id, whether it is new). Raises
    stripe.SignatureVerificationError or ValueError for anything Stripe did not sign for us."""
    stripe_api.construct_event(payload, signature)
    event = json.loads(payload)
    data = (event.get("data") or {}).get("object") or {}
    customer = data.get("customer") if isinstance(data.get("customer"), str) else None
    row_id = db.session.execute(
        insert(StripeEvent).values(
            stripe_id=event["id"], type=event.get("type", ""), created=_moment(event.get("created")) or utcnow(),
            customer_id=customer, payload=event, status=EventStatus.PENDING, attempts=0, received_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=[StripeEvent.stripe_id]).returning(StripeEvent.id)
    ).scalar_one_or_none()
    if row_id is not None:
        return row_id, True
    return db.session.scalar(select(StripeEvent.id).where(StripeEvent.stripe_id == event["id"])), False


def claim_event(event_id: int) -> tuple[StripeEvent | None, BillingAccount | None]:
    """A pending event to act on and the account it concerns (locked); events the app does not act on,
    whose customer it does not know, or older than the newest applied, are marked ignored and give no
    account."""
    event = db.session.scalar(select(StripeEvent).where(StripeEvent.id == event_id).with_for_update())
    if event is None or event.status != EventStatus.PENDING:
        return None, None
    event.attempts += 1
    account = None
    if event.type in HANDLED and event.customer_id:
        account = db.session.scalar(
            select(BillingAccount).where(BillingAccount.stripe_customer_id == event.customer_id).with_for_update()
        )
    if account is None or (account.last_event_at and as_utc(event.created) < as_utc(account.last_event_at)):
        finish_event(event, EventStatus.IGNORED)
        return event, None
    return event, account


def finish_event(event: StripeEvent, status: EventStatus, account: BillingAccount | None = None) -> None:
    event.status, event.processed_at, event.last_error = status, utcnow(), None
    if account is not None and (account.last_event_at is None or as_utc(event.created) > as_utc(account.last_event_at)):
        account.last_event_at = event.created


def fail_event(event_id: int, error: str) -> None:
    """Processing failed (Stripe unreachable): the event stays pending, for the job's retry and the sweep."""
    event = db.session.get(StripeEvent, event_id)
    if event is not None:
        event.last_error = error[:2000]


def replay_event(event: StripeEvent) -> None:
    """Act on an event again: it is pending once more (the caller commits and enqueues its processing). As
    for any event, that re-reads the customer's subscription; an event older than the newest applied is
    ignored again."""
    event.status, event.processed_at, event.last_error = EventStatus.PENDING, None, None


def pending_events(older_than: datetime, limit: int = 200) -> list[int]:
    return list(db.session.scalars(
        select(StripeEvent.id).where(StripeEvent.status == EventStatus.PENDING, StripeEvent.received_at < older_than)
        .order_by(StripeEvent.id).limit(limit)
    ))
