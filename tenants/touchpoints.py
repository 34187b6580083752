"""Touchpoints and the survey settings of a tenant: services for owners and admins."""
from __future__ import annotations

import re
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from billing import plans
from saas.extensions import db
from saas.feedback import metrics
from saas.timeutil import utcnow
from tenants.models import LOCALES, Membership, Tenant, Touchpoint, TouchpointKind
from tenants.scoping import owned
from tenants.services import AccountError, normalise_email

HIDDEN_FIELD_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
RESERVED_PARAMETERS = {"score", "lang", "c", "comment", "email", "consent", "submission_key", "website"}
MAX_HIDDEN_FIELDS = 5
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")


def touchpoints(tenant: Tenant) -> list[Touchpoint]:
    return list(
        db.session.scalars(
            select(Touchpoint).where(Touchpoint.tenant_id == tenant.id).order_by(Touchpoint.active.desc(), Touchpoint.name)
        )
    )


def get_touchpoint(tenant: Tenant, touchpoint_id: int) -> Touchpoint:
    return owned(Touchpoint, tenant.id, touchpoint_id)


def active_count(tenant: Tenant) -> int:
    return db.session.scalar(
        select(func.count(Touchpoint.id)).where(Touchpoint.tenant_id == tenant.id, Touchpoint.active.is_(True))
    )


def _require_room(tenant: Tenant) -> None:
    if not plans.may_add_touchpoint(tenant, active_count(tenant)):
        plan = plans.plan_for(tenant)
        raise AccountError(
            _l("Your %(plan)s plan includes %(count)s active touchpoints. "
               "Upgrade your plan, or deactivate a touchpoint first.", plan=plan.name, count=plan.touchpoints),
            field="name",
        )


def parse_hidden_fields(raw: str) -> str:
    names = [name.strip().lower() for name in re.split(r"[,\s]+", raw or "") if name.strip()]
    for name in names:
        if not HIDDEN_FIELD_PATTERN.match(name) or name in RESERVED_PARAMETERS:
            raise AccountError(
                _l("“%(name)s” cannot be a hidden field: use lower-case letters, digits and _ (up to 30), "
                   "and none of: %(reserved)s.", name=name, reserved=", ".join(sorted(RESERVED_PARAMETERS))),
                field="hidden_fields",
            )
    if len(set(names)) > MAX_HIDDEN_FIELDS:
        raise AccountError(_l("At most %(count)s hidden fields.", count=MAX_HIDDEN_FIELDS), field="hidden_fields")
    return ",".join(dict.fromkeys(names))


def _assignee(tenant: Tenant, membership_id: int | None) -> Membership | None:
    if not membership_id:
        return None
    membership = db.session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.tenant_id == tenant.id)
    )
    if membership is None:
        raise AccountError(_l("Choose someone from your team."), field="default_assignee_id")
    return membership


def create_touchpoint(
    tenant: Tenant, name: str, kind: TouchpointKind, hidden_fields: str = "", default_assignee_id: int | None = None
) -> Touchpoint:
    name = (name or "").strip()
    if not name:
        raise AccountError(_l("Give the touchpoint a name."), field="name")
    _require_room(tenant)
    touchpoint = Touchpoint(
        tenant_id=tenant.id,
        name=name,
        kind=TouchpointKind(kind),
        token=secrets.token_urlsafe(16),
        active=True,
        hidden_fields=parse_hidden_fields(hidden_fields),
        default_assignee=_assignee(tenant, default_assignee_id),
    )
    db.session.add(touchpoint)
    db.session.flush()
    return touchpoint


def update_touchpoint(
    tenant: Tenant, touchpoint_id: int, name: str, kind: TouchpointKind, hidden_fields: str,
    default_assignee_id: int | None,
) -> Touchpoint:
    touchpoint = get_touchpoint(tenant, touchpoint_id)
    name = (name or "").strip()
    if not name:
        raise AccountError(_l("Give the touchpoint a name."), field="name")
    touchpoint.name = name
    touchpoint.kind = TouchpointKind(kind)
    touchpoint.hidden_fields = parse_hidden_fields(hidden_fields)
    touchpoint.default_assignee = _assignee(tenant, default_assignee_id)
    return touchpoint


def set_active(tenant: Tenant, touchpoint_id: int, active: bool) -> Touchpoint:
    touchpoint = get_touchpoint(tenant, touchpoint_id)
    if active and not touchpoint.active:
        _require_room(tenant)
    touchpoint.active = active
    return touchpoint


def delete_touchpoint(tenant: Tenant, touchpoint_id: int) -> None:
    from saas.feedback.models import Response

    touchpoint = get_touchpoint(tenant, touchpoint_id)
    has_responses = db.session.scalar(select(Response.id).where(Response.touchpoint_id == touchpoint.id).limit(1))
    if has_responses:
        raise AccountError(_l("This touchpoint has responses, so it cannot be deleted. Deactivate it instead."))
    db.session.delete(touchpoint)


SUGGESTIONS = (
    ("Website", TouchpointKind.WEBSITE),
    ("Shop", TouchpointKind.STORE),
    ("Delivery", TouchpointKind.DELIVERY),
    ("Newsletter", TouchpointKind.NEWSLETTER),
    ("Mobile app", TouchpointKind.APP),
    ("Customer support", TouchpointKind.SUPPORT),
)


def add_suggested(tenant: Tenant, names: list[str]) -> list[Touchpoint]:
    """Onboarding: create the chosen suggestions, as many as the plan allows."""
    kinds = dict(SUGGESTIONS)
    existing = {tp.name for tp in touchpoints(tenant)}
    created = []
    for name in names:
        if name in kinds and name not in existing:
            created.append(create_touchpoint(tenant, name, kinds[name]))
    return created


def finish_onboarding(tenant: Tenant) -> None:
    if tenant.onboarded_at is None:
        tenant.onboarded_at = utcnow()


# --- survey settings -----------------------------------------------------------------------


def update_survey_settings(
    tenant: Tenant, metric: str, question: str, brand_color: str, review_url: str, locale: str,
    sla_hours: int | None = None, reply_to: str | None = None,
) -> Tenant:
    if sla_hours is not None and not 1 <= sla_hours <= 168:
        raise AccountError(_l("Answer within 1 to 168 hours."), field="sla_hours")
    if locale not in LOCALES:
        raise AccountError(_l("Choose English, Russian or Ukrainian."), field="locale")
    if metric not in metrics.METRICS:
        raise AccountError(_l("Choose NPS, CSAT or CES."), field="metric")
    if not COLOR_PATTERN.match(brand_color or ""):
        raise AccountError(_l("Use a colour like #2457c5."), field="brand_color")
    review_url = (review_url or "").strip()
    if review_url and not re.match(r"^https?://[^\s/]+\.[^\s]+$", review_url):
        raise AccountError(_l("Use a full web address starting with https://"), field="review_url")
    question = " ".join((question or "").split())
    tenant.metric = metric
    tenant.metric_question = None if not question or _is_standard_wording(tenant, question) else question
    tenant.brand_color = brand_color.lower()
    tenant.review_url = review_url or None
    tenant.locale = locale
    if sla_hours is not None:
        tenant.sla_hours = sla_hours
    if reply_to is not None:
        tenant.reply_to = normalise_email(reply_to) if reply_to.strip() else None
    return tenant


def _is_standard_wording(tenant: Tenant, question: str) -> bool:
    """A prefilled standard question left as it was (for any metric or language) stays
    standard, so each customer keeps getting it in their own language."""
    return any(
        question == standard_question(tenant, key, locale) for key in metrics.METRICS for locale in LOCALES
    )


def standard_question(tenant: Tenant, metric_key: str, locale: str) -> str:
    from flask_babel import force_locale

    with force_locale(locale):
        return str(metrics.metric(metric_key).question) % {"business": tenant.name}


def question_for(tenant: Tenant, locale: str) -> str:
    """The survey question: the owner's own wording, or the standard one in the customer's language."""
    return tenant.metric_question or standard_question(tenant, tenant.metric, locale)


LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
MAX_LOGO_BYTES = 60 * 1024


def set_logo(tenant: Tenant, data: bytes | None) -> None:
    """PNG or JPEG only, told apart by their first bytes (no SVG: it can carry scripts)."""
    if not data:
        tenant.logo = tenant.logo_type = None
        return
    if len(data) > MAX_LOGO_BYTES:
        raise AccountError(_l("Use a logo of at most 60 KB."), field="logo")
    kind = next((mime for magic, mime in LOGO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise AccountError(_l("Use a PNG or JPEG image."), field="logo")
    tenant.logo, tenant.logo_type = data, kind
