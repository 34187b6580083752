"""Loop health: whether the business keeps its promise to answer every customer, for the answers of a period
(the dashboard's filters) and per assignee.

Read from the answers and tasks of the period itself (an index on the tenant and the time): the numbers
involve times between events (first reply, resolution), which kept counts cannot give exactly."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.core.timeutil import as_utc, utcnow
from saas.feedback.filters import Filters, answers_in
from saas.feedback.models import OPEN_STATUSES, Response, Task, TaskEvent, TaskStatus
from tenants.models import Membership


@dataclass
class AssigneeRow:
    assignee_id: int | None  # None: tasks nobody has yet
    membership: Membership | None = None
    open: int = 0
    overdue: int = 0
    resolved: int = 0
    reply_hours: list[float] = field(default_factory=list)

    @property
    def median_reply_hours(self) -> float | None:
        return statistics.median(self.reply_hours) if self.reply_hours else None


@dataclass
class LoopHealth:
    answers: int = 0
    decided: int = 0  # both decisions made: needs a reply? needs work?
    need_reply: int = 0
    replied: int = 0
    tasks: int = 0
    resolved_in_time: int = 0
    overdue_now: int = 0
    asked: int = 0  # "Did this solve it?" sent
    solved_yes: int = 0
    solved_no: int = 0
    reopened: int = 0
    reply_hours: list[float] = field(default_factory=list)
    assignees: list[AssigneeRow] = field(default_factory=list)

    @property
    def decided_share(self) -> float | None:
        return 100 * self.decided / self.answers if self.answers else None

    @property
    def replied_share(self) -> float | None:
        return 100 * self.replied / self.need_reply if self.need_reply else None

    @property
    def resolved_in_time_share(self) -> float | None:
        return 100 * self.resolved_in_time / self.tasks if self.tasks else None

    @property
    def recovery_rate(self) -> float | None:
        answered = self.solved_yes + self.solved_no
        return 100 * self.solved_yes / answered if answered else None

    @property
    def median_reply_hours(self) -> float | None:
        return statistics.median(self.reply_hours) if self.reply_hours else None

    @property
    def p90_reply_hours(self) -> float | None:
        if not self.reply_hours:
            return None
        ordered = sorted(self.reply_hours)
        return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def loop_health(tenant, filters: Filters, assignee_id: int | None = None) -> LoopHealth:
    """The loop's health for the filtered answers; `assignee_id`: only that person's tasks (a staff
    member's own block)."""
    health = LoopHealth()
    with tenant_scope(tenant.id):
        if assignee_id is None:
            _count_answers(tenant, filters, health)
        _count_tasks(tenant, filters, health, assignee_id)
    return health


def _count_answers(tenant, filters: Filters, health: LoopHealth) -> None:
    decided = case((Response.needs_reply.is_not(None) & Response.needs_action.is_not(None), 1), else_=0)
    need_reply = case((Response.needs_reply.is_(True), 1), else_=0)
    row = db.session.execute(answers_in(tenant, filters, select(
        func.count(Response.id), func.coalesce(func.sum(decided), 0), func.coalesce(func.sum(need_reply), 0)))).one()
    health.answers, health.decided, health.need_reply = (int(value) for value in row)


def _tasks_of(tenant, filters: Filters, assignee_id: int | None, *columns):
    query = answers_in(tenant, filters, select(*columns).select_from(Task).join(Task.response))
    return query if assignee_id is None else query.where(Task.assignee_id == assignee_id)


def _count_tasks(tenant, filters: Filters, health: LoopHealth, assignee_id: int | None) -> None:
    now = utcnow()
    rows: dict[int | None, AssigneeRow] = {}
    for task in db.session.execute(_tasks_of(
            tenant, filters, assignee_id, Task.assignee_id, Task.status, Task.due_at, Task.first_reply_at,
            Task.resolved_at, Task.customer_solved, Response.created_at.label("answered_at"), Response.needs_reply)):
        health.tasks += 1
        row = rows.setdefault(task.assignee_id, AssigneeRow(task.assignee_id))
        if task.first_reply_at is not None:
            hours = (as_utc(task.first_reply_at) - as_utc(task.answered_at)).total_seconds() / 3600
            health.reply_hours.append(hours)
            row.reply_hours.append(hours)
            health.replied += bool(task.needs_reply)
        if task.status == TaskStatus.RESOLVED:
            row.resolved += 1
            health.resolved_in_time += task.resolved_at is not None and as_utc(task.resolved_at) <= as_utc(task.due_at)
        if task.status in OPEN_STATUSES:
            row.open += 1
            if task.first_reply_at is None and as_utc(task.due_at) < now:
                row.overdue += 1
                health.overdue_now += 1
        if task.customer_solved is not None:
            health.solved_yes += task.customer_solved
            health.solved_no += not task.customer_solved
    health.asked, health.reopened = _tasks_with_events(tenant, filters, assignee_id, ("told_customer", "reopened"))
    health.assignees = _named(rows)


def _tasks_with_events(tenant, filters: Filters, assignee_id: int | None, kinds: tuple[str, ...]) -> list[int]:
    """For each kind of event, how many of the filtered tasks have one."""
    task_ids = _tasks_of(tenant, filters, assignee_id, Task.id)
    found = dict(db.session.execute(
        select(TaskEvent.kind, func.count(func.distinct(TaskEvent.task_id)))
        .where(TaskEvent.task_id.in_(task_ids), TaskEvent.kind.in_(kinds)).group_by(TaskEvent.kind)).all())
    return [found.get(kind, 0) for kind in kinds]


def _named(rows: dict[int | None, AssigneeRow]) -> list[AssigneeRow]:
    """The rows with their members (and users), the busiest first."""
    ids = [assignee_id for assignee_id in rows if assignee_id is not None]
    if ids:
        for member in db.session.scalars(select(Membership).where(Membership.id.in_(ids))
                                         .options(joinedload(Membership.user))):
            rows[member.id].membership = member
    return sorted(rows.values(), key=lambda row: (-row.open, -row.resolved))
