"""Sentry (through a transport that keeps events in memory: no network) and /healthz."""
from __future__ import annotations

import json

import pytest
import sentry_sdk
from flask import request

from saas.web.context import tenant_route
from tenants.models import Role
from tests.support.apps import make_app
from tests.support.http import csrf_token, signup
from tests.support.processes import free_port
from tests.support.sentry import MemoryTransport

CUSTOMER_EMAIL = "maria.customer@example.org"
COMMENT = "the courier threw my parcel over the fence"
PASSWORD = "fence secret 123"


@pytest.fixture
def sentry_app(database_url, tmp_path):
    transport = MemoryTransport()
    app = make_app(database_url, tmp_path, SENTRY_DSN="https://public@sentry.example/1", SENTRY_TRANSPORT=transport,
                   PROPAGATE_EXCEPTIONS=False)

    @tenant_route(Role.STAFF)
    def explode():
        # Careless code: the customer's words end up in the exception message and in
        # local variables whose names say nothing about what they hold.
        said = request.form["comment"]
        who = request.form["email"]
        raise RuntimeError(f"could not notify {who} that we read: {said}")

    app.add_url_rule("/explode", "explode", explode, methods=["POST"])
    yield app, transport
    sentry_sdk.init(dsn=None)


def test_errors_reach_sentry_tagged_with_the_tenant_and_without_personal_data(sentry_app):
    app, transport = sentry_app
    client = app.test_client()
    signup(client, email="owner.person@example.com", business="Fence Couriers", password=PASSWORD)
    csrf = csrf_token(client, "/account/")
    session_cookie = client.get_cookie("session").value
    response = client.post("/explode", data={"csrf_token": csrf, "comment": COMMENT, "email": CUSTOMER_EMAIL,
                                             "password": PASSWORD})
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    sentry_sdk.flush()
    [event] = transport.events()
    assert event["tags"]["tenant"] == "fence-couriers"
    assert event["exception"]["values"][0]["type"] == "RuntimeError"
    assert event["exception"]["values"][0]["value"] == "could not notify [Filtered] that we read: [Filtered]"
    serialized = json.dumps(event)
    assert all("vars" not in frame for frame in event["exception"]["values"][0]["stacktrace"]["frames"])  # no locals
    for secret in (CUSTOMER_EMAIL, COMMENT, "owner.person@example.com", PASSWORD, csrf, session_cookie):
        assert secret not in serialized
    assert "parcel" not in serialized and "@example" not in serialized
    assert "[Filtered]" in serialized


def test_scrubbing_reaches_nested_values():
    from saas.core.observability import scrub_event

    event = {
        "request": {"data": {"comment": COMMENT, "email": CUSTOMER_EMAIL, "score": "3"}},
        "extra": {"notes": [f"write to {CUSTOMER_EMAIL}"]},
        "user": {"email": CUSTOMER_EMAIL},
    }
    scrubbed = scrub_event(event)
    assert COMMENT not in json.dumps(scrubbed) and CUSTOMER_EMAIL not in json.dumps(scrubbed)
    assert scrubbed["request"]["data"]["score"] == "3"
    assert "user" not in scrubbed


def test_a_comment_is_scrubbed_wherever_it_is_repeated():
    from saas.core.observability import scrub_event

    multiline = "line one of a complaint\nand 'line two'"
    event = {
        "request": {"data": {"comment": multiline, "score": "3", "token": "None"}},
        "exception": {"values": [{"value": f"could not store {multiline}", "stacktrace": {"frames": [
            {"vars": {"text": repr(multiline), "score": "'3'", "flag": "None"}},
        ]}}]},
    }
    scrubbed = scrub_event(event)
    assert "complaint" not in json.dumps(scrubbed) and "line two" not in json.dumps(scrubbed)
    assert scrubbed["exception"]["values"][0]["value"] == "could not store [Filtered]"
    assert "vars" not in scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]  # no frame's locals at all


def test_healthz_inline(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"db": "ok", "queue": "inline", "rate_limits": "memory"}


def test_healthz_with_redis(database_url, redis_url, tmp_path):
    app = make_app(database_url, tmp_path, REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"db": "ok", "queue": "ok", "rate_limits": "ok"}


def test_healthz_names_what_is_down(database_url, tmp_path):
    closed = free_port()
    down_url = f"redis://127.0.0.1:{closed}/0"
    redis_down = make_app(database_url, tmp_path, REDIS_URL=down_url, RATELIMIT_STORAGE_URI=down_url).test_client()
    response = redis_down.get("/healthz")
    assert response.status_code == 503 and response.json == {"db": "ok", "queue": "down", "rate_limits": "down"}
    db_down = make_app(
        f"postgresql+psycopg://postgres@127.0.0.1:{closed}/nowhere", tmp_path,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
    ).test_client()
    response = db_down.get("/healthz")
    assert response.status_code == 503 and response.json == {"db": "down", "queue": "inline", "rate_limits": "memory"}


def test_tokens_and_query_strings_in_links_are_scrubbed():
    from saas.core.observability import scrub_event

    reset_token = "eyJ1IjozfQ.Zx8sQw.k3lP0vS2Hq-9cJ_rT1mN"
    event = {"request": {
        "url": f"https://app.example/reset/{reset_token}",
        "query_string": "order=A-1042&lang=ru",
        "headers": {"Referer": f"https://app.example/invite/{reset_token}?next=/x", "User-Agent": "Firefox"},
    }}
    scrubbed = json.dumps(scrub_event(event))
    assert reset_token not in scrubbed and "A-1042" not in scrubbed
    assert event["request"]["url"] == "https://app.example/reset/[Filtered]"
    assert event["request"]["headers"] == {"Referer": "https://app.example/invite/[Filtered]", "User-Agent": "Firefox"}


def test_a_failed_job_is_reported_without_local_variables():
    from saas.core.observability import scrub_event

    frames = [{"function": "process_response", "vars": {"text": repr(COMMENT), "response_id": "7"}}]
    event = {"extra": {"rq-job": {"func": "worker.jobs.process_response", "args": "[Filtered]"}},
             "exception": {"values": [{"type": "KeyError", "value": "'waiting'", "stacktrace": {"frames": frames}}]}}
    scrubbed = scrub_event(event)
    assert COMMENT not in json.dumps(scrubbed)
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"] == [{"function": "process_response"}]
    assert scrubbed["exception"]["values"][0]["value"] == "'waiting'"


def test_database_errors_do_not_quote_what_they_were_given(app):
    from sqlalchemy.exc import DBAPIError

    from saas.core.extensions import db
    from saas.feedback.models import Response

    with app.app_context():
        with pytest.raises(DBAPIError) as raised:
            # An unknown touchpoint: the foreign key refuses the row, and the error would
            # normally list every value of the INSERT, the comment included.
            db.session.execute(Response.__table__.insert(), {
                "tenant_id": 999999, "touchpoint_id": 999999, "metric": "nps", "score": 3, "comment": COMMENT,
                "contact_email": CUSTOMER_EMAIL, "consent": True, "locale": "en", "channel": "LINK", "hidden": {},
                "state": "RECEIVED", "submission_key": "k" * 24,
            })
        db.session.rollback()
    message = str(raised.value)
    assert "INSERT INTO response" in message
    assert COMMENT not in message and CUSTOMER_EMAIL not in message
