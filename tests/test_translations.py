"""Russian and Ukrainian are complete: every string translated, placeholders intact, and a
customer's survey and emails come out with no English left."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po

from saas.outbox import render_email
from tests.conftest import signup
from tests.test_survey import add_touchpoint, touchpoint_named

TRANSLATIONS = Path(__file__).resolve().parent.parent / "saas" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
CYRILLIC = re.compile(r"[А-Яа-яЁёІіЇїЄєҐґ]")


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> set:
    """Every translatable string in the code and templates right now."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run([Path(sys.executable).parent / "pybabel", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(pot), "."], cwd=TRANSLATIONS.parent.parent, check=True, capture_output=True)
    return {m.id for m in read_po(open(pot, "rb")) if m.id}


@pytest.mark.parametrize("locale", ["ru", "uk"])
def test_catalog_is_complete_and_placeholders_match(locale, source_messages):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=locale)
    missing = source_messages - {m.id for m in catalog if m.id}
    assert not missing, "pybabel extract + update, then translate: " + repr(sorted(missing, key=str)[:5])
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) <= set(PLACEHOLDER.findall(ids[-1])), message.id
    assert (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").exists(), "run make install (pybabel compile)"


@pytest.mark.parametrize("locale", ["ru", "uk"])
def test_verification_email_in_the_recipients_language(app, locale):
    english = None
    with app.app_context():
        user = SimpleNamespace(name="Оля", email="olia@example.com")
        english = render_email("verify_email", "en", user=user, link="http://x/verify/abc", hours=48)
        subject, text, html = render_email("verify_email", locale, user=user, link="http://x/verify/abc", hours=48)
    assert CYRILLIC.search(subject) and CYRILLIC.search(text) and CYRILLIC.search(html)
    for english_line in english[1].splitlines():
        if len(english_line) > 20 and "http" not in english_line:
            assert english_line not in text


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
