"""The team: invitations (new and existing accounts), seats, roles, removal, switching."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from saas.extensions import db
from saas.timeutil import utcnow
from tenants.models import Invitation, Membership, Role, Tenant
from tenants.scoping import unscoped
from tests.conftest import link_in, login, messages, path_of, post_form, signup, verify

PASSWORD = "correct horse battery"


def verified_owner(app, email="owner@example.com", business="Bakery Bliss"):
    client = app.test_client()
    signup(client, email=email, business=business)
    verify(client, app, email)
    return client


def invite(client, email, role="staff"):
    return post_form(client, "/team/invite", {"email": email, "role": role}, page="/team")


def invitation_link(app, email) -> str:
    message = [m for m in messages(app, kind="invitation") if m.recipient == email][-1]
    return path_of(link_in(message.body_text, "/invite/"))


def memberships(app) -> list[tuple[str, str, str]]:
    with app.app_context(), unscoped():
        rows = db.session.scalars(sa.select(Membership).order_by(Membership.id)).all()
        return [(m.tenant.name, m.user.email, m.role.value) for m in rows]


def test_invitee_creates_an_account_and_joins_as_staff(app):
    owner = verified_owner(app)
    assert invite(owner, "Sam@Example.com").status_code == 302
    link = invitation_link(app, "sam@example.com")
    sam = app.test_client()
    page = sam.get(link).get_data(as_text=True)
    assert "Join Bakery Bliss" in page and "as Staff" in page
    weak = post_form(sam, link, {"name": "Sam", "password": "short"}, page=link)
    assert weak.status_code == 422 and "Use at least 10 characters" in weak.get_data(as_text=True)
    joined = post_form(sam, link, {"name": "Sam", "password": "sam password 1"}, page=link)
    assert joined.status_code == 302
    assert "You are Staff here." in sam.get("/dashboard").get_data(as_text=True)
    assert ("Bakery Bliss", "sam@example.com", "staff") in memberships(app)
    assert sam.get(link).status_code == 404  # used
    assert sam.get("/team").status_code == 403


def test_existing_user_joins_and_switches_between_tenants(app):
    owner = verified_owner(app)
    other = verified_owner(app, email="olga@example.com", business="Olga's Bikes")
    invite(owner, "olga@example.com", role="admin")
    link = invitation_link(app, "olga@example.com")
    stranger = app.test_client()
    asks_login = stranger.get(link).get_data(as_text=True)
    assert "Log in to accept" in asks_login
    wrong = verified_owner(app, email="wrong@example.com", business="Wrong")
    refused = post_form(wrong, link, page=link)
    assert refused.status_code == 422 and "sent to olga@example.com" in refused.get_data(as_text=True)
    assert post_form(other, link, page=link).status_code == 302
    assert "Bakery Bliss" in other.get("/dashboard").get_data(as_text=True)
    with app.app_context(), unscoped():
        bikes = db.session.scalar(sa.select(Tenant).where(Tenant.name == "Olga's Bikes"))
        wrong_tenant = db.session.scalar(sa.select(Tenant).where(Tenant.name == "Wrong"))
    post_form(other, f"/switch/{bikes.id}", page="/dashboard")
    assert "<h1>Olga&#39;s Bikes</h1>" in other.get("/dashboard").get_data(as_text=True)
    assert post_form(other, f"/switch/{wrong_tenant.id}", page="/dashboard").status_code == 404


def test_seats_are_enforced_and_revoking_frees_one(app):
    owner = verified_owner(app)
    assert invite(owner, "one@example.com").status_code == 302
    full = invite(owner, "two@example.com")
    assert full.status_code == 422 and "Upgrade your plan" in full.get_data(as_text=True)
    with app.app_context(), unscoped():
        pending = db.session.scalar(sa.select(Invitation))
        assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 1
    link = invitation_link(app, "one@example.com")
    post_form(owner, f"/team/invitations/{pending.id}/revoke", page="/team")
    assert app.test_client().get(link).status_code == 404
    assert invite(owner, "two@example.com").status_code == 302


def test_reinviting_replaces_the_old_link_and_expired_links_die(app):
    owner = verified_owner(app)
    invite(owner, "sam@example.com")
    first = invitation_link(app, "sam@example.com")
    invite(owner, "sam@example.com")
    second = invitation_link(app, "sam@example.com")
    assert first != second
    assert app.test_client().get(first).status_code == 404
    with app.app_context(), unscoped():
        db.session.scalar(sa.select(Invitation)).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert app.test_client().get(second).status_code == 404


def test_only_owners_invite_owners_and_change_roles(app):
    owner = verified_owner(app)
    with app.app_context(), unscoped():
        tenant = db.session.scalar(sa.select(Tenant))
        tenant.plan = "starter"
        db.session.commit()
    invite(owner, "adam@example.com", role="admin")
    link = invitation_link(app, "adam@example.com")
    adam = app.test_client()
    post_form(adam, link, {"name": "Adam", "password": "adam password 1"}, page=link)
    refused = invite(adam, "boss@example.com", role="owner")
    assert refused.status_code == 422 and "Only an owner can invite another owner" in refused.get_data(as_text=True)
    assert invite(adam, "staff@example.com", role="staff").status_code == 302
    with app.app_context(), unscoped():
        adam_id = db.session.scalar(sa.select(Membership.id).where(Membership.role == Role.ADMIN))
        owner_id = db.session.scalar(sa.select(Membership.id).where(Membership.role == Role.OWNER))
    assert post_form(adam, f"/team/members/{owner_id}/role", {"role": "staff"}, page="/team").status_code == 403
    assert post_form(adam, f"/team/members/{owner_id}/remove", page="/team").status_code == 403

    last = post_form(owner, f"/team/members/{owner_id}/role", {"role": "admin"}, page="/team")
    assert "at least one owner" in owner.get(last.headers["Location"]).get_data(as_text=True)
    post_form(owner, f"/team/members/{owner_id}/remove", page="/team")
    assert ("Bakery Bliss", "owner@example.com", "owner") in memberships(app)

    post_form(owner, f"/team/members/{adam_id}/role", {"role": "owner"}, page="/team")
    assert ("Bakery Bliss", "adam@example.com", "owner") in memberships(app)
    post_form(owner, f"/team/members/{adam_id}/remove", page="/team")
    assert all(email != "adam@example.com" for _, email, _ in memberships(app))
    assert adam.get("/dashboard").status_code == 404  # removed: no business left
    assert "You are not in a business" in adam.get("/dashboard").get_data(as_text=True)
    assert login(app.test_client(), "adam@example.com", "adam password 1").status_code == 302


def test_bad_role_value_changes_nothing(app):
    owner = verified_owner(app)
    response = invite(owner, "x@example.com", role="emperor")
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    assert messages(app, kind="invitation") == []
