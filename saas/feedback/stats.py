"""The counts the dashboard reads, kept up to date as answers are processed, so that a page costs the same
with ten thousand answers or a million: scores per business-local day, touchpoint, channel, language and
scale (DailyScore). An answer is in the numbers once the pipeline has processed it: locked answers (over
quota) and held ones (suspected spam) are not, until they are unlocked or released and processed.

Each answer remembers the score it is counted under (Response.stats_score), so a score changed within
the edit window moves its count. A change of the business's time zone moves days: rebuild() recounts a
business from its rows, and must always give what the running counts give (tests/test_stats.py)."""
from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import Date, Integer, String, UniqueConstraint, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from saas.core.extensions import db
from saas.core.scoping import TenantScoped, tenant_scope
from saas.core.sql import insert
from saas.core.timeutil import as_utc, zone_of
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
    """Scores per business-local day, touchpoint and category: what each topic does to the metric."""

    __table_args__ = (
        UniqueConstraint("tenant_id", "day", "touchpoint_id", "metric", "category_id", "score",
                         name="uq_daily_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    touchpoint_id: Mapped[int] = mapped_column(Integer)
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
    if before[0] is not None:
        for category_id in before[1]:
            _add_category(tenant_id, day, response, category_id, before[0], -1)
    for category_id in after[1]:
        _add_category(tenant_id, day, response, category_id, after[0], +1)
    response.stats_categories = after[1]


def _add_category(tenant_id: int, day: date, response: Response, category_id: int, score: int, delta: int) -> None:
    key = {"tenant_id": tenant_id, "day": day, "touchpoint_id": response.touchpoint_id, "metric": response.metric,
           "category_id": category_id, "score": score}
    db.session.execute(insert(DailyCategory).values(**key, count=delta).on_conflict_do_update(
        index_elements=[DailyCategory.tenant_id, DailyCategory.day, DailyCategory.touchpoint_id,
                        DailyCategory.metric, DailyCategory.category_id, DailyCategory.score],
        set_={"count": DailyCategory.count + delta},
    ))


def _add(tenant_id: int, day: date, response: Response, score: int, delta: int) -> None:
    key = {"tenant_id": tenant_id, "day": day, "touchpoint_id": response.touchpoint_id,
           "channel": str(response.channel), "locale": response.locale, "metric": response.metric, "score": score}
    db.session.execute(insert(DailyScore).values(**key, count=delta).on_conflict_do_update(
        index_elements=[DailyScore.tenant_id, DailyScore.day, DailyScore.touchpoint_id, DailyScore.channel,
                        DailyScore.locale, DailyScore.metric, DailyScore.score],
        set_={"count": DailyScore.count + delta},
    ))


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
            {"tenant_id": tenant.id, "day": day, "touchpoint_id": touchpoint_id, "metric": metric,
             "category_id": category_id, "score": score, "count": count}
            for (day, touchpoint_id, metric, category_id, score), count in counts.items()
        ])


def _category_rows(tenant):
    """((day, touchpoint, metric, category, score), response id, category id) of every counted answer's topic."""
    rows = db.session.execute(
        select(Response.id, Response.created_at, Response.touchpoint_id, Response.metric, Response.score,
               ResponseCategory.category_id)
        .join(ResponseCategory, ResponseCategory.response_id == Response.id)
        .where(Response.tenant_id == tenant.id, Response.state.in_(COUNTED))
    )
    for response_id, created_at, touchpoint_id, metric, score, category_id in rows:
        yield (local_day(created_at, tenant), touchpoint_id, metric, category_id, score), response_id, category_id


def by_category(tenant_id: int, metric: str, first: date, last: date, touchpoint_id: int | None = None
                ) -> dict[int, dict[int, int]]:
    """Answers per score for each category between two local days."""
    query = select(DailyCategory.category_id, DailyCategory.score, func.sum(DailyCategory.count)).where(
        DailyCategory.tenant_id == tenant_id, DailyCategory.metric == metric, DailyCategory.day.between(first, last))
    if touchpoint_id is not None:
        query = query.where(DailyCategory.touchpoint_id == touchpoint_id)
    found: dict[int, dict[int, int]] = {}
    for category_id, score, count in db.session.execute(query.group_by(DailyCategory.category_id, DailyCategory.score)):
        if count:
            found.setdefault(category_id, {})[score] = int(count)
    return found


def recount_categories(tenant) -> Counter:
    with tenant_scope(tenant.id):
        return Counter(key for key, _response, _category in _category_rows(tenant))


def running_categories(tenant) -> Counter:
    with tenant_scope(tenant.id):
        rows = db.session.execute(select(DailyCategory.day, DailyCategory.touchpoint_id, DailyCategory.metric,
                                         DailyCategory.category_id, DailyCategory.score, DailyCategory.count)
                                  .where(DailyCategory.tenant_id == tenant.id, DailyCategory.count != 0))
        return Counter({(d, t, m, c, s): n for d, t, m, c, s, n in rows})


def distribution(tenant_id: int, metric: str, first: date, last: date, touchpoint_id: int | None = None
                 ) -> dict[int, int]:
    """Answers per score on this scale between two local days, inclusive."""
    query = select(DailyScore.score, func.sum(DailyScore.count)).where(
        DailyScore.tenant_id == tenant_id, DailyScore.metric == metric, DailyScore.day.between(first, last))
    if touchpoint_id is not None:
        query = query.where(DailyScore.touchpoint_id == touchpoint_id)
    return {score: int(count) for score, count in db.session.execute(query.group_by(DailyScore.score)) if count}


def distribution_by_touchpoint(tenant_id: int, metric: str, first: date, last: date) -> dict[int, dict[int, int]]:
    rows = db.session.execute(
        select(DailyScore.touchpoint_id, DailyScore.score, func.sum(DailyScore.count)).where(
            DailyScore.tenant_id == tenant_id, DailyScore.metric == metric, DailyScore.day.between(first, last))
        .group_by(DailyScore.touchpoint_id, DailyScore.score)
    )
    found: dict[int, dict[int, int]] = {}
    for touchpoint_id, score, count in rows:
        if count:
            found.setdefault(touchpoint_id, {})[score] = int(count)
    return found


def daily(tenant_id: int, metric: str, first: date, last: date, touchpoint_id: int | None = None
          ) -> dict[date, dict[int, int]]:
    """Answers per score for each local day that has any."""
    query = select(DailyScore.day, DailyScore.score, func.sum(DailyScore.count)).where(
        DailyScore.tenant_id == tenant_id, DailyScore.metric == metric, DailyScore.day.between(first, last))
    if touchpoint_id is not None:
        query = query.where(DailyScore.touchpoint_id == touchpoint_id)
    found: dict[date, dict[int, int]] = {}
    for day, score, count in db.session.execute(query.group_by(DailyScore.day, DailyScore.score)):
        if count:
            found.setdefault(day, {})[score] = int(count)
    return found


def answers_by(column: str, tenant_id: int, first: date, last: date, touchpoint_id: int | None = None
               ) -> dict[str, int]:
    """Answers (on any scale) per channel or per language."""
    field = {"channel": DailyScore.channel, "locale": DailyScore.locale}[column]
    query = select(field, func.sum(DailyScore.count)).where(
        DailyScore.tenant_id == tenant_id, DailyScore.day.between(first, last))
    if touchpoint_id is not None:
        query = query.where(DailyScore.touchpoint_id == touchpoint_id)
    return {key: int(count) for key, count in db.session.execute(query.group_by(field)) if count}


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
