""""You said, we did": exactly the consenting, subscribed customers who commented on the
linked categories hear about it, once each, however often the fan-out runs."""
from __future__ import annotations

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.outbox import Message
from saas.core.scoping import unscoped
from saas.feedback.models import Category, ImprovementDelivery, Unsubscribe
from tests.support.builders import build_business, complaint, rows, staff_client
from tests.support.http import post_form
from worker import jobs


def say(app, business, text, email=None, consent=True, locale="en", score=3):
    """A customer's comment, stored and processed (the email kept only with consent)."""
    complaint(app, business, text, score=score, email=email, consent=consent, locale=locale)


def test_an_improvement_reaches_exactly_the_right_customers_once(app):
    business = build_business(app)
    say(app, business, "The courier was two hours late", "ann@example.com")
    say(app, business, "Курьер опять опоздал", "ANN@example.com", locale="ru")  # same person, twice
    say(app, business, "Кур'єр загубив посилку", "bo@example.com", locale="uk")
    say(app, business, "Delivery was late", "gone@example.com")
    say(app, business, "Delivery was late, do not write to me", "quiet@example.com", consent=False)
    say(app, business, "Far too expensive", "price@example.com")
    with app.app_context(), unscoped():
        db.session.add(Unsubscribe(tenant_id=business["tenant"], email="gone@example.com"))
        delivery = db.session.scalar(sa.select(Category.id).where(Category.key == "delivery"))
        db.session.commit()
    owner = staff_client(app, "owner@zerno.example")
    created = post_form(owner, "/improvements/", {"title": "A new courier company", "body": "From Monday, parcels on time.",
                                                  "category_ids": [str(delivery)], "published": "y"}, page="/improvements/")
    assert created.status_code == 302
    page = owner.get(created.headers["Location"]).get_data(as_text=True)
    assert "Це отримають 2 клієнти" in page and "A new courier company" in page  # "It will reach 2 customers", uk
    before = len(rows(app, Message))
    post_form(owner, created.headers["Location"] + "/send", page=created.headers["Location"])
    sent = rows(app, Message, kind="improvement")
    assert sorted((m.recipient, m.locale) for m in sent) == [("ann@example.com", "ru"), ("bo@example.com", "uk")]
    assert all("List-Unsubscribe" in m.headers for m in sent)
    with app.app_context():
        improvement_id = rows(app, ImprovementDelivery)[0].improvement_id
        assert jobs.send_improvement(business["tenant"], improvement_id) == 0  # a re-run sends nothing new
    assert len(rows(app, Message)) == before + 2
    public = app.test_client().get("/zerno/changes").get_data(as_text=True)
    assert "A new courier company" in public
    assert app.test_client().get("/no-such-business/changes").status_code == 404


def test_an_improvement_needs_a_category_and_text(app):
    build_business(app)
    owner = staff_client(app, "owner@zerno.example")
    refused = post_form(owner, "/improvements/", {"title": "x", "body": "y"}, page="/improvements/")
    assert refused.status_code == 422 and "Виберіть хоча б одну категорію" in refused.get_data(as_text=True)
    assert staff_client(app).get("/improvements/").status_code == 403
