"""The platform admins' pages: a 404 for everyone else and for an admin without two-factor log-in; two-factor
set up by scanning a code, then a current code (or a one-time recovery code) once per browser session."""
from __future__ import annotations

import re
import time

import pyotp
import pytest

from saas.core.extensions import db
from saas.core.scoping import unscoped
from tenants.models import User
from tenants.services import create_platform_admin
from tenants.two_factor import recovery_codes_left
from tests.support.builders import PASSWORD, build_business, staff_client
from tests.support.http import post_form

ADMIN = "root@platform.example"


def platform_admin(app) -> None:
    with app.app_context(), unscoped():
        user, _link = create_platform_admin(ADMIN)
        user.set_password(PASSWORD)
        db.session.commit()


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


def _set_up(app, client) -> tuple[str, list[str]]:
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    assert "<svg" in page  # the QR code to scan
    wrong = post_form(client, "/account/two-factor", {"code": "000000"}, page="/account/two-factor")
    assert wrong.status_code == 422 and "That code is not right" in wrong.get_data(as_text=True)
    done = post_form(client, "/account/two-factor", {"code": pyotp.TOTP(secret).now()}, page="/account/two-factor")
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_set_up_with_the_app_then_a_code_once_per_session_and_never_the_same_code_twice(app):
    build_business(app)
    platform_admin(app)
    admin = staff_client(app, ADMIN)
    secret, _codes = _set_up(app, admin)
    assert admin.get("/admin/").status_code == 200  # setting it up proved a code: this session is open

    later = staff_client(app, ADMIN)  # another browser: the password alone opens nothing
    assert later.get("/admin/").headers["Location"].startswith("/admin/verify")
    used = pyotp.TOTP(secret).now()  # the code that turned it on, a moment ago
    again = post_form(later, "/admin/verify", {"code": used}, page="/admin/verify")
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
    _secret, codes = _set_up(app, staff_client(app, ADMIN))
    for expected in (302, 422):
        browser = staff_client(app, ADMIN)
        assert post_form(browser, "/admin/verify", {"code": codes[0].upper()}, page="/admin/verify").status_code == expected
    with app.app_context(), unscoped():
        user = db.session.query(User).filter_by(email=ADMIN).one()
        assert recovery_codes_left(user) == 9


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin/", "/dashboard"])
def test_after_the_code_the_admin_goes_back_only_to_an_admin_page(app, target):
    platform_admin(app)
    secret, _codes = _set_up(app, staff_client(app, ADMIN))
    browser = staff_client(app, ADMIN)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    answer = post_form(browser, f"/admin/verify?next={target}", {"code": code}, page="/admin/verify")
    assert answer.headers["Location"] == "/admin/"
