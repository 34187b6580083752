"""Property-based: whatever a client throws at the survey endpoints, never a 500, and
nothing is stored unless the input was a valid answer."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback.models import Response
from saas.feedback.touchpoints import create_touchpoint
from tenants.models import Tenant
from tests.support.apps import make_app
from tests.support.http import signup

FIELDS = ["score", "comment", "email", "consent", "website", "submission_key", "lang", "c", "order", "x"]
text = st.text(st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["", "0", "10", "11", "-1", "9" * 30, "<script>alert(1)</script>", "a@b.example", "y", "%00", "\x00", "ru", "qr"]
    + ["K" * 32]
)
form_data = st.dictionaries(st.sampled_from(FIELDS), text, max_size=8)
query = st.dictionaries(st.sampled_from(FIELDS), text, max_size=4)


@pytest.fixture
def survey_app(database_url, tmp_path):
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=False)
    client = app.test_client()
    signup(client, email="fuzz@example.com", business="Fuzz Bakery")
    with app.app_context(), unscoped():
        tenant = db.session.scalar(sa.select(Tenant))
        token = create_touchpoint(tenant, "Counter", "store", hidden_fields="order").token
        db.session.commit()
    return app, token


def _count(app) -> int:
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(sa.func.count(Response.id)))


def _valid(data: dict) -> bool:
    score = data.get("score", "").strip()
    key = data.get("submission_key", "")
    email, consent = data.get("email", "").strip(), data.get("consent", "")
    return (
        score.lstrip("-").isdigit() and 0 <= int(score) <= 10
        and not data.get("website")
        and len(key) >= 16 and all(ch.isalnum() or ch in "-_" for ch in key) and key.isascii()
        and len(data.get("comment", "")) <= 5000
        and bool(email) == bool(consent)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=form_data, params=query)
def test_submit_never_fails_and_stores_only_valid_answers(survey_app, data, params):
    app, token = survey_app
    before = _count(app)
    response = app.test_client().post(f"/s/{token}", data=data, query_string=params)
    assert response.status_code in (302, 400, 422), response.status_code
    stored = _count(app) - before
    if response.status_code != 302:
        assert stored == 0
    if stored:
        assert _valid(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=query, token=st.sampled_from(["valid", "nope", "x" * 80, "%2e%2e"]))
def test_get_never_fails_and_stores_only_valid_one_click_scores(survey_app, params, token):
    app, real_token = survey_app
    before = _count(app)
    response = app.test_client().get(f"/s/{real_token if token == 'valid' else token}", query_string=params)
    assert response.status_code in (200, 302, 400, 404)
    stored = _count(app) - before
    if stored:
        score = params.get("score", "").strip()
        assert token == "valid" and score.lstrip("-").isdigit() and 0 <= int(score) <= 10
