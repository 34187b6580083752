"""A platform admin in the tests: made, two-factor set up in a browser, and the business page's action forms."""
from __future__ import annotations

import re

import pyotp

from saas.core.extensions import db
from saas.core.scoping import unscoped
from tenants.services import create_platform_admin
from tests.support.builders import PASSWORD, staff_client
from tests.support.http import csrf_token, post_form

ADMIN = "root@platform.example"


def platform_admin(app) -> None:
    with app.app_context(), unscoped():
        user, _link = create_platform_admin(ADMIN)
        user.set_password(PASSWORD)
        db.session.commit()


def set_up_two_factor(app, client) -> tuple[str, list[str]]:
    """Two-factor turned on in this browser; (the secret, the recovery codes). The code it used is the
    secret's latest accepted one: `client.used_code`."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    assert "<svg" in page  # the QR code to scan
    wrong = post_form(client, "/account/two-factor", {"code": "000000"}, page="/account/two-factor")
    assert wrong.status_code == 422 and "That code is not right" in wrong.get_data(as_text=True)
    client.used_code = pyotp.TOTP(secret).now()
    done = post_form(client, "/account/two-factor", {"code": client.used_code}, page="/account/two-factor")
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def verified_admin(app):
    """A platform admin's browser with two-factor on and a code given; the authenticator's secret."""
    platform_admin(app)
    browser = staff_client(app, ADMIN)
    secret, _codes = set_up_two_factor(app, browser)
    return browser, secret


def act(client, tenant_id: int, action: str, **fields):
    """POST one of a business page's action forms (its fields carry the action as their prefix)."""
    page = f"/admin/tenants/{tenant_id}"
    data = {f"{action}-{name}": value for name, value in {"csrf_token": csrf_token(client, page), **fields}.items()}
    return client.post(f"{page}/{action}", data=data)
