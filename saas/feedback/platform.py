"""What platform admins read of the businesses, across every tenant (callers run unscoped): the list with
its usage and revenue, and one business's numbers. Numbers only: never a customer's comment or address."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select

from billing.models import BillingAccount, StripeEvent
from billing.plans import PLANS
from billing.usage import Usage, month_of
from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.sql import paginate
from saas.core.timeutil import utcnow
from saas.feedback.models import OPEN_STATUSES, Response, ResponseState, Task, TaskEvent, Touchpoint
from tenants.admin_numbers import monthly_amount
from tenants.models import Membership, Role, Tenant, TenantStatus, User

SUBSCRIPTION_FILTERS = ("active", "trialing", "past_due", "canceled", "none")


def _this_month_usage():
    return func.coalesce(Usage.responses, 0)


SORTS = {"signup": lambda: Tenant.created_at.desc(), "usage": lambda: _this_month_usage().desc(),
         "revenue": lambda: monthly_amount().desc()}


def tenants(search: str = "", plan: str = "", status: str = "", subscription: str = "", sort: str = "signup",
            page: int = 1):
    """A page of businesses: by name, slug or an owner's email; by plan, status and subscription status;
    newest first, or by this month's answers or by monthly revenue."""
    query = (select(Tenant)
             .outerjoin(BillingAccount, BillingAccount.tenant_id == Tenant.id)
             .outerjoin(Usage, and_(Usage.tenant_id == Tenant.id, Usage.month == month_of(utcnow()))))
    if search.strip():
        like = f"%{search.strip().lower()}%"
        owners = (select(Membership.tenant_id).join(Membership.user)
                  .where(Membership.role == Role.OWNER, func.lower(User.email).like(like)))
        query = query.where(or_(func.lower(Tenant.name).like(like), func.lower(Tenant.slug).like(like),
                                Tenant.id.in_(owners)))
    if plan:
        query = query.where(Tenant.plan == plan)
    if status in {s.value for s in TenantStatus}:
        query = query.where(Tenant.status == TenantStatus(status))
    if subscription == "none":
        query = query.where(BillingAccount.status.is_(None))
    elif subscription in SUBSCRIPTION_FILTERS:
        query = query.where(BillingAccount.status == subscription)
    order = SORTS.get(sort, SORTS["signup"])()
    return paginate(query.order_by(order, Tenant.created_at.desc(), Tenant.id.desc()), page)


@dataclass(frozen=True)
class TenantRow:
    tenant: Tenant
    owner_email: str | None
    seats: int
    touchpoints: int
    responses_this_month: int
    subscription: str | None
    monthly: float  # cents
    currency: str | None
    last_activity: datetime | None

    @property
    def plan(self):
        return PLANS.get(self.tenant.plan)


def rows_for(page_of_tenants) -> list[TenantRow]:
    """The list's columns for a page of businesses, a few grouped queries for the whole page."""
    ids = [tenant.id for tenant in page_of_tenants]

    def per_tenant(*columns, where=(), group=True):
        statement = select(*columns).where(*where)
        return dict(db.session.execute(statement.group_by(columns[0]) if group else statement).all())

    owners = per_tenant(Membership.tenant_id, func.min(User.email), where=(
        Membership.tenant_id.in_(ids), Membership.role == Role.OWNER, Membership.user_id == User.id))
    seats = per_tenant(Membership.tenant_id, func.count(Membership.id), where=(Membership.tenant_id.in_(ids),))
    touchpoints = per_tenant(Touchpoint.tenant_id, func.count(Touchpoint.id),
                             where=(Touchpoint.tenant_id.in_(ids), Touchpoint.active.is_(True)))
    used = per_tenant(Usage.tenant_id, Usage.responses, where=(Usage.tenant_id.in_(ids),
                                                               Usage.month == month_of(utcnow())), group=False)
    accounts = {account.tenant_id: (account, monthly) for account, monthly in db.session.execute(
        select(BillingAccount, monthly_amount()).where(BillingAccount.tenant_id.in_(ids)))}
    answered = per_tenant(Response.tenant_id, func.max(Response.created_at), where=(Response.tenant_id.in_(ids),))
    worked = per_tenant(TaskEvent.tenant_id, func.max(TaskEvent.created_at), where=(TaskEvent.tenant_id.in_(ids),))
    rows = []
    for tenant in page_of_tenants:
        account, monthly = accounts.get(tenant.id, (None, 0))
        moments = [moment for moment in (answered.get(tenant.id), worked.get(tenant.id)) if moment]
        rows.append(TenantRow(tenant, owners.get(tenant.id), seats.get(tenant.id, 0), touchpoints.get(tenant.id, 0),
                              used.get(tenant.id, 0), account.status if account else None,
                              float(monthly or 0), account.currency if account else None,
                              max(moments) if moments else None))
    return rows


def members_of(tenant: Tenant) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.tenant_id == tenant.id)
                                   .order_by(Membership.role, Membership.id)))


@dataclass(frozen=True)
class TenantNumbers:
    usage: list[tuple[date, int]]  # the last 12 months, oldest first
    touchpoints: int
    open_tasks: int
    overdue_tasks: int
    locked_responses: int
    failed_emails: int
    account: BillingAccount | None
    events: list[StripeEvent]


def numbers_of(tenant: Tenant, now: datetime | None = None) -> TenantNumbers:
    now = now or utcnow()
    months = _last_months(month_of(now), 12)
    used = dict(db.session.execute(select(Usage.month, Usage.responses)
                                   .where(Usage.tenant_id == tenant.id, Usage.month >= months[0])).all())
    open_tasks, overdue = db.session.execute(
        select(func.count(Task.id), func.count(Task.id).filter(Task.due_at < now))
        .where(Task.tenant_id == tenant.id, Task.status.in_(OPEN_STATUSES))).one()
    account = db.session.scalar(select(BillingAccount).where(BillingAccount.tenant_id == tenant.id))
    events = list(db.session.scalars(
        select(StripeEvent).where(StripeEvent.customer_id == account.stripe_customer_id)
        .order_by(StripeEvent.created.desc()).limit(20))) if account and account.stripe_customer_id else []
    return TenantNumbers(
        usage=[(month, used.get(month, 0)) for month in months],
        touchpoints=_count(Touchpoint.id, Touchpoint.tenant_id == tenant.id, Touchpoint.active.is_(True)),
        open_tasks=open_tasks, overdue_tasks=overdue,
        locked_responses=_count(Response.id, Response.tenant_id == tenant.id, Response.state == ResponseState.LOCKED),
        failed_emails=_count(Message.id, Message.tenant_id == tenant.id, Message.status == MessageStatus.FAILED),
        account=account, events=events)


def _count(column, *where) -> int:
    return db.session.scalar(select(func.count(column)).where(*where))


def _last_months(this_month: date, count: int) -> list[date]:
    months, year, month = [], this_month.year, this_month.month
    for _index in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]
