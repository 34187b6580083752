"""Tasks: the inbox, and what staff do with a task (start, note, reassign, correct,
resolve, dismiss). Every change is a TaskEvent in the same transaction; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.outbox import queue_email
from saas.core.sql import owned, paginate
from saas.core.timeutil import local_time, utcnow
from saas.core.urls import absolute_url
from saas.feedback import corrections, loop_stats, stats
from saas.feedback.metrics import Band
from saas.feedback.models import (
    OPEN_STATUSES,
    Category,
    CategorySource,
    Response,
    ResponseCategory,
    Task,
    TaskEvent,
    TaskStatus,
)
from saas.feedback.responses import PERIODS, band_condition
from tenants.models import Membership

VIEWS = ("mine", "all", "unassigned", "overdue", "resolved")
# Stored as the key, shown as the label.
DISMISS_REASONS = {"spam": _l("Spam"), "no_action_needed": _l("No action needed"), "duplicate": _l("Duplicate")}
NEEDED_NO_ACTION = ("spam", "no_action_needed")  # a duplicate's action may be another task's
# The root causes a business starts with, stored as the key (in English) and shown translated; the ones a
# business writes itself are stored and shown as written.
DEFAULT_ROOT_CAUSES = {
    "Staff": _l("Staff"), "Process": _l("Process"), "Product": _l("Product"), "Supplier": _l("Supplier"),
    "Technology": _l("Technology"), "Communication": _l("Communication"), "Other": _l("Other"),
}
MAX_NOTE = 5000


@dataclass
class InboxFilter:
    view: str = "mine"
    touchpoint_id: int | None = None
    category_id: int | None = None
    band: Band | None = None
    status: TaskStatus | None = None
    period: str | None = None


def _view_condition(view: str, me: Membership):
    now = utcnow()
    return {
        "mine": and_(Task.assignee_id == me.id, Task.status.in_(OPEN_STATUSES)),
        "all": Task.status.in_(OPEN_STATUSES),
        "unassigned": and_(Task.assignee_id.is_(None), Task.status.in_(OPEN_STATUSES)),
        "overdue": and_(Task.status.in_(OPEN_STATUSES), Task.first_reply_at.is_(None), Task.due_at < now),
        "resolved": Task.status.in_((TaskStatus.RESOLVED, TaskStatus.DISMISSED)),
    }[view]


def inbox_query(me: Membership, chosen: InboxFilter):
    query = (
        select(Task).join(Task.response).where(Task.tenant_id == me.tenant_id, _view_condition(chosen.view, me))
        .options(joinedload(Task.response).joinedload(Response.touchpoint),
                 joinedload(Task.response).selectinload(Response.categories).joinedload(ResponseCategory.category),
                 joinedload(Task.assignee).joinedload(Membership.user))
    )
    if chosen.touchpoint_id:
        query = query.where(Response.touchpoint_id == chosen.touchpoint_id)
    if chosen.category_id:
        query = query.where(Response.categories.any(ResponseCategory.category_id == chosen.category_id))
    if chosen.band:
        query = query.where(band_condition(chosen.band))
    if chosen.status:
        query = query.where(Task.status == chosen.status)
    if chosen.period in PERIODS:
        query = query.where(Task.created_at >= utcnow() - timedelta(days=PERIODS[chosen.period].days))
    order = Task.resolved_at.desc() if chosen.view == "resolved" else Task.due_at
    return query.order_by(order, Task.id)


def inbox(me: Membership, chosen: InboxFilter, page: int):
    return paginate(inbox_query(me, chosen), page)


def view_counts(me: Membership) -> dict[str, int]:
    return {
        view: db.session.scalar(
            select(func.count(Task.id)).where(Task.tenant_id == me.tenant_id, _view_condition(view, me))
        )
        for view in VIEWS
    }


def get_task(tenant_id: int, task_id: int) -> Task:
    return owned(
        Task, tenant_id, task_id,
        joinedload(Task.response).joinedload(Response.touchpoint),
        joinedload(Task.response).selectinload(Response.categories).joinedload(ResponseCategory.category),
        selectinload(Task.events),
    )


# --- what staff do ------------------------------------------------------------------------


def _require_open(task: Task) -> None:
    if task.status not in OPEN_STATUSES:
        raise Refusal(_l("This task is closed. Reopen it first."))


def _text(value: str, field: str, missing) -> str:
    value = (value or "").strip()
    if not value:
        raise Refusal(missing, field=field)
    if len(value) > MAX_NOTE:
        raise Refusal(_l("Keep it under %(count)s characters.", count=MAX_NOTE), field=field)
    return value


def start_work(task: Task, actor: Membership) -> None:
    _require_open(task)
    if task.status == TaskStatus.OPEN:
        task.status = TaskStatus.IN_PROGRESS
        record_event(task, "started", actor)


def add_note(task: Task, actor: Membership, text: str) -> None:
    record_event(task, "note", actor, text=_text(text, "text", _l("Write a note.")))


def reassign(task: Task, actor: Membership, membership_id: int) -> None:
    _require_open(task)
    member = db.session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.tenant_id == task.tenant_id)
    )
    if member is None:
        raise Refusal(_l("Choose someone from your team."), field="assignee_id")
    if member.id == task.assignee_id:
        return
    task.assignee = member
    record_event(task, "assigned", actor, assignee_id=member.id, rule="manual")
    notify_assignee(task, [link.category for link in task.response.categories])


def root_causes(tenant) -> list[str]:
    return list(tenant.root_causes or DEFAULT_ROOT_CAUSES)


def root_cause_label(cause: str):
    return DEFAULT_ROOT_CAUSES.get(cause, cause)


def dismiss_reason_label(reason: str):
    return DISMISS_REASONS.get(reason, reason)


def parse_root_causes(text: str) -> list[str]:
    causes = list(dict.fromkeys(line.strip()[:60] for line in (text or "").splitlines() if line.strip()))
    if not 1 <= len(causes) <= 20:
        raise Refusal(_l("Keep between 1 and 20 root causes, one per line."), field="root_causes")
    return causes


def resolve(task: Task, actor: Membership, note: str, root_cause: str) -> None:
    _require_open(task)
    if root_cause not in root_causes(task.response.touchpoint.tenant):
        raise Refusal(_l("Choose the root cause."), field="root_cause")
    task.resolution_note = _text(note, "note", _l("Write what was done."))
    task.status = TaskStatus.RESOLVED
    task.resolved_at = utcnow()
    corrections.action_confirmed(task.response, task.response.needs_action)  # as the person saw it
    record_event(task, "resolved", actor, root_cause=root_cause)


def dismiss(task: Task, actor: Membership, reason: str) -> None:
    _require_open(task)
    if reason not in DISMISS_REASONS:
        raise Refusal(_l("Choose why it needs no work."), field="reason")
    task.status = TaskStatus.DISMISSED
    task.resolved_at = utcnow()
    if reason in NEEDED_NO_ACTION:
        corrections.action_confirmed(task.response, False)
    record_event(task, "dismissed", actor, reason=reason)


def reopen(task: Task, actor: Membership | None, why: str) -> None:
    if task.status in OPEN_STATUSES:
        return
    task.status = TaskStatus.OPEN
    task.resolved_at = None
    record_event(task, "reopened", actor, why=why)


def restart_deadline(task: Task) -> None:
    """A task open again gets the business's whole SLA from now, and its reminder and escalation anew."""
    now, sla = utcnow(), timedelta(hours=task.response.touchpoint.tenant.sla_hours)
    task.due_at, task.escalate_at = now + sla, now + 2 * sla
    task.reminded_at = task.escalated_at = None


def correct_categories(task: Task, actor: Membership, category_ids: list[int]) -> None:
    """A person's choice replaces the rules' and is kept as `manual` (for learning)."""
    ids = list(dict.fromkeys(int(i) for i in category_ids))
    known = set(db.session.scalars(
        select(Category.id).where(Category.tenant_id == task.tenant_id, Category.id.in_(ids))
    ))
    if set(ids) - known:
        raise Refusal(_l("Choose from your categories."), field="category_ids")
    response = task.response
    before = sorted(link.category_id for link in response.categories)
    response.categories = [
        ResponseCategory(tenant_id=task.tenant_id, category_id=category_id, source=CategorySource.MANUAL)
        for category_id in ids
    ]
    stats.recategorised(response, response.touchpoint.tenant, ids)
    corrections.categories_corrected(response, ids)
    record_event(task, "categories", actor, before=before, after=sorted(ids))


def override_needs(task: Task, actor: Membership, needs_reply: bool, needs_action: bool) -> None:
    response = task.response
    if (response.needs_reply, response.needs_action) == (needs_reply, needs_action):
        return
    record_event(task, "needs", actor, before=[response.needs_reply, response.needs_action],
                 after=[needs_reply, needs_action])
    response.needs_reply, response.needs_action = needs_reply, needs_action
    corrections.needs_corrected(response, needs_reply, needs_action)


# --- the audit trail and the assignment email ---------------------------------------------


def record_event(task: Task, kind: str, actor: Membership | None = None, **detail) -> TaskEvent:
    event = TaskEvent(tenant_id=task.tenant_id, task_id=task.id, kind=kind,
                      actor_id=actor.id if actor else None, detail=detail)
    db.session.add(event)
    loop_stats.changed(task.response_id, task, kind)
    return event


def notify_assignee(task: Task, matched: list[Category]) -> None:
    membership = task.assignee
    response = task.response
    user = membership.user
    tenant = response.touchpoint.tenant
    queue_email(
        "assignment", user.email, "task_assigned", locale=user.locale, tenant_id=task.tenant_id,
        task=task, response=response, tenant=tenant, assignee=user,
        categories=[category.name for category in matched],
        due=local_time(task.due_at, tenant), link=absolute_url("tasks.show", task_id=task.id),
    )


def notify_reopened(task: Task, words: str) -> None:
    """The assignee learns that the customer says it is not solved, in their words if they gave any, and
    the new deadline: not the first assignment email again."""
    user = task.assignee.user
    tenant = task.response.touchpoint.tenant
    queue_email(
        "reopened", user.email, "task_reopened", locale=user.locale, tenant_id=task.tenant_id,
        task=task, response=task.response, tenant=tenant, assignee=user, words=words,
        due=local_time(task.due_at, tenant), link=absolute_url("tasks.show", task_id=task.id),
    )
