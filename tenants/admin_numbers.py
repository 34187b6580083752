"""What the platform admins read across every tenant (callers run unscoped): the overview's counts, revenue
and health, and the operations pages' emails and Stripe events."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, literal, or_, select

from billing.models import BillingAccount, EventStatus, PlanChange, StripeEvent
from billing.plans import PLANS
from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.sql import paginate
from saas.core.timeutil import as_utc, utcnow
from tenants.models import Tenant, TenantStatus


@dataclass(frozen=True)
class PlanRow:
    plan: str
    active: int
    suspended: int
    deleted: int

    @property
    def name(self):
        """The plan's name in the reader's language (the key, for a plan no longer offered)."""
        return PLANS[self.plan].name if self.plan in PLANS else self.plan

    @property
    def total(self) -> int:
        return self.active + self.suspended + self.deleted


def tenants_by_plan_and_status() -> list[PlanRow]:
    """One row per plan (every plan offered, then any other found), with its tenants by status."""
    counts: dict[tuple[str, TenantStatus], int] = {
        (plan, status): count for plan, status, count in db.session.execute(
            select(Tenant.plan, Tenant.status, func.count(Tenant.id)).group_by(Tenant.plan, Tenant.status))
    }
    plans = list(dict.fromkeys([*PLANS, *(plan for plan, _status in counts)]))
    return [PlanRow(plan, *(counts.get((plan, status), 0) for status in
                            (TenantStatus.ACTIVE, TenantStatus.SUSPENDED, TenantStatus.DELETED))) for plan in plans]


# --- revenue ------------------------------------------------------------------------------------------------

REVENUE_STATUSES = ("active", "past_due")  # paid for, or within the grace of a failed payment; not trials


@dataclass(frozen=True)
class Revenue:
    plan: str
    currency: str
    subscriptions: int
    monthly: float  # in the currency's smallest unit (cents)

    @property
    def name(self):
        return PLANS[self.plan].name if self.plan in PLANS else self.plan


def monthly_amount():
    """An account's monthly recurring revenue in the mirror, as SQL (cents; a yearly price counts a twelfth;
    0 unless active or past due with a known price: trials and comps are not revenue)."""
    return case((and_(BillingAccount.status.in_(REVENUE_STATUSES), BillingAccount.amount.is_not(None)),
                 case((BillingAccount.interval == "year", BillingAccount.amount / 12.0), else_=BillingAccount.amount)),
                else_=literal(0))


def monthly_revenue() -> list[Revenue]:
    """Monthly recurring revenue from the subscription mirror, by plan and currency."""
    rows = db.session.execute(
        select(BillingAccount.plan, func.lower(BillingAccount.currency), func.count(BillingAccount.id),
               func.sum(monthly_amount()))
        .where(BillingAccount.status.in_(REVENUE_STATUSES), BillingAccount.amount.is_not(None))
        .group_by(BillingAccount.plan, func.lower(BillingAccount.currency))).all()
    return sorted((Revenue(plan or "?", currency or "?", count, float(monthly)) for plan, currency, count, monthly in rows),
                  key=lambda row: (_plan_rank(row.plan), row.currency))


def revenue_totals(rows: list[Revenue]) -> dict[str, float]:
    """The monthly total per currency."""
    totals: dict[str, float] = {}
    for row in rows:
        totals[row.currency] = totals.get(row.currency, 0) + row.monthly
    return totals


def _plan_rank(plan: str) -> int:
    order = list(PLANS)
    return order.index(plan) if plan in order else len(order)


# --- sign-ups and upgrades ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    starts: date  # a Monday (UTC)
    signups: int
    upgrades: int


def weekly_growth(weeks: int = 12, today: date | None = None) -> list[Week]:
    """Businesses signed up and plans upgraded (to a bigger plan, paid or comped) per week, oldest first."""
    today = today or utcnow().date()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    since = datetime.combine(first, time.min, timezone.utc)
    signups = Counter(_monday(moment) for moment in db.session.scalars(
        select(Tenant.created_at).where(Tenant.created_at >= since)))
    upgrades = Counter(_monday(moment) for moment, before, after in db.session.execute(
        select(PlanChange.changed_at, PlanChange.from_plan, PlanChange.to_plan).where(PlanChange.changed_at >= since))
        if _plan_rank(after) > _plan_rank(before))
    mondays = [first + timedelta(weeks=index) for index in range(weeks)]
    return [Week(monday, signups[monday], upgrades[monday]) for monday in mondays]


def _monday(moment: datetime) -> date:
    day = as_utc(moment).date()
    return day - timedelta(days=day.weekday())


# --- health ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    pending: int
    failed: int


def outbox_backlog() -> Backlog:
    counts = dict(db.session.execute(select(Message.status, func.count(Message.id))
                                     .where(Message.status != MessageStatus.SENT).group_by(Message.status)).all())
    return Backlog(counts.get(MessageStatus.PENDING, 0), counts.get(MessageStatus.FAILED, 0))


def stripe_event_backlog() -> Backlog:
    """Events waiting to be acted on, and those of them whose last attempt failed (Stripe unreachable)."""
    pending, failed = db.session.execute(
        select(func.count(StripeEvent.id), func.count(StripeEvent.last_error))
        .where(StripeEvent.status == EventStatus.PENDING)).one()
    return Backlog(pending, failed)


# --- operations: the outbox and Stripe's events, a page at a time -----------------------------------------------


def messages(status: str = "failed", tenant_slug: str = "", page: int = 1):
    """A page of emails by status (failed unless asked otherwise), newest first."""
    wanted = status if status in {s.value for s in MessageStatus} else MessageStatus.FAILED.value
    query = (select(Message).outerjoin(Tenant, Tenant.id == Message.tenant_id)
             .where(Message.status == MessageStatus(wanted)).order_by(Message.created_at.desc(), Message.id.desc()))
    if tenant_slug.strip():
        query = query.where(Tenant.slug == tenant_slug.strip().lower())
    return paginate(query, page)


def slugs_of(tenant_ids) -> dict[int, str]:
    ids = {tenant_id for tenant_id in tenant_ids if tenant_id}
    return dict(db.session.execute(select(Tenant.id, Tenant.slug).where(Tenant.id.in_(ids))).all()) if ids else {}


EMAIL = re.compile(r"([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")


def masked(text: str) -> str:
    """An address (or every address in an error) the operator can reason about, by its domain, without
    reading whose it is."""
    return EMAIL.sub(r"\1***@\2", text or "")


def stripe_events(status: str = "", search: str = "", page: int = 1):
    """A page of Stripe's events, newest first: by status ("failed": pending with an error) and by the
    event's or customer's id or the event type."""
    query = select(StripeEvent).order_by(StripeEvent.received_at.desc(), StripeEvent.id.desc())
    if status == "failed":
        query = query.where(StripeEvent.status == EventStatus.PENDING, StripeEvent.last_error.is_not(None))
    elif status in {s.value for s in EventStatus}:
        query = query.where(StripeEvent.status == EventStatus(status))
    if search.strip():
        term = search.strip()
        query = query.where(or_(StripeEvent.stripe_id == term, StripeEvent.customer_id == term,
                                StripeEvent.type.like(f"%{term}%")))
    return paginate(query, page)
