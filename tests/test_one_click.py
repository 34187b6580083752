"""One-click scores against mail scanners, through the real endpoints: a scanner opening every score link
of an email within a second (from one address, from a pool of addresses in one network, from anywhere
with one email's hidden values) leaves no response and no task; a person who clicks one score and closes
the tab is counted once the click has settled; an image or a frame on another site records nothing.

Settling is the real sweep job; "later" is made by moving the clicks' time back, as a clock would."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback.models import Response, ScoreClick, Task
from tests.support.builders import KEY_PATTERN, add_touchpoint, all_responses, settle_score_clicks, touchpoint_named
from tests.support.http import signup

# What Chromium sends when a person opens a link from a mail client or a webmail page.
A_VISIT = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "cross-site",
           "Sec-Fetch-User": "?1"}


@pytest.fixture
def token(app):
    owner = app.test_client()
    signup(owner, email="owner@shop.example", business="Corner Shop")
    assert add_touchpoint(owner, hidden_fields="order").status_code == 302
    return touchpoint_named(app, "Shop counter").token


def visitor(app, address="198.51.100.7"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def click(client, token, score, query="&c=email", headers=A_VISIT):
    return client.get(f"/s/{token}?score={score}{query}", headers=headers, follow_redirects=True)


def later(app, minutes=1) -> dict:
    """A minute later, the sweep has run: how many clicks it counted, and every click's outcome."""
    return {"counted": settle_score_clicks(app, minutes), **outcomes(app)}


def outcomes(app) -> dict:
    with app.app_context(), unscoped():
        rows = db.session.execute(sa.select(ScoreClick.outcome, sa.func.count()).group_by(ScoreClick.outcome)).all()
        return {(outcome.value if outcome else "pending"): count for outcome, count in rows}


def count(app, model) -> int:
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_person_who_clicks_one_score_and_closes_the_tab_is_counted_once_it_settles(app, token):
    page = click(visitor(app), token, 3)
    assert page.status_code == 200
    assert "Your 3 is saved" in page.get_data(as_text=True)
    assert 'id="score-3" value="3" checked' in page.get_data(as_text=True)
    assert count(app, Response) == 0 and outcomes(app) == {"pending": 1}  # not an answer yet

    assert later(app) == {"counted": 1, "answer": 1}
    [response] = all_responses(app)
    assert (response.score, response.comment, response.channel.value) == (3, "", "email")
    assert response.processed_at is not None  # and processed, as any answer
    assert later(app) == {"counted": 0, "answer": 1}  # settled once


@pytest.mark.parametrize("where", ["one address", "one network", "anywhere, one email's links"])
def test_a_scanner_opening_every_score_link_within_a_second_leaves_no_answer(app, token, where):
    for score in range(11):
        address = {"one address": "40.94.1.10", "one network": f"40.94.1.{score + 10}",
                   "anywhere, one email's links": f"40.{score}.1.10"}[where]
        query = "&c=email&order=A-17" if where.startswith("anywhere") else "&c=email"
        assert click(visitor(app, address), token, score, query).status_code == 200
    assert outcomes(app) == {"pending": 11}

    assert later(app) == {"counted": 0, "scanner": 11}
    assert count(app, Response) == 0 and count(app, Task) == 0


def test_a_scanner_keeping_its_cookies_through_every_link_leaves_no_answer(app, token):
    sandbox = visitor(app, "40.94.1.10")
    for score in range(11):
        click(sandbox, token, score)
    assert outcomes(app) == {"pending": 1}  # one browser: one click, its score changed ten times
    assert later(app) == {"counted": 0, "scanner": 1}
    assert count(app, Response) == 0


def test_a_person_clicking_while_a_scanner_bursts_elsewhere_is_still_counted(app, token):
    for score in range(11):
        click(visitor(app, "40.94.1.10"), token, score)
    click(visitor(app, "198.51.100.7"), token, 9)
    assert later(app) == {"counted": 1, "scanner": 11, "answer": 1}
    assert [r.score for r in all_responses(app)] == [9]


def test_a_person_who_changes_their_mind_is_counted_once_with_the_last_score(app, token):
    person = visitor(app)
    click(person, token, 6)
    page = click(person, token, 8).get_data(as_text=True)  # the same browser: its cookie names its click
    assert "Your 8 is saved" in page
    assert later(app) == {"counted": 1, "answer": 1}
    assert [r.score for r in all_responses(app)] == [8]


def test_sending_the_form_after_a_click_counts_at_once_and_what_was_sent_stands(app, token):
    person = visitor(app)
    page = click(person, token, 4).get_data(as_text=True)
    key = KEY_PATTERN.search(page).group(1)
    sent = person.post(f"/s/{token}?c=email", data={"submission_key": key, "score": "5", "comment": "Cold coffee"})
    assert sent.status_code == 302 and "/thanks" in sent.headers["Location"]
    [response] = all_responses(app)
    assert (response.score, response.comment) == (5, "Cold coffee")

    assert later(app) == {"counted": 0, "answer": 1}  # the click is settled into the answer it became
    [response] = all_responses(app)
    assert (response.score, response.comment) == (5, "Cold coffee")


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image", "Sec-Fetch-Site": "cross-site"},  # <img src=…>
    {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"},  # <iframe>
    {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "cross-site"},  # fetch()
    {**A_VISIT, "Sec-Purpose": "prefetch"},  # the browser guessing where you go next
], ids=["image", "frame", "fetch", "prefetch"])
def test_a_score_link_embedded_in_another_page_records_nothing(app, token, headers):
    page = click(visitor(app), token, 0, headers=headers)
    assert page.status_code == 200 and "lp_answer" not in page.headers.get("Set-Cookie", "")
    assert outcomes(app) == {} and later(app)["counted"] == 0 and count(app, Response) == 0


def test_a_client_that_does_not_say_what_the_request_is_for_is_taken_as_a_visit(app, token):
    assert click(visitor(app), token, 7, headers={}).status_code == 200
    assert later(app) == {"counted": 1, "answer": 1}


def test_the_page_after_a_dropped_click_is_the_survey_as_it_starts(app, token):
    pages = [click(visitor(app, "40.94.1.10"), token, score) for score in range(11)]
    later(app)
    again = visitor(app).get(pages[0].request.path)  # the scanner's page, opened once more
    assert again.status_code == 302 and again.headers["Location"].startswith(f"/s/{token}")


def test_decided_clicks_are_forgotten_after_a_day(app, token):
    click(visitor(app), token, 9)
    later(app)
    assert later(app, minutes=25 * 60) == {"counted": 0}
    assert [r.score for r in all_responses(app)] == [9]
