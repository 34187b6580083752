"""Account journeys through the real HTTP endpoints (test client, CSRF on): sign-up,
email verification, log-in/out, remember-me, `next`, rate limiting, password reset,
change password, change email, CSRF failures, the `create-admin` and `demo` commands,
and garbage input. Every refusal is checked to change nothing.

Expired links are made the honest way: a token signed exactly as the app signs it
(same secret, same salt) but stamped in the past by itsdangerous' own signer; no clock
and no project code is mocked.
"""
from __future__ import annotations

import html
import re
import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from saas.core.extensions import db
from saas.core.outbox import Message
from tenants.models import Invitation, Membership, Role, Tenant, User
from saas.core.scoping import unscoped
from tenants.tokens import password_fingerprint
from tests.support.apps import make_app
from tests.support.http import csrf_token, link_in, login, messages, path_of, post_form, signup, verify
from tests.support.mail import body_of

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new secret"
OWNER = "owner@example.com"
LOGIN_REQUIRED = "/login"


# --- helpers ----------------------------------------------------------------------------


def signed_in_the_past(app, salt: str, payload, seconds_ago: int, secret: str | None = None) -> str:
    """A token exactly as the app signs it (URLSafeTimedSerializer, SECRET_KEY, salt), but
    stamped `seconds_ago` by overriding itsdangerous' TimestampSigner.get_timestamp."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - seconds_ago

    serializer = URLSafeTimedSerializer(secret or app.config["SECRET_KEY"], salt=salt, signer=PastSigner)
    return serializer.dumps(payload)


def counts(app) -> dict[str, int]:
    """How many rows of each account table exist (across all tenants)."""
    with app.app_context(), unscoped():
        return {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Tenant, User, Membership, Invitation, Message)
        }


def get_user(app, email: str) -> User | None:
    with app.app_context():
        found = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge_all()
        return found


def field_errors(page: str, field_id: str) -> list[str]:
    """The error messages rendered right under the form field with this id."""
    return [html.unescape(m) for m in re.findall(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', page)]


def form_errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="error form-error" role="alert">([^<]*)</p>', page)]


def is_logged_in(client) -> bool:
    response = client.get("/account/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith(LOGIN_REQUIRED)
    return False


def text(response) -> str:
    return response.get_data(as_text=True)


def logged_in_owner(app, email=OWNER):
    """A fresh client that signed up (and so is logged in) as the owner of a new business."""
    client = app.test_client()
    signup(client, email=email, business=f"Shop of {email}")
    return client


def verification_link(app, email=OWNER) -> str:
    [message] = [m for m in messages(app, kind="verification") if m.recipient == email]
    return path_of(link_in(message.body_text, "/verify/"))


def reset_link(app, email=OWNER) -> str:
    message = [m for m in messages(app, kind="password_reset") if m.recipient == email][-1]
    return path_of(link_in(message.body_text, "/reset/"))


def set_password(client, link, password, confirm=None):
    # the CSRF token comes from the login page: a dead link's page has no form to take it from
    return post_form(client, link, {"password": password, "confirm": confirm or password}, page="/login")


# --- sign-up --------------------------------------------------------------------------------


def test_signup_creates_tenant_owner_membership_and_verification_email_at_once(app, client):
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 0}
    response = signup(client, email="Ann@Example.COM", business="Ann's Café", name="Ann")
    assert response.headers["Location"] == "/welcome/"  # onboarding starts right away

    assert counts(app) == {"Tenant": 1, "User": 1, "Membership": 1, "Invitation": 0, "Message": 1}
    with app.app_context(), unscoped():
        membership = db.session.scalar(sa.select(Membership))
        user, tenant = membership.user, membership.tenant
        assert membership.role == Role.OWNER
        assert (tenant.name, tenant.plan, tenant.slug) == ("Ann's Café", "free", "ann-s-cafe")
        assert (user.email, user.name) == ("ann@example.com", "Ann")
        assert user.verified_at is None and not user.is_platform_admin
        assert user.password_hash and PASSWORD not in user.password_hash and user.check_password(PASSWORD)
    [message] = messages(app)
    assert (message.kind, message.recipient) == ("verification", "ann@example.com")
    assert "/verify/" in message.body_text and "/verify/" in message.body_html
    assert message.status.value == "sent"  # delivered inline to the outbox folder (no REDIS_URL)
    assert is_logged_in(client)


def test_duplicate_email_is_refused_next_to_the_field_case_insensitively(app, client):
    logged_in_owner(app)
    before = counts(app)
    response = post_form(
        client, "/signup",
        {"business_name": "Copycat Ltd", "name": "Cat", "email": "OWNER@Example.com", "password": "another long secret"},
        page="/signup",
    )
    assert response.status_code == 422
    assert field_errors(text(response), "email") == ["An account with this email already exists. Log in instead."]
    assert field_errors(text(response), "password") == []
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant).where(Tenant.name == "Copycat Ltd")) is None
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "changes, field, error",
    [
        ({"password": "short1"}, "password", "Use at least 10 characters."),
        ({"password": "password123"}, "password", "That password is too easy to guess."),
        ({"password": "1234567890"}, "password", "That password is too easy to guess."),
        ({"password": "abababababab"}, "password", "That password is too easy to guess."),
        ({"password": "x" * 201}, "password", "Field cannot be longer than 200 characters."),
        ({"email": "newbie@example.com", "password": "newbie@example.com"}, "password",
         "Do not use your email address as your password."),
        ({"email": "newbie@example.com", "password": "NEWBIE@EXAMPLE.COM"}, "password",
         "Do not use your email address as your password."),
        ({"email": "longlocalpart@example.com", "password": "longlocalpart"}, "password",
         "Do not use your email address as your password."),
        ({"email": "not an email"}, "email", "Invalid email address."),
        ({"email": "ann@"}, "email", "Invalid email address."),
        ({"email": ""}, "email", "This field is required."),
        ({"business_name": ""}, "business_name", "This field is required."),
        ({"business_name": "   "}, "business_name", "This field is required."),
        ({"business_name": "B" * 121}, "business_name", "Field cannot be longer than 120 characters."),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_signup_bad_input_is_explained_at_its_field_and_stores_nothing(app, client, changes, field, error):
    data = {"business_name": "Corner Shop", "name": "Nina", "email": "nina@example.com", "password": PASSWORD, **changes}
    response = post_form(client, "/signup", data, page="/signup")
    assert response.status_code == 422
    assert error in field_errors(text(response), field), text(response)
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 0}
    assert not is_logged_in(client)
    # the same form, corrected, goes through: the refusal was about that one field
    good = {"business_name": "Corner Shop", "name": "Nina", "email": "nina@example.com", "password": PASSWORD}
    assert post_form(client, "/signup", good, page="/signup").status_code == 302
    assert counts(app)["Tenant"] == 1


def test_unverified_owner_sees_the_banner_and_cannot_invite_until_verified(app, client):
    signup(client)
    page = text(client.get("/account/"))
    assert "Please verify your email address: we sent a link to owner@example.com" in page

    refused = post_form(client, "/team/invite", {"email": "sam@example.com", "role": "staff"}, page="/team")
    assert refused.status_code == 422
    assert "Verify your email address before inviting your team." in text(refused)
    assert counts(app)["Invitation"] == 0 and messages(app, kind="invitation") == []

    assert verify(client, app, OWNER).status_code == 302
    assert "Please verify your email address" not in text(client.get("/account/"))
    accepted = post_form(client, "/team/invite", {"email": "sam@example.com", "role": "staff"}, page="/team")
    assert accepted.status_code == 302
    assert counts(app)["Invitation"] == 1 and [m.recipient for m in messages(app, kind="invitation")] == ["sam@example.com"]


def test_resending_the_verification_link_sends_a_new_working_one(app, client):
    signup(client)
    assert post_form(client, "/verify/resend", page="/account/").status_code == 302
    first, second = messages(app, kind="verification")
    assert first.recipient == second.recipient == OWNER
    assert client.get(path_of(link_in(second.body_text, "/verify/"))).status_code == 302
    assert get_user(app, OWNER).verified_at is not None
    assert post_form(client, "/verify/resend", page="/account/").status_code == 302
    assert len(messages(app, kind="verification")) == 2  # nothing more once verified


# --- verification link ------------------------------------------------------------------------


def test_verification_link_verifies_and_can_be_opened_again(app, client):
    signup(client)
    link = verification_link(app)
    anonymous = app.test_client()
    response = anonymous.get(link)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    verified_at = get_user(app, OWNER).verified_at
    assert verified_at is not None
    again = client.get(link)  # logged in: back to the dashboard, nothing changes
    assert again.status_code == 302 and again.headers["Location"] == "/dashboard"
    assert get_user(app, OWNER).verified_at == verified_at


def _tampered(app, link: str, how: str) -> str:
    token = link.rsplit("/", 1)[1]
    uid = get_user(app, OWNER).id
    payload = {"uid": uid, "email": OWNER}
    if how == "signature":
        return "/verify/" + token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    if how == "truncated":
        return "/verify/" + token[: len(token) // 2]
    if how == "payload":
        head, stamp, signature = token.split(".")
        other = signed_in_the_past(app, "loopline.verify-email", {"uid": uid + 1, "email": OWNER}, 0).split(".")[0]
        return f"/verify/{other}.{stamp}.{signature}"
    if how == "wrong secret":
        return "/verify/" + signed_in_the_past(app, "loopline.verify-email", payload, 0, secret="not-the-secret")
    if how == "other purpose":
        return "/verify/" + signed_in_the_past(app, "loopline.password", payload, 0)
    if how == "unknown user":
        return "/verify/" + signed_in_the_past(app, "loopline.verify-email", {"uid": uid + 99, "email": OWNER}, 0)
    if how == "not a dict":
        return "/verify/" + signed_in_the_past(app, "loopline.verify-email", [uid, OWNER], 0)
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how", ["signature", "truncated", "payload", "wrong secret", "other purpose", "unknown user", "not a dict"]
)
def test_tampered_verification_link_is_a_400_page_and_changes_nothing(app, client, how):
    signup(client)
    link = verification_link(app)
    before = counts(app)
    response = client.get(_tampered(app, link, how))
    assert response.status_code == 400
    assert "This link is not valid any more" in text(response)
    assert get_user(app, OWNER).verified_at is None
    assert counts(app) == before
    assert client.get(link).status_code == 302 and get_user(app, OWNER).verified_at is not None  # the real one works


def test_verification_link_expires_after_48_hours(app, client):
    signup(client)
    payload = {"uid": get_user(app, OWNER).id, "email": OWNER}
    expired = client.get("/verify/" + signed_in_the_past(app, "loopline.verify-email", payload, 48 * 3600 + 60))
    assert expired.status_code == 400 and "This link is not valid any more" in text(expired)
    assert get_user(app, OWNER).verified_at is None
    # the very same token, 47 hours old, is still good: it was refused for its age alone
    fresh = client.get("/verify/" + signed_in_the_past(app, "loopline.verify-email", payload, 47 * 3600))
    assert fresh.status_code == 302 and get_user(app, OWNER).verified_at is not None


# --- log-in and log-out -------------------------------------------------------------------------


def test_login_then_logout_with_a_post_carrying_the_csrf_token(app, client):
    logged_in_owner(app)
    assert not is_logged_in(client)
    response = login(client, "Owner@Example.com ")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert is_logged_in(client)

    assert client.get("/logout").status_code == 405  # a link cannot log you out
    no_token = client.post("/logout")
    assert no_token.status_code == 400 and is_logged_in(client)

    out = post_form(client, "/logout", page="/account/")
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert not is_logged_in(client)
    assert client.get("/dashboard").headers["Location"].startswith("/login")


def test_wrong_password_and_unknown_email_get_the_same_generic_message(app, client):
    logged_in_owner(app)
    wrong = login(client, OWNER, "not my password")
    unknown = login(client, "nobody@example.com", PASSWORD)
    empty = login(client, OWNER, "")
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert form_errors(text(response)) == ["That email and password do not match an account."]
        assert field_errors(text(response), "email") == [] and field_errors(text(response), "password") == []
    assert empty.status_code == 422 and field_errors(text(empty), "password") == ["This field is required."]
    assert not is_logged_in(client)
    assert _remember_cookie(wrong) is None


def _remember_cookie(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("remember_token="):
            return header
    return None


def test_remember_me_sets_an_httponly_cookie_that_alone_keeps_you_logged_in(app, client):
    logged_in_owner(app)
    plain = login(app.test_client(), OWNER)
    assert plain.status_code == 302 and _remember_cookie(plain) is None

    remembered = post_form(client, "/login", {"email": OWNER, "password": PASSWORD, "remember": "y"})
    assert remembered.status_code == 302
    cookie = _remember_cookie(remembered)
    assert cookie is not None, remembered.headers.getlist("Set-Cookie")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert any(part.startswith("expires=") for part in attributes)  # survives closing the browser

    # a browser that kept only the remember cookie (session cookie gone) is still logged in
    value = client.get_cookie("remember_token").value
    returning = app.test_client()
    returning.set_cookie("remember_token", value)
    assert is_logged_in(returning)
    forged = app.test_client()
    forged.set_cookie("remember_token", value[:-3] + "xyz")
    assert not is_logged_in(forged)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/team", "/team"),
        ("/account/?tab=email", "/account/?tab=email"),
        ("//evil.com", "/dashboard"),
        ("//evil.com/path", "/dashboard"),
        ("https://evil.com", "/dashboard"),
        ("http://evil.com/login", "/dashboard"),
        ("/\\evil.com", "/dashboard"),
        ("\\\\evil.com", "/dashboard"),
        ("/%5Cevil.com", "/dashboard"),
        ("%2F%2Fevil.com", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("evil.com", "/dashboard"),
        ("", "/dashboard"),
    ],
)
def test_next_is_followed_only_to_a_path_of_this_site(app, client, target, expected):
    logged_in_owner(app)
    response = post_form(client, "/login?next=" + target, {"email": OWNER, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize(
    "target", ["/\t/evil.com", "/\r/evil.com", "/\n/evil.com", "/\r\nSet-Cookie:x=1", "/\x7f/evil.com", " //evil.com"]
)
def test_next_with_control_characters_is_not_followed_and_never_fails(app, client, target):
    # browsers drop tabs and newlines inside URLs: "/\t/evil.com" would take them to evil.com
    logged_in_owner(app)
    response = post_form(client, "/login", {"email": OWNER, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert "Set-Cookie:x" not in str(response.headers)


@pytest.mark.parametrize("target", ["/team?q=caf\u00e9 \u20ac", "/\u3000/evil.com"])
def test_next_with_unicode_stays_on_the_site(app, client, target):
    logged_in_owner(app)
    response = post_form(client, "/login", {"email": OWNER, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "://" not in location


def test_a_protected_page_sends_you_back_after_login(app, client):
    logged_in_owner(app)
    bounced = client.get("/team")
    assert bounced.status_code == 302 and bounced.headers["Location"].startswith("/login?next=")
    response = post_form(client, bounced.headers["Location"], {"email": OWNER, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/team"
    # already logged in: /login with a hostile next still stays home
    again = client.get("/login?next=//evil.com")
    assert again.status_code == 302 and again.headers["Location"] == "/dashboard"


# --- rate limiting ----------------------------------------------------------------------------------


def test_the_11th_failed_login_in_a_minute_is_a_friendly_429(app, client):
    assert app.config["LOGIN_RATE_LIMIT"] == "10 per minute;100 per hour"
    logged_in_owner(app)
    token = csrf_token(client)
    codes = [
        client.post("/login", data={"csrf_token": token, "email": OWNER, "password": f"wrong guess {i}"}).status_code
        for i in range(10)
    ]
    assert codes == [422] * 10
    limited = client.post("/login", data={"csrf_token": token, "email": OWNER, "password": "wrong guess 11"})
    assert limited.status_code == 429
    page = text(limited)
    assert "Too many attempts. Please wait a minute and try again." in page
    assert "per 1 minute" not in page and "<html" in page.lower()
    # even the right password is refused now, and nobody got logged in
    right = client.post("/login", data={"csrf_token": token, "email": OWNER, "password": PASSWORD})
    assert right.status_code == 429 and not is_logged_in(client)
    # the login page itself still shows, and another address is not affected
    assert client.get("/login").status_code == 200
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    assert login(elsewhere, OWNER).status_code == 302


# --- password reset -------------------------------------------------------------------------------


def test_reset_request_looks_the_same_for_unknown_and_known_emails_and_mails_only_real_ones(
    database_url, tmp_path, smtp_server
):
    app = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)
    logged_in_owner(app)
    assert len(smtp_server.wait_for(1)) == 1  # the verification email
    client = app.test_client()

    unknown = post_form(client, "/forgot", {"email": "nobody@example.com"})
    invalid = post_form(client, "/forgot", {"email": "not an email"})
    assert unknown.status_code == 200 and "Check your email" in text(unknown)
    assert "If nobody@example.com has an account, a link to reset the password is on its way" in text(unknown)
    assert invalid.status_code == 200 and "Invalid email address." in field_errors(text(invalid), "email")
    assert messages(app, kind="password_reset") == []

    known = post_form(client, "/forgot", {"email": "OWNER@example.com"})
    assert known.status_code == 200
    assert text(known).replace("OWNER@example.com", "X") == text(unknown).replace("nobody@example.com", "X")
    [message] = messages(app, kind="password_reset")
    assert message.recipient == OWNER and message.status.value == "sent"
    received = smtp_server.wait_for(2)
    assert len(received) == 2 and received[1]["to"] == [OWNER]
    assert "/reset/" in body_of(received[1]["email"])
    time.sleep(0.2)
    assert len(smtp_server.messages) == 2  # nothing for the unknown address


def test_reset_link_sets_a_new_password_once_and_logs_out_everywhere(app, client):
    logged_in_owner(app)
    other_device = app.test_client()
    assert login(other_device, OWNER).status_code == 302
    post_form(client, "/forgot", {"email": OWNER})
    link = reset_link(app)
    hash_before = get_user(app, OWNER).password_hash

    form = client.get(link)
    assert form.status_code == 200 and 'name="password"' in text(form)
    weak = set_password(client, link, "weakweak")
    assert "Use at least 10 characters." in field_errors(text(weak), "password")
    differ = set_password(client, link, NEW_PASSWORD, "something else entirely")
    assert "The passwords differ." in field_errors(text(differ), "confirm")
    common = set_password(client, link, "qwertyuiop")
    assert "That password is too easy to guess." in field_errors(text(common), "password")
    assert get_user(app, OWNER).password_hash == hash_before
    assert login(app.test_client(), OWNER, PASSWORD).status_code == 302  # unchanged so far

    done = set_password(client, link, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert get_user(app, OWNER).password_hash != hash_before

    # used once: the link is dead, for reading and for posting
    assert client.get(link).status_code == 400
    again = set_password(app.test_client(), link, "yet another passphrase")
    assert again.status_code == 400 and "This link is not valid any more" in text(again)
    assert login(app.test_client(), OWNER, "yet another passphrase").status_code == 422

    assert login(app.test_client(), OWNER, PASSWORD).status_code == 422
    assert login(app.test_client(), OWNER, NEW_PASSWORD).status_code == 302
    assert not is_logged_in(other_device)


def test_reset_link_expires_after_one_hour(app, client):
    logged_in_owner(app)
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        payload = {"uid": user.id, "fp": password_fingerprint(user.password_hash), "ttl": 3600}
    stale = "/reset/" + signed_in_the_past(app, "loopline.password", payload, 3600 + 60)
    assert client.get(stale).status_code == 400
    assert set_password(client, stale, NEW_PASSWORD).status_code == 400
    assert login(app.test_client(), OWNER, PASSWORD).status_code == 302  # password unchanged
    # the same token 59 minutes old still works: it was refused for its age alone
    recent = "/reset/" + signed_in_the_past(app, "loopline.password", payload, 59 * 60)
    assert client.get(recent).status_code == 200
    assert set_password(client, recent, NEW_PASSWORD).status_code == 302


def test_reset_link_dies_when_the_password_changes_another_way(app, client):
    signup(client)
    post_form(client, "/forgot", {"email": OWNER}, page="/forgot")
    link = reset_link(app)
    assert app.test_client().get(link).status_code == 200
    changed = post_form(
        client, "/account/password",
        {"pw-current_password": PASSWORD, "pw-new_password": NEW_PASSWORD}, page="/account/",
    )
    assert changed.status_code == 302
    assert app.test_client().get(link).status_code == 400


# --- change password ---------------------------------------------------------------------------------


def change_password(client, current, new):
    return post_form(client, "/account/password", {"pw-current_password": current, "pw-new_password": new}, page="/account/")


def test_change_password_needs_the_current_one_and_a_strong_new_one(app, client):
    signup(client)
    hash_before = get_user(app, OWNER).password_hash
    wrong = change_password(client, "not my password", NEW_PASSWORD)
    assert wrong.status_code == 422
    assert field_errors(text(wrong), "pw-current_password") == ["Your current password is not correct."]
    weak = change_password(client, PASSWORD, "owner@example.com")
    assert weak.status_code == 422
    assert field_errors(text(weak), "pw-new_password") == ["Do not use your email address as your password."]
    assert get_user(app, OWNER).password_hash == hash_before
    assert is_logged_in(client)


def test_change_password_logs_out_other_sessions_but_keeps_this_one(app, client):
    signup(client)
    other_device = app.test_client()
    remembered = app.test_client()
    assert login(other_device, OWNER).status_code == 302
    assert post_form(remembered, "/login", {"email": OWNER, "password": PASSWORD, "remember": "y"}).status_code == 302
    remember_value = remembered.get_cookie("remember_token").value
    assert is_logged_in(other_device) and is_logged_in(remembered)

    response = change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert is_logged_in(client)
    assert client.get("/dashboard").status_code == 200
    assert not is_logged_in(other_device)
    only_cookie = app.test_client()
    only_cookie.set_cookie("remember_token", remember_value)
    assert not is_logged_in(only_cookie)  # the remember-me cookie died too

    assert login(app.test_client(), OWNER, PASSWORD).status_code == 422
    assert login(app.test_client(), OWNER, NEW_PASSWORD).status_code == 302


# --- change email ------------------------------------------------------------------------------------


def change_email(client, new_email, password=PASSWORD):
    return post_form(client, "/account/email", {"em-new_email": new_email, "em-password": password}, page="/account/")


@pytest.mark.parametrize(
    "new_email, password, field, error",
    [
        ("new@example.com", "not my password", "em-password", "Your password is not correct."),
        ("new@example.com", "", "em-password", "This field is required."),
        ("taken@example.com", PASSWORD, "em-new_email", "Another account uses this email address."),
        ("TAKEN@Example.com", PASSWORD, "em-new_email", "Another account uses this email address."),
        ("Owner@Example.com", PASSWORD, "em-new_email", "That is already your email address."),
        ("not an email", PASSWORD, "em-new_email", "Invalid email address."),
    ],
)
def test_change_email_refusals_are_explained_and_send_nothing(app, client, new_email, password, field, error):
    signup(client)
    logged_in_owner(app, "taken@example.com")
    before = counts(app)
    response = change_email(client, new_email, password)
    assert response.status_code == 422
    assert error in field_errors(text(response), field), text(response)
    assert counts(app) == before and messages(app, kind="email_change") == []
    assert get_user(app, OWNER) is not None


def test_change_email_is_confirmed_from_the_new_address_before_it_changes(app, client):
    signup(client)
    verify(client, app, OWNER)
    response = change_email(client, "New@Example.com")
    assert response.status_code == 302
    [message] = messages(app, kind="email_change")
    assert message.recipient == "new@example.com"
    assert [m.recipient for m in messages(app) if m.recipient == OWNER and m.kind != "verification"] == []

    # nothing changes until the link is opened
    assert get_user(app, OWNER) is not None and get_user(app, "new@example.com") is None
    assert login(app.test_client(), "new@example.com").status_code == 422

    link = path_of(link_in(message.body_text, "/account/email/"))
    tampered = client.get(link[:-4] + "AAAA")
    assert tampered.status_code == 400 and get_user(app, OWNER) is not None

    confirmed = client.get(link)
    assert confirmed.status_code == 302
    assert get_user(app, OWNER) is None
    assert get_user(app, "new@example.com").verified_at is not None
    assert "now new@example.com" in text(client.get("/account/"))

    assert login(app.test_client(), "new@example.com").status_code == 302
    assert login(app.test_client(), OWNER).status_code == 422
    # the link is spent, and the old address' verification link no longer applies
    assert client.get(link).status_code == 400
    assert client.get(verification_link(app, OWNER)).status_code == 400


def test_change_email_link_refused_if_someone_took_the_address_meanwhile(app, client):
    signup(client)
    assert change_email(client, "wanted@example.com").status_code == 302
    [message] = messages(app, kind="email_change")
    logged_in_owner(app, "wanted@example.com")  # someone signs up with it before the link is opened
    response = client.get(path_of(link_in(message.body_text, "/account/email/")))
    assert response.status_code == 400
    assert get_user(app, OWNER) is not None
    assert counts(app)["User"] == 2


def test_change_email_link_expires_after_48_hours(app, client):
    signup(client)
    payload = {"uid": get_user(app, OWNER).id, "old": OWNER, "new": "later@example.com"}
    stale = signed_in_the_past(app, "loopline.change-email", payload, 48 * 3600 + 60)
    assert client.get(f"/account/email/{stale}").status_code == 400
    assert get_user(app, OWNER) is not None
    fresh = signed_in_the_past(app, "loopline.change-email", payload, 3600)
    assert client.get(f"/account/email/{fresh}").status_code == 302
    assert get_user(app, "later@example.com") is not None


# --- CSRF ----------------------------------------------------------------------------------------------


SIGNUP_DATA = {"business_name": "No Token Inc", "name": "Nick", "email": "nick@example.com", "password": PASSWORD}


@pytest.mark.parametrize("token", [None, "", "garbage", "other session"])
def test_signup_without_a_valid_csrf_token_is_a_friendly_400_and_creates_nothing(app, client, token):
    data = dict(SIGNUP_DATA)
    if token == "other session":
        data["csrf_token"] = csrf_token(app.test_client(), "/signup")
    elif token is not None:
        data["csrf_token"] = token
    else:
        client.get("/signup")  # a session exists, the token is just missing
    response = client.post("/signup", data=data)
    assert response.status_code == 400
    assert "This form has expired or was not sent from our site" in text(response)
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 0}
    assert not is_logged_in(client)


@pytest.mark.parametrize("token", [None, "garbage", "other session"])
def test_login_without_a_valid_csrf_token_is_a_friendly_400_and_logs_nobody_in(app, client, token):
    logged_in_owner(app)
    data = {"email": OWNER, "password": PASSWORD}
    if token == "other session":
        data["csrf_token"] = csrf_token(app.test_client())
    elif token is not None:
        data["csrf_token"] = token
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "This form has expired or was not sent from our site" in text(response)
    assert not is_logged_in(client)


# --- command line --------------------------------------------------------------------------------------


def test_create_admin_prints_a_one_time_set_password_link(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "Root@Example.com"])
    assert result.exit_code == 0, result.output
    assert "root@example.com is a platform admin." in result.output
    admin = get_user(app, "root@example.com")
    assert admin.is_platform_admin and admin.password_hash is None
    assert counts(app)["User"] == 1 and counts(app)["Membership"] == 0

    link = path_of(link_in(result.output, "/reset/"))
    client = app.test_client()
    assert login(client, "root@example.com", "").status_code == 422  # no password yet
    assert client.get(link).status_code == 200
    assert set_password(client, link, "admin secret 12").status_code == 302
    assert client.get(link).status_code == 400  # once
    assert set_password(app.test_client(), link, "another admin pass").status_code == 400
    assert login(client, "root@example.com", "admin secret 12").status_code == 302
    assert get_user(app, "root@example.com").is_platform_admin


def test_create_admin_promotes_an_existing_user_without_touching_their_password(app):
    logged_in_owner(app)
    result = app.test_cli_runner().invoke(args=["create-admin", "OWNER@example.com"])
    assert result.exit_code == 0, result.output
    assert counts(app)["User"] == 1 and get_user(app, OWNER).is_platform_admin
    assert login(app.test_client(), OWNER).status_code == 302


@pytest.mark.parametrize("email", ["not-an-email", "root@", "@example.com", ""])
def test_create_admin_with_an_invalid_email_fails_and_creates_nobody(app, email):
    result = app.test_cli_runner().invoke(args=["create-admin", email])
    assert result.exit_code != 0
    assert "not valid" in result.output
    assert "Traceback" not in result.output
    assert counts(app)["User"] == 0


def test_demo_is_idempotent_and_its_printed_logins_work(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    after_first = counts(app)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert counts(app) == after_first
    assert (after_first["User"], after_first["Tenant"], after_first["Membership"]) == (3, 1, 3)

    logins = re.findall(r"(owner|admin|staff)\s+(\S+@\S+)\s+password: (\S+)", first.output)
    assert [role for role, _, _ in logins] == ["owner", "admin", "staff"]
    assert re.findall(r"(owner|admin|staff)\s+(\S+@\S+)\s+password: (\S+)", second.output) == logins
    with app.app_context(), unscoped():
        roles = {m.user.email: m.role.value for m in db.session.scalars(sa.select(Membership))}
    assert roles == {email: role for role, email, _ in logins}

    for role, email, password in logins:
        client = app.test_client()
        assert login(client, email, password).status_code == 302, email
        assert client.get("/dashboard").status_code == 200
        assert client.get("/team").status_code == (403 if role == "staff" else 200)


# --- garbage never a 500 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/verify/%00garbage", 400),
        ("/verify/garbage", 400),
        ("/verify/a.b.c", 400),
        ("/verify/" + "A" * 4000, 400),
        ("/verify/%C3%BC%E2%82%AC", 400),
        ("/verify/%FF%FE", 400),
        ("/reset/xyz", 400),
        ("/reset/%00", 400),
        ("/reset/eyJ1aWQiOjF9.AAAAAA.BBBBBB", 400),
        ("/reset/" + "." * 50, 400),
        ("/account/email/xyz", 400),
        ("/account/email/%00", 400),
        ("/invite/xyz", 404),
        ("/login?next=%00", 400),
        ("/account/nothing-here", 404),
    ],
)
def test_garbage_links_get_a_4xx_page_never_a_500(app, client, path, expected):
    response = client.get(path)
    assert response.status_code == expected, text(response)[:500]
    assert "<html" in text(response).lower()


def test_garbage_posts_get_a_4xx_never_a_500_and_change_nothing(app, client):
    token = csrf_token(client, "/signup")
    assert client.post("/reset/xyz", data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 400
    nul = client.post("/signup", data={**SIGNUP_DATA, "csrf_token": token, "name": "Nick\x00"})
    assert nul.status_code == 400
    long_email = client.post("/login", data={"csrf_token": token, "email": "a" * 300 + "@example.com", "password": "x"})
    assert long_email.status_code == 422
    not_utf8 = client.post(
        "/signup", data=b"csrf_token=" + token.encode() + b"&business_name=%FF%FE&name=%C3&email=x%FF%40example.com&password=%FF",
        content_type="application/x-www-form-urlencoded",
    )
    assert not_utf8.status_code in (400, 422)
    big_field = client.post("/signup", data={**SIGNUP_DATA, "csrf_token": token, "business_name": "x" * 30_000})
    assert big_field.status_code == 422
    assert field_errors(text(big_field), "business_name") == ["Field cannot be longer than 120 characters."]
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 0}


@pytest.mark.parametrize("url", ["/signup", "/login", "/forgot"])
def test_oversized_posts_are_a_friendly_413_and_change_nothing(app, client, url):
    token = csrf_token(client, url)
    huge = {**SIGNUP_DATA, "csrf_token": token, "business_name": "x" * 70_000, "email": "huge@example.com"}
    response = client.post(url, data=huge)
    assert response.status_code == 413
    assert "What you sent is too large." in text(response)
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 0}
    assert not is_logged_in(client)
