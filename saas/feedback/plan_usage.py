"""What a tenant uses of its plan this month, for the billing page: responses, active touchpoints and
seats against their limits, and the answers locked over the quota waiting for a bigger plan."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from billing import plans, usage
from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.feedback import touchpoints
from saas.feedback.models import Response, ResponseState
from tenants import services


@dataclass(frozen=True)
class Meter:
    used: int
    limit: int | None  # None: unlimited

    @property
    def percent(self) -> int:
        return 0 if not self.limit else min(100, round(100 * self.used / self.limit))

    @property
    def over(self) -> bool:
        return self.limit is not None and self.used > self.limit


@dataclass(frozen=True)
class UsageSummary:
    responses: Meter
    touchpoints: Meter
    seats: Meter
    locked: int


def usage_summary(tenant) -> UsageSummary:
    plan = plans.plan_for(tenant)
    with tenant_scope(tenant.id):
        responses = usage.this_month(tenant.id)
        active = touchpoints.active_count(tenant)
        locked = db.session.scalar(select(func.count(Response.id)).where(
            Response.tenant_id == tenant.id, Response.state == ResponseState.LOCKED))
        seats = services.seats_in_use(tenant)
    return UsageSummary(Meter(responses, plan.responses_per_month), Meter(active, plan.touchpoints),
                        Meter(seats, plan.seats), locked)
