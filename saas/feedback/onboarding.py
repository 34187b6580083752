"""A business starting out: signing up with the product's defaults (its categories, in its language),
the suggested touchpoints, and the end of the walk-through. The caller commits."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.core.timeutil import utcnow
from saas.feedback.categories import ensure_categories
from saas.feedback.models import Response, Touchpoint, TouchpointKind
from saas.feedback.touchpoints import create_touchpoint, touchpoints
from tenants import services
from tenants.models import Membership, Tenant


def sign_up(token: str, password: str) -> Membership:
    """The account and its owner from a sign-up link (tenants.services), and the default taxonomy:
    a business has its categories from its first page on, seeded by this write, never by a page view."""
    membership = services.signup(token, password)
    with tenant_scope(membership.tenant_id):
        ensure_categories(membership.tenant)
    return membership


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


@dataclass(frozen=True)
class Progress:
    """How far a business has come in setting up: what the dashboard's "Getting started" shows."""

    metric_chosen: bool
    touchpoints: bool
    answers: bool
    team: bool

    @property
    def complete(self) -> bool:
        return self.metric_chosen and self.touchpoints and self.answers and self.team


def progress(tenant: Tenant) -> Progress:
    def any_row(model) -> bool:
        return db.session.scalar(select(model.id).where(model.tenant_id == tenant.id).limit(1)) is not None

    return Progress(metric_chosen=tenant.onboarded_at is not None, touchpoints=any_row(Touchpoint),
                    answers=any_row(Response), team=len(services.team_members(tenant)) > 1)


def finish_onboarding(tenant: Tenant) -> None:
    """The walk-through is done (and a business that signed up before sign-up seeded its categories gets them)."""
    if tenant.onboarded_at is None:
        tenant.onboarded_at = utcnow()
    ensure_categories(tenant)
