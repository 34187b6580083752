"""Which plan a tenant may use: the one function every limit asks, through the tenant's `plan`.

The effective plan is computed from the billing account (a comp a platform admin granted, else the
mirror of the Stripe subscription) and written to `tenant.plan`, which every limit check reads: a survey
submission pays for no extra query. It is written again whenever the mirror changes (billing.sync) and
when a deadline passes (the grace of a failed payment, the end of a comp: sweep_entitlements)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from billing.models import BillingAccount, PlanChange
from billing.plans import DEFAULT_PLAN, PLANS
from saas.core.extensions import db
from saas.core.timeutil import as_utc, utcnow

PAYING = {"active", "trialing"}


def effective_plan(account: BillingAccount, now: datetime | None = None, grace_days: int | None = None) -> str:
    """A comp while it lasts; else the subscription's plan while it is paid for, or past due within the
    grace period counted from the first failed payment; else free."""
    now = now or utcnow()
    grace = timedelta(days=current_app.config["BILLING_GRACE_DAYS"] if grace_days is None else grace_days)
    if account.comp_plan in PLANS and (account.comp_until is None or now < as_utc(account.comp_until)):
        return account.comp_plan
    if account.plan not in PLANS:
        return DEFAULT_PLAN
    if account.status in PAYING:
        return account.plan
    if account.status == "past_due" and account.past_due_since and now < _grace_end(account, grace):
        return account.plan
    return DEFAULT_PLAN


def grace_ends(account: BillingAccount) -> datetime | None:
    """When a past-due subscription stops counting as paid (None unless past due)."""
    if account.status != "past_due" or account.past_due_since is None:
        return None
    return _grace_end(account, timedelta(days=current_app.config["BILLING_GRACE_DAYS"]))


def _grace_end(account: BillingAccount, grace: timedelta) -> datetime:
    """The grace counted from the first failed payment, or later where a platform admin extended it."""
    counted = as_utc(account.past_due_since) + grace
    return max(counted, as_utc(account.grace_until)) if account.grace_until else counted


def apply(tenant, account: BillingAccount, now: datetime | None = None) -> bool:
    """Write the effective plan to the tenant, and the change to its history; whether it changed."""
    plan = effective_plan(account, now)
    if tenant.plan == plan:
        return False
    db.session.add(PlanChange(tenant_id=tenant.id, from_plan=tenant.plan, to_plan=plan, changed_at=now or utcnow()))
    tenant.plan = plan
    return True
