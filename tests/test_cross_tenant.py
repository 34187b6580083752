"""Tenants never see each other: every route that takes an id, called by tenant A with the
ids of tenant B, answers 403/404 and leaves B untouched; every route declares its access."""
from __future__ import annotations

import sqlalchemy as sa

from saas.extensions import db
from saas.feedback.models import Category, Task
from saas.outbox import Message
from tenants.models import Invitation, Membership, Role, Tenant, Touchpoint, User
from tenants.scoping import unscoped
from tests.conftest import csrf_token, login, post_form, signup, verify

# Every URL argument any route takes, mapped to how to find tenant B's value for it.
ID_SOURCES = {
    "membership_id": lambda b: b["staff_membership"],
    "invitation_id": lambda b: b["invitation"],
    "tenant_id": lambda b: b["tenant"],
    "message_id": lambda b: b["message"],
    "touchpoint_id": lambda b: b["touchpoint"],
    "task_id": lambda b: b["task"],
    "category_id": lambda b: b["category"],
}
# Public links carry secrets rather than ids (survey tokens, submission keys, file names).
TOKEN_ARGUMENTS = {"token", "filename", "key", "kind"}

# Endpoints that are not tenant pages: public, or about the logged-in user's own account.
NOT_TENANT_PAGES = {
    "static", "main.index", "main.healthz", "auth.signup", "auth.login", "auth.logout", "auth.verify_email",
    "auth.resend_verification", "auth.forgot_password", "auth.reset_password", "account.settings",
    "account.change_password", "account.change_email", "account.confirm_email_change",
    "team.accept_invitation", "team.switch_tenant",
    "survey.show", "survey.submit", "survey.answer", "survey.thanks", "survey.theme", "survey.qr_code",
}


def _build_tenant_b(app):
    client = app.test_client()
    signup(client, email="bob@b.example", business="Bob's Bikes", name="Bob")
    verify(client, app, "bob@b.example")
    post_form(client, "/team/invite", {"email": "pending@b.example", "role": "admin"}, page="/team")
    post_form(client, "/touchpoints/", {"name": "Bob's Workshop", "kind": "store", "default_assignee_id": "0"},
              page="/touchpoints/")
    with app.app_context(), unscoped():
        token = db.session.scalar(sa.select(Touchpoint.token))
    app.test_client().post(f"/s/{token}", data={"score": "2", "comment": "Bob's chain snapped, call me",
                                                "submission_key": "b" * 24})
    with app.app_context(), unscoped():
        tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "bob-s-bikes"))
        staff_user = User(email="bstaff@b.example", name="B Staff")
        staff_user.set_password("b staff password")
        db.session.add(Membership(tenant_id=tenant.id, user=staff_user, role=Role.STAFF))
        db.session.commit()
        return {
            "tenant": tenant.id,
            "staff_membership": db.session.scalar(sa.select(Membership.id).where(Membership.user_id == staff_user.id)),
            "invitation": db.session.scalar(sa.select(Invitation.id).where(Invitation.email == "pending@b.example")),
            "message": db.session.scalar(sa.select(Message.id).where(Message.tenant_id == tenant.id)),
            "touchpoint": db.session.scalar(sa.select(Touchpoint.id).where(Touchpoint.tenant_id == tenant.id)),
            "task": db.session.scalar(sa.select(Task.id).where(Task.tenant_id == tenant.id)),
            "category": db.session.scalar(sa.select(Category.id).where(Category.tenant_id == tenant.id).limit(1)),
        }


def _snapshot(app):
    with app.app_context(), unscoped():
        return (
            sorted(db.session.execute(sa.select(Membership.id, Membership.role, Membership.tenant_id)).all()),
            sorted(db.session.execute(sa.select(Invitation.id, Invitation.accepted_at)).all()),
            db.session.scalar(sa.select(sa.func.count(Message.id))),
            sorted(db.session.execute(sa.select(Touchpoint.id, Touchpoint.name, Touchpoint.active)).all()),
            sorted(db.session.execute(sa.select(Category.id, Category.name, Category.keywords)).all()),
        )


def test_every_id_route_refuses_the_other_tenants_ids(app):
    b = _build_tenant_b(app)
    alice = app.test_client()
    signup(alice, email="alice@a.example", business="Alice's Apples", name="Alice")
    verify(alice, app, "alice@a.example")
    before = _snapshot(app)
    walked = 0
    for rule in app.url_map.iter_rules():
        arguments = set(rule.arguments) - TOKEN_ARGUMENTS
        if not arguments:
            continue
        unknown = arguments - ID_SOURCES.keys()
        assert not unknown, f"{rule.rule}: teach this test where tenant B's {unknown} come from"
        path = rule.build({name: ID_SOURCES[name](b) for name in arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "POST":
                response = alice.post(path, data={"csrf_token": csrf_token(alice, "/account/"), "role": "owner"})
            else:
                response = alice.get(path)
            walked += 1
            body = response.get_data(as_text=True)
            assert response.status_code in (403, 404), f"{method} {path} answered {response.status_code}"
            assert "Bob" not in body and "b.example" not in body, f"{method} {path} leaked tenant B"
    assert walked >= 14
    assert _snapshot(app) == before


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = [
        endpoint for endpoint, view in app.view_functions.items()
        if endpoint not in NOT_TENANT_PAGES and not hasattr(view, "required_role")
    ]
    assert undeclared == [], "tenant pages must use tenant_route(role), or be listed as not tenant pages"


def test_staff_cannot_reach_owner_and_admin_pages(app):
    owner = app.test_client()
    signup(owner, email="olga@a.example", business="Alpha")
    staff = app.test_client()
    with app.app_context(), unscoped():
        tenant = db.session.scalar(sa.select(Tenant))
        user = User(email="sam@a.example", name="Sam")
        user.set_password("sam staff password")
        db.session.add(Membership(tenant_id=tenant.id, user=user, role=Role.STAFF))
        db.session.commit()
    login(staff, "sam@a.example", "sam staff password")
    restricted = [
        (endpoint, getattr(view, "required_role"))
        for endpoint, view in app.view_functions.items()
        if getattr(view, "required_role", Role.STAFF) != Role.STAFF
    ]
    assert restricted
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in dict(restricted):
            continue
        path = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "POST":
                response = staff.post(path, data={"csrf_token": csrf_token(staff, "/account/"), "email": "x@a.example", "role": "owner"})
            else:
                response = staff.get(path)
            assert response.status_code == 403, f"staff {method} {path} answered {response.status_code}"
    with app.app_context(), unscoped():
        assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0
