"""What the dashboard, its exports and its digest look at: a period of the business's local days, and
optionally one touchpoint, one topic and one language; all of it in the URL, so a view can be shared."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.core.timeutil import local_days
from saas.feedback import stats
from saas.feedback.models import COUNTED_STATES, Response, ResponseCategory

PERIODS = {
    "7d": _l("Last 7 days"), "30d": _l("Last 30 days"), "90d": _l("Last 90 days"),
    "this_month": _l("This month"), "last_month": _l("Last month"), "this_quarter": _l("This quarter"),
    "custom": _l("Dates of your choice"),
}
DEFAULT_PERIOD = "30d"
LONGEST_PERIOD = timedelta(days=3 * 366)


@dataclass(frozen=True)
class Period:
    key: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        last = self.first - timedelta(days=1)
        return Period(self.key, last - timedelta(days=self.days - 1), last)


def period_for(key: str, today: date, first: str = "", last: str = "") -> Period:
    """A named period ending today (or the last whole month), or the days first…last (ISO dates) of a custom
    one, in local days; the default period for anything that cannot be read (see custom_period)."""
    if key == "custom":
        return custom_period(first, last, today) or period_for(DEFAULT_PERIOD, today)
    if key == "this_month":
        return Period(key, today.replace(day=1), today)
    if key == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(key, last.replace(day=1), last)
    if key == "this_quarter":
        return Period(key, today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1), today)
    days = {"7d": 7, "30d": 30, "90d": 90}.get(key)
    if days is None:
        return period_for(DEFAULT_PERIOD, today)
    return Period(key, today - timedelta(days=days - 1), today)


def custom_period(first: str, last: str, today: date) -> Period | None:
    """The days first…last if they are dates, in order, not in the future and at most three years apart."""
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except (TypeError, ValueError):
        return None
    if start > end or end > today or end - start > LONGEST_PERIOD:
        return None
    return Period("custom", start, end)


@dataclass(frozen=True)
class Filters:
    """What the dashboard shows: a period, and optionally one touchpoint, one topic, one language."""

    period: Period
    touchpoint_id: int | None = None
    category_id: int | None = None
    locale: str | None = None

    def slice(self, tenant, period: Period | None = None) -> stats.Slice:
        period = period or self.period
        return stats.Slice(tenant.id, tenant.metric, period.first, period.last, self.touchpoint_id,
                           self.category_id, self.locale)

    def previous(self) -> Filters:
        return replace(self, period=self.period.previous())

    def query_args(self, **changes) -> dict:
        """The filters as URL parameters (a view can be bookmarked), with `changes` made."""
        args = {"period": self.period.key, "touchpoint": self.touchpoint_id, "category": self.category_id,
                "language": self.locale}
        if self.period.key == "custom":
            args.update({"from": self.period.first.isoformat(), "to": self.period.last.isoformat()})
        args.update(changes)
        return {key: value for key, value in args.items() if value is not None}


def answers_in(tenant, filters: Filters, query):
    """The query narrowed to the counted answers (not locked, not held) the filters name."""
    start, end = local_days(filters.period.first, filters.period.last, tenant)
    query = query.where(Response.tenant_id == tenant.id, Response.state.in_(COUNTED_STATES),
                        Response.created_at >= start, Response.created_at < end)
    return narrowed(filters, query)


def narrowed(filters: Filters, query):
    """The query (on Response) narrowed to the filters' touchpoint, topic and language, whatever the period."""
    if filters.touchpoint_id is not None:
        query = query.where(Response.touchpoint_id == filters.touchpoint_id)
    if filters.locale:
        query = query.where(Response.locale == filters.locale)
    if filters.category_id is not None:
        query = query.where(Response.id.in_(select(ResponseCategory.response_id)
                                            .where(ResponseCategory.category_id == filters.category_id)))
    return query
