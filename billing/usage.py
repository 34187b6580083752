"""Usage metering: responses counted per tenant per calendar month (UTC)."""
from __future__ import annotations

import functools
from datetime import date, datetime

from sqlalchemy import Date, Integer, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from saas.core.extensions import db
from saas.core.scoping import TenantScoped
from saas.core.sql import execute_built, insert_for
from saas.core.timeutil import utcnow


class Usage(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "month", name="uq_usage_tenant_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    responses: Mapped[int] = mapped_column(Integer, default=0)


def month_of(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def this_month(tenant_id: int) -> int:
    """Responses counted so far this month (the caller is in the tenant's scope)."""
    return db.session.scalar(select(Usage.responses).where(Usage.tenant_id == tenant_id,
                                                           Usage.month == month_of(utcnow()))) or 0


def count_response(tenant_id: int, moment: datetime | None = None) -> int:
    """Add one response to this month's usage, atomically, and return the new count.

    An upsert, so concurrent submissions never lose a count or collide on the first
    response of a month."""
    params = {"tenant_id": tenant_id, "month": month_of(moment or utcnow()), "responses": 1}
    return execute_built(_count_statement, params).scalar_one()


@functools.cache
def _count_statement(dialect: str):
    table = Usage.__table__
    return (
        insert_for(dialect)(table)
        .on_conflict_do_update(index_elements=[table.c.tenant_id, table.c.month], set_={"responses": table.c.responses + 1})
        .returning(table.c.responses)
    )
