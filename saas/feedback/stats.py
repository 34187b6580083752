"""The counts the dashboard reads, kept up to date as answers are processed, so that a page costs the same
with ten thousand answers or a million: scores per business-local day, touchpoint, channel, language and
scale (DailyScore). An answer is in the numbers once the pipeline has processed it: locked answers (over
quota) and held ones (suspected spam) are not, until they are unlocked or released and processed.

Each answer remembers the score it is counted under (Response.stats_score), so a score changed within
the edit window moves its count. A change of the business's time zone moves days: rebuild() recounts a
business from its rows, and must always give what the running counts give (tests/test_stats.py)."""
from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, Integer, String, UniqueConstraint, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from saas.core.extensions import db
from saas.core.scoping import TenantScoped, tenant_scope
from saas.core.sql import execute_built, insert, insert_for
from saas.core.timeutil import as_utc, utcnow, zone_of
from saas.feedback.models import COUNTED_STATES as COUNTED
from saas.feedback.models import Response, ResponseCategory


class DailyScore(TenantScoped, db.Model):
    __table_args__ = (
        UniqueConstraint("tenant_id", "day", "touchpoint_id", "channel", "locale", "metric", "score",
                         name="uq_daily_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # in the business's time zone
    touchpoint_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(5))
    metric: Mapped[str] = mapped_column(String(4))
    score: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)


class DailyCategory(TenantScoped, db.Model):
    """DailyScore's counts per category too: what each topic does to the metric, and the dashboard
    filtered to one topic."""

    __table_args__ = (
        UniqueConstraint("tenant_id", "day", "touchpoint_id", "channel", "locale", "metric", "category_id", "score",
                         name="uq_daily_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    touchpoint_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(5))
    metric: Mapped[str] = mapped_column(String(4))
    category_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)


def local_day(moment, tenant) -> date:
    return as_utc(moment).astimezone(zone_of(tenant)).date()


def count_processed(response: Response, tenant, category_ids: list[int]) -> None:
    """The pipeline processed the answer: count it under its score and its categories (moving it from what
    it was counted under before, if its score or categories changed)."""
    day = local_day(response.created_at, tenant)
    if response.stats_score != response.score:
        if response.stats_score is not None:
            _add(tenant.id, day, response, response.stats_score, -1)
        _add(tenant.id, day, response, response.score, +1)
    _move_categories(tenant.id, day, response, category_ids)
    response.stats_score = response.score


def recategorised(response: Response, tenant, category_ids: list[int]) -> None:
    """A person corrected the categories of a counted answer: its topics' counts follow."""
    if response.stats_score is not None:
        _move_categories(tenant.id, local_day(response.created_at, tenant), response, category_ids)


def _move_categories(tenant_id: int, day: date, response: Response, category_ids: list[int]) -> None:
    before = (response.stats_score, sorted(response.stats_categories or []))
    after = (response.score, sorted(set(category_ids)))
    if before == after:
        return
    deltas: Counter = Counter()
    if before[0] is not None:
        for category_id in before[1]:
            deltas[(category_id, before[0])] -= 1
    for category_id in after[1]:
        deltas[(category_id, after[0])] += 1
    _add_categories(tenant_id, day, response, {key: delta for key, delta in deltas.items() if delta})
    response.stats_categories = after[1]


def _add_categories(tenant_id: int, day: date, response: Response, deltas: dict[tuple[int, int], int]) -> None:
    """One statement for every (category, score) count the answer moves."""
    if not deltas:
        return
    key = {"tenant_id": tenant_id, "day": day, "touchpoint_id": response.touchpoint_id,
           "channel": str(response.channel), "locale": response.locale, "metric": response.metric}
    execute_built(_add_categories_statement, [{**key, "category_id": category_id, "score": score, "count": delta}
                                              for (category_id, score), delta in deltas.items()])


@functools.cache
def _add_categories_statement(dialect: str):
    statement = insert_for(dialect)(DailyCategory)
    return statement.on_conflict_do_update(
        index_elements=[DailyCategory.tenant_id, DailyCategory.day, DailyCategory.touchpoint_id, DailyCategory.channel,
                        DailyCategory.locale, DailyCategory.metric, DailyCategory.category_id, DailyCategory.score],
        set_={"count": DailyCategory.count + statement.excluded.count},
    )


def _add(tenant_id: int, day: date, response: Response, score: int, delta: int) -> None:
    key = {"tenant_id": tenant_id, "day": day, "touchpoint_id": response.touchpoint_id,
           "channel": str(response.channel), "locale": response.locale, "metric": response.metric, "score": score}
    db.session.execute(insert(DailyScore).values(**key, count=delta).on_conflict_do_update(
        index_elements=[DailyScore.tenant_id, DailyScore.day, DailyScore.touchpoint_id, DailyScore.channel,
                        DailyScore.locale, DailyScore.metric, DailyScore.score],
        set_={"count": DailyScore.count + delta},
    ))


def platform_answers_per_day(days: int = 30, today: date | None = None) -> list[tuple[date, int]]:
    """Answers counted per day across every business (each in its own time zone), the last `days` days,
    oldest first; the caller runs unscoped."""
    today = today or utcnow().date()
    first = today - timedelta(days=days - 1)
    counts = dict(db.session.execute(select(DailyScore.day, func.sum(DailyScore.count))
                                     .where(DailyScore.day >= first).group_by(DailyScore.day)).all())
    return [(day, int(counts.get(day, 0))) for day in (first + timedelta(days=index) for index in range(days))]


def rebuild(tenant) -> int:
    """Recount the business from its processed answers (after a time-zone change, or to check); how many
    answers are counted."""
    with tenant_scope(tenant.id):
        db.session.execute(delete(DailyScore).where(DailyScore.tenant_id == tenant.id))
        counts: Counter = Counter()
        rows = db.session.execute(
            select(Response.created_at, Response.touchpoint_id, Response.channel, Response.locale, Response.metric,
                   Response.score).where(Response.tenant_id == tenant.id, Response.state.in_(COUNTED))
            .execution_options(yield_per=5000)
        )
        for created_at, touchpoint_id, channel, locale, metric, score in rows:
            counts[(local_day(created_at, tenant), touchpoint_id, str(channel), locale, metric, score)] += 1
        db.session.execute(update(Response).where(Response.tenant_id == tenant.id).values(
            stats_score=None))
        db.session.execute(update(Response).where(Response.tenant_id == tenant.id, Response.state.in_(COUNTED))
                           .values(stats_score=Response.score))
        if counts:
            db.session.execute(insert(DailyScore), [
                {"tenant_id": tenant.id, "day": day, "touchpoint_id": touchpoint_id, "channel": channel,
                 "locale": locale, "metric": metric, "score": score, "count": count}
                for (day, touchpoint_id, channel, locale, metric, score), count in counts.items()
            ])
        _rebuild_categories(tenant)
        return sum(counts.values())


def _rebuild_categories(tenant) -> None:
    db.session.execute(delete(DailyCategory).where(DailyCategory.tenant_id == tenant.id))
    counts: Counter = Counter()
    by_response: dict[int, list[int]] = {}
    for key, response_id, category_id in _category_rows(tenant):
        counts[key] += 1
        by_response.setdefault(response_id, []).append(category_id)
    for response_id, category_ids in by_response.items():
        db.session.execute(update(Response).where(Response.id == response_id)
                           .values(stats_categories=sorted(category_ids)))
    db.session.execute(update(Response).where(Response.tenant_id == tenant.id, Response.state.in_(COUNTED),
                                              Response.id.not_in(list(by_response) or [0]))
                       .values(stats_categories=[]))
    if counts:
        db.session.execute(insert(DailyCategory), [
            {"tenant_id": tenant.id, "day": day, "touchpoint_id": touchpoint_id, "channel": channel, "locale": locale,
             "metric": metric, "category_id": category_id, "score": score, "count": count}
            for (day, touchpoint_id, channel, locale, metric, category_id, score), count in counts.items()
        ])


def _category_rows(tenant):
    """((day, touchpoint, channel, language, metric, category, score), response id, category id) of every
    counted answer's topic."""
    rows = db.session.execute(
        select(Response.id, Response.created_at, Response.touchpoint_id, Response.channel, Response.locale,
               Response.metric, Response.score, ResponseCategory.category_id)
        .join(ResponseCategory, ResponseCategory.response_id == Response.id)
        .where(Response.tenant_id == tenant.id, Response.state.in_(COUNTED))
    )
    for response_id, created_at, touchpoint_id, channel, locale, metric, score, category_id in rows:
        key = (local_day(created_at, tenant), touchpoint_id, str(channel), locale, metric, category_id, score)
        yield key, response_id, category_id


def recount_categories(tenant) -> Counter:
    with tenant_scope(tenant.id):
        return Counter(key for key, _response, _category in _category_rows(tenant))


def running_categories(tenant) -> Counter:
    with tenant_scope(tenant.id):
        rows = db.session.execute(select(DailyCategory.day, DailyCategory.touchpoint_id, DailyCategory.channel,
                                         DailyCategory.locale, DailyCategory.metric, DailyCategory.category_id,
                                         DailyCategory.score, DailyCategory.count)
                                  .where(DailyCategory.tenant_id == tenant.id, DailyCategory.count != 0))
        return Counter({row[:-1]: row[-1] for row in rows})


@dataclass(frozen=True)
class Slice:
    """Which kept counts to read: a business's answers on one scale between two local days (inclusive), of
    one touchpoint, one topic, one language or all."""

    tenant_id: int
    metric: str
    first: date
    last: date
    touchpoint_id: int | None = None
    category_id: int | None = None
    locale: str | None = None


def _table(where: Slice):
    return DailyCategory if where.category_id is not None else DailyScore


def _conditions(table, where: Slice, *, by_metric: bool = True, by_touchpoint: bool = True) -> list:
    conditions = [table.tenant_id == where.tenant_id, table.day.between(where.first, where.last)]
    if by_metric:
        conditions.append(table.metric == where.metric)
    if by_touchpoint and where.touchpoint_id is not None:
        conditions.append(table.touchpoint_id == where.touchpoint_id)
    if where.category_id is not None:
        conditions.append(table.category_id == where.category_id)
    if where.locale:
        conditions.append(table.locale == where.locale)
    return conditions


def _grouped(query) -> dict:
    """{key: {score: answers}} from rows of (key, score, answers)."""
    found: dict = {}
    for key, score, count in db.session.execute(query):
        if count:
            found.setdefault(key, {})[score] = int(count)
    return found


def distribution(where: Slice) -> dict[int, int]:
    """Answers per score."""
    table = _table(where)
    query = select(table.score, func.sum(table.count)).where(*_conditions(table, where)).group_by(table.score)
    return {score: int(count) for score, count in db.session.execute(query) if count}


def daily(where: Slice) -> dict[date, dict[int, int]]:
    """Answers per score for each local day that has any."""
    table = _table(where)
    return _grouped(select(table.day, table.score, func.sum(table.count)).where(*_conditions(table, where))
                    .group_by(table.day, table.score))


def by_touchpoint(where: Slice) -> dict[int, dict[int, int]]:
    """Answers per score for each touchpoint (whichever the slice names)."""
    table = _table(where)
    return _grouped(select(table.touchpoint_id, table.score, func.sum(table.count))
                    .where(*_conditions(table, where, by_touchpoint=False))
                    .group_by(table.touchpoint_id, table.score))


def by_category(where: Slice) -> dict[int, dict[int, int]]:
    """Answers per score for each category (or for the one the slice names)."""
    table = DailyCategory
    return _grouped(select(table.category_id, table.score, func.sum(table.count))
                    .where(*_conditions(table, where))
                    .group_by(table.category_id, table.score))


def answers_by(column: str, where: Slice) -> dict[str, int]:
    """Answers (on any scale) per channel or per language."""
    table = _table(where)
    field = {"channel": table.channel, "locale": table.locale}[column]
    query = select(field, func.sum(table.count)).where(*_conditions(table, where, by_metric=False)).group_by(field)
    return {key: int(count) for key, count in db.session.execute(query) if count}


def recount(tenant) -> Counter:
    """The counts straight from the rows, for tests and checks: (day, touchpoint, channel, locale, metric,
    score) → answers."""
    with tenant_scope(tenant.id):
        rows = db.session.execute(select(Response.created_at, Response.touchpoint_id, Response.channel,
                                         Response.locale, Response.metric, Response.score)
                                  .where(Response.tenant_id == tenant.id, Response.state.in_(COUNTED)))
        return Counter((local_day(c, tenant), t, str(ch), lo, m, s) for c, t, ch, lo, m, s in rows)


def running(tenant) -> Counter:
    """The kept counts in the same shape as recount()."""
    with tenant_scope(tenant.id):
        rows = db.session.execute(select(DailyScore.day, DailyScore.touchpoint_id, DailyScore.channel,
                                         DailyScore.locale, DailyScore.metric, DailyScore.score, DailyScore.count)
                                  .where(DailyScore.tenant_id == tenant.id, DailyScore.count != 0))
        return Counter({(d, t, ch, lo, m, s): n for d, t, ch, lo, m, s, n in rows})
