"""Owner pages around surveys: onboarding, settings, poster, snippet, responses list."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.core.timeutil import utcnow
from saas.feedback.models import Response, Touchpoint
from tenants.models import Tenant
from tests.support.apps import make_app
from tests.support.builders import add_touchpoint, all_responses, answer, settle_score_clicks, touchpoint_named
from tests.support.http import invitation_link, link_in, messages, path_of, post_form, signup


def test_onboarding_walks_metric_then_touchpoints(app, client):
    response = signup(client, email="new@shop.example")
    assert response.headers["Location"].endswith("/welcome/")
    page = client.get("/welcome/").get_data(as_text=True)
    assert "How likely are you to recommend Bakery Bliss to a friend or colleague?" in page
    result = post_form(client, "/welcome/", {"metric": "ces", "question": "", "locale": "uk",
                                             "brand_color": "#aa3300", "sla_hours": "24", "review_url": ""}, page="/welcome/")
    assert result.headers["Location"].endswith("/welcome/touchpoints")
    result = post_form(client, "/welcome/touchpoints", {"names": ["Website", "Delivery", "Shop"]},
                       page="/welcome/touchpoints")
    assert result.status_code == 422 and "Upgrade your plan" in result.get_data(as_text=True)
    result = post_form(client, "/welcome/touchpoints", {"names": ["Website", "Delivery"]}, page="/welcome/touchpoints")
    assert result.status_code == 302
    with app.app_context(), unscoped():
        tenant = db.session.scalar(sa.select(Tenant))
        assert (tenant.metric, tenant.locale, tenant.brand_color, tenant.metric_question) == ("ces", "uk", "#aa3300", None)
        assert tenant.onboarded_at is not None
        assert sorted(db.session.scalars(sa.select(Touchpoint.name))) == ["Delivery", "Website"]


def test_custom_question_and_bad_settings(app, client):
    signup(client)
    bad = post_form(client, "/settings/survey", {"metric": "xyz", "question": "", "locale": "en",
                                                 "brand_color": "red", "review_url": "javascript:alert(1)"},
                    page="/settings/survey")
    assert bad.status_code == 422
    with app.app_context(), unscoped():
        assert db.session.scalar(sa.select(Tenant.metric)) == "nps"
    post_form(client, "/settings/survey", {"metric": "csat", "question": "Did our bread make your day?",
                                           "locale": "en", "brand_color": "#112233", "sla_hours": "24", "review_url": ""},
              page="/settings/survey")
    add_touchpoint(client, name="Counter")
    token = touchpoint_named(app, "Counter").token
    page = app.test_client().get(f"/s/{token}?lang=ru").get_data(as_text=True)
    assert "Did our bread make your day?" in page
    assert app.test_client().get(f"/s/{token}/theme.css").get_data(as_text=True).strip() == ":root{--brand:#112233;}"


def test_poster_and_snippet(app, client):
    signup(client)
    add_touchpoint(client, name="Delivery", kind="delivery", hidden_fields="order")
    touchpoint = touchpoint_named(app, "Delivery")
    poster = client.get(f"/touchpoints/{touchpoint.id}/poster?size=a5").get_data(as_text=True)
    assert "poster-a5" in poster and f"/s/{touchpoint.token}/qr.svg" in poster
    snippet = client.get(f"/touchpoints/{touchpoint.id}/snippet").get_data(as_text=True)
    assert "&lt;table role=&#34;presentation&#34;" in snippet  # the code is shown, escaped, for copying
    preview = client.get(f"/touchpoints/{touchpoint.id}/snippet/preview")
    assert "unsafe-inline" in preview.headers["Content-Security-Policy"]
    score_links = re.findall(r'href="([^"]+)"', preview.get_data(as_text=True))
    assert len(score_links) == 11
    assert all("c=email" in unescape(link) and "order=ORDER" in unescape(link) for link in score_links)
    customer = app.test_client()
    customer.get(unescape(score_links[2]).replace("http://localhost", ""))
    assert settle_score_clicks(app) == 1
    [stored] = all_responses(app)
    assert (stored.score, stored.channel.value, stored.hidden) == (2, "email", {"order": "ORDER"})


def test_responses_list_filters_and_pages(app, client):
    signup(client)
    add_touchpoint(client, name="Web", kind="website")
    add_touchpoint(client, name="Shop", kind="store")
    web, shop = touchpoint_named(app, "Web"), touchpoint_named(app, "Shop")
    for score in range(11):
        answer(app.test_client(), web.token, score=str(score), comment=f"web comment {score}")
    for _ in range(20):
        answer(app.test_client(), shop.token, score="10")
    with app.app_context(), unscoped():
        old = db.session.scalar(sa.select(Response).where(Response.score == 0))
        old.created_at = utcnow() - timedelta(days=40)
        db.session.commit()
    listing = client.get(f"/responses/?touchpoint={web.id}&band=detractor").get_data(as_text=True)
    assert "7 responses" in listing and "web comment 6" in listing and "web comment 7" not in listing
    listing = client.get(f"/responses/?touchpoint={web.id}&band=detractor&period=30d").get_data(as_text=True)
    assert "6 responses" in listing and "web comment 0" not in listing
    first = client.get("/responses/").get_data(as_text=True)
    assert "31 responses" in first and "Page 1 of 2" in first
    second = client.get("/responses/?page=2").get_data(as_text=True)
    assert second.count('class="response ') == 6
    bad = client.get("/responses/?touchpoint=abc&band=evil&period=zz&page=-3")
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)


def test_staff_sees_responses_not_touchpoints(app, client):
    signup(client)
    post_form(client, "/team/invite", {"email": "staff@example.com", "role": "staff"}, page="/team")
    invitation = messages(app, kind="invitation")[-1]
    staff = app.test_client()
    post_form(staff, path_of(link_in(invitation.body_text, "/invite/")), {"name": "Sam", "password": "staff password 1"},
              page=path_of(link_in(invitation.body_text, "/invite/")))
    assert staff.get("/responses/").status_code == 200
    for path in ("/touchpoints/", "/settings/survey", "/welcome/"):
        assert staff.get(path).status_code == 403


def test_survey_rate_limit_and_oversized_body(database_url, tmp_path):
    app = make_app(database_url, tmp_path, SURVEY_RATE_LIMIT="3 per minute")
    client = app.test_client()
    signup(client)
    add_touchpoint(client, name="Counter")
    token = touchpoint_named(app, "Counter").token
    customer = app.test_client()
    codes = [customer.post(f"/s/{token}", data={"score": "5", "submission_key": f"key-{i:020d}"}).status_code
             for i in range(4)]
    assert codes == [302, 302, 302, 429]
    too_big = app.test_client().post(f"/s/{token}", data={"score": "5", "comment": "x" * 70_000,
                                                         "submission_key": "k" * 20})
    assert too_big.status_code == 413
    assert len(all_responses(app)) == 3


def test_sla_hours_set_the_deadline_and_are_checked(app, client):
    signup(client)
    bad = post_form(client, "/settings/survey", {"metric": "nps", "question": "", "locale": "en",
                                                 "brand_color": "#112233", "sla_hours": "500", "review_url": ""},
                    page="/settings/survey")
    assert bad.status_code == 422 and "between 1 and 168" in bad.get_data(as_text=True)
    post_form(client, "/settings/survey", {"metric": "nps", "question": "", "locale": "en",
                                           "brand_color": "#112233", "sla_hours": "4", "review_url": ""},
              page="/settings/survey")
    add_touchpoint(client, name="Counter")
    answer(app.test_client(), touchpoint_named(app, "Counter").token, score="1", comment="Rude cashier, call me")
    with app.app_context(), unscoped():
        from saas.feedback.models import Task

        task = db.session.scalar(sa.select(Task))
        assert db.session.scalar(sa.select(Tenant.sla_hours)) == 4
        due = task.due_at.replace(tzinfo=None) - task.created_at.replace(tzinfo=None)
        assert timedelta(hours=3, minutes=59) < due <= timedelta(hours=4, minutes=1)


def test_categories_page_renames_tunes_and_routes(app, client):
    from saas.feedback.models import Category, Task

    signup(client)
    page = client.get("/categories/").get_data(as_text=True)
    assert "Delivery" in page and "Assortment" not in page  # English names; "Range and availability"
    with app.app_context(), unscoped():
        delivery = db.session.scalar(sa.select(Category).where(Category.key == "delivery"))
        from tenants.models import Membership

        owner_id = db.session.scalar(sa.select(Membership.id))
    prefix = f"c{delivery.id}-"
    bad = post_form(client, f"/categories/{delivery.id}", {f"{prefix}name": "", f"{prefix}keywords": "a*b"},
                    page="/categories/")
    assert bad.status_code == 422
    ok = post_form(client, f"/categories/{delivery.id}", {
        f"{prefix}name": "Couriers", f"{prefix}keywords": "courier*, drone*", f"{prefix}assignee_ids": [str(owner_id)],
    }, page="/categories/")
    assert ok.status_code == 302
    added = post_form(client, "/categories/", {"new-name": "Parking", "new-keywords": "parking, парков*"},
                      page="/categories/")
    assert added.status_code == 302
    duplicate = post_form(client, "/categories/", {"new-name": "Parking", "new-keywords": "x"}, page="/categories/")
    assert duplicate.status_code == 422 and "Another category has this name" in duplicate.get_data(as_text=True)
    add_touchpoint(client, name="Counter")
    answer(app.test_client(), touchpoint_named(app, "Counter").token, score="2",
           comment="The drone dropped my order and there was no парковки")
    with app.app_context(), unscoped():
        names = {link.category.name for link in db.session.scalar(sa.select(Response)).categories}
        assert {"Couriers", "Parking"} <= names
        assert db.session.scalar(sa.select(Task)).assignee_id == owner_id


def test_logo_upload_shows_on_the_survey(app, client):
    import io

    signup(client)
    add_touchpoint(client, name="Counter")
    token = touchpoint_named(app, "Counter").token
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    refused = post_form(client, "/settings/logo", {"logo": (io.BytesIO(b"<svg onload=alert(1)>"), "logo.svg")},
                        page="/settings/survey", content_type="multipart/form-data")
    assert refused.status_code == 422 and "Use a PNG or JPEG image" in refused.get_data(as_text=True)
    assert app.test_client().get(f"/s/{token}/logo").status_code == 404
    saved = post_form(client, "/settings/logo", {"logo": (io.BytesIO(png), "logo.png")}, page="/settings/survey",
                      content_type="multipart/form-data")
    assert saved.status_code == 302
    served = app.test_client().get(f"/s/{token}/logo")
    assert served.data == png and served.mimetype == "image/png"
    assert f"/s/{token}/logo" in app.test_client().get(f"/s/{token}").get_data(as_text=True)
    post_form(client, "/settings/logo", {"remove": "y"}, page="/settings/survey", content_type="multipart/form-data")
    assert app.test_client().get(f"/s/{token}/logo").status_code == 404


def test_editing_a_touchpoint_shows_and_keeps_its_kind(app, client):
    signup(client)
    add_touchpoint(client, name="Shop counter", kind="store")
    touchpoint = touchpoint_named(app, "Shop counter")
    page = client.get(f"/touchpoints/{touchpoint.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="store">|<option value="store" selected>', page), page
    saved = post_form(client, f"/touchpoints/{touchpoint.id}",
                      {"name": "Shop counter", "kind": "store", "default_assignee_id": "0", "hidden_fields": ""},
                      page=f"/touchpoints/{touchpoint.id}")
    assert saved.status_code == 302
    assert touchpoint_named(app, "Shop counter").kind.value == "store"


def _getting_started(client) -> list[tuple[str, str]]:
    """(done|todo, text) of each step on the dashboard's "Getting started", or [] when it is gone."""
    page = client.get("/dashboard").get_data(as_text=True)
    return [(state, re.sub(r"<[^>]+>", "", text).strip())
            for state, text in re.findall(r'<li class="(done|todo)">(.*?)</li>', page, re.S)]


def test_getting_started_leads_to_the_metric_the_touchpoints_and_the_links_until_they_are_set(app, client):
    signup(client)
    assert [state for state, _ in _getting_started(client)] == ["done", "todo", "todo", "todo", "todo"]
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'class="button" href="/welcome/">Next: Choose your key metric' in page

    post_form(client, "/welcome/", {"metric": "nps", "question": "", "locale": "en", "brand_color": "#2457c5",
                                    "sla_hours": "24", "review_url": ""}, page="/welcome/")
    post_form(client, "/welcome/touchpoints", {"names": ["Website"]}, page="/welcome/touchpoints")
    assert [state for state, _ in _getting_started(client)] == ["done", "done", "done", "todo", "todo"]
    assert 'href="/touchpoints/">Next: Share your survey links' in client.get("/dashboard").get_data(as_text=True)

    answer(app.test_client(), touchpoint_named(app, "Website").token, score="9")
    post_form(client, "/team/invite", {"email": "sam@example.com", "role": "staff"}, page="/team")
    link = invitation_link(app, "sam@example.com")
    post_form(app.test_client(), link, {"name": "Sam", "password": "sam password 1"}, page=link)
    assert _getting_started(client) == []  # all set: the card is gone


def _keywords_on_page(client, category_id: int) -> list[str]:
    page = client.get("/categories/").get_data(as_text=True)
    raw = re.search(rf'<textarea[^>]*name="c{category_id}-keywords"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    return [word.strip() for word in unescape(raw).split(",") if word.strip()]


def test_a_default_keyword_taken_out_of_a_category_stops_matching_and_can_come_back(app, client):
    from saas.feedback.models import Category

    signup(client)
    add_touchpoint(client, name="Taxi rank")
    with app.app_context(), unscoped():
        delivery = db.session.scalar(sa.select(Category).where(Category.key == "delivery"))
        # A default word the app gained after this list was stored: shown, as it matches.
        delivery.keywords = ", ".join(word for word in delivery.keyword_list if word != "parcel")
        delivery_id = delivery.id
        db.session.commit()
    shown = _keywords_on_page(client, delivery_id)
    assert "driver" in shown and "parcel" in shown
    prefix = f"c{delivery_id}-"

    def save(words):
        saved = post_form(client, f"/categories/{delivery_id}",
                          {f"{prefix}name": "Delivery", f"{prefix}keywords": ", ".join(words)}, page="/categories/")
        assert saved.status_code == 302

    def keys_of(comment):
        answer(app.test_client(), touchpoint_named(app, "Taxi rank").token, score="9", comment=comment)
        with app.app_context(), unscoped():
            latest = db.session.scalar(sa.select(Response).order_by(Response.id.desc()))
            return {link.category.key for link in latest.categories}

    save([word for word in shown if word != "driver"])  # a taxi firm: its drivers deliver nothing
    assert "driver" not in _keywords_on_page(client, delivery_id)
    assert "delivery" not in keys_of("The driver knew a shortcut")
    assert "delivery" in keys_of("The parcel came in one piece")  # the other defaults still match
    assert "delivery" in keys_of("Водитель привёз посылку вовремя")  # other languages' defaults are not taken out

    save(shown)
    assert "driver" in _keywords_on_page(client, delivery_id)
    assert "delivery" in keys_of("The driver knew a shortcut")
