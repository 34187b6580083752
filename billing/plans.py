"""The plans (DESIGN §5) as data, and the questions the rest of the app asks about them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from saas.extensions import db
from saas.timeutil import utcnow
from tenants.models import Invitation, Membership

UNLIMITED = None


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    responses_per_month: int | None
    touchpoints: int | None
    seats: int | None


PLANS: dict[str, Plan] = {
    plan.key: plan
    for plan in (
        Plan("free", "Free", responses_per_month=100, touchpoints=2, seats=2),
        Plan("starter", "Starter", responses_per_month=1_000, touchpoints=10, seats=5),
        Plan("pro", "Pro", responses_per_month=10_000, touchpoints=UNLIMITED, seats=25),
    )
}
DEFAULT_PLAN = "free"


def plan_for(tenant) -> Plan:
    return PLANS.get(tenant.plan, PLANS[DEFAULT_PLAN])


def seats_in_use(tenant) -> int:
    """Members plus invitations still waiting: an invitation holds its seat until it lapses."""
    members = db.session.scalar(select(func.count(Membership.id)).where(Membership.tenant_id == tenant.id))
    pending = db.session.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.tenant_id == tenant.id,
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    return members + pending


def may_add_seat(tenant) -> bool:
    limit = plan_for(tenant).seats
    return limit is UNLIMITED or seats_in_use(tenant) < limit


def may_add_touchpoint(tenant, active_touchpoints: int) -> bool:
    limit = plan_for(tenant).touchpoints
    return limit is UNLIMITED or active_touchpoints < limit


def is_over_response_quota(tenant, responses_this_month: int) -> bool:
    """True for the response that made this month's count exceed the plan: it is kept, locked."""
    limit = plan_for(tenant).responses_per_month
    return limit is not UNLIMITED and responses_this_month > limit
