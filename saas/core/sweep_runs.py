"""When each sweep last ran and what it did, for the platform admins' health page: the clock process
(`rq cron`) runs them, and a sweep that stopped running is the first sign of a dead clock or worker."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from saas.core.extensions import db
from saas.core.sql import insert
from saas.core.timeutil import utcnow


class SweepRun(db.Model):
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    took_ms: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[dict | list | int | str | None] = mapped_column(JSON)  # what it returned, or the error


def record(name: str, started: datetime, ok: bool, result) -> None:
    """Write one sweep's latest run (the caller commits)."""
    finished = utcnow()
    values = {"finished_at": finished, "took_ms": int((finished - started).total_seconds() * 1000), "ok": ok,
              "result": result}
    db.session.execute(insert(SweepRun).values(name=name, **values)
                       .on_conflict_do_update(index_elements=[SweepRun.name], set_=values))


def latest() -> list[SweepRun]:
    return list(db.session.scalars(select(SweepRun).order_by(SweepRun.name)))
