"""A customer's survey pages come out with no English left in Russian and Ukrainian.
(Catalogue completeness and emails: tests/test_i18n.py.)"""
from __future__ import annotations

import re

import pytest

from tests.support.builders import add_touchpoint, touchpoint_named
from tests.support.http import post_form, signup


@pytest.mark.parametrize("locale", ["ru", "uk"])
def test_survey_pages_have_no_english_left(app, client, locale):
    signup(client)
    add_touchpoint(client, name="Counter")
    token = touchpoint_named(app, "Counter").token
    customer = app.test_client()
    pages = [
        customer.get(f"/s/{token}?lang={locale}").get_data(as_text=True),
        customer.post(f"/s/{token}?lang={locale}", data={"submission_key": "k" * 20, "score": "99"}).get_data(as_text=True),
        customer.get(f"/s/{token}/thanks?lang={locale}").get_data(as_text=True),
    ]
    for page in pages:
        assert f'<html lang="{locale}">' in page
        visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style|head)[^>]*>.*?</\1>", " ", page, flags=re.S))
        words = set(re.findall(r"\b[A-Za-z]{3,}\b", visible)) - {"Bakery", "Bliss"}
        assert words == set(), f"English left on the {locale} survey: {words}"


STAFF_PAGES_IN = {
    "ru": {"/touchpoints/": ["Кто обрабатывает отзывы", "Скрытые поля (необязательно)", "Магазин"],
           "/team": ["Владелец", "Сотрудник", "Роль"],
           "/settings/survey": ["Фирменный цвет", "Отвечать клиентам в течение (часов)"]},
    "uk": {"/touchpoints/": ["Хто опрацьовує відгуки", "Приховані поля (необов’язково)", "Магазин"],
           "/team": ["Власник", "Співробітник", "Роль"],
           "/settings/survey": ["Фірмовий колір", "Відповідати клієнтам протягом (годин)"]},
}
ENGLISH_LABELS = ["Who handles its feedback", "Hidden fields", "Owner", "Brand colour", "Answer customers within"]


@pytest.mark.parametrize("locale", ["ru", "uk"])
def test_staff_pages_speak_the_staff_members_language(app, client, locale):
    from saas.core.extensions import db
    from tenants.models import User

    signup(client)
    with app.app_context():
        db.session.execute(db.update(User).values(locale=locale))
        db.session.commit()
    for path, expected in STAFF_PAGES_IN[locale].items():
        page = client.get(path).get_data(as_text=True)
        for text in expected:
            assert text in page, f"{text!r} missing from {path} in {locale}"
        for english in ENGLISH_LABELS:
            assert english not in page, f"{english!r} left on {path} in {locale}"
    # What the app says after a change, and a service's refusal, too.
    add_touchpoint(client, name="Counter")
    touchpoint = touchpoint_named(app, "Counter")
    post_form(client, f"/touchpoints/{touchpoint.id}/deactivate", page="/touchpoints/")
    page = client.get("/touchpoints/").get_data(as_text=True)
    assert {"ru": "Точка контакта отключена.", "uk": "Точку контакту вимкнено."}[locale] in page
    refused = post_form(client, "/touchpoints/", {"name": "Till", "kind": "store", "hidden_fields": "Order!"},
                        page="/touchpoints/").get_data(as_text=True)
    assert {"ru": "«order!» не может быть скрытым полем", "uk": "«order!» не може бути прихованим полем"}[locale] in refused
    # WTForms' own messages come translated too.
    empty = post_form(client, "/touchpoints/", {"name": "", "kind": "store"}, page="/touchpoints/").get_data(as_text=True)
    assert "This field is required" not in empty
