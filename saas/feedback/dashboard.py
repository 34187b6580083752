"""The key metric for a period, beside the period before it, for the whole business or the answers the
filters name (a touchpoint, a topic, a language), with its trend, drivers, channels and loop health: read
from the kept counts (saas.feedback.stats), with days in the business's time zone."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.core.timeutil import utcnow
from saas.feedback import stats
from saas.feedback.filters import Filters, Period
from saas.feedback.loop_health import LoopHealth, loop_health
from saas.feedback.models import Category, Response, ResponseState, Touchpoint
from saas.feedback.scores import KeyMetric, change_is_real, key_metric


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


def drivers(tenant, filters: Filters, now: KeyMetric, before: KeyMetric) -> list[Driver]:
    """Each category with answers in the period: its share of them, the change in share, and the metric among
    its answers; the ones pulling the score down first."""
    current = stats.by_category(filters.slice(tenant))
    earlier = stats.by_category(filters.previous().slice(tenant))
    found = []
    for category in db.session.scalars(select(Category).where(Category.tenant_id == tenant.id)):
        if category.id not in current:
            continue
        metric = key_metric(tenant.metric, current[category.id])
        share_before = (100 * sum(earlier.get(category.id, {}).values()) / before.answers) if before.answers else None
        found.append(Driver(category, metric, 100 * metric.answers / max(1, now.answers), share_before))
    return sorted(found, key=lambda driver: (driver.now.value, -driver.now.answers))


def biggest_pulls(found: list[Driver], overall: KeyMetric, count: int = 3) -> list[Driver]:
    """The topics that cost the score the most points: below the overall value, by how far below times
    how many answers (one angry answer about payment weighs less than forty lukewarm ones about prices)."""
    if overall.value is None:
        return []
    below = [driver for driver in found if driver.now.value is not None and driver.now.value < overall.value]
    return sorted(below, key=lambda driver: (overall.value - driver.now.value) * driver.now.answers,
                  reverse=True)[:count]


@dataclass(frozen=True)
class Overview:
    filters: Filters
    now: KeyMetric
    before: KeyMetric
    change_real: bool | None
    touchpoints: list[TouchpointRow]
    locked: int
    trend: list[Bucket]
    channels: dict[str, int]
    languages: dict[str, int]
    drivers: list[Driver]
    loop: LoopHealth

    @property
    def period(self) -> Period:
        return self.filters.period

    @property
    def biggest_pulls(self) -> list[Driver]:
        return biggest_pulls(self.drivers, self.now)

    @property
    def change(self) -> float | None:
        if self.now.value is None or self.before.value is None:
            return None
        return self.now.value - self.before.value


def overview(tenant, filters: Filters) -> Overview:
    metric = tenant.metric
    with tenant_scope(tenant.id):
        here, earlier = filters.slice(tenant), filters.previous().slice(tenant)
        now = key_metric(metric, stats.distribution(here))
        before = key_metric(metric, stats.distribution(earlier))
        current, previous = stats.by_touchpoint(here), stats.by_touchpoint(earlier)
        rows = [TouchpointRow(touchpoint, key_metric(metric, current.get(touchpoint.id, {})),
                              key_metric(metric, previous.get(touchpoint.id, {})))
                for touchpoint in db.session.scalars(
                    select(Touchpoint).where(Touchpoint.tenant_id == tenant.id).order_by(Touchpoint.name))]
        locked = db.session.scalar(select(func.count(Response.id)).where(
            Response.tenant_id == tenant.id, Response.state == ResponseState.LOCKED))
        return Overview(
            filters, now, before, change_is_real(now, before), rows, locked,
            trend(stats.daily(here), filters.period, metric),
            stats.answers_by("channel", here), stats.answers_by("locale", here),
            drivers(tenant, filters, now, before), loop_health(tenant, filters),
        )
