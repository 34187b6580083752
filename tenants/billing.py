"""A tenant's billing, from the tenant's side: its billing account, the plan it may use, and what changes
them (Checkout, the Customer Portal, Stripe's events, deadlines passing). The Stripe calls and the mirror
are billing's; this module knows the tenant and writes its plan. The caller commits."""
from __future__ import annotations

from datetime import datetime, timedelta

import stripe
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from billing import entitlement, stripe_api
from billing import sync as mirror
from billing.models import BillingAccount, EventStatus
from billing.plans import PLANS
from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.outbox import queue_email
from saas.core.scoping import tenant_scope, unscoped
from saas.core.timeutil import local_time, utcnow
from saas.core.urls import absolute_url
from tenants import services
from tenants.models import Tenant, User

PENDING_TOO_LONG = timedelta(minutes=5)


class BillingUnavailable(Refusal):
    """Stripe could not be reached or refused: said in words, nothing changed."""

    def __init__(self):
        super().__init__(_l("Payments are not available right now. Please try again in a few minutes."))


def account_of(tenant: Tenant, lock: bool = False) -> BillingAccount:
    """The tenant's billing account, made on first need (by a change: reading uses current_account)."""
    account = _stored_account(tenant, lock)
    if account is None:
        with tenant_scope(tenant.id):
            account = BillingAccount(tenant_id=tenant.id, cancel_at_period_end=False)
            db.session.add(account)
            db.session.flush()
    return account


def current_account(tenant: Tenant) -> BillingAccount:
    """The tenant's billing account to read, or a blank one (never saved) for a tenant that has none yet:
    looking at the Plan page writes nothing."""
    return _stored_account(tenant) or BillingAccount(tenant_id=tenant.id, cancel_at_period_end=False)


def _stored_account(tenant: Tenant, lock: bool = False) -> BillingAccount | None:
    with tenant_scope(tenant.id):
        query = select(BillingAccount).where(BillingAccount.tenant_id == tenant.id)
        return db.session.scalar(query.with_for_update() if lock else query)


def sync_subscription(tenant: Tenant, now: datetime | None = None) -> bool:
    """Re-read the tenant's subscription from Stripe into the mirror and apply it; whether the plan changed."""
    return _refresh(tenant, account_of(tenant, lock=True), now)


def _refresh(tenant: Tenant, account: BillingAccount, now: datetime | None = None) -> bool:
    """The mirror from Stripe, the plan from the mirror, and the owners told when a payment first fails."""
    failing_before = account.past_due_since is not None
    mirror.mirror_subscription(account, now)
    if account.past_due_since is not None and not failing_before:
        _tell_owners_payment_failed(tenant, account)
    return entitlement.apply(tenant, account, now)


def _tell_owners_payment_failed(tenant: Tenant, account: BillingAccount) -> None:
    for owner in services.owners(tenant):
        queue_email(
            "payment_failed", owner.user.email, "payment_failed", locale=owner.user.locale, tenant_id=tenant.id,
            tenant=tenant, owner=owner.user, plan=PLANS[account.plan] if account.plan in PLANS else None,
            until=local_time(entitlement.grace_ends(account), tenant, "%Y-%m-%d"),
            link=absolute_url("billing.index"),
        )


def payment_failing_until(tenant: Tenant) -> datetime | None:
    """The end of the grace period while the tenant's subscription is past due; else None."""
    account = _stored_account(tenant)
    return entitlement.grace_ends(account) if account is not None else None


def has_live_subscription(account: BillingAccount) -> bool:
    return account.subscription_id is not None and account.status not in (None, "canceled", "incomplete_expired")


def start_checkout(tenant: Tenant, owner: User, plan: str, interval: str, success_url: str, cancel_url: str) -> str:
    """The Stripe Checkout page's address for this plan. A tenant with a subscription changes it in the
    portal: it never gets a second one."""
    if plan not in PLANS or plan == "free" or interval not in stripe_api.INTERVALS:
        raise Refusal(_l("Choose one of the plans shown."))
    account = account_of(tenant, lock=True)
    if has_live_subscription(account):
        raise Refusal(_l("You have a subscription already: change your plan with Manage billing."))
    try:
        price = stripe_api.prices().get((plan, interval))
        if price is None:
            raise Refusal(_l("This plan cannot be bought right now."))
        if account.stripe_customer_id is None:
            account.stripe_customer_id = stripe_api.create_customer(tenant.name, owner.email, tenant.id)
        return stripe_api.checkout_url(account.stripe_customer_id, price, tenant.id, success_url, cancel_url)
    except stripe.StripeError as error:
        raise BillingUnavailable() from error


def portal(tenant: Tenant, return_url: str) -> str:
    account = current_account(tenant)
    if account.stripe_customer_id is None:
        raise Refusal(_l("There is nothing to manage yet: choose a plan first."))
    try:
        return stripe_api.portal_url(account.stripe_customer_id, return_url)
    except stripe.StripeError as error:
        raise BillingUnavailable() from error


def end_subscription(tenant: Tenant) -> str | None:
    """Cancel the business's live subscription in Stripe now (the business is being deleted); its id, or
    None if it had none. Stripe unreachable: BillingUnavailable, nothing changed."""
    account = _stored_account(tenant, lock=True)
    if account is None or not has_live_subscription(account):
        return None
    try:
        stripe_api.cancel_subscription(account.subscription_id)
        _refresh(tenant, account)
    except stripe.StripeError as error:
        raise BillingUnavailable() from error
    return account.subscription_id


def returned_from_checkout(tenant: Tenant, session_id: str) -> tuple[BillingAccount, bool]:
    """The success page: never trusts the redirect. The session must be this tenant's customer's; then the
    subscription is read from Stripe once. The account, and whether the plan changed."""
    account, changed = current_account(tenant), False
    try:
        if account.stripe_customer_id and stripe_api.checkout_customer(session_id) == account.stripe_customer_id:
            changed = sync_subscription(tenant)
    except stripe.InvalidRequestError:
        pass  # a made-up or another account's session: nothing to read, the page says what the mirror says
    except stripe.StripeError as error:
        raise BillingUnavailable() from error
    return account, changed


def process_event(event_id: int) -> int | None:
    """Act on a stored webhook event: re-read its customer's subscription and apply it; the tenant's id if
    its plan changed. Raises stripe.StripeError when Stripe cannot be reached (the event stays pending)."""
    event, account = mirror.claim_event(event_id)
    if account is None:
        return None
    tenant = db.session.get(Tenant, account.tenant_id)
    changed = _refresh(tenant, account)
    mirror.finish_event(event, EventStatus.PROCESSED, account)
    return tenant.id if changed else None


def overdue_events(now: datetime | None = None) -> list[int]:
    """Events pending for too long (Stripe was down, a worker died): the sweep processes them again."""
    return mirror.pending_events((now or utcnow()) - PENDING_TOO_LONG)


def apply_deadlines(now: datetime | None = None) -> int:
    """Plans whose grace period or comp has ended fall back; how many tenants changed plan."""
    now = now or utcnow()
    accounts = db.session.scalars(select(BillingAccount).where(or_(
        BillingAccount.status == "past_due", BillingAccount.comp_until.is_not(None),
    ))).all()
    changed = 0
    for account in accounts:
        changed += entitlement.apply(db.session.get(Tenant, account.tenant_id), account, now)
    return changed


def sync_all(slug: str | None = None) -> list[tuple[int, str, str]]:
    """Every tenant with a Stripe customer (or the one with this slug) synced from Stripe; (id, slug, plan) of
    each. (Answers a bigger plan has room for are unlocked by the caller: worker.jobs.unlock_responses.)"""
    query = select(Tenant).join(BillingAccount, BillingAccount.tenant_id == Tenant.id).where(
        BillingAccount.stripe_customer_id.is_not(None))
    if slug:
        query = query.where(Tenant.slug == slug)
    synced = []
    with unscoped():
        for tenant in db.session.scalars(query).all():
            sync_subscription(tenant)
            synced.append((tenant.id, tenant.slug, tenant.plan))
    return synced
