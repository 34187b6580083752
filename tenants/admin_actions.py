"""What platform admins do to a business, each with a reason and each written to the append-only audit log
(AdminAuditEvent: who, when, what, which business, before and after). Callers run unscoped and commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, event, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from billing import usage
from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.sql import paginate
from saas.core.timeutil import utcnow
from tenants.models import Membership, Role, Tenant, TenantStatus, User

MAX_REASON = 500
ACTIONS = {"suspend": _l("suspended"), "reactivate": _l("reactivated")}


class AdminAuditEvent(db.Model):
    """Append-only: the app inserts these and never changes or deletes one (see _refuse_changes)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    admin_email: Mapped[str] = mapped_column(String(254))  # kept if the admin's account goes
    tenant_id: Mapped[int | None] = mapped_column(index=True)  # no foreign key: the record outlives the tenant
    tenant_slug: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    admin: Mapped[User | None] = relationship()

    @property
    def label(self):
        return ACTIONS.get(self.action, self.action)


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, flush_context, instances) -> None:
    if any(isinstance(row, AdminAuditEvent) for row in (*session.dirty, *session.deleted)):
        raise RuntimeError("the admin audit log is append-only")


def _audit(admin: User, tenant: Tenant, action: str, reason: str, before: dict, after: dict) -> None:
    db.session.add(AdminAuditEvent(admin_id=admin.id, admin_email=admin.email, tenant_id=tenant.id,
                                   tenant_slug=tenant.slug, action=action, reason=reason, before=before,
                                   after=after))


def _reason(text: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise Refusal(_l("Say why: the reason goes into the audit log."), field="reason")
    if len(reason) > MAX_REASON:
        raise Refusal(_l("Keep the reason under %(count)s characters.", count=MAX_REASON), field="reason")
    return reason


def set_status(admin: User, tenant: Tenant, status: TenantStatus, reason: str) -> None:
    """Suspend (staff see a page saying so; surveys politely close; nothing is deleted) or reactivate."""
    reason = _reason(reason)
    if tenant.status == status:
        raise Refusal(_l("The business is %(status)s already.", status=_status_label(status)))
    before = {"status": tenant.status.value}
    tenant.status = status
    _audit(admin, tenant, "suspend" if status == TenantStatus.SUSPENDED else "reactivate", reason, before,
           {"status": status.value})


def _status_label(status: TenantStatus):
    return _l("suspended") if status == TenantStatus.SUSPENDED else _l("active")


# --- reading ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantRow:
    tenant: Tenant
    owner_email: str | None
    members: int
    responses_this_month: int


def tenants(search: str = "", plan: str = "", status: str = "", page: int = 1):
    """A page of businesses, newest first: by name, slug or an owner's email; by plan and status."""
    query = select(Tenant).order_by(Tenant.created_at.desc(), Tenant.id.desc())
    if search.strip():
        like = f"%{search.strip().lower()}%"
        owners = (select(Membership.tenant_id).join(Membership.user)
                  .where(Membership.role == Role.OWNER, func.lower(User.email).like(like)))
        query = query.where(or_(func.lower(Tenant.name).like(like), func.lower(Tenant.slug).like(like),
                                Tenant.id.in_(owners)))
    if plan:
        query = query.where(Tenant.plan == plan)
    if status in {s.value for s in TenantStatus}:
        query = query.where(Tenant.status == TenantStatus(status))
    return paginate(query, page)


def rows_for(page_of_tenants) -> list[TenantRow]:
    ids = [tenant.id for tenant in page_of_tenants]
    owners = dict(db.session.execute(
        select(Membership.tenant_id, func.min(User.email)).join(Membership.user)
        .where(Membership.tenant_id.in_(ids), Membership.role == Role.OWNER).group_by(Membership.tenant_id)).all())
    members = dict(db.session.execute(select(Membership.tenant_id, func.count(Membership.id))
                                      .where(Membership.tenant_id.in_(ids)).group_by(Membership.tenant_id)).all())
    return [TenantRow(tenant, owners.get(tenant.id), members.get(tenant.id, 0), usage.this_month(tenant.id))
            for tenant in page_of_tenants]


def members_of(tenant: Tenant) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.tenant_id == tenant.id)
                                   .order_by(Membership.role, Membership.id)))


def audit_log(admin: str = "", tenant: str = "", action: str = "", first: date | None = None,
              last: date | None = None, page: int = 1):
    """A page of the audit log, newest first, narrowed by admin email, tenant slug, action and dates (UTC)."""
    query = select(AdminAuditEvent).order_by(AdminAuditEvent.created_at.desc(), AdminAuditEvent.id.desc())
    if admin.strip():
        query = query.where(func.lower(AdminAuditEvent.admin_email).like(f"%{admin.strip().lower()}%"))
    if tenant.strip():
        query = query.where(func.lower(AdminAuditEvent.tenant_slug).like(f"%{tenant.strip().lower()}%"))
    if action in ACTIONS:
        query = query.where(AdminAuditEvent.action == action)
    if first is not None:
        query = query.where(AdminAuditEvent.created_at >= datetime.combine(first, time.min, timezone.utc))
    if last is not None:
        query = query.where(AdminAuditEvent.created_at < datetime.combine(last + timedelta(days=1), time.min,
                                                                          timezone.utc))
    return paginate(query, page)
