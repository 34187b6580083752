"""The default categories are seeded by a write (sign-up), in the business's language, and follow that
language until someone edits them; no page view writes them."""
from __future__ import annotations

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback.models import Category
from tests.support.http import post_form, signup


def _category_rows(app) -> list[tuple[str, str]]:
    with app.app_context(), unscoped():
        return [(c.key, c.name) for c in db.session.scalars(sa.select(Category).order_by(Category.id))]


def _settings(locale: str) -> dict:
    return {"metric": "nps", "question": "", "locale": locale, "brand_color": "#2457c5", "review_url": "",
            "sla_hours": "24", "reply_to": ""}


def test_sign_up_seeds_the_categories_and_pages_only_read_them(app, client):
    signup(client)
    seeded = _category_rows(app)
    assert ("delivery", "Delivery") in seeded and len(seeded) >= 10
    with app.app_context(), unscoped():
        db.session.execute(sa.delete(Category))
        db.session.commit()
    for page in ("/categories/", "/tasks/?view=all", "/improvements/"):
        assert client.get(page).status_code == 200, page
    assert _category_rows(app) == []  # a GET never seeds them again


def test_default_categories_follow_the_business_language_until_edited(app, client):
    signup(client)
    delivery_id = next(i for i, (key, _) in enumerate(_category_rows(app)) if key == "delivery") + 1
    prefix = f"c{delivery_id}-"
    renamed = post_form(client, f"/categories/{delivery_id}", {f"{prefix}name": "Couriers", f"{prefix}keywords": "courier*"},
                        page="/categories/")
    assert renamed.status_code == 302
    answer = post_form(client, "/welcome/", _settings("ru"), page="/welcome/")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    names = dict(_category_rows(app))
    assert names["delivery"] == "Couriers"  # the owner's own name stays
    assert names["price"] == "Цены"
    assert post_form(client, "/welcome/", _settings("uk"), page="/welcome/").status_code == 302
    assert dict(_category_rows(app))["price"] == "Ціни"
