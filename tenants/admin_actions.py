"""What platform admins do to a business, each with a reason and each written to the append-only audit log
(AdminAuditEvent: who, when, what, which business, before and after). Callers run unscoped and commit."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, event, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from billing import entitlement
from billing import sync as mirror
from billing.models import BillingAccount, StripeEvent
from billing.plans import PLANS
from saas.core import outbox
from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.sql import paginate
from saas.core.timeutil import as_utc, utcnow
from tenants import billing, deletion, services
from tenants.models import Membership, Role, Tenant, TenantStatus, User

MAX_REASON = 500
STATUS_LABELS = {TenantStatus.ACTIVE: _l("active"), TenantStatus.SUSPENDED: _l("suspended"),
                 TenantStatus.DELETED: _l("deleted")}
ACTIONS = {
    "suspend": _l("suspended"), "reactivate": _l("reactivated"), "comp": _l("plan comped"),
    "end_comp": _l("comp ended"), "extend_grace": _l("grace period extended"),
    "resend_verification": _l("verification email sent again"), "transfer_ownership": _l("ownership transferred"),
    "retry_email": _l("email sent again"), "cancel_email": _l("email cancelled"),
    "delete": _l("deleted"), "cancel_deletion": _l("deletion cancelled"), "purge": _l("purged"),
    "export": _l("exported"), "impersonate": _l("viewing as a member began"), "stop_impersonating": _l("viewing as a member ended"),
    "replay_event": _l("Stripe event replayed"), "requeue_job": _l("job requeued"), "delete_job": _l("job deleted"),
}


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


SYSTEM = "scheduled job"  # the audit log's "who" for what a job did on an admin's behalf (a purge)


def record(admin: User | None, tenant: Tenant | None, action: str, reason: str, before: dict, after: dict) -> None:
    """One row of the audit log (the reason checked first: an action without one is refused)."""
    db.session.add(AdminAuditEvent(admin_id=admin.id if admin else None, admin_email=admin.email if admin else SYSTEM,
                                   tenant_id=tenant.id if tenant else None, tenant_slug=tenant.slug if tenant else None,
                                   action=action, reason=_reason(reason), before=before, after=after))


def _reason(text: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise Refusal(_l("Say why: the reason goes into the audit log."), field="reason")
    if len(reason) > MAX_REASON:
        raise Refusal(_l("Keep the reason under %(count)s characters.", count=MAX_REASON), field="reason")
    return reason


def set_status(admin: User, tenant: Tenant, status: TenantStatus, reason: str) -> None:
    """Suspend (staff see a page saying so; surveys politely close; nothing is deleted) or reactivate."""
    if tenant.status == status:
        raise Refusal(_l("The business is %(status)s already.", status=_status_label(status)))
    before = {"status": tenant.status.value}
    tenant.status = status
    record(admin, tenant, "suspend" if status == TenantStatus.SUSPENDED else "reactivate", reason, before,
           {"status": status.value})


def comp_plan(admin: User, tenant: Tenant, plan: str, until: datetime | None, reason: str) -> bool:
    """Grant a plan that overrides Stripe (for good, or until `until`); whether the plan in use changed (a
    bigger one: the caller unlocks the answers it has room for)."""
    if plan not in PLANS:
        raise Refusal(_l("Choose one of the plans."), field="plan")
    now = utcnow()
    if until is not None and as_utc(until) <= now:
        raise Refusal(_l("The end date must be in the future."), field="until")
    account = billing.account_of(tenant, lock=True)
    before = _comp_state(tenant, account)
    account.comp_plan, account.comp_until = plan, until
    changed = entitlement.apply(tenant, account, now)
    record(admin, tenant, "comp", reason, before, _comp_state(tenant, account))
    return changed


def end_comp(admin: User, tenant: Tenant, reason: str) -> bool:
    account = billing.account_of(tenant, lock=True)
    if account.comp_plan is None:
        raise Refusal(_l("This business has no comped plan."))
    before = _comp_state(tenant, account)
    account.comp_plan = account.comp_until = None
    changed = entitlement.apply(tenant, account)
    record(admin, tenant, "end_comp", reason, before, _comp_state(tenant, account))
    return changed


def _comp_state(tenant: Tenant, account: BillingAccount) -> dict:
    return {"plan": tenant.plan, "comp_plan": account.comp_plan,
            "comp_until": account.comp_until.isoformat() if account.comp_until else None}


MAX_GRACE_EXTENSION_DAYS = 60


def extend_grace(admin: User, tenant: Tenant, days: int, reason: str) -> datetime:
    """Keep a past-due business on its paid plan `days` longer than its grace period ends now; the new end."""
    if not 1 <= (days or 0) <= MAX_GRACE_EXTENSION_DAYS:
        raise Refusal(_l("Between 1 and %(count)s days.", count=MAX_GRACE_EXTENSION_DAYS), field="days")
    account = billing.account_of(tenant, lock=True)
    ends = entitlement.grace_ends(account)
    if ends is None:
        raise Refusal(_l("Its subscription is not past due: there is no grace period to extend."))
    before = {"grace_ends": ends.isoformat(), "plan": tenant.plan}
    account.grace_until = max(ends, utcnow()) + timedelta(days=days)
    entitlement.apply(tenant, account)
    record(admin, tenant, "extend_grace", reason, before,
           {"grace_ends": entitlement.grace_ends(account).isoformat(), "plan": tenant.plan})
    return account.grace_until


def resend_verification(admin: User, tenant: Tenant, reason: str) -> list[str]:
    """A new verification email to each owner who has not verified their address; their addresses."""
    unverified = [owner.user for owner in services.owners(tenant) if not owner.user.is_verified]
    if not unverified:
        raise Refusal(_l("Every owner has verified their address already."))
    for user in unverified:
        services.send_verification(user, tenant.id)
    record(admin, tenant, "resend_verification", reason, {}, {"sent_to": [user.email for user in unverified]})
    return [user.email for user in unverified]


def transfer_ownership(admin: User, tenant: Tenant, membership_id: int | None, reason: str) -> Membership:
    """Make a member the business's owner; its owners until now become admins."""
    db.session.execute(select(Tenant.id).where(Tenant.id == tenant.id).with_for_update())  # as services do
    member = db.session.scalar(select(Membership).where(Membership.id == membership_id,
                                                        Membership.tenant_id == tenant.id))
    if member is None or member.role == Role.OWNER:
        raise Refusal(_l("Choose a member who is not an owner."), field="member")
    owners = services.owners(tenant)
    before = {"owners": [owner.user.email for owner in owners], "new_owner_role": member.role.value}
    for owner in owners:
        owner.role = Role.ADMIN
    member.role = Role.OWNER
    record(admin, tenant, "transfer_ownership", reason, before, {"owners": [member.user.email],
                                                                 "previous_owners_role": Role.ADMIN.value})
    return member


def impersonation_started(admin: User, tenant: Tenant, membership_id: int | None, reason: str) -> Membership:
    """The member of this business an admin is about to view the app as (read-only; see saas.web.impersonation)."""
    member = db.session.scalar(select(Membership).where(Membership.id == membership_id,
                                                        Membership.tenant_id == tenant.id))
    if member is None:
        raise Refusal(_l("Choose one of the business's members."), field="member")
    record(admin, tenant, "impersonate", reason, {}, {"as": member.user.email, "role": member.role.value})
    return member


def delete_business(admin: User, tenant: Tenant, typed_slug: str, reason: str) -> datetime:
    """Close the business at once (surveys, log-in, its waiting emails cancelled), end its Stripe
    subscription, and purge its rows after the grace (a job does); when. Typing its slug confirms."""
    if (typed_slug or "").strip().lower() != tenant.slug:
        raise Refusal(_l("Type the business's slug, %(slug)s, to confirm.", slug=tenant.slug), field="slug")
    if tenant.status == TenantStatus.DELETED:
        raise Refusal(_l("The business is deleted already."))
    before = {"status": tenant.status.value, "plan": tenant.plan, "rows": deletion.row_counts(tenant)}
    subscription = billing.end_subscription(tenant)
    cancelled = db.session.execute(
        update(Message).where(Message.tenant_id == tenant.id, Message.status == MessageStatus.PENDING)
        .values(status=MessageStatus.CANCELLED)).rowcount
    purge_after = deletion.mark_deleted(tenant)
    record(admin, tenant, "delete", reason, before, {
        "status": tenant.status.value, "purge_after": purge_after.isoformat(), "subscription_cancelled": subscription,
        "emails_cancelled": cancelled})
    return purge_after


def cancel_deletion(admin: User, tenant: Tenant, reason: str) -> None:
    """Before the purge: the business opens again (a cancelled subscription stays cancelled)."""
    if tenant.status != TenantStatus.DELETED:
        raise Refusal(_l("The business is not deleted."))
    before = {"status": tenant.status.value, "purge_after": tenant.purge_after.isoformat()}
    deletion.unmark_deleted(tenant)
    record(admin, tenant, "cancel_deletion", reason, before, {"status": tenant.status.value})


def exported(admin: User, tenant: Tenant, reason: str) -> Tenant:
    """Written down before a business's full export is handed to an admin (it holds its customers' data)."""
    record(admin, tenant, "export", reason, {}, {"rows": deletion.row_counts(tenant)})
    return tenant


def purge(tenant: Tenant) -> dict[str, int]:
    """Every row of a deleted business whose grace has passed, gone (rows per table), written to the log."""
    if tenant.status != TenantStatus.DELETED:
        raise ValueError(f"{tenant.slug} is not deleted")
    rows = deletion.purge(tenant)  # the tenant is gone from the session; its id and slug are still loaded
    record(None, tenant, "purge", "30 days after deletion", {"rows": rows}, {})
    return rows


# --- operations: emails and Stripe events -------------------------------------------------------------------


def retry_email(admin: User, message: Message, reason: str) -> None:
    """A failed (or waiting) email gets a fresh set of attempts; the caller commits and enqueues delivery."""
    _operable(message.status in (MessageStatus.FAILED, MessageStatus.PENDING))
    before = {"message": message.id, "status": message.status.value, "attempts": message.attempts}
    outbox.retry_now(message)
    record(admin, _tenant_of(message.tenant_id), "retry_email", reason, before,
           {"message": message.id, "status": message.status.value})


def cancel_email(admin: User, message: Message, reason: str) -> None:
    _operable(message.status in (MessageStatus.FAILED, MessageStatus.PENDING))
    before = {"message": message.id, "status": message.status.value}
    outbox.cancel(message)
    record(admin, _tenant_of(message.tenant_id), "cancel_email", reason, before,
           {"message": message.id, "status": message.status.value})


def replay_event(admin: User, event: StripeEvent, reason: str) -> None:
    """Process a Stripe event again (the caller commits and enqueues its processing)."""
    before = {"event": event.stripe_id, "status": event.status.value}
    mirror.replay_event(event)
    record(admin, _tenant_of_customer(event.customer_id), "replay_event", reason, before,
           {"event": event.stripe_id, "status": event.status.value})


def _operable(allowed: bool) -> None:
    if not allowed:
        raise Refusal(_l("It has been sent or cancelled already."))


def _tenant_of(tenant_id: int | None) -> Tenant | None:
    return db.session.get(Tenant, tenant_id) if tenant_id else None


def _tenant_of_customer(customer_id: str | None) -> Tenant | None:
    if not customer_id:
        return None
    return db.session.scalar(select(Tenant).join(BillingAccount, BillingAccount.tenant_id == Tenant.id)
                             .where(BillingAccount.stripe_customer_id == customer_id))


def _status_label(status: TenantStatus):
    return STATUS_LABELS[status]


# --- reading ------------------------------------------------------------------------------------------------


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
