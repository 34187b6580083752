"""Accounts through the real endpoints: sign-up, verification, log-in, passwords, email change,
and the CLI commands. Bad input gets a clear message and changes nothing."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from saas.extensions import db
from tenants.models import Membership, Role, Tenant, User
from tenants.scoping import unscoped
from tenants.tokens import password_fingerprint
from tests.conftest import csrf_token, link_in, login, make_app, messages, path_of, post_form, signup, verify

PASSWORD = "correct horse battery"


def signed_in_the_past(app, salt: str, payload: dict, seconds_ago: int) -> str:
    """A token exactly as the app signs it, but stamped `seconds_ago` (no clock mocking)."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt, signer=PastSigner).dumps(payload)


def count(app, model) -> int:
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def user(app, email) -> User | None:
    with app.app_context():
        found = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge_all()
        return found


def test_signup_creates_tenant_owner_and_membership(app, client):
    signup(client, email="Ann@Example.com", business="Ann's Café")
    with app.app_context(), unscoped():
        membership = db.session.scalar(sa.select(Membership))
        assert membership.role == Role.OWNER and membership.user.email == "ann@example.com"
        assert (membership.tenant.name, membership.tenant.plan, membership.tenant.slug) == ("Ann's Café", "free", "ann-s-cafe")
        assert membership.user.verified_at is None
    [message] = messages(app, kind="verification")
    assert message.recipient == "ann@example.com"


@pytest.mark.parametrize(
    "fields, field_message",
    [
        ({"email": "ANN@example.com"}, "An account with this email already exists"),
        ({"password": "short"}, "Use at least 10 characters"),
        ({"password": "password123"}, "too easy to guess"),
        ({"password": "aaaaaaaaaaaa"}, "too easy to guess"),
        ({"email": "new@example.com", "password": "new@example.com"}, "Do not use your email address"),
        ({"email": "not an email"}, "Invalid email address"),
        ({"business_name": ""}, "This field is required"),
    ],
)
def test_signup_bad_input_is_explained_and_changes_nothing(app, client, fields, field_message):
    signup(app.test_client(), email="ann@example.com")
    before = (count(app, User), count(app, Tenant), len(messages(app)))
    data = {"business_name": "Shop", "name": "N", "email": "other@example.com", "password": PASSWORD, **fields}
    response = post_form(client, "/signup", data)
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert (count(app, User), count(app, Tenant), len(messages(app))) == before


def test_verification_link_tampered_or_expired(app, client):
    signup(client)
    [message] = messages(app, kind="verification")
    link = path_of(link_in(message.body_text, "/verify/"))
    tampered = client.get(link[:-3] + "abc")
    assert tampered.status_code == 400, (link, tampered.headers.get("Location"))
    expired = signed_in_the_past(app, "loopline.verify-email", {"uid": 1, "email": "owner@example.com"}, 49 * 3600)
    response = client.get(f"/verify/{expired}")
    assert response.status_code == 400 and "not valid any more" in response.get_data(as_text=True)
    assert user(app, "owner@example.com").verified_at is None
    assert client.get(link).status_code == 302
    assert user(app, "owner@example.com").verified_at is not None


def test_unverified_owner_cannot_invite(app, client):
    signup(client)
    response = post_form(client, "/team/invite", {"email": "sam@example.com", "role": "staff"}, page="/team")
    assert response.status_code == 422 and "Verify your email address" in response.get_data(as_text=True)
    assert messages(app, kind="invitation") == []


def test_login_logout_and_wrong_password(app, client):
    signup(client)
    post_form(client, "/logout", page="/account/")
    assert client.get("/dashboard").status_code == 302
    wrong = login(client, "owner@example.com", "wrong password!")
    assert wrong.status_code == 422 and "do not match an account" in wrong.get_data(as_text=True)
    unknown = login(client, "nobody@example.com", PASSWORD)
    assert "do not match an account" in unknown.get_data(as_text=True)
    assert login(client, "OWNER@example.com").status_code == 302
    assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize("target, expected", [
    ("/team", "/team"), ("//evil.example/x", "/dashboard"), ("https://evil.example", "/dashboard"),
    ("/\\evil.example", "/dashboard"), ("javascript:alert(1)", "/dashboard"),
])
def test_next_never_leaves_the_site(app, client, target, expected):
    signup(app.test_client())
    response = post_form(client, f"/login?next={target}", {"email": "owner@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == expected


def test_login_is_rate_limited(app, client):
    signup(app.test_client())
    codes = [login(client, "owner@example.com", "wrong password!").status_code for _ in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    assert "Too many attempts" in login(client, "owner@example.com").get_data(as_text=True)


def test_password_reset_single_use_and_one_hour(app, client):
    signup(app.test_client())
    post_form(client, "/forgot", {"email": "nobody@example.com"})
    assert messages(app, kind="password_reset") == []
    page = post_form(client, "/forgot", {"email": "owner@example.com"})
    assert "If owner@example.com has an account" in page.get_data(as_text=True)
    [message] = messages(app, kind="password_reset")
    link = path_of(link_in(message.body_text, "/reset/"))
    weak = post_form(client, link, {"password": "weak", "confirm": "weak"}, page=link)
    assert "Use at least 10 characters" in weak.get_data(as_text=True)
    done = post_form(client, link, {"password": "brand new secret", "confirm": "brand new secret"}, page=link)
    assert done.status_code == 302
    assert client.get(link).status_code == 400  # used once
    assert login(app.test_client(), "owner@example.com", PASSWORD).status_code == 422
    assert login(app.test_client(), "owner@example.com", "brand new secret").status_code == 302
    with app.app_context():
        found = db.session.scalar(sa.select(User))
        payload = {"uid": found.id, "fp": password_fingerprint(found.password_hash), "ttl": 3600}
    stale = signed_in_the_past(app, "loopline.password", payload, 3700)
    assert client.get(f"/reset/{stale}").status_code == 400


def test_change_password_logs_out_other_sessions(app, client):
    signup(client)
    other_device = app.test_client()
    login(other_device, "owner@example.com")
    wrong = post_form(client, "/account/password", {"pw-current_password": "nope nope nope", "pw-new_password": "another good secret"}, page="/account/")
    assert "current password is not correct" in wrong.get_data(as_text=True)
    ok = post_form(client, "/account/password", {"pw-current_password": PASSWORD, "pw-new_password": "another good secret"}, page="/account/")
    assert ok.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302


def test_change_email_is_confirmed_from_the_new_address(app, client):
    signup(client)
    signup(app.test_client(), email="taken@example.com", business="Other")
    taken = post_form(client, "/account/email", {"em-new_email": "taken@example.com", "em-password": PASSWORD}, page="/account/")
    assert "Another account uses this email" in taken.get_data(as_text=True)
    post_form(client, "/account/email", {"em-new_email": "new@example.com", "em-password": PASSWORD}, page="/account/")
    [message] = messages(app, kind="email_change")
    assert message.recipient == "new@example.com"
    assert user(app, "owner@example.com") is not None  # unchanged until confirmed
    assert client.get(path_of(link_in(message.body_text, "/account/email/"))).status_code == 302
    assert user(app, "owner@example.com") is None and user(app, "new@example.com").verified_at is not None
    assert login(app.test_client(), "new@example.com").status_code == 302


def test_missing_csrf_token_is_a_400_and_creates_nothing(app, client):
    response = client.post("/signup", data={"business_name": "X", "name": "Y", "email": "z@example.com", "password": PASSWORD})
    assert response.status_code == 400 and "This form has expired" in response.get_data(as_text=True)
    assert count(app, User) == 0


def test_garbage_never_500(app, client):
    assert client.get("/verify/%00garbage").status_code in (400, 404)
    assert client.get("/reset/xyz").status_code == 400
    assert client.get("/invite/xyz").status_code == 404
    huge = client.post("/signup", data={"csrf_token": csrf_token(client), "business_name": "x" * 70_000})
    assert huge.status_code == 413


def test_create_admin_prints_a_one_time_link(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "Root@Example.com"])
    assert result.exit_code == 0 and "root@example.com is a platform admin" in result.output
    link = path_of(link_in(result.output, "/reset/"))
    assert user(app, "root@example.com").is_platform_admin
    client = app.test_client()
    assert post_form(client, link, {"password": "admin secret 12", "confirm": "admin secret 12"}, page=link).status_code == 302
    assert client.get(link).status_code == 400
    bad = runner.invoke(args=["create-admin", "not-an-email"])
    assert bad.exit_code != 0 and "not valid" in bad.output
    assert count(app, User) == 1


def test_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert (count(app, User), count(app, Tenant), count(app, Membership)) == (3, 1, 3)
    assert "owner@demo.example.com" in first.output
    password = first.output.split("password: ")[1].split()[0]
    assert login(app.test_client(), "owner@demo.example.com", password).status_code == 302
