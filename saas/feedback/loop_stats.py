"""Loop health's kept counts (DailyLoop): for each business-local day, touchpoint, language, topic and assignee,
how many answers had both decisions made, needed a reply and got one, became tasks, were resolved (in time),
asked "Did this solve it?" and what the customers said, reopened, and how long the first replies took (a
histogram: the median and 90th percentile are read off it as "within N hours").

Each answer adds its contribution to one row per topic it is in and to the "all topics" row (category 0),
under its task's assignee (0: no task, or nobody). It remembers what it added (Response.stats_loop), so any
change moves its counts: whatever changes an answer or its task marks it (changed()), and the marked answers
are recounted once, just before the transaction commits, from their final state."""
from __future__ import annotations

import functools
from collections import Counter
from datetime import date

from sqlalchemy import Date, Integer, String, UniqueConstraint, delete, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, selectinload

from saas.core.extensions import db
from saas.core.scoping import TenantScoped, unscoped
from saas.core.sql import execute_built, insert, insert_for
from saas.core.timeutil import as_utc
from saas.feedback.models import COUNTED_STATES, Response, Task, TaskEvent, TaskStatus
from saas.feedback.stats import local_day

ALL_TOPICS = 0
NOBODY = 0
# Upper bounds (hours) of the first-reply histogram's buckets; the last bucket is "later".
REPLY_BOUNDS = (1, 2, 4, 8, 24, 48, 72, 168)
REPLY_COLUMNS = tuple(f"reply_within_{hours}h" for hours in REPLY_BOUNDS) + ("reply_later",)
COUNTS = ("answers", "decided", "need_reply", "replied", "tasks", "resolved", "resolved_in_time", "open_tasks",
          "asked", "solved_yes", "solved_no", "reopened", *REPLY_COLUMNS)
KEY = ("day", "touchpoint_id", "locale", "category_id", "assignee_id")


class DailyLoop(TenantScoped, db.Model):
    __table_args__ = (
        UniqueConstraint("tenant_id", "day", "touchpoint_id", "locale", "category_id", "assignee_id",
                         name="uq_daily_loop"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the answer's, in the business's time zone
    touchpoint_id: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(5))
    category_id: Mapped[int] = mapped_column(Integer)  # ALL_TOPICS for every answer
    assignee_id: Mapped[int] = mapped_column(Integer)  # the task's assignee; NOBODY without one
    answers: Mapped[int] = mapped_column(Integer, default=0)
    decided: Mapped[int] = mapped_column(Integer, default=0)
    need_reply: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    tasks: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    resolved_in_time: Mapped[int] = mapped_column(Integer, default=0)
    open_tasks: Mapped[int] = mapped_column(Integer, default=0)
    asked: Mapped[int] = mapped_column(Integer, default=0)
    solved_yes: Mapped[int] = mapped_column(Integer, default=0)
    solved_no: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    reply_within_1h: Mapped[int] = mapped_column(Integer, default=0)
    reply_within_2h: Mapped[int] = mapped_column(Integer, default=0)
    reply_within_4h: Mapped[int] = mapped_column(Integer, default=0)
    reply_within_8h: Mapped[int] = mapped_column(Integer, default=0)
    reply_within_24h: Mapped[int] = mapped_column(Integer, default=0)
    reply_within_48h: Mapped[int] = mapped_column(Integer, default=0)
    reply_within_72h: Mapped[int] = mapped_column(Integer, default=0)
    reply_within_168h: Mapped[int] = mapped_column(Integer, default=0)
    reply_later: Mapped[int] = mapped_column(Integer, default=0)


def reply_column(hours: float) -> str:
    for bound, column in zip(REPLY_BOUNDS, REPLY_COLUMNS, strict=False):
        if hours <= bound:
            return column
    return "reply_later"


def contribution(response: Response, task: Task | None, event_kinds: set[str], tenant) -> tuple[list, dict]:
    """What the answer adds: the keys of its rows and its counts (nothing unless it is counted)."""
    if response.state not in COUNTED_STATES:
        return [], {}
    counts = Counter(answers=1, decided=int(response.needs_reply is not None and response.needs_action is not None),
                     need_reply=int(bool(response.needs_reply)))
    if task is not None:
        counts.update(tasks=1, open_tasks=int(task.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)),
                      resolved=int(task.status == TaskStatus.RESOLVED), asked=int("told_customer" in event_kinds),
                      reopened=int("reopened" in event_kinds), solved_yes=int(task.customer_solved is True),
                      solved_no=int(task.customer_solved is False))
        if task.status == TaskStatus.RESOLVED and task.resolved_at and as_utc(task.resolved_at) <= as_utc(task.due_at):
            counts["resolved_in_time"] = 1
        if task.first_reply_at is not None:
            counts["replied"] = int(bool(response.needs_reply))
            hours = (as_utc(task.first_reply_at) - as_utc(response.created_at)).total_seconds() / 3600
            counts[reply_column(hours)] = 1
    day = local_day(response.created_at, tenant).isoformat()
    assignee = task.assignee_id if task is not None and task.assignee_id else NOBODY
    topics = [ALL_TOPICS, *sorted(response.stats_categories or [])]
    keys = [[day, response.touchpoint_id, response.locale, topic, assignee] for topic in topics]
    return keys, {name: count for name, count in counts.items() if count}


def changed(response_id: int | None, task: Task | None = None, event_kind: str | None = None,
            task_known: bool = False) -> None:
    """The answer (or its task: pass it, and the kind of event recorded) changed: recount it before this
    transaction commits. `task_known`: `task` is the answer's task, None meaning it has none (saves a query)."""
    if response_id is None:
        return
    pending = db.session.info.setdefault("loop_changed", {})
    mark = pending.setdefault(response_id, {"task": None, "known": False, "kinds": set()})
    if task is not None or task_known:
        mark["task"], mark["known"] = task, True
    if event_kind in FLAGGING_EVENTS:
        mark["kinds"].add(event_kind)


FLAGGING_EVENTS = ("told_customer", "reopened")


def settle(response: Response, task: Task) -> None:
    """Count the answer with its new task now, before the flush that writes them: what it remembers then
    rides in that same UPDATE, and the recount at commit finds nothing left to do (the pipeline's
    hottest path)."""
    _recount(db.session, response, {"task": task, "known": True, "kinds": set()},
             db.session.info.setdefault("loop_deltas", {}))


@event.listens_for(Session, "before_commit")
def _recount_changed(session: Session) -> None:
    pending = session.info.pop("loop_changed", None) or {}
    deltas: dict[tuple, Counter] = session.info.pop("loop_deltas", None) or {}
    with unscoped(), session.no_autoflush:
        for response_id, mark in sorted(pending.items()):
            response = session.get(Response, response_id)
            if response is not None:
                _recount(session, response, mark, deltas)
    rows = [{"tenant_id": tenant_id, **dict(zip(KEY, (date.fromisoformat(key[0]), *key[1:]), strict=True)),
             **{name: delta.get(name, 0) for name in COUNTS}}
            for (tenant_id, *key), delta in deltas.items() if any(delta.values())]
    if rows:
        execute_built(_upsert_statement, rows)


@event.listens_for(Session, "after_soft_rollback")
def _forget_changed(session: Session, previous_transaction) -> None:
    session.info.pop("loop_changed", None)
    session.info.pop("loop_deltas", None)


@functools.cache
def _upsert_statement(dialect: str):
    """Add each row's counts to the row with its key (built once: it has 21 counts to add)."""
    statement = insert_for(dialect)(DailyLoop)
    return statement.on_conflict_do_update(
        index_elements=[DailyLoop.tenant_id, *(getattr(DailyLoop, name) for name in KEY)],
        set_={name: getattr(DailyLoop, name) + statement.excluded[name] for name in COUNTS})


def _recount(session: Session, response: Response, mark: dict, deltas: dict) -> None:
    """Move the answer's contribution from what it remembers to what it is now, into `deltas`. The task
    comes from the mark (or the answer); whether the customer was asked or the task reopened is what the
    answer remembers plus the events recorded now: every task event goes through tasks.record_event."""
    task = mark["task"] if mark["known"] else response.task
    before = response.stats_loop or {"keys": [], "counts": {}}
    kinds = {kind for kind in FLAGGING_EVENTS if before["counts"].get(_FLAG_COUNTS[kind])} | mark["kinds"]
    keys, counts = contribution(response, task, kinds, response.touchpoint.tenant)
    if before == {"keys": keys, "counts": counts}:
        return
    for key_list, sign, numbers in ((before["keys"], -1, before["counts"]), (keys, +1, counts)):
        for key in key_list:
            delta = deltas.setdefault((response.tenant_id, *key), Counter())
            for name, count in numbers.items():
                delta[name] += sign * count
    response.stats_loop = {"keys": keys, "counts": counts}


_FLAG_COUNTS = {"told_customer": "asked", "reopened": "reopened"}


# --- recounting a business, and reading ----------------------------------------------------------------


def rebuild(tenant) -> None:
    """Recount the business's loop from its answers and tasks (after stats.rebuild() set the categories)."""
    db.session.execute(delete(DailyLoop).where(DailyLoop.tenant_id == tenant.id))
    rows: dict[tuple, dict] = {}
    for (*key, name), count in _tally(tenant, remember=True).items():
        rows.setdefault(tuple(key), {})[name] = count
    if rows:
        db.session.execute(insert(DailyLoop), [
            {"tenant_id": tenant.id, **dict(zip(KEY, (date.fromisoformat(key[0]), *key[1:]), strict=True)),
             **dict.fromkeys(COUNTS, 0), **counts}
            for key, counts in rows.items()
        ])


def _answers_with_tasks(tenant):
    responses = db.session.scalars(select(Response).where(Response.tenant_id == tenant.id)
                                   .options(selectinload(Response.task)).execution_options(yield_per=2000))
    events = {}
    for task_id, kind in db.session.execute(
            select(TaskEvent.task_id, TaskEvent.kind).where(TaskEvent.tenant_id == tenant.id,
                                                            TaskEvent.kind.in_(("told_customer", "reopened")))):
        events.setdefault(task_id, set()).add(kind)
    for response in responses:
        task = response.task
        yield response, task, events.get(task.id, set()) if task is not None else set()


def running(tenant) -> Counter:
    """The kept counts: (day, touchpoint, locale, topic, assignee, count name) → n, zeros left out."""
    found: Counter = Counter()
    for row in db.session.scalars(select(DailyLoop).where(DailyLoop.tenant_id == tenant.id)):
        for name in COUNTS:
            if getattr(row, name):
                found[(row.day.isoformat(), row.touchpoint_id, row.locale, row.category_id, row.assignee_id,
                       name)] += getattr(row, name)
    return found


def recount(tenant) -> Counter:
    """The same counts straight from the answers and tasks, for tests and checks."""
    return _tally(tenant, remember=False)


def _tally(tenant, remember: bool) -> Counter:
    """Every answer's contribution added up, in running()'s shape; `remember`: each answer keeps its own."""
    found: Counter = Counter()
    for response, task, kinds in _answers_with_tasks(tenant):
        keys, counts = contribution(response, task, kinds, tenant)
        if remember:
            response.stats_loop = {"keys": keys, "counts": counts} if keys else None
        for key in keys:
            for name, count in counts.items():
                found[(*key, name)] += count
    return found


def totals_by_assignee(where) -> dict[int, dict[str, int]]:
    """For a stats.Slice: each assignee's sums of every count (NOBODY: answers without an assigned task)."""
    conditions = [DailyLoop.tenant_id == where.tenant_id, DailyLoop.day.between(where.first, where.last),
                  DailyLoop.category_id == (where.category_id if where.category_id is not None else ALL_TOPICS)]
    if where.touchpoint_id is not None:
        conditions.append(DailyLoop.touchpoint_id == where.touchpoint_id)
    if where.locale:
        conditions.append(DailyLoop.locale == where.locale)
    columns = [func.coalesce(func.sum(getattr(DailyLoop, name)), 0) for name in COUNTS]
    rows = db.session.execute(select(DailyLoop.assignee_id, *columns).where(*conditions)
                              .group_by(DailyLoop.assignee_id))
    return {assignee: dict(zip(COUNTS, map(int, sums), strict=True)) for assignee, *sums in rows}
