"""Security basics on every page: headers, cookie flags, CSRF on every form, friendly errors."""
from __future__ import annotations

from saas.config import from_env
from tests.conftest import make_app, post_form, signup


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http in development


def test_cookie_flags_follow_https(database_url, tmp_path):
    https = {k: v for k, v in from_env({"BASE_URL": "https://feedback.example.com"}).items() if "COOKIE" in k}
    app = make_app(database_url, tmp_path, BASE_URL="https://feedback.example.com", **https)
    client = app.test_client()
    signup(client)
    session = client.get_cookie("session")
    assert session.secure and session.http_only and session.same_site == "Lax"
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")
    returning = app.test_client()
    post_form(returning, "/login", {"email": "owner@example.com", "password": "correct horse battery", "remember": "y"})
    remember = returning.get_cookie("remember_token")
    assert remember.secure and remember.http_only


def test_every_form_post_needs_a_csrf_token(app, client):
    signup(client)
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        path = rule.build({name: 1 if name.endswith("_id") else "x" * 20 for name in rule.arguments},
                          append_unknown=False)[1]
        response = client.post(path, data={"email": "x@example.com", "role": "owner", "name": "X"})
        assert response.status_code in (400, 404), f"POST {path} without CSRF answered {response.status_code}"
        if response.status_code == 400:
            assert "This form has expired" in response.get_data(as_text=True)


def test_friendly_404_in_html_and_json(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "We could not find that page." in page.get_data(as_text=True)
    api = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json["error"] == "Not found"


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
