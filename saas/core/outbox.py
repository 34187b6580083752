"""The outbox: every email the app sends is first a Message row.

Services call queue_email() inside the transaction of the change that causes the
email; after that transaction commits, worker.dispatch enqueues its delivery, and
the outbox sweep re-enqueues whatever is still pending later (Redis was down, a
worker died). Delivery itself lives in worker.mail.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, and_, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from saas.core.enums import LabelledEnum, enum_column
from saas.core.extensions import db
from saas.core.timeutil import utcnow


class MessageStatus(LabelledEnum):
    PENDING = "pending", _l("waiting")
    SENT = "sent", _l("sent")
    FAILED = "failed", _l("failed")
    CANCELLED = "cancelled", _l("cancelled")  # by a platform admin: never to be sent


class Message(db.Model):
    """Not TenantScoped on purpose: account emails (reset, verification) belong to a
    user rather than a tenant, and the sweeps read across tenants. Tenant pages
    filter on tenant_id explicitly."""

    __table_args__ = (Index("ix_message_recipient_created", "recipient", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Customer emails go out in the business's name, answers go to its own mailbox, and
    # they carry List-Unsubscribe headers.
    sender_name: Mapped[str | None] = mapped_column(String(120))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus, "message_status"),
        default=MessageStatus.PENDING, index=True,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def mark_sent(self) -> None:
        self.status = MessageStatus.SENT
        self.attempts += 1
        self.sent_at = utcnow()
        self.last_error = None

    def record_failure(self, error: str, max_attempts: int) -> None:
        self.attempts += 1
        self.last_error = error[:2000]
        if self.attempts >= max_attempts:
            self.status = MessageStatus.FAILED
        else:
            self.next_attempt_at = utcnow() + retry_delay(self.attempts)


def retry_now(message: Message) -> None:
    """A failed (or waiting) message gets a fresh set of attempts, due now; the caller commits and enqueues
    its delivery."""
    if message.status not in (MessageStatus.FAILED, MessageStatus.PENDING):
        raise ValueError(f"message {message.id} is {message.status.value}")
    message.status, message.attempts, message.next_attempt_at = MessageStatus.PENDING, 0, utcnow()


def cancel(message: Message) -> None:
    if message.status not in (MessageStatus.FAILED, MessageStatus.PENDING):
        raise ValueError(f"message {message.id} is {message.status.value}")
    message.status = MessageStatus.CANCELLED


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: 1, 2, 4, 8 … minutes, capped at an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def render_email(template: str, locale: str, **context) -> tuple[str, str, str]:
    """Render templates/email/<template>.{subject.txt,txt,html} in the given language."""
    with force_locale(locale):
        subject = render_template(f"email/{template}.subject.txt", **context).strip()
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", subject=subject, **context)
    return " ".join(subject.split()), text, html


def queue_email(
    kind: str,
    recipient: str,
    template: str,
    *,
    locale: str = "en",
    tenant_id: int | None = None,
    sender_name: str | None = None,
    reply_to: str | None = None,
    headers: dict | None = None,
    **context,
) -> Message:
    subject, text, html = render_email(template, locale, **context)
    message = Message(
        tenant_id=tenant_id,
        sender_name=sender_name,
        reply_to=reply_to,
        headers=headers or {},
        kind=kind,
        recipient=recipient,
        locale=locale,
        subject=subject,
        body_text=text,
        body_html=html,
        status=MessageStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow() + current_app.config["OUTBOX_RETRY_AFTER"],
    )
    db.session.add(message)
    return message


def claim_due_messages(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending messages whose (re)delivery time has come, pushed back by the retry delay
    as they are claimed: the sweep enqueues each once, not once a minute while it waits
    in a busy queue. The caller commits."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Message.id)
            .where(Message.status == MessageStatus.PENDING, Message.next_attempt_at <= now)
            .order_by(Message.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            update(Message).where(Message.id.in_(ids))
            .values(next_attempt_at=now + current_app.config["OUTBOX_RETRY_AFTER"])
        )
    return ids


def sent_since(tenant_id: int, kinds: tuple[str, ...], since: datetime) -> int:
    """How many emails of these kinds the tenant has had written since then (the outbox forgets none)."""
    return db.session.scalar(
        select(func.count(Message.id)).where(
            Message.tenant_id == tenant_id, Message.kind.in_(kinds), Message.created_at >= since
        )
    )


def sent_to_since(recipient: str, kinds: tuple[str, ...], since: datetime) -> int:
    """How many emails of these kinds this address has had written since then, from any business or none."""
    return db.session.scalar(
        select(func.count(Message.id)).where(
            Message.recipient == recipient, Message.kind.in_(kinds), Message.created_at >= since
        )
    )


def _visible_to(tenant_id: int, user_email: str):
    """The tenant's own emails, and the viewer's account emails (verification, reset), which belong to
    no tenant. Never another business's email, whoever it was addressed to."""
    return or_(Message.tenant_id == tenant_id, and_(Message.tenant_id.is_(None), Message.recipient == user_email))


def recent_messages(tenant_id: int, user_email: str, limit: int = 100) -> list[Message]:
    """What the dev outbox page shows: the tenant's emails and the viewer's own."""
    return list(
        db.session.scalars(
            select(Message).where(_visible_to(tenant_id, user_email)).order_by(Message.id.desc()).limit(limit)
        )
    )


def visible_message(message_id: int, tenant_id: int, user_email: str) -> Message | None:
    return db.session.scalar(select(Message).where(Message.id == message_id, _visible_to(tenant_id, user_email)))
