"""The team, through the real HTTP endpoints: invitations (new and existing accounts),
the links' life cycle, seats, roles, removal and switching between businesses."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.outbox import Message
from saas.core.scoping import unscoped
from saas.core.timeutil import as_utc, utcnow
from tenants.models import Invitation, Membership, Role, Tenant, User
from tenants.tokens import hash_token
from tests.support.http import invitation_link, login, messages, post_form, signup

PASSWORD = "correct horse battery"
SAM_PASSWORD = "sam's own password"


# --- helpers ------------------------------------------------------------------------------


def verified_owner(app, email="owner@example.com", business="Bakery Bliss", name="Olga"):
    client = app.test_client()
    signup(client, email=email, business=business, name=name)
    return client


def invite(client, email, role="staff"):
    return post_form(client, "/team/invite", {"email": email, "role": role}, page="/account/")


def join_as_new_user(app, link, name="Sam", password=SAM_PASSWORD):
    client = app.test_client()
    response = post_form(client, link, {"name": name, "password": password}, page=link)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def flashes(client) -> list[str]:
    """The messages shown on the next page (the team page or the dashboard)."""
    page = client.get("/account/").get_data(as_text=True)
    return [unescape(m) for m in re.findall(r'<p class="flash[^"]*" role="status">(.*?)</p>', page)]


def memberships(app) -> list[tuple[str, str, str]]:
    with app.app_context(), unscoped():
        rows = db.session.scalars(sa.select(Membership).order_by(Membership.id)).all()
        return [(m.tenant.name, m.user.email, m.role.value) for m in rows]


def invitations(app) -> list[tuple[str, str, bool]]:
    """(email, role, accepted) of every invitation row."""
    with app.app_context(), unscoped():
        rows = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
        return [(i.email, i.role.value, i.accepted_at is not None) for i in rows]


def count(app, model) -> int:
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def tenant_id(app, name) -> int:
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(Tenant.id).where(Tenant.name == name))


def membership_id(app, email, business="Bakery Bliss") -> int:
    with app.app_context(), unscoped():
        return db.session.scalar(
            sa.select(Membership.id).join(Membership.user).join(Membership.tenant)
            .where(User.email == email, Tenant.name == business)
        )


def set_plan(app, business, plan):
    with app.app_context(), unscoped():
        db.session.scalar(sa.select(Tenant).where(Tenant.name == business)).plan = plan
        db.session.commit()


def dashboard_heading(client) -> str:
    match = re.search(r"<h1>(.*?)</h1>\s*<p>You are (\w+) here\.</p>", client.get("/dashboard").get_data(as_text=True))
    assert match, "not on a business's dashboard"
    return f"{unescape(match.group(1))} as {match.group(2)}"


# --- inviting and joining -----------------------------------------------------------------


def test_owner_invites_staff_who_creates_an_account_and_lands_on_the_dashboard(app):
    owner = verified_owner(app)
    response = invite(owner, "Sam@Example.COM")
    assert response.status_code == 302 and response.headers["Location"].endswith("/team")
    assert "Invitation sent to sam@example.com." in flashes(owner)

    with app.app_context(), unscoped():
        [invitation] = db.session.scalars(sa.select(Invitation)).all()
        assert (invitation.email, invitation.role, invitation.accepted_at) == ("sam@example.com", Role.STAFF, None)
        assert invitation.tenant.name == "Bakery Bliss"
        assert timedelta(days=6) < as_utc(invitation.expires_at) - utcnow() <= timedelta(days=7)
        token_hash = invitation.token_hash
    [message] = messages(app, kind="invitation")
    assert message.recipient == "sam@example.com" and message.tenant_id == tenant_id(app, "Bakery Bliss")
    assert "Bakery Bliss" in message.subject + message.body_text
    link = invitation_link(app, "sam@example.com")
    token = re.fullmatch(r"/invite/([A-Za-z0-9_-]{40,})", link).group(1)
    assert hash_token(token) == token_hash and token not in token_hash  # only the hash is stored
    assert link in message.body_html

    sam = app.test_client()
    page = text_of(sam.get(link))
    assert "Join Bakery Bliss" in page and "as Staff for sam@example.com" in page
    weak = post_form(sam, link, {"name": "Sam", "password": "sam"}, page=link)
    assert weak.status_code == 422 and "Use at least 10 characters" in text_of(weak)
    assert count(app, User) == 1
    joined = post_form(sam, link, {"name": "Sam Baker", "password": SAM_PASSWORD}, page=link)
    assert joined.status_code == 302 and joined.headers["Location"].endswith("/dashboard")
    assert dashboard_heading(sam) == "Bakery Bliss as Staff"
    assert ("Bakery Bliss", "sam@example.com", "staff") in memberships(app)
    assert invitations(app) == [("sam@example.com", "staff", True)]
    with app.app_context(), unscoped():
        user = db.session.scalar(sa.select(User).where(User.email == "sam@example.com"))
        assert user.name == "Sam Baker" and user.is_verified  # the link proved the mailbox
    # The new account is a real one: Sam logs in again with the password he chose.
    assert login(app.test_client(), "sam@example.com", SAM_PASSWORD).status_code == 302
    assert "Sam Baker" in text_of(owner.get("/team"))


def test_existing_user_logged_in_with_the_invited_email_joins_and_switches_between_tenants(app):
    owner = verified_owner(app)
    olga = verified_owner(app, email="olga@example.com", business="Olga's Bikes", name="Olga B")
    stranger = verified_owner(app, email="stranger@example.com", business="Stranger Things")
    assert invite(owner, "olga@example.com", role="admin").status_code == 302
    link = invitation_link(app, "olga@example.com")
    users_before = count(app, User)

    page = text_of(olga.get(link))
    assert "Join Bakery Bliss" in page and "Join the team" in page
    joined = post_form(olga, link, page=link)
    assert joined.status_code == 302 and joined.headers["Location"].endswith("/dashboard")
    assert "Welcome to Bakery Bliss!" in flashes(olga)
    assert dashboard_heading(olga) == "Bakery Bliss as Admin"  # the new tenant is the current one
    assert count(app, User) == users_before  # the same account, one more membership
    assert [m for m in memberships(app) if m[1] == "olga@example.com"] == [
        ("Olga's Bikes", "olga@example.com", "owner"), ("Bakery Bliss", "olga@example.com", "admin"),
    ]
    assert olga.get("/team").status_code == 200

    bikes, bakery, strangers = (tenant_id(app, n) for n in ("Olga's Bikes", "Bakery Bliss", "Stranger Things"))
    dashboard = olga.get("/dashboard").get_data(as_text=True)
    assert f'action="/switch/{bikes}"' in dashboard and f'action="/switch/{strangers}"' not in dashboard
    switched = post_form(olga, f"/switch/{bikes}", page="/account/")
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/dashboard")
    assert dashboard_heading(olga) == "Olga's Bikes as Owner"
    assert post_form(olga, f"/switch/{bakery}", page="/account/").status_code == 302
    assert dashboard_heading(olga) == "Bakery Bliss as Admin"
    # Only into her own tenants: another business, or one that does not exist, is a 404
    # and she stays where she was.
    for other in (strangers, strangers + 1000):
        refused = post_form(olga, f"/switch/{other}", page="/account/")
        assert refused.status_code == 404
        assert "Stranger" not in refused.get_data(as_text=True)
        assert dashboard_heading(olga) == "Bakery Bliss as Admin"
    assert olga.get(f"/switch/{bikes}").status_code == 405  # a change is a POST, with its CSRF token
    assert olga.post(f"/switch/{bikes}").status_code == 400
    assert dashboard_heading(olga) == "Bakery Bliss as Admin"
    anonymous = app.test_client()
    assert post_form(anonymous, f"/switch/{bikes}").status_code == 404
    assert dashboard_heading(stranger) == "Stranger Things as Owner"


def test_logged_in_with_another_email_the_invitation_is_refused(app):
    owner = verified_owner(app)
    invite(owner, "sam@example.com")
    link = invitation_link(app, "sam@example.com")
    wrong = verified_owner(app, email="wrong@example.com", business="Wrong Shop")
    before = memberships(app)

    page = text_of(wrong.get(link))
    assert "You are logged in as wrong@example.com" in page and "accept as sam@example.com" in page
    assert "Join the team" not in page and 'name="password"' not in page
    refused = post_form(wrong, link, {"name": "Wrong", "password": PASSWORD}, page="/account/")
    assert refused.status_code == 422
    assert "This invitation was sent to sam@example.com. Log out and accept it with that account." in text_of(refused)
    assert memberships(app) == before and invitations(app) == [("sam@example.com", "staff", False)]
    assert dashboard_heading(wrong) == "Wrong Shop as Owner"
    # The link still works for the person it was sent to.
    sam = join_as_new_user(app, link)
    assert dashboard_heading(sam) == "Bakery Bliss as Staff"


def test_existing_user_not_logged_in_is_asked_to_log_in_and_comes_back(app):
    owner = verified_owner(app)
    verified_owner(app, email="olga@example.com", business="Olga's Bikes")
    invite(owner, "olga@example.com")
    link = invitation_link(app, "olga@example.com")
    olga = app.test_client()
    page = olga.get(link).get_data(as_text=True)
    assert "You already have an account." in page and f'href="/login?next={link}">Log in to accept</a>' in page
    assert 'name="password"' not in page  # no second account for the same email
    # Posting anyway (a stale tab, a crafted request) creates nothing.
    users, before = count(app, User), memberships(app)
    sneaky = post_form(olga, link, {"name": "Impostor", "password": "impostor password"})
    assert sneaky.status_code == 422 and "log in to accept the invitation" in text_of(sneaky)
    assert (count(app, User), memberships(app)) == (users, before)

    logged_in = post_form(olga, f"/login?next={link}", {"email": "olga@example.com", "password": PASSWORD})
    assert logged_in.status_code == 302 and logged_in.headers["Location"] == link
    assert "Join the team" in olga.get(link).get_data(as_text=True)
    assert post_form(olga, link, page=link).status_code == 302
    assert dashboard_heading(olga) == "Bakery Bliss as Staff"
    assert ("Bakery Bliss", "olga@example.com", "staff") in memberships(app)


# --- the life of an invitation link -----------------------------------------------------------


def _refused_link(app, link):
    """A dead link: 404 for a visitor, a logged-in invitee and a form post; nothing created."""
    users, members, rows = count(app, User), memberships(app), invitations(app)
    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 404 and "This link is not valid any more" in page.get_data(as_text=True)
    assert "Bakery Bliss" not in page.get_data(as_text=True)
    posted = post_form(visitor, link, {"name": "Late", "password": "late password 123"})
    assert posted.status_code == 404
    assert (count(app, User), memberships(app), invitations(app)) == (users, members, rows)


def test_used_revoked_and_expired_links_are_404_and_create_nothing(app):
    owner = verified_owner(app)
    set_plan(app, "Bakery Bliss", "pro")
    for email in ("used@example.com", "revoked@example.com", "expired@example.com"):
        assert invite(owner, email).status_code == 302
    used, revoked, expired = (invitation_link(app, e) for e in ("used@example.com", "revoked@example.com",
                                                                 "expired@example.com"))
    user = join_as_new_user(app, used, name="Used")
    _refused_link(app, used)
    assert post_form(user, used, page="/account/").status_code == 404  # not even for the person who used it
    assert [m for m in memberships(app) if m[1] == "used@example.com"] == [("Bakery Bliss", "used@example.com", "staff")]

    with app.app_context(), unscoped():
        revoked_id = db.session.scalar(sa.select(Invitation.id).where(Invitation.email == "revoked@example.com"))
    response = post_form(owner, f"/team/invitations/{revoked_id}/revoke", page="/account/")
    assert response.status_code == 302 and "Invitation revoked." in flashes(owner)
    _refused_link(app, revoked)
    assert "revoked@example.com" not in [email for email, _, _ in invitations(app)]

    with app.app_context(), unscoped():
        invitation = db.session.scalar(sa.select(Invitation).where(Invitation.email == "expired@example.com"))
        invitation.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    _refused_link(app, expired)
    assert "expired@example.com" not in text_of(owner.get("/team"))  # no longer waiting for an answer

    _refused_link(app, "/invite/not-a-real-token")
    _refused_link(app, used[:-1])


def test_reinviting_the_same_email_replaces_the_old_link(app):
    owner = verified_owner(app)
    assert invite(owner, "sam@example.com").status_code == 302
    first = invitation_link(app, "sam@example.com")
    # On the free plan the pending invitation holds the only free seat: re-inviting must
    # still work (it replaces the invitation rather than taking another seat).
    assert invite(owner, "SAM@example.com", role="admin").status_code == 302
    second = invitation_link(app, "sam@example.com")
    assert first != second and len(messages(app, kind="invitation")) == 2
    assert invitations(app) == [("sam@example.com", "admin", False)]
    _refused_link(app, first)
    sam = join_as_new_user(app, second)
    assert dashboard_heading(sam) == "Bakery Bliss as Admin"


# --- seats ------------------------------------------------------------------------------------


def test_free_plan_seats_are_held_by_members_and_pending_invitations(app):
    owner = verified_owner(app)
    assert invite(owner, "one@example.com").status_code == 302  # owner + 1 pending = 2 seats: full
    full = invite(owner, "two@example.com")
    assert full.status_code == 422
    page = text_of(full)
    error = re.search(r'<input[^>]*id="email"[^>]*>\s*<p class="error" id="email-error">(.*?)</p>', page, re.S)
    assert error and "Your Free plan includes 2 seats and they are all taken" in error.group(1)
    assert "Upgrade your plan" in error.group(1)
    assert 'value="two@example.com"' in page  # what was typed is kept
    assert [email for email, _, _ in invitations(app)] == ["one@example.com"]
    assert [m.recipient for m in messages(app, kind="invitation")] == ["one@example.com"]

    with app.app_context(), unscoped():
        pending = db.session.scalar(sa.select(Invitation.id))
    post_form(owner, f"/team/invitations/{pending}/revoke", page="/account/")
    assert invitations(app) == []
    assert invite(owner, "two@example.com").status_code == 302  # revoking freed the seat

    # A member who joined holds the seat as the invitation did.
    join_as_new_user(app, invitation_link(app, "two@example.com"), name="Two")
    assert invite(owner, "three@example.com").status_code == 422
    # An upgrade makes room; an invitation that lapsed holds no seat (owner + lapsed
    # invitation after Two leaves: one seat in use of the free plan's two).
    set_plan(app, "Bakery Bliss", "starter")
    assert invite(owner, "three@example.com").status_code == 302
    set_plan(app, "Bakery Bliss", "free")
    with app.app_context(), unscoped():
        db.session.scalar(sa.select(Invitation).where(Invitation.email == "three@example.com")).expires_at = utcnow()
        db.session.commit()
    two = membership_id(app, "two@example.com")
    assert post_form(owner, f"/team/members/{two}/remove", page="/account/").status_code == 302
    assert invite(owner, "four@example.com").status_code == 302
    assert [email for email, _, accepted in invitations(app) if not accepted] == ["three@example.com", "four@example.com"]


def test_unverified_owner_cannot_invite(app):
    """An owner from before sign-up links proved the address, still unverified."""
    client = app.test_client()
    signup(client, email="fresh@example.com")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == "fresh@example.com").values(verified_at=None))
        db.session.commit()
    assert "Verify your email address before inviting your team." in text_of(client.get("/team"))
    refused = invite(client, "sam@example.com")
    assert refused.status_code == 422 and "Verify your email address before inviting" in text_of(refused)
    assert invitations(app) == [] and messages(app, kind="invitation") == []


# --- roles ------------------------------------------------------------------------------------


def _team_with_admin_and_staff(app):
    """Bakery Bliss on the starter plan: Olga (owner), Adam (admin), Sam (staff)."""
    owner = verified_owner(app)
    set_plan(app, "Bakery Bliss", "starter")
    invite(owner, "adam@example.com", role="admin")
    invite(owner, "sam@example.com", role="staff")
    adam = join_as_new_user(app, invitation_link(app, "adam@example.com"), name="Adam", password="adam password 1")
    sam = join_as_new_user(app, invitation_link(app, "sam@example.com"))
    return owner, adam, sam


def test_only_owners_invite_owners(app):
    owner, adam, _ = _team_with_admin_and_staff(app)
    refused = invite(adam, "boss@example.com", role="owner")
    assert refused.status_code == 422
    assert re.search(r'id="role-error">Only an owner can invite another owner.</p>', text_of(refused))
    assert "boss@example.com" not in [email for email, _, _ in invitations(app)]
    assert all(m.recipient != "boss@example.com" for m in messages(app, kind="invitation"))
    assert invite(adam, "helper@example.com", role="admin").status_code == 302
    assert invite(owner, "boss@example.com", role="owner").status_code == 302
    boss = join_as_new_user(app, invitation_link(app, "boss@example.com"), name="Boss")
    assert dashboard_heading(boss) == "Bakery Bliss as Owner"


def test_owner_changes_roles_and_removes_members(app):
    owner, adam, sam = _team_with_admin_and_staff(app)
    sam_id = membership_id(app, "sam@example.com")
    changed = post_form(owner, f"/team/members/{sam_id}/role", {"role": "admin"}, page="/account/")
    assert changed.status_code == 302 and "Role changed." in flashes(owner)
    assert ("Bakery Bliss", "sam@example.com", "admin") in memberships(app)
    assert dashboard_heading(sam) == "Bakery Bliss as Admin" and sam.get("/team").status_code == 200
    post_form(owner, f"/team/members/{sam_id}/role", {"role": "staff"}, page="/account/")
    assert sam.get("/team").status_code == 403

    bad = post_form(owner, f"/team/members/{sam_id}/role", {"role": "emperor"}, page="/account/")
    assert bad.status_code == 302 and "Choose one of the roles." in flashes(owner)
    assert ("Bakery Bliss", "sam@example.com", "staff") in memberships(app)

    removed = post_form(owner, f"/team/members/{sam_id}/remove", page="/account/")
    assert removed.status_code == 302 and "Member removed." in flashes(owner)
    assert all(email != "sam@example.com" for _, email, _ in memberships(app))
    assert count(app, User) == 3  # the account stays; only the membership goes
    assert "sam@example.com" not in text_of(owner.get("/team"))
    assert post_form(owner, f"/team/members/{sam_id}/remove", page="/account/").status_code == 404


def test_the_last_owner_can_be_neither_demoted_nor_removed(app):
    owner, adam, _ = _team_with_admin_and_staff(app)
    olga_id, adam_id = membership_id(app, "owner@example.com"), membership_id(app, "adam@example.com")
    before = memberships(app)
    for role in ("admin", "staff"):
        response = post_form(owner, f"/team/members/{olga_id}/role", {"role": role}, page="/account/")
        assert response.status_code == 302
        assert "A business needs at least one owner. Make someone else an owner first." in flashes(owner)
    response = post_form(owner, f"/team/members/{olga_id}/remove", page="/account/")
    assert response.status_code == 302 and "You cannot remove the last owner." in flashes(owner)
    assert memberships(app) == before

    # With a second owner, one of them may step down; then the other is the last one.
    post_form(owner, f"/team/members/{adam_id}/role", {"role": "owner"}, page="/account/")
    assert post_form(owner, f"/team/members/{olga_id}/role", {"role": "staff"}, page="/account/").status_code == 302
    assert ("Bakery Bliss", "owner@example.com", "staff") in memberships(app)
    assert owner.get("/team").status_code == 403  # Olga is staff now
    post_form(adam, f"/team/members/{adam_id}/remove", page="/account/")
    assert "You cannot remove the last owner." in flashes(adam)
    assert ("Bakery Bliss", "adam@example.com", "owner") in memberships(app)


def test_admins_cannot_change_roles_or_remove_members(app):
    owner, adam, sam = _team_with_admin_and_staff(app)
    assert adam.get("/team").status_code == 200
    before = memberships(app)
    for target in ("owner@example.com", "sam@example.com", "adam@example.com"):
        target_id = membership_id(app, target)
        assert post_form(adam, f"/team/members/{target_id}/role", {"role": "owner"}, page="/account/").status_code == 403
        assert post_form(adam, f"/team/members/{target_id}/remove", page="/account/").status_code == 403
    assert memberships(app) == before
    team_page = adam.get("/team").get_data(as_text=True)
    assert "/remove" not in team_page and "/role" not in team_page  # no buttons that would only say 403
    # Admins do manage invitations.
    invite(adam, "new@example.com")
    with app.app_context(), unscoped():
        pending = db.session.scalar(sa.select(Invitation.id).where(Invitation.email == "new@example.com"))
    assert post_form(adam, f"/team/invitations/{pending}/revoke", page="/account/").status_code == 302
    assert "new@example.com" not in [email for email, _, _ in invitations(app)]


def test_staff_cannot_see_the_team_page_or_post_any_team_action(app):
    owner, adam, sam = _team_with_admin_and_staff(app)
    invite(owner, "pending@example.com")
    with app.app_context(), unscoped():
        pending = db.session.scalar(sa.select(Invitation.id).where(Invitation.email == "pending@example.com"))
    before = (memberships(app), invitations(app), count(app, Message))
    assert sam.get("/team").status_code == 403
    sam_id, olga_id = membership_id(app, "sam@example.com"), membership_id(app, "owner@example.com")
    for path, data in (
        ("/team/invite", {"email": "friend@example.com", "role": "staff"}),
        ("/team/invite", {"email": "me2@example.com", "role": "owner"}),
        (f"/team/members/{sam_id}/role", {"role": "owner"}),
        (f"/team/members/{olga_id}/role", {"role": "staff"}),
        (f"/team/members/{olga_id}/remove", {}),
        (f"/team/members/{sam_id}/remove", {}),
        (f"/team/invitations/{pending}/revoke", {}),
    ):
        response = post_form(sam, path, data, page="/account/")
        assert response.status_code == 403, f"staff POST {path} answered {response.status_code}"
        assert "Your role in this business does not allow that" in response.get_data(as_text=True)
    assert (memberships(app), invitations(app), count(app, Message)) == before
    assert "/team" not in sam.get("/dashboard").get_data(as_text=True)  # no link to a page they cannot open


def test_a_removed_member_no_longer_sees_the_tenant(app):
    owner, adam, sam = _team_with_admin_and_staff(app)
    assert dashboard_heading(sam) == "Bakery Bliss as Staff"
    assert dashboard_heading(adam) == "Bakery Bliss as Admin"
    # Adam also works for another business; Sam belongs only to the bakery.
    other = verified_owner(app, email="boss@example.com", business="Boss Bistro")
    invite(other, "adam@example.com", role="admin")
    post_form(adam, invitation_link(app, "adam@example.com"), page="/account/")
    assert post_form(adam, f"/switch/{tenant_id(app, 'Bakery Bliss')}", page="/account/").status_code == 302
    assert dashboard_heading(adam) == "Bakery Bliss as Admin"

    for email in ("sam@example.com", "adam@example.com"):
        post_form(owner, f"/team/members/{membership_id(app, email)}/remove", page="/account/")

    gone = sam.get("/dashboard")
    assert gone.status_code == 404 and "You are not in a business" in gone.get_data(as_text=True)
    assert "Bakery Bliss" not in gone.get_data(as_text=True)
    for path in ("/tasks/", "/responses/"):
        assert sam.get(path).status_code == 404
    # Adam's next request lands in the business he still belongs to, not the bakery.
    assert dashboard_heading(adam) == "Boss Bistro as Admin"
    assert adam.get("/team").status_code == 200 and "Bakery Bliss" not in adam.get("/team").get_data(as_text=True)
    assert post_form(adam, f"/switch/{tenant_id(app, 'Bakery Bliss')}", page="/account/").status_code == 404
    # Sam can still log in (the account is theirs), and still sees no business.
    fresh = app.test_client()
    assert login(fresh, "sam@example.com", SAM_PASSWORD).status_code == 302
    assert fresh.get("/dashboard").status_code == 404
