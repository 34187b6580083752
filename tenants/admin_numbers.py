"""What the platform admins' overview counts, across every tenant (callers run it unscoped)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from billing.plans import PLANS
from saas.core.extensions import db
from tenants.models import Tenant, TenantStatus


@dataclass(frozen=True)
class PlanRow:
    plan: str
    active: int
    suspended: int

    @property
    def name(self):
        """The plan's name in the reader's language (the key, for a plan no longer offered)."""
        return PLANS[self.plan].name if self.plan in PLANS else self.plan

    @property
    def total(self) -> int:
        return self.active + self.suspended


def tenants_by_plan_and_status() -> list[PlanRow]:
    """One row per plan (every plan offered, then any other found), with its active and suspended tenants."""
    counts: dict[tuple[str, TenantStatus], int] = {
        (plan, status): count for plan, status, count in db.session.execute(
            select(Tenant.plan, Tenant.status, func.count(Tenant.id)).group_by(Tenant.plan, Tenant.status))
    }
    plans = list(dict.fromkeys([*PLANS, *(plan for plan, _status in counts)]))
    return [PlanRow(plan, counts.get((plan, TenantStatus.ACTIVE), 0), counts.get((plan, TenantStatus.SUSPENDED), 0))
            for plan in plans]
