"""The dashboard's CSV exports: every answer (or task) of the filtered period, streamed in batches so a
hundred thousand rows take no more memory than a hundred, in UTF-8 with a byte-order mark (Excel reads
Cyrillic right), every cell that a spreadsheet would run as a formula made inert, times in the business's
time zone, and contact addresses only where the customer consented."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.core.timeutil import as_utc, local_time
from saas.feedback.filters import Filters, answers_in
from saas.feedback.models import Response, ResponseCategory, Task
from tenants.models import Membership

BATCH = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value) -> str:
    """A cell as text a spreadsheet shows and never runs (OWASP's CSV injection advice: a leading quote)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _hours(start, end) -> str:
    return "" if start is None or end is None else f"{(as_utc(end) - as_utc(start)).total_seconds() / 3600:.1f}"


def response_rows(tenant, filters: Filters) -> Iterator[list]:
    """The header, then one row per answer in the numbers (not locked, not held), oldest first."""
    yield [_("Time"), _("Touchpoint"), _("Score"), _("Band"), _("Comment"), _("Categories"), _("Sentiment"),
           _("Needs a reply"), _("Needs an action"), _("Task status"), _("Assignee"), _("First reply (hours)"),
           _("Resolved (hours)"), _("Channel"), _("Language"), _("Hidden fields"), _("Contact email")]
    query = (
        answers_in(tenant, filters, select(Response))
        .options(joinedload(Response.touchpoint),
                 selectinload(Response.categories).joinedload(ResponseCategory.category),
                 selectinload(Response.task).joinedload(Task.assignee).joinedload(Membership.user))
        .order_by(Response.created_at, Response.id)
    )

    def row(response: Response) -> list:
        task = response.task
        return [
            _when(response.created_at, tenant), response.touchpoint.name, response.score, response.band.label,
            response.comment, _categories(response), response.sentiment or "",
            _yes_no(response.needs_reply), _yes_no(response.needs_action),
            task.status.label if task else "", task.assignee.user.display_name if task and task.assignee else "",
            _hours(response.created_at, task.first_reply_at) if task else "",
            _hours(response.created_at, task.resolved_at) if task else "",
            response.channel.label, response.locale,
            "; ".join(f"{key}={value}" for key, value in sorted((response.hidden or {}).items())),
            response.contact_email if response.consent else "",
        ]

    yield from _streamed(tenant, query, row)


def task_rows(tenant, filters: Filters) -> Iterator[list]:
    """The header, then one row per task of the filtered answers, oldest first."""
    yield [_("Opened"), _("Touchpoint"), _("Score"), _("Comment"), _("Categories"), _("Task status"), _("Assignee"),
           _("Deadline"), _("First reply (hours)"), _("Resolved (hours)"), _("What was done"),
           _("The customer says it is solved")]
    query = (
        answers_in(tenant, filters, select(Task).join(Task.response))
        .options(joinedload(Task.response).joinedload(Response.touchpoint),
                 joinedload(Task.response).selectinload(Response.categories).joinedload(ResponseCategory.category),
                 joinedload(Task.assignee).joinedload(Membership.user))
        .order_by(Task.created_at, Task.id)
    )

    def row(task: Task) -> list:
        response = task.response
        return [
            _when(task.created_at, tenant), response.touchpoint.name, response.score, response.comment,
            _categories(response), task.status.label, task.assignee.user.display_name if task.assignee else "",
            _when(task.due_at, tenant), _hours(task.created_at, task.first_reply_at),
            _hours(task.created_at, task.resolved_at), task.resolution_note or "", _yes_no(task.customer_solved),
        ]

    yield from _streamed(tenant, query, row)


def _streamed(tenant, query, row) -> Iterator[list]:
    """row(item) for each item of the query, read in batches and let go of once written: a streamed export
    keeps no row."""
    with tenant_scope(tenant.id):
        for item in db.session.scalars(query.execution_options(yield_per=BATCH)):
            yield row(item)
            db.session.expunge(item)


def _when(moment, tenant) -> str:
    return local_time(moment, tenant, "%Y-%m-%d %H:%M")


def _categories(response: Response) -> str:
    return "; ".join(link.category.name for link in response.categories)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else _("yes") if value else _("no")


def as_csv(rows: Iterator[list]) -> Iterator[str]:
    """The rows as CSV text, a chunk per row, behind a byte-order mark."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([inert(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
