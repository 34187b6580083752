"""Loop health: whether the business keeps its promise to answer every customer, for the answers the
dashboard's filters name and per assignee. Read from the kept counts (saas.feedback.loop_stats), except
what is overdue right now, which depends on the clock and is read from the open tasks themselves."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.core.timeutil import utcnow
from saas.feedback import loop_stats
from saas.feedback.filters import Filters, narrowed
from saas.feedback.models import OPEN_STATUSES, Task
from tenants.models import Membership


def within(histogram: dict[str, int], share: float) -> float | None:
    """The hours within which `share` of the first replies came (a bucket's upper bound; None: no replies,
    or later than the last bound)."""
    total = sum(histogram.get(column, 0) for column in loop_stats.REPLY_COLUMNS)
    if not total:
        return None
    seen = 0
    for bound, column in zip(loop_stats.REPLY_BOUNDS, loop_stats.REPLY_COLUMNS, strict=False):
        seen += histogram.get(column, 0)
        if seen >= share * total:
            return float(bound)
    return None


@dataclass
class Counts:
    """Sums of the kept counts (loop_stats.COUNTS) for some answers."""

    sums: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        if name in loop_stats.COUNTS:
            return self.sums.get(name, 0)
        raise AttributeError(name)

    @property
    def median_reply_within(self) -> float | None:
        return within(self.sums, 0.5)

    @property
    def p90_reply_within(self) -> float | None:
        return within(self.sums, 0.9)

    @property
    def replied_late(self) -> bool:
        """Replies came, but half of them later than the histogram's last bound."""
        return self.sums.get("reply_later", 0) > 0 and self.median_reply_within is None


@dataclass
class AssigneeRow(Counts):
    membership: Membership | None = None  # None: answers with no assigned task
    overdue: int = 0


@dataclass
class LoopHealth(Counts):
    overdue_now: int = 0
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


def loop_health(tenant, filters: Filters, assignee_id: int | None = None) -> LoopHealth:
    """The loop's health for the filtered answers; `assignee_id`: only that person's tasks (a staff member's
    own block)."""
    with tenant_scope(tenant.id):
        per_assignee = loop_stats.totals_by_assignee(filters.slice(tenant))
        if assignee_id is not None:
            per_assignee = {key: sums for key, sums in per_assignee.items() if key == assignee_id}
        overdue = _overdue_now(tenant, filters, assignee_id)
        health = LoopHealth({name: sum(sums.get(name, 0) for sums in per_assignee.values())
                             for name in loop_stats.COUNTS}, overdue_now=sum(overdue.values()))
        health.assignees = _rows(per_assignee, overdue)
    return health


def _overdue_now(tenant, filters: Filters, assignee_id: int | None) -> dict[int | None, int]:
    """Open tasks past their deadline with no first reply, per assignee, whenever their answer came: "now" is
    not a period (the dashboard's touchpoint, topic and language still apply)."""
    query = (select(Task.assignee_id, func.count(Task.id)).join(Task.response)
             .where(Task.tenant_id == tenant.id, Task.status.in_(OPEN_STATUSES), Task.first_reply_at.is_(None),
                    Task.due_at < utcnow()).group_by(Task.assignee_id))
    query = narrowed(filters, query)
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    return dict(db.session.execute(query).all())


def _rows(per_assignee: dict[int, dict], overdue: dict[int | None, int]) -> list[AssigneeRow]:
    """A row per person with tasks (and one for tasks nobody has), the busiest first."""
    ids = {key for key in (*per_assignee, *overdue) if key}
    members = {member.id: member for member in db.session.scalars(
        select(Membership).where(Membership.id.in_(ids)).options(joinedload(Membership.user)))} if ids else {}
    rows = []
    for key in sorted(ids | ({loop_stats.NOBODY} if per_assignee.get(loop_stats.NOBODY, {}).get("tasks") else set())):
        row = AssigneeRow(per_assignee.get(key, {}), membership=members.get(key),
                          overdue=overdue.get(key if key else None, 0))
        rows.append(row)
    return sorted(rows, key=lambda row: (-row.open_tasks, -row.resolved))
