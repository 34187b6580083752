"""The demo tenant `flask demo` seeds (idempotent: running it again changes nothing)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from saas.cli.demo_feedback import seed_feedback
from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.core.timeutil import utcnow
from saas.core.urls import absolute_url
from tenants.models import Membership, Role, Tenant, User
from tenants.services import unique_slug

DEMO_TENANT = "Demo Coffee Roasters"
DEMO_PASSWORD = "demo-password-1"
DEMO_PEOPLE = (
    ("owner@demo.example.com", "Olga Owner", Role.OWNER),
    ("admin@demo.example.com", "Adam Admin", Role.ADMIN),
    ("staff@demo.example.com", "Sasha Staff", Role.STAFF),
)


@dataclass
class DemoLogin:
    email: str
    password: str
    role: Role


@dataclass
class DemoSeed:
    logins: list[DemoLogin]
    survey_urls: dict[str, str]


def seed_demo() -> DemoSeed:
    with unscoped():
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == DEMO_TENANT))
        if tenant is None:
            tenant = Tenant(name=DEMO_TENANT, slug=unique_slug(DEMO_TENANT), locale="en", plan="starter")
            db.session.add(tenant)
        logins = []
        for email, name, role in DEMO_PEOPLE:
            user = db.session.scalar(select(User).where(User.email == email))
            if user is None:
                user = User(email=email, name=name, locale="en", verified_at=utcnow())
                user.set_password(DEMO_PASSWORD)
                db.session.add(user)
            membership = db.session.scalar(
                select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == tenant.id)
            ) if user.id and tenant.id else None
            if membership is None:
                db.session.add(Membership(tenant=tenant, user=user, role=role))
            logins.append(DemoLogin(email, DEMO_PASSWORD, role))
        db.session.flush()
        touchpoints = seed_feedback(tenant)
        urls = {tp.name: absolute_url("survey.show", token=tp.token) for tp in touchpoints}
    return DemoSeed(logins, urls)
