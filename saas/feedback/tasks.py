"""Reading tasks back for the app (the inbox and the task page grow here)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from saas.extensions import db
from saas.feedback.models import OPEN_STATUSES, Response, ResponseCategory, Task


def get_task(tenant_id: int, task_id: int) -> Task:
    task = db.session.scalar(
        select(Task).where(Task.id == task_id, Task.tenant_id == tenant_id).options(
            joinedload(Task.response).joinedload(Response.touchpoint),
            joinedload(Task.response).selectinload(Response.categories).joinedload(ResponseCategory.category),
            selectinload(Task.events),
        )
    )
    if task is None:
        raise LookupError(task_id)
    return task


def open_tasks(tenant_id: int, limit: int = 100) -> list[Task]:
    return list(db.session.scalars(
        select(Task).where(Task.tenant_id == tenant_id, Task.status.in_(OPEN_STATUSES))
        .options(joinedload(Task.response).joinedload(Response.touchpoint), joinedload(Task.assignee))
        .order_by(Task.due_at).limit(limit)
    ))
