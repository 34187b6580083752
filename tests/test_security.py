"""Security basics on every page: headers, cookie flags, CSRF on every form, friendly errors."""
from __future__ import annotations

import re

import pytest

from saas.core.config import from_env
from tests.support.apps import make_app
from tests.support.http import post_form, signup

# POST endpoints that take no CSRF token, on purpose (each says why in its module):
# the public survey is opened from an email or a QR code, with no session of ours.
CSRF_EXEMPT = {"survey.submit", "customers.unsubscribe", "customers.answer", "account.digest_off",  # public by design: see each view
               "billing.webhook"}  # Stripe signs the body instead
CSRF_EXPLANATION = "This form has expired or was not sent from our site."
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _assert_security_headers(response, what):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, f"{what}: CSP {csp!r}"
    assert "script-src 'self'" in csp and "object-src 'none'" in csp, f"{what}: CSP {csp!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, f"{what}: CSP {csp!r}"
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, f"{what}: {name} is {response.headers.get(name)!r}"


def _path(rule) -> str:
    """A concrete path for a rule: dummy ints for <int:...> arguments, the first of an <any(...)>'s words,
    a dummy word otherwise."""
    values = {name: _dummy(rule, name) for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _dummy(rule, name: str):
    if re.search(rf"<int:{name}>", rule.rule):
        return 1
    words = getattr(rule._converters[name], "items", None)  # <any(yes, no):verdict>
    return sorted(words)[0] if words else "x" * 20


def test_security_headers_on_every_page(app, client):
    """Every GET page without arguments, anonymous and as the owner, plus errors, JSON and static files."""
    pages = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and not rule.arguments]
    assert len(pages) > 10
    for who in ("anonymous", "owner"):
        if who == "owner":
            signup(client)
        for rule in pages:
            with client.get(rule.rule) as response:  # closed: a streamed export ends its request context
                assert response.status_code < 500, f"GET {rule.rule} as {who}: {response.status_code}"
                _assert_security_headers(response, f"GET {rule.rule} as {who}")
    extra = {
        "a 404 page": client.get("/no/such/page"),
        "a JSON 404": client.get("/no/such/page", headers={"Accept": "application/json"}),
        "a CSRF error": client.post("/account/password", data={}),
        "a static file": client.get("/static/app.css"),
        "the health check": client.get("/healthz"),
    }
    for what, response in extra.items():
        _assert_security_headers(response, what)
    assert "Strict-Transport-Security" not in extra["a 404 page"].headers  # plain http in development


def test_cookie_flags_over_plain_http(client):
    signup(client)
    session = client.get_cookie("session")
    assert session.http_only and session.same_site == "Lax"
    assert not session.secure  # http://localhost in development: a Secure cookie would never come back
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_cookie_flags_and_hsts_follow_https(database_url, tmp_path):
    https = {k: v for k, v in from_env({"BASE_URL": "https://feedback.example.com"}).items() if "COOKIE" in k}
    assert https["SESSION_COOKIE_SECURE"] and https["REMEMBER_COOKIE_SECURE"]
    app = make_app(database_url, tmp_path, BASE_URL="https://feedback.example.com", **https)
    client = app.test_client()
    signup(client)
    session = client.get_cookie("session")
    assert session.secure and session.http_only and session.same_site == "Lax"
    hsts = client.get("/login").headers["Strict-Transport-Security"]
    assert re.match(r"max-age=(\d+)", hsts) and int(re.match(r"max-age=(\d+)", hsts)[1]) >= 180 * 24 * 3600
    assert "Strict-Transport-Security" in client.get("/no/such/page").headers
    returning = app.test_client()
    post_form(returning, "/login", {"email": "owner@example.com", "password": "correct horse battery", "remember": "y"})
    remember = returning.get_cookie("remember_token")
    assert remember.secure and remember.http_only and remember.same_site == "Lax"


@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_every_post_route_needs_a_csrf_token(app, client, who):
    if who == "owner":
        signup(client)
    rules = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(rules) > 10
    not_refused = set()
    for rule in rules:
        path = _path(rule)
        for kind, response in (
            ("form", client.post(path, data={"email": "x@example.com", "role": "owner", "name": "X", "password": "p" * 12})),
            ("json", client.post(path, json={"email": "x@example.com", "role": "owner"})),
            ("a wrong token", client.post(path, data={"csrf_token": "forged", "email": "x@example.com"})),
        ):
            assert response.status_code < 500, f"POST {path} ({kind}) as {who}: {response.status_code}"
            if rule.endpoint.startswith("admin."):  # not even there for them (tests/test_admin.py: CSRF for admins)
                assert response.status_code == 404, f"POST {path} ({kind}) as {who}"
            elif response.status_code == 400:
                assert CSRF_EXPLANATION in response.get_data(as_text=True), f"POST {path} ({kind}) as {who}"
            else:
                not_refused.add(rule.endpoint)
    assert not_refused == CSRF_EXEMPT, "POST routes that do not ask for a CSRF token"


def test_friendly_404_in_html_and_json(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "We could not find that page." in html and "Traceback" not in html and "<html" in html
    api = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.mimetype == "application/json"
    assert api.json == {"error": "Not found", "detail": "We could not find that page."}


def test_rate_limits_see_the_client_behind_a_trusted_proxy(database_url, tmp_path):
    app = make_app(database_url, tmp_path, TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="3 per minute")
    signup(app.test_client())

    def attempt(address, password="wrong password here"):
        client = app.test_client()
        return post_form(client, "/login", {"email": "owner@example.com", "password": password},
                         headers={"X-Forwarded-For": address})

    assert [attempt("203.0.113.1").status_code for _ in range(4)] == [422, 422, 422, 429]
    assert attempt("203.0.113.2").status_code == 422  # another customer behind the same router
    for _ in range(4):  # successful log-ins do not use up the allowance
        assert attempt("203.0.113.3", "correct horse battery").status_code == 302
    assert attempt("203.0.113.3").status_code == 422
