"""The app through its pages, as a browser would: CSRF tokens, forms, sign-up and log-in, and the links in its emails."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.outbox import Message

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK_PATTERN = re.compile(r"https?://[^\s\"'<>]+")


def csrf_token(client, page="/login") -> str:
    html = client.get(page, follow_redirects=True).get_data(as_text=True)  # /login, logged in: a page with log-out
    match = CSRF_PATTERN.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post_form(client, url, data=None, page="/login", **kwargs):
    """POST like a browser that loaded a form first: with a valid CSRF token."""
    payload = {"csrf_token": csrf_token(client, page), **(data or {})}
    return client.post(url, data=payload, **kwargs)


def request_signup(client, email="owner@example.com", business="Bakery Bliss", name="Olga", **kwargs):
    """Step one of signing up: the form that emails a link."""
    return post_form(client, "/signup", {"business_name": business, "name": name, "email": email}, page="/signup",
                     **kwargs)


def signup_link(app, email) -> str:
    """The path of the latest sign-up link emailed to this address."""
    message = [m for m in messages(app, kind="signup") if m.recipient == email.lower()][-1]
    return path_of(link_in(message.body_text, "/signup/"))


def signup(client, email="owner@example.com", password="correct horse battery", business="Bakery Bliss", name="Olga"):
    """Sign up as a person does: the form, the link in the email, a password. Ends logged in, at onboarding."""
    sent = request_signup(client, email=email, business=business, name=name)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    link = signup_link(client.application, email)
    response = post_form(client, link, {"password": password}, page=link)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def login(client, email, password="correct horse battery"):
    return post_form(client, "/login", {"email": email, "password": password})


def messages(app, **filters):
    """Outbox rows (all tenants), oldest first."""
    with app.app_context():
        query = sa.select(Message).filter_by(**filters).order_by(Message.id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def link_in(text: str, path_fragment: str) -> str:
    for link in LINK_PATTERN.findall(text):
        if path_fragment in link:
            return link
    raise AssertionError(f"no link containing {path_fragment!r} in:\n{text}")


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def verify(client, app, email):
    """Open the latest verification link emailed to this address and press its button."""
    message = [m for m in messages(app, kind="verification") if m.recipient == email][-1]
    link = path_of(link_in(message.body_text, "/verify/"))
    return post_form(client, link, page=link)


def invitation_link(app, email) -> str:
    """The path of the latest invitation emailed to this address."""
    message = [m for m in messages(app, kind="invitation") if m.recipient == email][-1]
    return path_of(link_in(message.body_text, "/invite/"))
