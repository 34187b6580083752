""""You said, we did": an improvement told to every consenting, subscribed customer whose
comment fell in its categories (optionally: touchpoints, feedback since a date). One email
per address however many comments they left; sent in batches by a job, safe to re-run."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.sql import insert, owned
from saas.core.timeutil import utcnow
from saas.feedback.customers import customer_email
from saas.feedback.models import (
    Category,
    Improvement,
    ImprovementDelivery,
    Response,
    ResponseCategory,
    Touchpoint,
    Unsubscribe,
)
from tenants.models import Tenant
from tenants.services import require_verified_owner

BATCH = 200


def improvements(tenant: Tenant) -> list[Improvement]:
    return list(db.session.scalars(
        select(Improvement).where(Improvement.tenant_id == tenant.id).order_by(Improvement.created_at.desc())
    ))


def get_improvement(tenant: Tenant, improvement_id: int) -> Improvement:
    return owned(Improvement, tenant.id, improvement_id)


def _own_ids(model, tenant: Tenant, ids: list[int], field: str, refusal) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in ids or []))
    known = set(db.session.scalars(select(model.id).where(model.tenant_id == tenant.id, model.id.in_(ids))))
    if set(ids) - known:
        raise Refusal(refusal, field=field)
    return ids


def create_improvement(tenant: Tenant, title: str, body: str, category_ids: list[int],
                       touchpoint_ids: list[int], since: datetime | None, published: bool) -> Improvement:
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise Refusal(_l("Give it a title."), field="title")
    if not body:
        raise Refusal(_l("Say what changed."), field="body")
    categories = _own_ids(Category, tenant, category_ids, "category_ids", _l("Choose from your categories."))
    if not categories:
        raise Refusal(_l("Choose at least one category: who complained about it hears about it."), field="category_ids")
    improvement = Improvement(
        tenant_id=tenant.id, title=title[:200], body=body[:10_000], category_ids=categories,
        touchpoint_ids=_own_ids(Touchpoint, tenant, touchpoint_ids, "touchpoint_ids", _l("Choose from your touchpoints.")),
        since=since, published=published,
    )
    db.session.add(improvement)
    db.session.flush()
    return improvement


def _audience(improvement: Improvement):
    """Each reachable address once, with the language of their latest comment."""
    email = func.lower(Response.contact_email)
    conditions = [
        Response.tenant_id == improvement.tenant_id, Response.consent.is_(True), Response.contact_email.is_not(None),
        Response.categories.any(ResponseCategory.category_id.in_(improvement.category_ids)),
        ~select(Unsubscribe.id).where(Unsubscribe.tenant_id == improvement.tenant_id, Unsubscribe.email == email).exists(),
    ]
    if improvement.touchpoint_ids:
        conditions.append(Response.touchpoint_id.in_(improvement.touchpoint_ids))
    if improvement.since:
        conditions.append(Response.created_at >= improvement.since)
    latest = (
        select(email.label("email"), Response.locale, func.row_number().over(
            partition_by=email, order_by=Response.created_at.desc()).label("rank"))
        .where(and_(*conditions)).subquery()
    )
    return select(latest.c.email, latest.c.locale).where(latest.c.rank == 1)


def reach(improvement: Improvement) -> int:
    return db.session.scalar(select(func.count()).select_from(_audience(improvement).subquery()))


def request_sending(improvement: Improvement) -> None:
    """Recorded before the fan-out is enqueued: if the queue is down, the sweep starts it later."""
    require_verified_owner(db.session.get(Tenant, improvement.tenant_id))
    improvement.send_requested_at = utcnow()


def send_batch(improvement: Improvement) -> int:
    """Queue the next batch of emails; returns how many (0 when everyone has been told)."""
    done = select(ImprovementDelivery.email).where(ImprovementDelivery.improvement_id == improvement.id)
    audience = _audience(improvement).subquery()
    batch = db.session.execute(
        select(audience.c.email, audience.c.locale).where(audience.c.email.not_in(done)).order_by(audience.c.email)
        .limit(BATCH)
    ).all()
    tenant = db.session.get(Tenant, improvement.tenant_id)
    sent = 0
    for email, locale in batch:
        claimed = db.session.execute(
            insert(ImprovementDelivery).values(tenant_id=improvement.tenant_id, improvement_id=improvement.id,
                                               email=email, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=[ImprovementDelivery.improvement_id, ImprovementDelivery.email])
            .returning(ImprovementDelivery.id)
        ).scalar_one_or_none()
        if claimed:  # another run did not get there first
            customer_email(tenant, email, locale, "improvement", "improvement", improvement=improvement)
            sent += 1
    if not batch:
        improvement.sent_at = utcnow()
    return sent


def published(tenant: Tenant) -> list[Improvement]:
    return list(db.session.scalars(
        select(Improvement).where(Improvement.tenant_id == tenant.id, Improvement.published.is_(True))
        .order_by(Improvement.created_at.desc())
    ))
