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
from saas.core.scoping import unscoped
from tenants.models import Invitation, Membership, Role, Tenant, User
from tenants.tokens import password_fingerprint
from tests.support.apps import make_app, statements_while
from tests.support.http import (
    csrf_token,
    link_in,
    login,
    messages,
    path_of,
    post_form,
    request_signup,
    signup,
    signup_link,
    verify,
)
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


def reset_link(app, email=OWNER) -> str:
    message = [m for m in messages(app, kind="password_reset") if m.recipient == email][-1]
    return path_of(link_in(message.body_text, "/reset/"))


def set_password(client, link, password, confirm=None):
    # the CSRF token comes from the login page: a dead link's page has no form to take it from
    return post_form(client, link, {"password": password, "confirm": confirm or password}, page="/login")


# --- sign-up --------------------------------------------------------------------------------


def test_signup_emails_a_link_and_creates_nothing_until_it_is_followed(app, client):
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 0}
    sent = request_signup(client, email="Ann@Example.COM", business="Ann's Café", name="Ann")
    assert sent.status_code == 200
    assert "We sent a message to ann@example.com" in text(sent)
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 1}
    [message] = messages(app)
    assert (message.kind, message.recipient, message.tenant_id) == ("signup", "ann@example.com", None)
    assert message.status.value == "sent"  # delivered inline to the outbox folder (no REDIS_URL)
    assert "Ann's Café" in message.body_text
    link = signup_link(app, "ann@example.com")

    opened = app.test_client().get(link)  # a mail scanner, or the person: the page, nothing more
    assert opened.status_code == 200
    assert "Finish signing up" in text(opened) and "Ann&#39;s Café" in text(opened)
    assert counts(app)["User"] == 0 and not is_logged_in(client)

    response = post_form(client, link, {"password": PASSWORD}, page=link)
    assert response.headers["Location"] == "/welcome/"  # onboarding starts right away
    assert counts(app) == {"Tenant": 1, "User": 1, "Membership": 1, "Invitation": 0, "Message": 1}
    with app.app_context(), unscoped():
        membership = db.session.scalar(sa.select(Membership))
        user, tenant = membership.user, membership.tenant
        assert membership.role == Role.OWNER
        assert (tenant.name, tenant.plan, tenant.slug, tenant.locale) == ("Ann's Café", "free", "ann-s-cafe", "en")
        assert (user.email, user.name, user.locale) == ("ann@example.com", "Ann", "en")
        assert user.verified_at is not None and not user.is_platform_admin  # the link proved the address
        assert user.password_hash and PASSWORD not in user.password_hash and user.check_password(PASSWORD)
    assert is_logged_in(client)
    assert "Please verify your email address" not in text(client.get("/account/"))


def test_signup_speaks_the_browsers_language_in_its_email_and_the_new_account(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk-UA,uk;q=0.9,en;q=0.5"
    sent = request_signup(client, email="oksana@example.com", business="Кав'ярня", name="Оксана")
    assert "Ми надіслали" in text(sent), text(sent)
    [message] = messages(app, kind="signup")
    assert message.locale == "uk" and "Завершіть реєстрацію" in message.subject
    link = signup_link(app, "oksana@example.com")
    assert post_form(client, link, {"password": PASSWORD}, page=link).status_code == 302
    with app.app_context(), unscoped():
        user = db.session.scalar(sa.select(User))
        assert (user.locale, db.session.scalar(sa.select(Tenant.locale))) == ("uk", "uk")


def _same_page(response, email: str) -> str:
    """The page with what differs by nature (the address typed, the form's CSRF token) blanked."""
    page = text(response).replace(email.lower(), "X").replace(email, "X")
    return re.sub(r'name="csrf-token" content="[^"]*"|value="[^"]{40,}"', "", page)


def test_signup_with_a_known_address_answers_the_same_with_the_same_work_and_tells_its_owner(app):
    logged_in_owner(app)
    before = counts(app)
    stranger = app.test_client()
    stranger.get("/signup")  # both requests below start from a warm page and a session
    unknown, unknown_sql = statements_while(app, lambda: request_signup(stranger, email="new@example.com"))
    known, known_sql = statements_while(app, lambda: request_signup(stranger, email="OWNER@Example.com"))

    assert (unknown.status_code, known.status_code) == (200, 200)
    assert _same_page(known, "OWNER@Example.com") == _same_page(unknown, "new@example.com")
    # The same queries in the same order, one email written either way: nothing to time apart.
    assert known_sql == unknown_sql
    assert counts(app) == {**before, "Message": before["Message"] + 2}  # no account, no business
    [tried] = messages(app, kind="signup_exists")
    assert tried.recipient == OWNER and tried.status.value == "sent"
    assert "tried to sign up" in tried.subject and path_of(link_in(tried.body_text, "/login")) == "/login"
    assert "/signup/" not in tried.body_text


def test_following_a_signup_link_twice_opens_no_second_account(app, client):
    signup(client)
    link = signup_link(app, OWNER)
    before = counts(app)
    for request in (lambda c: c.get(link), lambda c: post_form(c, link, {"password": "another long secret"},
                                                                page="/login")):
        response = request(app.test_client())
        assert response.status_code == 400
        assert "This sign-up link was used already: owner@example.com has an account." in text(response)
    assert counts(app) == before
    assert login(app.test_client(), OWNER, "another long secret").status_code == 422


@pytest.mark.parametrize("how", ["signature", "truncated", "wrong secret", "other purpose", "not a dict", "expired"])
def test_a_tampered_or_expired_signup_link_is_a_400_page_and_creates_nothing(app, client, how):
    details = {"email": "nina@example.com", "business": "Corner Shop", "name": "Nina", "locale": "en"}
    good = signed_in_the_past(app, "loopline.signup", details, 47 * 3600)
    token = {
        "signature": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "truncated": good[: len(good) // 2],
        "wrong secret": signed_in_the_past(app, "loopline.signup", details, 0, secret="not-the-secret"),
        "other purpose": signed_in_the_past(app, "loopline.verify-email", details, 0),
        "not a dict": signed_in_the_past(app, "loopline.signup", ["nina@example.com"], 0),
        "expired": signed_in_the_past(app, "loopline.signup", details, 48 * 3600 + 60),
    }[how]
    response = post_form(client, f"/signup/{token}", {"password": PASSWORD}, page="/login")
    assert response.status_code == 400 and "This link is not valid any more" in text(response)
    assert counts(app)["User"] == 0
    # the same details, 47 hours old, still sign up: the link was refused for what was done to it alone
    assert post_form(client, f"/signup/{good}", {"password": PASSWORD}, page="/login").status_code == 302
    assert counts(app)["User"] == 1


@pytest.mark.parametrize(
    "changes, field, error",
    [
        ({"email": "not an email"}, "email", "Invalid email address."),
        ({"email": "ann@"}, "email", "Invalid email address."),
        ({"email": ""}, "email", "This field is required."),
        ({"business_name": ""}, "business_name", "This field is required."),
        ({"business_name": "   "}, "business_name", "This field is required."),
        ({"business_name": "<>@"}, "business_name", "Enter your business name."),
        ({"business_name": "B" * 121}, "business_name", "Field cannot be longer than 120 characters."),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_signup_bad_input_is_explained_at_its_field_and_sends_nothing(app, client, changes, field, error):
    data = {"business_name": "Corner Shop", "name": "Nina", "email": "nina@example.com", **changes}
    response = post_form(client, "/signup", data, page="/signup")
    assert response.status_code == 422
    assert error in field_errors(text(response), field), text(response)
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 0}
    # the same form, corrected, goes through: the refusal was about that one field
    assert request_signup(client, email="nina@example.com", business="Corner Shop").status_code == 200
    assert [m.kind for m in messages(app)] == ["signup"]


@pytest.mark.parametrize(
    "password, error",
    [
        ("short1", "Use at least 10 characters."),
        ("password123", "That password is too easy to guess."),
        ("1234567890", "That password is too easy to guess."),
        ("abababababab", "That password is too easy to guess."),
        ("x" * 201, "Field cannot be longer than 200 characters."),
        ("nina@example.com", "Do not use your email address as your password."),
        ("NINA@EXAMPLE.COM", "Do not use your email address as your password."),
        ("nina", "Use at least 10 characters."),
        ("", "This field is required."),
    ],
)
def test_a_weak_password_on_the_signup_link_is_explained_and_creates_nothing(app, client, password, error):
    request_signup(client, email="nina@example.com")
    link = signup_link(app, "nina@example.com")
    response = post_form(client, link, {"password": password}, page=link)
    assert response.status_code == 422
    assert error in field_errors(text(response), "password"), text(response)
    assert counts(app)["User"] == 0 and not is_logged_in(client)
    assert post_form(client, link, {"password": PASSWORD}, page=link).status_code == 302  # the link still works


def test_one_address_gets_at_most_five_account_emails_an_hour_whoever_asks(app):
    for attempt in range(4):
        request_signup(app.test_client(), email="target@example.com")
    for attempt in range(3):
        assert post_form(app.test_client(), "/forgot", {"email": "target@example.com"}).status_code == 200
    assert [m.kind for m in messages(app)] == ["signup"] * 4 + ["no_account"]
    assert request_signup(app.test_client(), email="other@example.com").status_code == 200
    assert len(messages(app, recipient="other@example.com")) == 1  # the cap is per address


def unverified_owner(app, email=OWNER):
    """A client logged in as the owner of an account from before sign-up links proved the address
    (unverified), with a verification link sent to it."""
    client = logged_in_owner(app, email)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == email).values(verified_at=None))
        db.session.commit()
    assert post_form(client, "/verify/resend", page="/account/").status_code == 302
    return client


def test_unverified_owner_sees_the_banner_and_cannot_invite_until_verified(app):
    client = unverified_owner(app)
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


def test_resending_the_verification_link_sends_a_new_working_one(app):
    client = unverified_owner(app)
    assert post_form(client, "/verify/resend", page="/account/").status_code == 302
    first, second = messages(app, kind="verification")
    assert first.recipient == second.recipient == OWNER
    link = path_of(link_in(second.body_text, "/verify/"))
    assert post_form(client, link, page=link).status_code == 302
    assert get_user(app, OWNER).verified_at is not None
    assert post_form(client, "/verify/resend", page="/account/").status_code == 302
    assert len(messages(app, kind="verification")) == 2  # nothing more once verified


# --- verification link ------------------------------------------------------------------------


def verification_link(app, email=OWNER) -> str:
    message = [m for m in messages(app, kind="verification") if m.recipient == email][-1]
    return path_of(link_in(message.body_text, "/verify/"))


def test_verification_link_shows_a_button_and_only_the_button_verifies(app):
    client = unverified_owner(app)
    link = verification_link(app)
    anonymous = app.test_client()
    shown = anonymous.get(link)  # what a mail scanner does
    assert shown.status_code == 200 and "Verify my email" in text(shown)
    assert get_user(app, OWNER).verified_at is None
    response = post_form(anonymous, link, page=link)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    verified_at = get_user(app, OWNER).verified_at
    assert verified_at is not None
    again = post_form(client, link, page=link)  # logged in: back to the dashboard, nothing changes
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
def test_tampered_verification_link_is_a_400_page_and_changes_nothing(app, how):
    client = unverified_owner(app)
    link = verification_link(app)
    before = counts(app)
    bad = _tampered(app, link, how)
    for response in (client.get(bad), post_form(client, bad, page="/login")):
        assert response.status_code == 400
        assert "This link is not valid any more" in text(response)
    assert get_user(app, OWNER).verified_at is None
    assert counts(app) == before
    assert post_form(client, link, page=link).status_code == 302  # the real one works
    assert get_user(app, OWNER).verified_at is not None


def test_verification_link_expires_after_48_hours(app):
    client = unverified_owner(app)
    payload = {"uid": get_user(app, OWNER).id, "email": OWNER}
    expired = post_form(client, "/verify/" + signed_in_the_past(app, "loopline.verify-email", payload,
                                                                 48 * 3600 + 60), page="/login")
    assert expired.status_code == 400 and "This link is not valid any more" in text(expired)
    assert get_user(app, OWNER).verified_at is None
    # the very same token, 47 hours old, is still good: it was refused for its age alone
    fresh = "/verify/" + signed_in_the_past(app, "loopline.verify-email", payload, 47 * 3600)
    assert post_form(client, fresh, page="/login").status_code == 302
    assert get_user(app, OWNER).verified_at is not None


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


def test_reset_request_answers_the_same_with_the_same_work_for_unknown_and_known_emails(
    database_url, tmp_path, smtp_server
):
    app = make_app(database_url, tmp_path, SMTP_URL=smtp_server.url)
    logged_in_owner(app)
    assert len(smtp_server.wait_for(1)) == 1  # the sign-up link
    client = app.test_client()
    client.get("/forgot")

    unknown, unknown_sql = statements_while(app, lambda: post_form(client, "/forgot", {"email": "nobody@example.com"}))
    known, known_sql = statements_while(app, lambda: post_form(client, "/forgot", {"email": "OWNER@example.com"}))
    assert unknown.status_code == 200 and "Check your email" in text(unknown)
    assert "If nobody@example.com has an account, a link to reset the password is on its way" in text(unknown)
    assert _same_page(known, "OWNER@example.com") == _same_page(unknown, "nobody@example.com")
    assert known_sql == unknown_sql  # the same queries, one email either way: nothing to time apart

    invalid = post_form(client, "/forgot", {"email": "not an email"})
    assert invalid.status_code == 200 and "Invalid email address." in field_errors(text(invalid), "email")

    [no_account] = messages(app, kind="no_account")
    [reset] = messages(app, kind="password_reset")
    assert (no_account.recipient, reset.recipient) == ("nobody@example.com", OWNER)
    received = {tuple(r["to"]): body_of(r["email"]) for r in smtp_server.wait_for(3)}
    assert "/reset/" in received[(OWNER,)]
    assert "no account uses this address" in received[("nobody@example.com",)]
    assert "/reset/" not in received[("nobody@example.com",)]  # a link to ask again, not a reset link
    time.sleep(0.2)
    assert len(smtp_server.messages) == 3  # nothing for the invalid address


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


def test_each_user_chooses_their_own_language_for_pages_and_emails(app, client):
    signup(client)  # an English browser: the owner and the business speak English
    refused = post_form(client, "/account/language", {"lang-locale": "de"}, page="/account/")
    assert refused.status_code == 422 and get_user(app, OWNER).locale == "en"

    saved = post_form(client, "/account/language", {"lang-locale": "uk"}, page="/account/")
    assert saved.status_code == 302 and get_user(app, OWNER).locale == "uk"
    page = text(client.get("/account/", follow_redirects=True))
    assert "Вашу мову збережено." in page and 'lang="uk"' in page
    assert 'lang="en"' in text(app.test_client().get("/login"))  # the browser's language for everyone else
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant.locale)) == "en"  # the business keeps its own

    post_form(app.test_client(), "/forgot", {"email": OWNER})
    [reset] = messages(app, kind="password_reset")
    assert reset.locale == "uk" and "Скидання пароля" in reset.subject


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


def confirm(client, link):
    """Open an emailed confirmation link and press its button."""
    return post_form(client, link, page="/login")


def test_change_email_is_confirmed_from_the_new_address_before_it_changes(app, client):
    signup(client)
    response = change_email(client, "New@Example.com")
    assert response.status_code == 302
    [message] = messages(app, kind="email_change")
    assert message.recipient == "new@example.com"
    assert [m.recipient for m in messages(app) if m.recipient == OWNER and m.kind != "signup"] == []

    # nothing changes until the link's button is pressed; opening it (a mail scanner) only shows it
    link = path_of(link_in(message.body_text, "/account/email/"))
    shown = app.test_client().get(link)
    assert shown.status_code == 200 and "new@example.com instead of owner@example.com" in text(shown)
    assert get_user(app, OWNER) is not None and get_user(app, "new@example.com") is None
    assert login(app.test_client(), "new@example.com").status_code == 422

    tampered = confirm(client, link[:-4] + "AAAA")
    assert tampered.status_code == 400 and get_user(app, OWNER) is not None

    confirmed = confirm(client, link)
    assert confirmed.status_code == 302
    assert get_user(app, OWNER) is None
    assert get_user(app, "new@example.com").verified_at is not None
    assert "now new@example.com" in text(client.get("/account/"))

    assert login(app.test_client(), "new@example.com").status_code == 302
    assert login(app.test_client(), OWNER).status_code == 422
    # the link is spent
    assert client.get(link).status_code == 400 and confirm(client, link).status_code == 400


def test_change_email_link_refused_if_someone_took_the_address_meanwhile(app, client):
    signup(client)
    assert change_email(client, "wanted@example.com").status_code == 302
    [message] = messages(app, kind="email_change")
    logged_in_owner(app, "wanted@example.com")  # someone signs up with it before the link is opened
    response = confirm(client, path_of(link_in(message.body_text, "/account/email/")))
    assert response.status_code == 400
    assert get_user(app, OWNER) is not None
    assert counts(app)["User"] == 2


def test_change_email_link_expires_after_48_hours(app, client):
    signup(client)
    payload = {"uid": get_user(app, OWNER).id, "old": OWNER, "new": "later@example.com"}
    stale = signed_in_the_past(app, "loopline.change-email", payload, 48 * 3600 + 60)
    assert client.get(f"/account/email/{stale}").status_code == 400
    assert confirm(client, f"/account/email/{stale}").status_code == 400
    assert get_user(app, OWNER) is not None
    fresh = signed_in_the_past(app, "loopline.change-email", payload, 3600)
    assert confirm(client, f"/account/email/{fresh}").status_code == 302
    assert get_user(app, "later@example.com") is not None


# --- CSRF ----------------------------------------------------------------------------------------------


SIGNUP_DATA = {"business_name": "No Token Inc", "name": "Nick", "email": "nick@example.com"}


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
    assert "two-factor log-in at http://localhost/account/two-factor" in result.output
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
    assert not_utf8.status_code == 200  # Werkzeug keeps bad escapes as text: a valid request for a link
    big_field = client.post("/signup", data={**SIGNUP_DATA, "csrf_token": token, "business_name": "x" * 30_000})
    assert client.post("/signup/xyz", data={"csrf_token": token, "password": PASSWORD}).status_code == 400
    assert big_field.status_code == 422
    assert field_errors(text(big_field), "business_name") == ["Field cannot be longer than 120 characters."]
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 1}
    assert [m.recipient for m in messages(app)] == ["x%ff@example.com"]


@pytest.mark.parametrize("url", ["/signup", "/login", "/forgot"])
def test_oversized_posts_are_a_friendly_413_and_change_nothing(app, client, url):
    token = csrf_token(client, url)
    huge = {**SIGNUP_DATA, "csrf_token": token, "business_name": "x" * 70_000, "email": "huge@example.com"}
    response = client.post(url, data=huge)
    assert response.status_code == 413
    assert "What you sent is too large." in text(response)
    assert counts(app) == {"Tenant": 0, "User": 0, "Membership": 0, "Invitation": 0, "Message": 0}
    assert not is_logged_in(client)
