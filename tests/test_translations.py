"""A customer's survey pages come out with no English left in Russian and Ukrainian.
(Catalogue completeness and emails: tests/test_i18n.py.)"""
from __future__ import annotations

import re

import pytest

from tests.conftest import signup
from tests.test_survey import add_touchpoint, touchpoint_named



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
