"""Nothing is forgotten when a deadline passes. Each sweep is idempotent and safe with
several workers: rows are claimed with FOR UPDATE SKIP LOCKED and marked in the same
transaction as the emails they cause."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from saas.core.extensions import db
from saas.core.outbox import queue_email
from saas.core.timeutil import local_time, utcnow
from saas.core.urls import absolute_url
from saas.feedback.models import OPEN_STATUSES, Improvement, Response, ResponseState, Task
from saas.feedback.tasks import record_event
from tenants.models import Membership, Role, Tenant, TenantStatus

STALE_AFTER = timedelta(minutes=2)
BATCH = 200


def claim_stale_responses(now: datetime | None = None) -> list[int]:
    """Responses still waiting for processing (Redis was down, a worker died), marked as
    just handled so the next sweep does not enqueue them again while they wait in line.
    The caller commits."""
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(Response.id).where(Response.state == ResponseState.RECEIVED, Response.updated_at < now - STALE_AFTER)
        .order_by(Response.id).limit(BATCH * 5).with_for_update(skip_locked=True)
    ))
    if ids:
        db.session.execute(update(Response).where(Response.id.in_(ids)).values(updated_at=now))
    return ids


def claim_unfinished_improvements(now: datetime | None = None) -> list[tuple[int, int]]:
    """(tenant id, improvement id) of fan-outs asked for a while ago and not finished (Redis was down,
    a worker died), marked as asked for again now so the next sweep leaves them to the queue. The
    fan-out is idempotent (one delivery per address), so enqueueing it twice sends nothing twice.
    The caller commits."""
    now = now or utcnow()
    unfinished = or_(Improvement.sent_at.is_(None), Improvement.sent_at < Improvement.send_requested_at)
    rows = db.session.execute(
        select(Improvement.tenant_id, Improvement.id)
        .where(Improvement.send_requested_at < now - STALE_AFTER, unfinished)
        .order_by(Improvement.id).limit(BATCH).with_for_update(skip_locked=True)
    ).all()
    if rows:
        ids = [improvement_id for _, improvement_id in rows]
        db.session.execute(update(Improvement).where(Improvement.id.in_(ids)).values(send_requested_at=now))
    return [tuple(row) for row in rows]


def _open_businesses():
    """Suspended and deleted businesses are not reminded of anything (their staff cannot act)."""
    return select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE)


def _claim(query):
    return list(db.session.scalars(query.with_for_update(skip_locked=True, of=Task).limit(BATCH)).unique())


def send_reminders(now: datetime | None = None) -> int:
    """Past its deadline without a first reply: remind the assignee, once."""
    now = now or utcnow()
    tasks = _claim(
        select(Task).where(
            Task.status.in_(OPEN_STATUSES), Task.first_reply_at.is_(None), Task.reminded_at.is_(None),
            Task.due_at < now, Task.assignee_id.is_not(None), Task.tenant_id.in_(_open_businesses()),
        ).options(joinedload(Task.response).joinedload(Response.touchpoint))
    )
    for task in tasks:
        task.reminded_at = now
        record_event(task, "reminded", assignee_id=task.assignee_id)
        user = task.assignee.user
        tenant = task.response.touchpoint.tenant
        queue_email(
            "reminder", user.email, "task_reminder", locale=user.locale, tenant_id=task.tenant_id,
            task=task, response=task.response, tenant=tenant, assignee=user, due=local_time(task.due_at, tenant),
            link=absolute_url("tasks.show", task_id=task.id),
        )
    return len(tasks)


def send_escalations(now: datetime | None = None) -> int:
    """At twice the SLA with no first reply: tell the owners and admins, once."""
    now = now or utcnow()
    tasks = _claim(
        select(Task).where(
            Task.status.in_(OPEN_STATUSES), Task.first_reply_at.is_(None), Task.escalated_at.is_(None),
            Task.escalate_at < now, Task.tenant_id.in_(_open_businesses()),
        ).options(joinedload(Task.response).joinedload(Response.touchpoint))
    )
    for task in tasks:
        tenant = task.response.touchpoint.tenant
        task.escalated_at = now
        record_event(task, "escalated")
        for manager in _managers(tenant):
            queue_email(
                "escalation", manager.user.email, "task_escalated", locale=manager.user.locale,
                tenant_id=task.tenant_id, task=task, response=task.response, tenant=tenant,
                assignee=task.assignee.user if task.assignee else None, manager=manager.user,
                due=local_time(task.due_at, tenant), link=absolute_url("tasks.show", task_id=task.id),
            )
    return len(tasks)


def _managers(tenant: Tenant) -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.role.in_([Role.OWNER, Role.ADMIN]))
        .options(joinedload(Membership.user)).order_by(Membership.id)
    ))
