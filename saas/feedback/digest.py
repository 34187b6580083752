"""The weekly digest: every Monday from 08:00 in the business's time zone, each owner and admin who has not
turned it off gets last week's key metric and its change, the answers, the top drivers, loop health, the
latest unhappy comments and a link to the dashboard, in their own language.

Once per person and week, however often the sweep runs and on however many workers: a DigestSent row
(unique per business, person and week) is claimed in the transaction that queues the email, so only one
sweep can queue it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, DateTime, ForeignKey, UniqueConstraint, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column

from saas.core.extensions import db
from saas.core.outbox import queue_email
from saas.core.scoping import TenantScoped, tenant_scope, unscoped
from saas.core.sql import insert
from saas.core.timeutil import utcnow, zone_of
from saas.core.urls import absolute_url
from saas.feedback.dashboard import Overview, overview
from saas.feedback.filters import Filters, Period, answers_in
from saas.feedback.metrics import Band, metric
from saas.feedback.models import Response
from tenants import tokens
from tenants.models import Membership, Role, Tenant, User

SENDING_FROM_HOUR = 8  # local time on Monday
TOKEN_PURPOSE = "digest_off"


class DigestSent(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "week", name="uq_digest_sent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    week: Mapped[date] = mapped_column(Date)  # the Monday it was sent on, in the business's time zone
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def week_due(tenant: Tenant, now: datetime) -> date | None:
    """The business's Monday if it is Monday morning or later that day there; else None."""
    local = now.astimezone(zone_of(tenant))
    return local.date() if local.weekday() == 0 and local.hour >= SENDING_FROM_HOUR else None


def send_due(now: datetime | None = None) -> int:
    """Queue every digest that is due and not claimed yet; how many. The caller commits."""
    now = now or utcnow()
    queued = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        monday = week_due(tenant, now)
        if monday is None or not tenant.is_active:
            continue
        with tenant_scope(tenant.id):
            readers = _readers(tenant, monday)
            if readers:  # the numbers are worked out only while someone still waits for them
                numbers = last_week(tenant, monday)
                queued += sum(_send_once(tenant, reader, monday, numbers) for reader in readers)
    return queued


def _readers(tenant: Tenant, monday: date) -> list[User]:
    """Owners and admins with a verified address who want the digest and have not had this week's."""
    had_it = select(DigestSent.user_id).where(DigestSent.tenant_id == tenant.id, DigestSent.week == monday)
    members = db.session.scalars(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.role.in_([Role.OWNER, Role.ADMIN]),
                                 Membership.user_id.not_in(had_it))
        .options(joinedload(Membership.user)).order_by(Membership.id))
    return [member.user for member in members if member.user.is_verified and member.user.weekly_digest]


def _send_once(tenant: Tenant, user: User, monday: date, numbers: Digest) -> bool:
    claimed = db.session.scalar(
        insert(DigestSent).values(tenant_id=tenant.id, user_id=user.id, week=monday, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["tenant_id", "user_id", "week"]).returning(DigestSent.id))
    if claimed is None:
        return False  # another sweep queued it
    turn_off = absolute_url("account.digest_off", token=tokens.sign(TOKEN_PURPOSE, user.id))
    queue_email(
        "weekly_digest", user.email, "weekly_digest", locale=user.locale, tenant_id=tenant.id,
        headers={"List-Unsubscribe": f"<{turn_off}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        tenant=tenant, user=user, digest=numbers, turn_off=turn_off, scale=metric(tenant.metric),
        dashboard=absolute_url("main.dashboard", **numbers.numbers.filters.query_args()),
    )
    return True


@dataclass(frozen=True)
class Digest:
    numbers: Overview
    unhappy: list[Response]  # the latest comments of the week from detractors, newest first


def last_week(tenant: Tenant, monday: date) -> Digest:
    """The seven local days before `monday`, beside the seven before them."""
    filters = Filters(Period("custom", monday - timedelta(days=7), monday - timedelta(days=1)))
    low, high = metric(tenant.metric).band_range(Band.DETRACTOR)
    unhappy = db.session.scalars(
        answers_in(tenant, filters, select(Response)).where(Response.score.between(low, high), Response.comment != "")
        .order_by(Response.created_at.desc()).limit(3))
    return Digest(overview(tenant, filters), list(unhappy))


def is_a_reader(user: User) -> bool:
    """Whether the digest is for this person at all: an owner or admin of some business."""
    with unscoped():
        return db.session.scalar(select(Membership.id).where(
            Membership.user_id == user.id, Membership.role.in_([Role.OWNER, Role.ADMIN])).limit(1)) is not None


def set_wanted(user: User, wanted: bool) -> None:
    user.weekly_digest = bool(wanted)


def reader_of(token: str) -> User:
    """The person a digest's "turn off" link was sent to; tokens.InvalidToken for a bad link. The link does
    not expire: last year's digest must still be able to stop this year's."""
    user = db.session.get(User, tokens.unsign(TOKEN_PURPOSE, token, max_age=None))
    if user is None:
        raise tokens.InvalidToken("no such user")
    return user
