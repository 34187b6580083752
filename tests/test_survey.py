"""The hosted survey and the touchpoints behind it, through the real endpoints."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback.models import Response, ResponseState
from tests.support.apps import statements_while
from tests.support.builders import KEY_PATTERN, add_touchpoint, all_responses, answer, touchpoint_named
from tests.support.http import post_form, signup


@pytest.fixture
def owner(app, client):
    signup(client, email="owner@shop.example", business="Corner Shop")
    return client


@pytest.fixture
def touchpoint(app, owner):
    assert add_touchpoint(owner).status_code == 302
    return touchpoint_named(app, "Shop counter")


def test_customer_answers_and_owner_sees_it(app, owner, touchpoint):
    customer = app.test_client()
    page = customer.get(f"/s/{touchpoint.token}").get_data(as_text=True)
    assert "How likely are you to recommend Corner Shop to a friend or colleague?" in page
    assert page.count('type="radio" name="score"') == 11
    result, _ = answer(customer, touchpoint.token, score="3", comment="Queue was <script>alert(1)</script> long",
                       email="cust@example.com", consent="y")
    assert result.status_code == 302 and "/thanks" in result.headers["Location"]
    [stored] = all_responses(app)
    assert (stored.score, stored.metric, stored.consent, stored.contact_email) == (3, "nps", True, "cust@example.com")
    assert stored.channel.value == "link" and stored.state == ResponseState.CATEGORISED  # processed inline
    listing = owner.get("/responses/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing and "<script>alert(1)" not in listing
    assert "cust@example.com" in listing


def test_double_submit_stores_one_response(app, touchpoint):
    customer = app.test_client()
    page = customer.get(f"/s/{touchpoint.token}").get_data(as_text=True)
    key = KEY_PATTERN.search(page).group(1)
    for _ in range(3):
        assert customer.post(f"/s/{touchpoint.token}", data={"submission_key": key, "score": "9"}).status_code == 302
    assert len(all_responses(app)) == 1


def customer_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_back_button_then_send_again_changes_the_first_answer(app, touchpoint):
    customer = customer_at(app, "198.51.100.7")
    first, key = answer(customer, touchpoint.token, score="3", comment="The queue was long")
    assert first.status_code == 302
    # The browser fetches the page again (no cache): the form continues the answer it gave.
    page = customer.get(f"/s/{touchpoint.token}").get_data(as_text=True)
    assert KEY_PATTERN.search(page).group(1) == key
    assert "The queue was long</textarea>" in page and 'id="score-3" value="3" checked' in page
    again, _ = answer(customer, touchpoint.token, score="4", comment="The queue was long, and no one said sorry")
    assert again.status_code == 302 and f"k={key}" in again.headers["Location"]
    [stored] = all_responses(app)
    assert (stored.score, stored.comment) == (4, "The queue was long, and no one said sorry")


def test_the_same_words_sent_again_without_the_cookie_are_one_answer(app, touchpoint):
    for _ in range(2):  # a browser that keeps no cookies, sending the page it fetched again
        result, _ = answer(customer_at(app, "198.51.100.7"), touchpoint.token, score="2", comment="Cold coffee")
        assert result.status_code == 302
    [stored] = all_responses(app)
    thanks = customer_at(app, "198.51.100.7").get(result.headers["Location"]).get_data(as_text=True)
    assert f"k={stored.submission_key}" in result.headers["Location"] and "Thank you" in thanks


def test_customers_sharing_a_shops_wifi_are_separate_answers(app, touchpoint):
    for comment in ("", "", "Lovely bread", "Too salty"):
        assert answer(customer_at(app, "203.0.113.5"), touchpoint.token, score="9", comment=comment)[0].status_code == 302
    assert len(all_responses(app)) == 4


def test_after_the_edit_window_the_same_browser_gives_a_new_answer(app, touchpoint):
    customer = customer_at(app, "198.51.100.7")
    answer(customer, touchpoint.token, score="8", comment="Nice")
    with app.app_context(), unscoped():
        db.session.execute(sa.update(Response).values(created_at=Response.created_at - timedelta(hours=2)))
        db.session.commit()
    page = customer.get(f"/s/{touchpoint.token}").get_data(as_text=True)
    assert "is saved" not in page and "Nice</textarea>" not in page
    answer(customer, touchpoint.token, score="8", comment="Nice")
    assert len(all_responses(app)) == 2


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"score": "11"}, "Choose a score from 0 to 10."),
        ({"score": "-1"}, "Choose a score from 0 to 10."),
        ({"score": "abc"}, "Choose a score."),
        ({}, "Choose a score."),
        ({"score": "5", "comment": "x" * 5001}, "under 5000 characters"),
        ({"score": "5", "email": "not-an-email", "consent": "y"}, "does not look right"),
        ({"score": "5", "email": "a@example.com"}, "Tick the box"),
        ({"score": "5", "consent": "y"}, "Enter the email address"),
    ],
)
def test_bad_input_is_explained_and_nothing_stored(app, touchpoint, fields, message):
    result, _ = answer(app.test_client(), touchpoint.token, **fields)
    assert result.status_code == 422
    assert message in result.get_data(as_text=True)
    assert all_responses(app) == []


def test_unknown_token_and_missing_key(app, touchpoint):
    client = app.test_client()
    assert client.get("/s/no-such-token").status_code == 404
    page = client.get("/s/no-such-token", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Не удалось найти этот опрос" in page and "/login" not in page and 'class="survey' in page
    assert client.post("/s/no-such-token", data={"score": "5"}).status_code == 404
    assert client.post(f"/s/{touchpoint.token}", data={"score": "5"}).status_code == 422
    assert all_responses(app) == []


def test_honeypot_thanks_the_bot_and_stores_nothing(app, touchpoint):
    result, _ = answer(app.test_client(), touchpoint.token, score="9", website="http://spam.example")
    assert result.status_code == 302
    assert all_responses(app) == []


def test_hidden_fields_and_channel(app, owner):
    add_touchpoint(owner, name="Delivery", kind="delivery", hidden_fields="order, store")
    token = touchpoint_named(app, "Delivery").token
    answer(app.test_client(), token, query="?c=qr&order=A-17&store=3&secret=nope", score="8")
    [stored] = all_responses(app)
    assert stored.hidden == {"order": "A-17", "store": "3"}
    assert stored.channel.value == "qr"


def test_one_click_score_is_saved_and_a_comment_completes_it(app, touchpoint):
    customer = app.test_client()
    result = customer.get(f"/s/{touchpoint.token}?score=4&c=email")
    assert result.status_code == 302
    page = customer.get(result.headers["Location"]).get_data(as_text=True)
    assert 'id="score-4" value="4" checked' in page and "Your 4 is saved" in page
    assert "What went wrong" in page  # the prompt follows the score
    assert customer.get(f"/s/{touchpoint.token}?score=4&c=email").status_code == 302  # a second click
    key = KEY_PATTERN.search(page).group(1)
    customer.post(f"/s/{touchpoint.token}?c=email", data={"submission_key": key, "score": "5", "comment": "Cold coffee"})
    [stored] = all_responses(app)
    assert (stored.score, stored.comment, stored.channel.value) == (5, "Cold coffee", "email")


def test_every_respondent_is_offered_the_review_link_whatever_their_score(app, owner, touchpoint):
    """No review gating: a detractor gets the same offer as a promoter; someone who did not answer gets none."""
    post_form(owner, "/settings/survey", {"metric": "nps", "question": "", "locale": "en", "brand_color": "#123456", "sla_hours": "24",
                                          "review_url": "https://reviews.example/corner-shop"}, page="/settings/survey")
    promoter, key = answer(app.test_client(), touchpoint.token, score="10")
    promoter_page = app.test_client().get(promoter.headers["Location"]).get_data(as_text=True)
    assert "https://reviews.example/corner-shop" in promoter_page
    assert "Would you like to share your experience publicly?" in promoter_page
    detractor, _ = answer(app.test_client(), touchpoint.token, score="0")
    detractor_page = app.test_client().get(detractor.headers["Location"]).get_data(as_text=True)
    assert "https://reviews.example/corner-shop" in detractor_page
    assert "reviews.example" not in app.test_client().get(f"/s/{touchpoint.token}/thanks").get_data(as_text=True)
    assert "review gating" in owner.get("/settings/survey").get_data(as_text=True)


def test_survey_language_query_then_browser_then_business(app, touchpoint):
    client = app.test_client()
    assert '<html lang="ru">' in client.get(f"/s/{touchpoint.token}?lang=ru").get_data(as_text=True)
    page = client.get(f"/s/{touchpoint.token}", headers={"Accept-Language": "uk,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="uk">' in page
    assert '<html lang="en">' in client.get(f"/s/{touchpoint.token}?lang=xx").get_data(as_text=True)


def test_over_quota_response_is_kept_locked(app, touchpoint):
    from billing.usage import count_response

    with app.app_context():
        for _ in range(100):
            count_response(touchpoint.tenant_id)
        db.session.commit()
    answer(app.test_client(), touchpoint.token, score="2", comment="Too late")
    [stored] = all_responses(app)
    assert stored.state == ResponseState.LOCKED and stored.comment == "Too late"


def test_inactive_touchpoint_is_politely_closed(app, owner, touchpoint):
    post_form(owner, f"/touchpoints/{touchpoint.id}/deactivate", page="/touchpoints/")
    page = app.test_client().get(f"/s/{touchpoint.token}")
    assert page.status_code == 200 and "Not collecting feedback right now" in page.get_data(as_text=True)
    assert app.test_client().get(f"/s/{touchpoint.token}?score=9").status_code == 200
    # A form opened before the touchpoint was deactivated is not stored either.
    late = app.test_client().post(f"/s/{touchpoint.token}", data={"score": "9", "submission_key": "k" * 24})
    assert late.status_code == 409 and "Not collecting feedback right now" in late.get_data(as_text=True)
    assert all_responses(app) == []


def test_plan_limits_active_touchpoints(app, owner):
    assert add_touchpoint(owner, name="One").status_code == 302
    assert add_touchpoint(owner, name="Two").status_code == 302
    refused = add_touchpoint(owner, name="Three")
    assert refused.status_code == 422 and "Upgrade your plan" in refused.get_data(as_text=True)
    assert touchpoint_named(app, "Three") is None
    one = touchpoint_named(app, "One")
    post_form(owner, f"/touchpoints/{one.id}/deactivate", page="/touchpoints/")
    assert add_touchpoint(owner, name="Three").status_code == 302
    post_form(owner, f"/touchpoints/{one.id}/reactivate", page="/touchpoints/")
    assert touchpoint_named(app, "One").active is False


def test_delete_only_without_responses(app, owner, touchpoint):
    answer(app.test_client(), touchpoint.token, score="7")
    post_form(owner, f"/touchpoints/{touchpoint.id}/delete", page="/touchpoints/")
    assert touchpoint_named(app, "Shop counter") is not None
    add_touchpoint(owner, name="Empty")
    empty = touchpoint_named(app, "Empty")
    post_form(owner, f"/touchpoints/{empty.id}/delete", page="/touchpoints/")
    assert touchpoint_named(app, "Empty") is None


def test_qr_codes(app, touchpoint):
    client = app.test_client()
    png = client.get(f"/s/{touchpoint.token}/qr.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    svg = client.get(f"/s/{touchpoint.token}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get("/s/nope/qr.png").status_code == 404


def test_changing_the_metric_keeps_past_scales(app, owner, touchpoint):
    answer(app.test_client(), touchpoint.token, score="9")
    post_form(owner, "/settings/survey", {"metric": "csat", "question": "", "locale": "en", "brand_color": "#123456", "sla_hours": "24",
                                          "review_url": ""}, page="/settings/survey")
    page = app.test_client().get(f"/s/{touchpoint.token}").get_data(as_text=True)
    assert page.count('type="radio" name="score"') == 5
    answer(app.test_client(), touchpoint.token, score="4")
    assert [(r.metric, r.score) for r in all_responses(app)] == [("nps", 9), ("csat", 4)]


def test_control_characters_are_dropped_and_nul_refused(app, touchpoint):
    result, _ = answer(app.test_client(), touchpoint.token, score="6", comment="Bad\x00 coffee")
    assert result.status_code == 400 and "NUL" in result.get_data(as_text=True)
    assert app.test_client().get(f"/s/{touchpoint.token}\x00").status_code in (400, 404)
    assert all_responses(app) == []
    result, _ = answer(app.test_client(), touchpoint.token, score="6", comment="Bad coffee\x07\r\nreally ")
    assert result.status_code == 302
    [stored] = all_responses(app)
    assert stored.comment == "Bad coffee\nreally"


def test_a_touchpoint_is_looked_up_once_in_a_few_seconds_and_changes_here_are_seen_at_once(app, owner, touchpoint):
    client = app.test_client()
    client.get(f"/s/{touchpoint.token}")
    page, statements = statements_while(app, lambda: client.get(f"/s/{touchpoint.token}"))
    assert page.status_code == 200 and statements == []  # the touchpoint kept a moment ago

    post_form(owner, f"/touchpoints/{touchpoint.id}/deactivate", page="/touchpoints/")
    assert "Not collecting feedback right now" in client.get(f"/s/{touchpoint.token}").get_data(as_text=True)


def test_a_change_made_elsewhere_is_seen_once_the_kept_copy_expires(app, touchpoint, monkeypatch):
    client = app.test_client()
    assert client.get(f"/s/{touchpoint.token}").status_code == 200
    with app.app_context():  # as another process would: no session of this one flushes a change
        db.session.execute(sa.text("UPDATE touchpoint SET active = false WHERE id = :id"), {"id": touchpoint.id})
        db.session.commit()
    assert "Not collecting feedback right now" not in client.get(f"/s/{touchpoint.token}").get_data(as_text=True)
    later = time.monotonic() + app.config["SURVEY_LOOKUP_SECONDS"] + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert "Not collecting feedback right now" in client.get(f"/s/{touchpoint.token}").get_data(as_text=True)
