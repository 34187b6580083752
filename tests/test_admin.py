"""The platform admins' pages: a 404 for everyone else and for an admin without two-factor log-in; two-factor
set up by scanning a code, then a current code (or a one-time recovery code) once per browser session."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.web import admin_access
from tenants.admin_actions import AdminAuditEvent
from tenants.models import Tenant, User
from tenants.two_factor import recovery_codes_left
from tests.support.admin import ADMIN, act, platform_admin, set_up_two_factor, verified_admin
from tests.support.builders import build_business, rows, staff_client
from tests.support.http import post_form


def admin_urls(app) -> list[tuple[str, str]]:
    """(method, URL) of every /admin route, with 1 for each URL argument."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "1", rule.rule)
            found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert found, "the admin blueprint has routes"
    return found


def test_every_admin_page_is_a_404_for_visitors_owners_and_admins_without_two_factor(app):
    build_business(app)
    platform_admin(app)
    for who, client in (("anonymous", app.test_client()), ("owner", staff_client(app, "owner@zerno.example")),
                        ("admin without two-factor", staff_client(app, ADMIN))):
        for method, url in admin_urls(app):
            status = client.open(url, method=method).status_code
            assert status == 404, f"{method} {url} for {who}: {status}"
    assert staff_client(app, "owner@zerno.example").get("/account/two-factor").status_code == 404


def test_set_up_with_the_app_then_a_code_once_per_session_and_never_the_same_code_twice(app):
    build_business(app)
    platform_admin(app)
    admin = staff_client(app, ADMIN)
    secret, _codes = set_up_two_factor(app, admin)
    assert admin.get("/admin/").status_code == 200  # setting it up proved a code: this session is open

    later = staff_client(app, ADMIN)  # another browser: the password alone opens nothing
    assert later.get("/admin/").headers["Location"].startswith("/admin/verify")
    again = post_form(later, "/admin/verify", {"code": admin.used_code}, page="/admin/verify")  # seen, replayed
    assert again.status_code == 422 and "used already" in again.get_data(as_text=True)
    assert post_form(later, "/admin/verify", {"code": "123456"}, page="/admin/verify").status_code == 422
    following = pyotp.TOTP(secret).at(time.time() + 30)  # the next code (a clock a step ahead is accepted)
    assert post_form(later, "/admin/verify", {"code": following}, page="/admin/verify").status_code == 302
    page = later.get("/admin/").get_data(as_text=True)
    assert "Businesses by plan" in page and "Кав" not in page  # numbers, not the businesses' details
    forged = later.post("/admin/verify", data={"code": "123456", "csrf_token": "forged"})
    assert forged.status_code == 400  # an admin's forms carry a CSRF token like every other


def test_a_recovery_code_opens_the_pages_once(app):
    platform_admin(app)
    _secret, codes = set_up_two_factor(app, staff_client(app, ADMIN))
    for expected in (302, 422):
        browser = staff_client(app, ADMIN)
        assert post_form(browser, "/admin/verify", {"code": codes[0].upper()}, page="/admin/verify").status_code == expected
    with app.app_context(), unscoped():
        user = db.session.query(User).filter_by(email=ADMIN).one()
        assert recovery_codes_left(user) == 9


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin/", "/dashboard"])
def test_after_the_code_the_admin_goes_back_only_to_an_admin_page(app, target):
    platform_admin(app)
    secret, _codes = set_up_two_factor(app, staff_client(app, ADMIN))
    browser = staff_client(app, ADMIN)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    answer = post_form(browser, f"/admin/verify?next={target}", {"code": code}, page="/admin/verify")
    assert answer.headers["Location"] == "/admin/"


def _tenant_id(app, slug="zerno") -> int:
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug))


def test_suspend_needs_a_reason_and_a_recent_code_is_audited_and_closes_the_business(app, monkeypatch):
    business = build_business(app)
    admin, secret = verified_admin(app)
    assert "ярня Зерно" in admin.get("/admin/tenants/?q=OWNER@zerno").get_data(as_text=True)
    assert "ярня Зерно" not in admin.get("/admin/tenants/?q=nobody").get_data(as_text=True)

    no_reason = act(admin, business["tenant"], "suspend", reason=" ")
    assert no_reason.status_code == 422 and rows(app, AdminAuditEvent) == []

    later = time.time() + 11 * 60  # eleven minutes after the last code
    monkeypatch.setattr(admin_access.time, "time", lambda: later)
    stale = act(admin, business["tenant"], "suspend", reason="Unpaid for three months")
    assert stale.headers["Location"].startswith("/admin/verify") and rows(app, AdminAuditEvent) == []
    code = pyotp.TOTP(secret).at(later + 30)
    assert post_form(admin, "/admin/verify", {"code": code}, page="/admin/verify").status_code == 302
    done = act(admin, business["tenant"], "suspend", reason="Unpaid for three months")
    assert done.status_code == 302

    [event] = rows(app, AdminAuditEvent)
    assert (event.admin_email, event.tenant_slug, event.action, event.reason) == (
        ADMIN, "zerno", "suspend", "Unpaid for three months")
    assert (event.before, event.after) == ({"status": "active"}, {"status": "suspended"})
    staff = staff_client(app)
    closed = staff.get("/tasks/")
    assert closed.status_code == 403 and "support@loopline.local" in closed.get_data(as_text=True)
    survey = app.test_client().get(f"/s/{business['touchpoint']}?lang=en").get_data(as_text=True)
    assert "Not collecting feedback right now" in survey

    assert act(admin, business["tenant"], "reactivate", reason="Paid").status_code == 302
    assert staff.get("/tasks/").status_code == 200
    log = admin.get("/admin/audit/?tenant=zerno&action=suspend").get_data(as_text=True)
    assert "Unpaid for three months" in log and "Paid</td>" not in log
    assert "Unpaid" not in admin.get("/admin/audit/?admin=someone-else").get_data(as_text=True)


def test_the_audit_log_cannot_be_changed_or_deleted_from_the_app(app):
    build_business(app)
    admin, _secret = verified_admin(app)
    assert act(admin, _tenant_id(app), "suspend", reason="Spam").status_code == 302
    with app.app_context(), unscoped():
        event = db.session.scalars(sa.select(AdminAuditEvent)).one()
        event.reason = "nothing happened"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(sa.select(AdminAuditEvent)).one())
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
