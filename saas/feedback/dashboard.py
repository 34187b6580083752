"""The key metric for a period, beside the period before it, for the whole business or one touchpoint, and
per touchpoint: read from the kept counts (saas.feedback.stats), with days in the business's time zone."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.core.timeutil import utcnow
from saas.feedback import stats
from saas.feedback.models import Category, Response, ResponseState, Touchpoint
from saas.feedback.scores import KeyMetric, change_is_real, key_metric

PERIODS = {
    "7d": _l("Last 7 days"), "30d": _l("Last 30 days"), "90d": _l("Last 90 days"),
    "this_month": _l("This month"), "last_month": _l("Last month"), "this_quarter": _l("This quarter"),
}
DEFAULT_PERIOD = "30d"


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


def period_for(key: str, today: date) -> Period:
    """A named period ending today (or the last whole month), in local days; the default for an unknown key."""
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


def today_for(tenant) -> date:
    return stats.local_day(utcnow(), tenant)


@dataclass(frozen=True)
class TouchpointRow:
    touchpoint: Touchpoint
    now: KeyMetric
    before: KeyMetric

    @property
    def change(self) -> float | None:
        if self.now.value is None or self.before.value is None:
            return None
        return self.now.value - self.before.value


@dataclass(frozen=True)
class Bucket:
    first: date
    last: date
    metric: KeyMetric


def trend(days: dict[date, dict[int, int]], period: Period, metric: str) -> list[Bucket]:
    """The metric per day, week or month, chosen from the period's length (about 7 to 31 points)."""
    step = "day" if period.days <= 31 else "week" if period.days <= 180 else "month"
    buckets: list[Bucket] = []
    start = period.first
    while start <= period.last:
        if step == "day":
            end = start
        elif step == "week":
            end = start + timedelta(days=6)
        else:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        end = min(end, period.last)
        counts: dict[int, int] = {}
        day = start
        while day <= end:
            for score, count in days.get(day, {}).items():
                counts[score] = counts.get(score, 0) + count
            day += timedelta(days=1)
        buckets.append(Bucket(start, end, key_metric(metric, counts)))
        start = end + timedelta(days=1)
    return buckets


@dataclass(frozen=True)
class Driver:
    category: Category
    now: KeyMetric
    share: float  # % of the period's answers in this category
    share_before: float | None


def drivers(tenant, period: Period, now: KeyMetric, before: KeyMetric, touchpoint_id: int | None) -> list[Driver]:
    """Each category with answers in the period: its share of them, the change in share, and the metric among
    its answers; the ones pulling the score down first."""
    previous = period.previous()
    current = stats.by_category(tenant.id, tenant.metric, period.first, period.last, touchpoint_id)
    earlier = stats.by_category(tenant.id, tenant.metric, previous.first, previous.last, touchpoint_id)
    found = []
    for category in db.session.scalars(select(Category).where(Category.tenant_id == tenant.id)):
        if category.id not in current:
            continue
        metric = key_metric(tenant.metric, current[category.id])
        share_before = (100 * sum(earlier.get(category.id, {}).values()) / before.answers) if before.answers else None
        found.append(Driver(category, metric, 100 * metric.answers / max(1, now.answers), share_before))
    return sorted(found, key=lambda driver: (driver.now.value, -driver.now.answers))


@dataclass(frozen=True)
class Overview:
    period: Period
    now: KeyMetric
    before: KeyMetric
    change_real: bool | None
    touchpoints: list[TouchpointRow]
    locked: int
    trend: list[Bucket]
    channels: dict[str, int]
    languages: dict[str, int]
    drivers: list[Driver]

    @property
    def change(self) -> float | None:
        if self.now.value is None or self.before.value is None:
            return None
        return self.now.value - self.before.value


def overview(tenant, period: Period, touchpoint_id: int | None = None) -> Overview:
    metric = tenant.metric
    previous = period.previous()
    with tenant_scope(tenant.id):
        now = key_metric(metric, stats.distribution(tenant.id, metric, period.first, period.last, touchpoint_id))
        before = key_metric(metric, stats.distribution(tenant.id, metric, previous.first, previous.last,
                                                       touchpoint_id))
        current = stats.distribution_by_touchpoint(tenant.id, metric, period.first, period.last)
        earlier = stats.distribution_by_touchpoint(tenant.id, metric, previous.first, previous.last)
        rows = [TouchpointRow(touchpoint, key_metric(metric, current.get(touchpoint.id, {})),
                              key_metric(metric, earlier.get(touchpoint.id, {})))
                for touchpoint in db.session.scalars(
                    select(Touchpoint).where(Touchpoint.tenant_id == tenant.id).order_by(Touchpoint.name))]
        locked = db.session.scalar(select(func.count(Response.id)).where(
            Response.tenant_id == tenant.id, Response.state == ResponseState.LOCKED))
        buckets = trend(stats.daily(tenant.id, metric, period.first, period.last, touchpoint_id), period, metric)
        channels = stats.answers_by("channel", tenant.id, period.first, period.last, touchpoint_id)
        languages = stats.answers_by("locale", tenant.id, period.first, period.last, touchpoint_id)
        topics = drivers(tenant, period, now, before, touchpoint_id)
    return Overview(period, now, before, change_is_real(now, before), rows, locked, buckets, channels, languages,
                    topics)
