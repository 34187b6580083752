"""Tenants never see each other.

1. The cross-tenant route walker: tenant A's owner calls every route that takes an
   argument with tenant B's ids; every answer is 403/404 (400 for token-style links),
   nothing of B changes and nothing of B shows.
2. Every endpoint is classified: a tenant page (tenant_route, with its role) or an
   explicitly listed public/account endpoint.
3. The scoping mechanism (saas/core/scoping.py) itself, against the real database.
"""
from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from saas.core.extensions import db
from saas.core.outbox import Message
from saas.core.scoping import TenantScopeMissing, tenant_scope, unscoped
from saas.core.timeutil import utcnow
from saas.feedback.models import Category, Improvement, Response, Task, Touchpoint
from tenants.models import Invitation, Membership, Role, Tenant, User
from tests.support.http import csrf_token, invitation_link, login, post_form, signup

PASSWORD = "correct horse battery"


# --- the scoping mechanism, against the real database ----------------------------------------


@pytest.fixture
def two_tenants(app):
    """Tenants A and B, each with an owner, a staff member and a pending invitation, and one
    user (Sasha) who belongs to both. Built directly: this is the layer under the services."""
    with app.app_context(), unscoped():
        ids = {}
        sasha = User(email="sasha@both.test", name="Sasha")
        db.session.add(sasha)
        for key in ("a", "b"):
            tenant = Tenant(name=f"Tenant {key.upper()}", slug=f"tenant-{key}")
            owner = User(email=f"owner@{key}.test", name=f"Owner {key.upper()}")
            staff = User(email=f"staff@{key}.test", name=f"Staff {key.upper()}")
            db.session.add_all([
                tenant, owner, staff,
                Membership(tenant=tenant, user=owner, role=Role.OWNER),
                Membership(tenant=tenant, user=staff, role=Role.STAFF),
                Membership(tenant=tenant, user=sasha, role=Role.ADMIN if key == "a" else Role.STAFF),
                Invitation(tenant=tenant, email=f"invitee@{key}.test", role=Role.STAFF,
                           token_hash=secrets.token_hex(32), expires_at=utcnow()),
            ])
            db.session.flush()
            ids[key] = tenant.id
        ids["sasha"] = sasha.id
        db.session.commit()
    return ids


def _memberships_by_tenant():
    with unscoped():
        rows = db.session.execute(sa.select(Membership.tenant_id, Membership.role).order_by(Membership.id)).all()
    return [(tenant_id, role) for tenant_id, role in rows]


def test_select_inside_a_scope_sees_only_that_tenants_rows(app, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    with app.app_context():
        with tenant_scope(a):
            rows = db.session.scalars(sa.select(Membership)).all()
            assert len(rows) == 3 and {m.tenant_id for m in rows} == {a}
            assert {i.email for i in db.session.scalars(sa.select(Invitation))} == {"invitee@a.test"}
            # Asking for B's rows by name does not get around it.
            assert db.session.scalars(sa.select(Membership).where(Membership.tenant_id == b)).all() == []
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 3
            assert db.session.scalar(sa.select(sa.func.count(Membership.id))) == 3
        with tenant_scope(b):
            assert {m.tenant_id for m in db.session.scalars(sa.select(Membership))} == {b}


def test_joins_inside_a_scope_see_only_that_tenants_rows(app, two_tenants):
    a = two_tenants["a"]
    with app.app_context(), tenant_scope(a):
        # The scoped table is only joined, not selected: still scoped.
        emails = db.session.scalars(sa.select(User.email).join(Membership, Membership.user_id == User.id)).all()
        assert sorted(emails) == ["owner@a.test", "sasha@both.test", "staff@a.test"]
        users = db.session.scalars(sa.select(User).join(User.memberships).distinct()).all()
        assert sorted(u.email for u in users) == ["owner@a.test", "sasha@both.test", "staff@a.test"]
        names = db.session.scalars(sa.select(Tenant.name).join(Membership, Membership.tenant_id == Tenant.id).distinct()).all()
        assert names == ["Tenant A"]
        # An outer join keeps the user, but not B's membership row.
        pairs = db.session.execute(
            sa.select(User.email, Membership.tenant_id).outerjoin(Membership, Membership.user_id == User.id)
            .where(User.email == "staff@b.test")
        ).all()
        assert pairs == [("staff@b.test", None)]
        # A scoped table as the subject of a subquery.
        in_tenant = sa.select(Membership.user_id).scalar_subquery()
        assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.id.in_(in_tenant))) == 3


def test_relationship_loads_inside_a_scope_see_only_that_tenants_rows(app, two_tenants):
    a, b, sasha_id = two_tenants["a"], two_tenants["b"], two_tenants["sasha"]
    with app.app_context():
        with tenant_scope(a):
            sasha = db.session.get(User, sasha_id)
            assert [(m.tenant_id, m.role) for m in sasha.memberships] == [(a, Role.ADMIN)]  # lazy load
            db.session.expunge_all()
            sasha = db.session.scalars(sa.select(User).where(User.id == sasha_id).options(selectinload(User.memberships))).one()
            assert [m.tenant_id for m in sasha.memberships] == [a]
            db.session.expunge_all()
            sasha = db.session.scalars(
                sa.select(User).where(User.id == sasha_id).options(joinedload(User.memberships))
            ).unique().one()
            assert [m.tenant_id for m in sasha.memberships] == [a]
            # And from the membership side, the tenant it loads is its own.
            membership = db.session.scalars(sa.select(Membership).where(Membership.user_id == sasha_id)).one()
            assert membership.tenant.name == "Tenant A"
        db.session.expunge_all()
        with tenant_scope(b):
            sasha = db.session.get(User, sasha_id)
            assert [(m.tenant_id, m.role) for m in sasha.memberships] == [(b, Role.STAFF)]


def test_lookups_by_id_of_another_tenants_row_find_nothing(app, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    with app.app_context():
        with unscoped():
            b_membership = db.session.scalar(sa.select(Membership.id).where(Membership.tenant_id == b).limit(1))
            b_invitation = db.session.scalar(sa.select(Invitation.id).where(Invitation.tenant_id == b))
            a_membership = db.session.scalar(sa.select(Membership.id).where(Membership.tenant_id == a).limit(1))
        db.session.expunge_all()
        with tenant_scope(a):
            assert db.session.get(Membership, b_membership) is None
            assert db.session.get(Invitation, b_invitation) is None
            assert db.session.scalar(sa.select(Membership).where(Membership.id == b_membership)) is None
            assert db.session.get(Membership, a_membership) is not None


def test_bulk_update_and_delete_inside_a_scope_leave_the_other_tenant_alone(app, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    with app.app_context():
        before_b = [row for row in _memberships_by_tenant() if row[0] == b]
        with tenant_scope(a):
            updated = db.session.execute(sa.update(Membership).values(role=Role.STAFF))
            assert updated.rowcount == 3
            db.session.execute(sa.update(Membership).where(Membership.tenant_id == b).values(role=Role.ADMIN))
            deleted = db.session.execute(sa.delete(Invitation))
            assert deleted.rowcount == 1
            db.session.execute(sa.delete(Membership).where(Membership.tenant_id == b))
        db.session.commit()
        after = _memberships_by_tenant()
        assert [row for row in after if row[0] == b] == before_b
        assert [row for row in after if row[0] == a] == [(a, Role.STAFF)] * 3
        with unscoped():
            assert db.session.scalars(sa.select(Invitation.email)).all() == ["invitee@b.test"]


def test_querying_a_tenant_table_with_no_scope_fails_loudly(app, two_tenants):
    with app.app_context():
        for statement in (
            sa.select(Membership),
            sa.select(Membership.id),
            sa.select(sa.func.count(Membership.id)),
            sa.select(User).join(User.memberships),
            sa.select(sa.func.count()).select_from(Invitation),
            sa.select(User).options(joinedload(User.memberships)),
            sa.update(Membership).values(role=Role.STAFF),
            sa.delete(Invitation),
        ):
            with pytest.raises(TenantScopeMissing):
                db.session.execute(statement)
            db.session.rollback()
        sasha = db.session.get(User, two_tenants["sasha"])  # users are not tenant-owned
        with pytest.raises(TenantScopeMissing):
            sasha.memberships  # noqa: B018  (a lazy load is a query too)
        db.session.rollback()
    assert _count_all(app) == (6, 2)  # nothing was changed by the refused statements


def _count_all(app):
    with app.app_context(), unscoped():
        return (
            db.session.scalar(sa.select(sa.func.count(Membership.id))),
            db.session.scalar(sa.select(sa.func.count(Invitation.id))),
        )


def test_unscoped_sees_every_tenant(app, two_tenants):
    with app.app_context(), unscoped():
        assert {m.tenant_id for m in db.session.scalars(sa.select(Membership))} == {two_tenants["a"], two_tenants["b"]}
        assert len(db.session.get(User, two_tenants["sasha"]).memberships) == 2


def test_writing_another_tenants_row_inside_a_scope_is_refused(app, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    with app.app_context():
        with tenant_scope(a):
            intruder = User(email="intruder@a.test")
            db.session.add(Membership(tenant_id=b, user=intruder, role=Role.OWNER))
            with pytest.raises(TenantScopeMissing):
                db.session.flush()
            db.session.rollback()
            # The same through the relationship rather than the column.
            with unscoped():
                tenant_b = db.session.get(Tenant, b)
            db.session.add(Membership(tenant=tenant_b, user=User(email="intruder2@a.test"), role=Role.OWNER))
            with pytest.raises(TenantScopeMissing):
                db.session.flush()
            db.session.rollback()
            # A new row with no tenant is stamped with the scope's tenant.
            invitation = Invitation(email="new@a.test", role=Role.STAFF, token_hash=secrets.token_hex(32),
                                    expires_at=utcnow())
            db.session.add(invitation)
            db.session.flush()
            assert invitation.tenant_id == a
            db.session.rollback()
    assert _count_all(app) == (6, 2)


# --- two real tenants, built through the app ----------------------------------------------

TENANT_A = {"business": "Alpine Apples", "owner": ("Alice", "alice@alpha.example"), "staff": ("Arthur", "arthur@alpha.example"),
            "pending": "amber@alpha.example", "touchpoint": "Alpha Counter", "comment": "the apples were rotten, call me"}
TENANT_B = {"business": "Bravo Bikes", "owner": ("Bertram", "bertram@bravo.example"), "staff": ("Brunhilde", "brunhilde@bravo.example"),
            "pending": "bianca@bravo.example", "touchpoint": "Bravo Workshop", "comment": "my chain snapped twice, call me"}
# None of these may ever show on a page tenant A's owner gets.
B_SECRETS = ("bravo", "Bertram", "Brunhilde", "bianca", "Workshop", "chain snapped")
STAFF_PASSWORD = "staff password 12"


def build_tenant(app, spec) -> dict:
    """Owner (verified), a staff member who joined by invitation, a pending invitation,
    a touchpoint and a customer's complaint that became a task: all through the app."""
    owner_name, owner_email = spec["owner"]
    owner = app.test_client()
    signup(owner, email=owner_email, business=spec["business"], name=owner_name)
    with app.app_context(), unscoped():
        tenant = db.session.scalar(sa.select(Tenant).where(Tenant.name == spec["business"]))
        tenant.plan = "starter"  # room for owner + staff + a pending invitation
        db.session.commit()
        tenant_id = tenant.id
    staff_name, staff_email = spec["staff"]
    for email in (staff_email, spec["pending"]):
        invited = post_form(owner, "/team/invite", {"email": email, "role": "staff"}, page="/team")
        assert invited.status_code == 302, invited.get_data(as_text=True)
    staff = app.test_client()
    link = invitation_link(app, staff_email)
    assert post_form(staff, link, {"name": staff_name, "password": STAFF_PASSWORD}, page=link).status_code == 302
    created = post_form(owner, "/touchpoints/", {"name": spec["touchpoint"], "kind": "store", "default_assignee_id": "0",
                                                 "hidden_fields": ""}, page="/touchpoints/")
    assert created.status_code == 302, created.get_data(as_text=True)
    with app.app_context(), unscoped():
        token = db.session.scalar(sa.select(Touchpoint.token).where(Touchpoint.tenant_id == tenant_id))
    customer = app.test_client()
    submitted = customer.post(f"/s/{token}", data={"score": "1", "comment": spec["comment"],
                                                   "submission_key": secrets.token_urlsafe(18)})
    assert submitted.status_code == 302
    with app.app_context(), unscoped():
        first_category = db.session.scalar(sa.select(Category.id).where(Category.tenant_id == tenant_id).order_by(Category.id))
    improvement = post_form(owner, "/improvements/", {"title": f"{spec['touchpoint']} is better",
                                                      "body": "We fixed it.", "category_ids": [str(first_category)]},
                            page="/improvements/")
    assert improvement.status_code == 302, improvement.get_data(as_text=True)
    with app.app_context(), unscoped():
        def ids(column, *where):
            return list(db.session.scalars(sa.select(column).where(*where).order_by(column)))

        emails = [owner_email, staff_email, spec["pending"]]
        built = {
            "client": owner,
            "tenant_id": [tenant_id],
            "membership_id": ids(Membership.id, Membership.tenant_id == tenant_id),
            "invitation_id": ids(Invitation.id, Invitation.tenant_id == tenant_id),
            "message_id": ids(Message.id, sa.or_(Message.tenant_id == tenant_id, Message.recipient.in_(emails))),
            "touchpoint_id": ids(Touchpoint.id, Touchpoint.tenant_id == tenant_id),
            "task_id": ids(Task.id, Task.tenant_id == tenant_id),
            "category_id": ids(Category.id, Category.tenant_id == tenant_id)[:3],
            "improvement_id": ids(Improvement.id, Improvement.tenant_id == tenant_id),
            "response_id": ids(Response.id, Response.tenant_id == tenant_id),
        }
    counts = {name: len(values) for name, values in built.items() if name != "client"}
    assert counts["membership_id"] == 2 and counts["invitation_id"] == 2 and counts["task_id"] == 1, counts
    assert counts["message_id"] >= 4 and counts["category_id"] == 3, counts
    return built


def database_snapshot(app) -> dict:
    """Every row of every table: nothing a refused request did may show here."""
    with app.app_context(), unscoped():
        snapshot = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            snapshot[table.name] = [tuple(row) for row in rows]
        return snapshot


# Every converter argument any route takes. An id argument maps to the key under which
# build_tenant() keeps the tenant's ids of that kind; a new route with a new argument
# fails the walker until it is taught here where the other tenant's values come from.
ID_ARGUMENTS = {"membership_id", "invitation_id", "tenant_id", "message_id", "touchpoint_id", "task_id", "category_id",
                "improvement_id", "response_id"}
# Public links carry a secret rather than an id; the walker tries values that are not
# anyone's secret (whoever holds a real one is meant to get in, whatever their tenant).
TOKEN_ARGUMENTS = {
    "token": secrets.token_urlsafe(32),
    "key": secrets.token_urlsafe(18),
    "kind": "png",
    "verdict": "no",
    # the admin pages: a 404 for every tenant member (tests/test_admin.py)
    "action": "suspend", "job_id": "no-such-job", "event_id": 1,
    "slug": "no-such-business",
    "filename": "no-such-file.css",
}


def _post_payload(client, ids: dict) -> dict:
    """A form that would change something on any route that accepted it."""
    payload = {
        "csrf_token": csrf_token(client, "/account/"),
        "role": "owner", "name": "Taken over", "kind": "other", "default_assignee_id": "0", "hidden_fields": "",
        "keywords": "taken, over", "email": "takeover@alpha.example", "password": "takeover password 1",
        "score": "0", "comment": "taken over", "submission_key": secrets.token_urlsafe(18),
    }
    for category_id in ids.get("category_id", ()):
        payload.update({f"c{category_id}-name": "Taken over", f"c{category_id}-keywords": "taken"})
    return payload


def _token_for(rule, name: str):
    """The walker's value for a secret-like argument; for an `any(…)` argument, the first it accepts."""
    choices = getattr(rule._converters.get(name), "items", None)
    return sorted(choices)[0] if choices else TOKEN_ARGUMENTS[name]


def _requests_for(rule, values: dict):
    """(method, path, argument kind) for each way to call a rule with the given argument values."""
    unknown = set(rule.arguments) - ID_ARGUMENTS - TOKEN_ARGUMENTS.keys()
    assert not unknown, f"{rule.rule}: teach the cross-tenant walker where another tenant's {unknown} come from"
    id_names = sorted(set(rule.arguments) & ID_ARGUMENTS)
    combos = [{}]
    for name in id_names:
        combos = [{**combo, name: value} for combo in combos for value in values[name]]
    for combo in combos:
        arguments = {name: _token_for(rule, name) for name in rule.arguments if name in TOKEN_ARGUMENTS} | combo
        path = rule.build(arguments, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path, "id" if id_names else "token"


def test_every_route_with_arguments_refuses_another_tenants_ids(app):
    b = build_tenant(app, TENANT_B)
    a = build_tenant(app, TENANT_A)
    alice = a["client"]
    with app.app_context(), unscoped():
        b_rows_before = (
            sorted(db.session.execute(sa.select(Membership.id, Membership.user_id, Membership.role)
                                      .where(Membership.tenant_id == b["tenant_id"][0])).all()),
            db.session.scalar(sa.select(sa.func.count(Invitation.id)).where(Invitation.tenant_id == b["tenant_id"][0])),
        )
    before = database_snapshot(app)
    walked = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.arguments:
            continue
        for method, path, kind in _requests_for(rule, b):
            if method == "POST":
                response = alice.post(path, data=_post_payload(alice, b))
            else:
                response = alice.get(path)
            body = response.get_data(as_text=True)
            allowed = (403, 404) if kind == "id" else (400, 403, 404)
            assert response.status_code in allowed, f"{method} {path} ({rule.endpoint}) answered {response.status_code}"
            leaked = [secret for secret in B_SECRETS if secret.lower() in body.lower()]
            assert not leaked, f"{method} {path} ({rule.endpoint}) shows tenant B's {leaked}"
            walked.append((rule.endpoint, method))
    # The walker really went everywhere: every id route, with each of its methods.
    id_rules = {r.endpoint for r in app.url_map.iter_rules() if set(r.arguments) & ID_ARGUMENTS}
    assert id_rules <= {endpoint for endpoint, _ in walked}
    assert len(id_rules) >= 14 and ("team.change_role", "POST") in walked and ("tasks.show", "GET") in walked
    assert database_snapshot(app) == before, "a refused cross-tenant request changed the database"
    with app.app_context(), unscoped():
        assert b_rows_before == (
            sorted(db.session.execute(sa.select(Membership.id, Membership.user_id, Membership.role)
                                      .where(Membership.tenant_id == b["tenant_id"][0])).all()),
            db.session.scalar(sa.select(sa.func.count(Invitation.id)).where(Invitation.tenant_id == b["tenant_id"][0])),
        )
    # Alice is still in her own business, and the same pages with her own ids work: the
    # 404s above were about the tenant, not about a walker that builds broken requests.
    assert "<h1>Alpine Apples</h1>" in alice.get("/dashboard").get_data(as_text=True)
    for rule in app.url_map.iter_rules():
        if not set(rule.arguments) & ID_ARGUMENTS or "GET" not in rule.methods or rule.endpoint.startswith("admin."):
            continue  # the admin pages are a 404 for every member, their own business's ids too
        for method, path, _ in _requests_for(rule, a):
            if method == "GET":
                assert alice.get(path).status_code == 200, f"GET {path} with tenant A's own ids"
    own = post_form(alice, f"/switch/{a['tenant_id'][0]}", page="/account/")
    assert own.status_code == 302


def test_another_tenants_staff_and_owner_ids_in_forms_are_refused(app):
    """Ids also travel in form fields (who handles a touchpoint, a category): B's are refused."""
    b = build_tenant(app, TENANT_B)
    a = build_tenant(app, TENANT_A)
    alice = a["client"]
    before = database_snapshot(app)
    touchpoint = post_form(alice, "/touchpoints/", {"name": "Side door", "kind": "store",
                                                    "default_assignee_id": str(b["membership_id"][0])},
                           page="/touchpoints/")
    assert touchpoint.status_code == 422
    category = a["category_id"][0]
    assigned = post_form(alice, f"/categories/{category}", {
        f"c{category}-name": "Taken over", f"c{category}-keywords": "", f"c{category}-assignee_ids": str(b["membership_id"][1]),
    }, page="/categories/")
    assert assigned.status_code == 422
    assert database_snapshot(app) == before


# --- every endpoint declares who may use it --------------------------------------------------

# Endpoints that are not pages of a tenant: public pages, public survey links (the token is
# the key), and the logged-in user's own account (not any tenant's). Everything else must be
# a tenant_route with its least role; a new endpoint in neither group fails here.
NOT_TENANT_PAGES = {
    "static", "main.index", "main.healthz",
    "auth.signup", "auth.finish_signup", "auth.login", "auth.logout", "auth.verify_email", "auth.resend_verification",
    "auth.forgot_password", "auth.reset_password",
    "account.settings", "account.change_language", "account.change_password", "account.change_email", "account.confirm_email_change",
    "account.change_digest", "account.digest_off", "account.two_factor_setup",
    "admin.index", "admin.verify", "admin.tenants", "admin.tenant", "admin.tenant_action", "admin.audit",
    "admin.outbox", "admin.outbox_action", "admin.stripe_events", "admin.replay_stripe_event", "admin.failed_jobs",
    "admin.failed_job_action", "admin.stop_impersonating",  # the platform's own pages: across tenants on purpose (saas/web/admin.py)
    "team.accept_invitation", "team.switch_tenant",
    "survey.show", "survey.submit", "survey.answer", "survey.thanks", "survey.theme", "survey.qr_code",
    "customers.unsubscribe", "customers.answer", "improvements.public", "survey.logo", "billing.webhook",
}


def test_every_endpoint_is_a_tenant_route_or_explicitly_not_a_tenant_page(app):
    views = app.view_functions
    unclassified = sorted(e for e, view in views.items() if e not in NOT_TENANT_PAGES and not hasattr(view, "required_role"))
    assert unclassified == [], f"use tenant_route(role) on these, or list them in NOT_TENANT_PAGES: {unclassified}"
    stale = sorted(NOT_TENANT_PAGES - views.keys())
    assert stale == [], f"NOT_TENANT_PAGES names endpoints that no longer exist: {stale}"
    contradictory = sorted(e for e in NOT_TENANT_PAGES if hasattr(views[e], "required_role"))
    assert contradictory == [], contradictory
    assert {getattr(view, "required_role", None) for view in views.values()} >= {Role.OWNER, Role.ADMIN, Role.STAFF}


def _role_walk_paths(app, ids: dict, endpoints: set):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in endpoints:
            arguments = {name: ids[name][0] for name in rule.arguments}
            path = rule.build(arguments, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, path


def test_the_role_each_tenant_route_declares_is_what_it_enforces(app):
    """With the tenant's own ids (so only the role stands in the way): anonymous → log-in page,
    a user in no business → 404, a role below the declared one → 403, and nothing changes."""
    a = build_tenant(app, TENANT_A)
    owner = a["client"]
    with app.app_context(), unscoped():
        admin_membership = db.session.get(Membership, a["membership_id"][1])
        assert admin_membership.role == Role.STAFF
        admin_membership.role = Role.ADMIN  # Arthur becomes an admin for this test
        loner = User(email="loner@nowhere.example", name="Loner")
        loner.set_password(STAFF_PASSWORD)
        db.session.add(loner)
        db.session.commit()
    # A staff member of tenant A, joined by invitation.
    assert post_form(owner, "/team/invite", {"email": "stan@alpha.example", "role": "staff"}, page="/team").status_code == 302
    stan = app.test_client()
    link = invitation_link(app, "stan@alpha.example")
    assert post_form(stan, link, {"name": "Stan", "password": STAFF_PASSWORD}, page=link).status_code == 302
    with app.app_context(), unscoped():
        a["membership_id"] = list(db.session.scalars(sa.select(Membership.id).where(Membership.role == Role.STAFF)))
    admin = app.test_client()
    assert login(admin, TENANT_A["staff"][1], STAFF_PASSWORD).status_code == 302
    nobody = app.test_client()
    assert login(nobody, "loner@nowhere.example", STAFF_PASSWORD).status_code == 302
    anonymous = app.test_client()

    declared = {endpoint: view.required_role for endpoint, view in app.view_functions.items()
                if hasattr(view, "required_role")}
    below = {
        "staff": (stan, {e for e, role in declared.items() if role in (Role.ADMIN, Role.OWNER)}),
        "admin": (admin, {e for e, role in declared.items() if role == Role.OWNER}),
    }
    assert below["staff"][1] >= {"team.index", "team.invite", "team.change_role", "team.remove_member",
                                 "team.revoke_invitation", "settings.survey", "touchpoints.index"}
    assert below["admin"][1] >= {"team.change_role", "team.remove_member", "main.dev_outbox"}
    before = database_snapshot(app)
    for who, (client, endpoints) in below.items():
        for endpoint, method, path in _role_walk_paths(app, a, endpoints):
            response = client.get(path) if method == "GET" else client.post(path, data=_post_payload(client, a))
            assert response.status_code == 403, f"{who}: {method} {path} ({endpoint}) answered {response.status_code}"
    for endpoint, method, path in _role_walk_paths(app, a, set(declared)):
        if method == "GET":
            response = anonymous.get(path)
            assert response.status_code == 302 and "/login?next=" in response.headers["Location"], (endpoint, path)
        else:
            token = csrf_token(anonymous, "/login")
            response = anonymous.post(path, data={"csrf_token": token})
            assert response.status_code == 302 and "/login" in response.headers["Location"], (endpoint, path)
        response = nobody.get(path) if method == "GET" else nobody.post(path, data=_post_payload(nobody, a))
        assert response.status_code == 404, f"no business: {method} {path} answered {response.status_code}"
        assert "You are not in a business" in response.get_data(as_text=True)
    assert database_snapshot(app) == before
    # The staff member and the admin do reach what their role allows.
    assert stan.get("/dashboard").status_code == 200 and stan.get(f"/tasks/{a['task_id'][0]}").status_code == 200
    assert admin.get("/team").status_code == 200 and admin.get("/touchpoints/").status_code == 200


def test_a_row_already_in_the_session_is_not_handed_to_another_tenants_scope(app, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    with app.app_context():
        with unscoped():
            b_membership = db.session.scalar(sa.select(Membership).where(Membership.tenant_id == b).limit(1))
        # It is in the identity map now, where session.get() finds it without a query.
        with tenant_scope(a):
            assert db.session.get(Membership, b_membership.id) is None
        with tenant_scope(b):
            assert db.session.get(Membership, b_membership.id) is b_membership
        with pytest.raises(TenantScopeMissing):
            db.session.get(Membership, b_membership.id)


def test_a_row_never_moves_to_another_tenant(app, two_tenants):
    a, b = two_tenants["a"], two_tenants["b"]
    with app.app_context():
        with unscoped():
            membership = db.session.scalar(sa.select(Membership).where(Membership.tenant_id == a).limit(1))
            tenant_b = db.session.get(Tenant, b)
            membership.tenant_id = b
            with pytest.raises(TenantScopeMissing):
                db.session.flush()
            db.session.rollback()
            membership = db.session.scalar(sa.select(Membership).where(Membership.tenant_id == a).limit(1))
            membership.tenant = db.session.get(Tenant, b)
            with pytest.raises(TenantScopeMissing):
                db.session.flush()
            db.session.rollback()
            # Other changes to the row are fine, and so is setting the tenant it already has.
            membership = db.session.scalar(sa.select(Membership).where(Membership.tenant_id == a).limit(1))
            membership.tenant_id = a
            membership.role = Role.ADMIN
            db.session.flush()
            db.session.rollback()
        assert tenant_b is not None
    assert _count_all(app) == (6, 2)
