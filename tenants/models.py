"""Accounts: tenants (the businesses), users, their memberships and invitations."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from saas.core.enums import LabelledEnum, enum_column
from saas.core.extensions import db
from saas.core.scoping import TenantScoped
from saas.core.timeutil import as_utc, utcnow


class Role(LabelledEnum):
    """Ordered from most to least powerful; see ROLE_RANK."""

    OWNER = "owner", _l("Owner")
    ADMIN = "admin", _l("Admin")
    STAFF = "staff", _l("Staff")


ROLE_RANK = {Role.OWNER: 3, Role.ADMIN: 2, Role.STAFF: 1}


class TenantStatus(str, Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"  # by a platform admin: closed at once, its rows purged after a grace (tenants.deletion)


class Tenant(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    plan: Mapped[str] = mapped_column(String(20), default="free")
    status: Mapped[TenantStatus] = mapped_column(enum_column(TenantStatus, "tenant_status"), default=TenantStatus.ACTIVE)
    # The key metric (nps|csat|ces, see saas.feedback.metrics); each response keeps its own.
    metric: Mapped[str] = mapped_column(String(4), default="nps")
    # The owner's own wording; None means the standard question in the customer's language.
    metric_question: Mapped[str | None] = mapped_column(String(300))
    brand_color: Mapped[str] = mapped_column(String(7), default="#2457c5")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # PNG or JPEG, shown on surveys
    logo_type: Mapped[str | None] = mapped_column(String(20))
    review_url: Mapped[str | None] = mapped_column(String(500))
    # A customer left without an answer for more than a day is a customer lost.
    sla_hours: Mapped[int] = mapped_column(Integer, default=24)
    # Where customers' answers to our emails go (the business's own mailbox).
    reply_to: Mapped[str | None] = mapped_column(String(254))
    # The business's own lists; None means the defaults (saas.feedback.customers / tasks).
    root_causes: Mapped[list | None] = mapped_column(JSON)
    saved_replies: Mapped[dict | None] = mapped_column(JSON)  # {"en": [[title, text], ...], "ru": ...}
    onboarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    purge_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # set while deleted

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    weekly_digest: Mapped[bool] = mapped_column(Boolean, default=True)  # owners' and admins' Monday email
    # Two-factor log-in (TOTP), which platform admins must have before any admin page opens.
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # the last code's time step: no code twice
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    session_key = None  # not stored: the key of the browser session this object was loaded for

    @property
    def display_name(self) -> str:
        """How the app names this person to others: their name, else their email address."""
        return self.name or self.email

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the user and the signed-in
        browser (tenants.sessions), so that one browser's session can be ended on its own."""
        if self.session_key is None:
            raise RuntimeError("sign in through tenants.sessions.open_session() first")
        return f"{self.id}.{self.session_key}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class Membership(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", name="uq_membership_tenant_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    tenant: Mapped[Tenant] = relationship()

    def has_role(self, at_least: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[at_least]


class Invitation(TenantScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tenant: Mapped[Tenant] = relationship()
    invited_by: Mapped[User | None] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and as_utc(self.expires_at) > utcnow()


class UserSession(db.Model):
    """A signed-in browser. Its cookie names it by a random key (only the key's hash is stored); log-out
    ends it, a password change or reset ends all of the user's."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app (kept as a hash; used once)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
