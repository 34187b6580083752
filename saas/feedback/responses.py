"""Reading responses back: the filtered, paginated list owners and staff see."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from saas.core.sql import paginate
from saas.core.timeutil import utcnow
from saas.feedback.metrics import METRICS, Band
from saas.feedback.models import Response, ResponseCategory


@dataclass(frozen=True)
class Period:
    days: int
    label: object  # a lazy string


# The periods the lists filter by, in the order they are offered.
PERIODS = {
    "7d": Period(7, _l("Last 7 days")),
    "30d": Period(30, _l("Last 30 days")),
    "90d": Period(90, _l("Last 90 days")),
    "365d": Period(365, _l("Last year")),
}


@dataclass
class ResponseFilter:
    touchpoint_id: int | None = None
    band: Band | None = None
    period: str | None = None
    category_id: int | None = None


def band_condition(band: Band):
    """A band means different scores on each scale; responses keep the scale they were given on."""
    clauses = []
    for key, scale in METRICS.items():
        low, high = scale.band_range(band)
        clauses.append(and_(Response.metric == key, Response.score.between(low, high)))
    return or_(*clauses)


def filtered_query(tenant_id: int, chosen: ResponseFilter):
    query = select(Response).where(Response.tenant_id == tenant_id)
    if chosen.touchpoint_id:
        query = query.where(Response.touchpoint_id == chosen.touchpoint_id)
    if chosen.band:
        query = query.where(band_condition(chosen.band))
    if chosen.category_id:
        query = query.where(Response.categories.any(ResponseCategory.category_id == chosen.category_id))
    if chosen.period in PERIODS:
        query = query.where(Response.created_at >= utcnow() - timedelta(days=PERIODS[chosen.period].days))
    return query.order_by(Response.created_at.desc(), Response.id.desc())


def page_of_responses(tenant_id: int, chosen: ResponseFilter, page: int):
    return paginate(filtered_query(tenant_id, chosen), page)
