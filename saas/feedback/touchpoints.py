"""Touchpoints and the survey settings of a tenant: services for owners and admins."""
from __future__ import annotations

import re
import secrets

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from billing import plans
from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.i18n import LOCALES
from saas.core.sql import owned
from saas.core.timeutil import timezones
from saas.feedback import metrics
from saas.feedback.categories import relabel_defaults
from saas.feedback.models import Response, Touchpoint, TouchpointKind
from tenants.models import Membership, Tenant
from tenants.services import normalise_email

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


def parse_hidden_fields(raw: str) -> str:
    names = [name.strip().lower() for name in re.split(r"[,\s]+", raw or "") if name.strip()]
    for name in names:
        if not HIDDEN_FIELD_PATTERN.match(name) or name in RESERVED_PARAMETERS:
            raise Refusal(
                _l("“%(name)s” cannot be a hidden field: use lower-case letters, digits and _ (up to 30), "
                   "and none of: %(reserved)s.", name=name, reserved=", ".join(sorted(RESERVED_PARAMETERS))),
                field="hidden_fields",
            )
    if len(set(names)) > MAX_HIDDEN_FIELDS:
        raise Refusal(_l("At most %(count)s hidden fields.", count=MAX_HIDDEN_FIELDS), field="hidden_fields")
    return ",".join(dict.fromkeys(names))


def _assignee(tenant: Tenant, membership_id: int | None) -> Membership | None:
    if not membership_id:
        return None
    membership = db.session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.tenant_id == tenant.id)
    )
    if membership is None:
        raise Refusal(_l("Choose someone from your team."), field="default_assignee_id")
    return membership


def create_touchpoint(
    tenant: Tenant, name: str, kind: TouchpointKind, hidden_fields: str = "", default_assignee_id: int | None = None
) -> Touchpoint:
    name = (name or "").strip()
    if not name:
        raise Refusal(_l("Give the touchpoint a name."), field="name")
    plans.require_touchpoint(tenant, active_count(tenant))
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
        raise Refusal(_l("Give the touchpoint a name."), field="name")
    touchpoint.name = name
    touchpoint.kind = TouchpointKind(kind)
    touchpoint.hidden_fields = parse_hidden_fields(hidden_fields)
    touchpoint.default_assignee = _assignee(tenant, default_assignee_id)
    return touchpoint


def set_active(tenant: Tenant, touchpoint_id: int, active: bool) -> Touchpoint:
    touchpoint = get_touchpoint(tenant, touchpoint_id)
    if active and not touchpoint.active:
        plans.require_touchpoint(tenant, active_count(tenant))
    touchpoint.active = active
    return touchpoint


def delete_touchpoint(tenant: Tenant, touchpoint_id: int) -> None:
    touchpoint = get_touchpoint(tenant, touchpoint_id)
    has_responses = db.session.scalar(select(Response.id).where(Response.touchpoint_id == touchpoint.id).limit(1))
    if has_responses:
        raise Refusal(_l("This touchpoint has responses, so it cannot be deleted. Deactivate it instead."))
    db.session.delete(touchpoint)


# --- survey settings -----------------------------------------------------------------------


def update_survey_settings(
    tenant: Tenant, metric: str, question: str, brand_color: str, review_url: str, locale: str,
    sla_hours: int | None = None, reply_to: str | None = None, timezone: str | None = None,
) -> Tenant:
    if sla_hours is not None and not 1 <= sla_hours <= 168:
        raise Refusal(_l("Answer within 1 to 168 hours."), field="sla_hours")
    if locale not in LOCALES:
        raise Refusal(_l("Choose English, Russian or Ukrainian."), field="locale")
    if metric not in metrics.METRICS:
        raise Refusal(_l("Choose NPS, CSAT or CES."), field="metric")
    if timezone and timezone not in timezones():
        raise Refusal(_l("Choose a time zone from the list."), field="timezone")
    if not COLOR_PATTERN.match(brand_color or ""):
        raise Refusal(_l("Use a colour like #2457c5."), field="brand_color")
    review_url = (review_url or "").strip()
    if review_url and not re.match(r"^https?://[^\s/]+\.[^\s]+$", review_url):
        raise Refusal(_l("Use a full web address starting with https://"), field="review_url")
    question = " ".join((question or "").split())
    tenant.metric = metric
    tenant.metric_question = None if not question or _is_standard_wording(tenant, question) else question
    tenant.brand_color = brand_color.lower()
    tenant.review_url = review_url or None
    if locale != tenant.locale:
        relabel_defaults(tenant, tenant.locale, locale)
    tenant.locale = locale
    if sla_hours is not None:
        tenant.sla_hours = sla_hours
    if reply_to is not None:
        tenant.reply_to = normalise_email(reply_to) if reply_to.strip() else None
    if timezone:
        tenant.timezone = timezone
    return tenant


def _is_standard_wording(tenant: Tenant, question: str) -> bool:
    """A prefilled standard question left as it was (for any metric or language) stays
    standard, so each customer keeps getting it in their own language."""
    return any(
        question == standard_question(tenant, key, locale) for key in metrics.METRICS for locale in LOCALES
    )


def standard_question(tenant: Tenant, metric_key: str, locale: str) -> str:
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
        raise Refusal(_l("Use a logo of at most 60 KB."), field="logo")
    kind = next((mime for magic, mime in LOGO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise Refusal(_l("Use a PNG or JPEG image."), field="logo")
    tenant.logo, tenant.logo_type = data, kind
