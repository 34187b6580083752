"""Responses: what customers said, kept forever (locked when over quota, never dropped)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.feedback.metrics import Band, metric
from saas.timeutil import utcnow
from tenants.models import Touchpoint
from tenants.scoping import TenantScoped


class ResponseState(str, enum.Enum):
    RECEIVED = "received"
    LOCKED = "locked"  # over the plan's monthly quota: kept, processed once unlocked
    CATEGORISED = "categorised"
    DONE = "done"


class Channel(str, enum.Enum):
    LINK = "link"
    QR = "qr"
    EMAIL = "email"


def _enum(cls, name):
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


class Response(TenantScoped, db.Model):
    __table_args__ = (
        # The form's one-time key: a double click, a refresh or the back button store one response.
        UniqueConstraint("touchpoint_id", "submission_key", name="uq_response_touchpoint_submission"),
        Index("ix_response_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="RESTRICT"), index=True)
    metric: Mapped[str] = mapped_column(String(4))  # the scale it was given on
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "response_channel"), default=Channel.LINK)
    hidden: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[ResponseState] = mapped_column(_enum(ResponseState, "response_state"), default=ResponseState.RECEIVED)
    submission_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    touchpoint: Mapped[Touchpoint] = relationship()

    @property
    def band(self) -> Band:
        return metric(self.metric).band(self.score)

    @property
    def is_locked(self) -> bool:
        return self.state == ResponseState.LOCKED
