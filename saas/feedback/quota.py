"""The monthly response quota from the business's side: owners told at 80% and 100% of it, once a month
each, and the answers locked over it unlocked when the plan grows (oldest first, month by month, up to
each month's new quota). The caller commits; unlocked answers are then processed like any other."""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from billing import plans
from billing.usage import month_of
from saas.core.extensions import db
from saas.core.outbox import queue_email
from saas.core.scoping import tenant_scope
from saas.core.urls import absolute_url
from saas.feedback.models import Response, ResponseState
from tenants import services

WARN_AT = (0.8, 1.0)
# Counted in the month's quota and not waiting behind it: what a locked answer must fit beside.
_COUNTED = (ResponseState.RECEIVED, ResponseState.CATEGORISED, ResponseState.DONE)


def thresholds(limit: int) -> dict[int, int]:
    """The counts at which owners hear about the quota: count → percent."""
    return {max(1, math.ceil(limit * share)): round(share * 100) for share in WARN_AT}


def warn_if_crossing(tenant, count: int) -> None:
    """Called with each new monthly count (the atomic upsert gives each count to exactly one request):
    at 80% and at 100% of the quota, each owner gets one email with the way up."""
    limit = plans.plan_for(tenant).responses_per_month
    if limit is plans.UNLIMITED:
        return
    percent = thresholds(limit).get(count)
    if percent is None:
        return
    for owner in services.owners(tenant):
        queue_email(
            f"quota_{percent}", owner.user.email, "quota_warning", locale=owner.user.locale, tenant_id=tenant.id,
            tenant=tenant, owner=owner.user, percent=percent, count=count, limit=limit,
            plan=plans.plan_for(tenant), link=absolute_url("billing.index"),
        )


def unlock_within_quota(tenant) -> list[int]:
    """Unlock the locked answers the plan now has room for, oldest first, month by month; their ids."""
    limit = plans.plan_for(tenant).responses_per_month
    with tenant_scope(tenant.id):
        locked = db.session.scalars(
            select(Response).where(Response.tenant_id == tenant.id, Response.state == ResponseState.LOCKED)
            .order_by(Response.created_at, Response.id).with_for_update()
        ).all()
        by_month = defaultdict(list)
        for response in locked:
            by_month[month_of(response.created_at)].append(response)
        unlocked = []
        for month, waiting in sorted(by_month.items()):
            room = len(waiting) if limit is plans.UNLIMITED else max(0, limit - _counted_in(tenant.id, month))
            for response in waiting[:room]:
                response.state = ResponseState.RECEIVED
                unlocked.append(response.id)
        db.session.flush()
        return unlocked


def _counted_in(tenant_id: int, month: date) -> int:
    start = datetime(month.year, month.month, 1, tzinfo=timezone.utc)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=timezone.utc)
    return db.session.scalar(select(func.count(Response.id)).where(
        Response.tenant_id == tenant_id, Response.state.in_(_COUNTED),
        Response.created_at >= start, Response.created_at < end,
    ))
