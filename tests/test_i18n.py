"""Russian and Ukrainian stay complete and correct.

(a) Both catalogs: every string of the source has an entry, translated, not fuzzy, with all
    plural forms and exactly the placeholders of the English (a translation that drops,
    renames or adds a %(name)s breaks the page or the email at runtime), and "Loopline"
    left as it is. A new _() in a template or _l() in the code fails here until
    `pybabel extract` + `pybabel update` are run and the new strings are translated.
(b) The verification email rendered in ru and uk has no English sentence left.
(c) The login page follows Accept-Language.

(b) and (c) need the compiled .mo files, which `make test` builds (`make translations`).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po

from saas.core.outbox import render_email

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "saas" / "translations"
LOCALES = ("ru", "uk")
PRODUCT = "Loopline"

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# Any printf-style conversion, so that a lone "%" (which breaks `string % values`) is noticed.
CONVERSION = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
CYRILLIC = re.compile(r"[А-Яа-яЁёІіЇїЄєҐґ]")
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{2,}\b")


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load_catalog(locale: str):
    with open(po_path(locale), "rb") as handle:
        return read_po(handle, locale=locale)


def as_tuple(value) -> tuple:
    """A message id or string as a tuple: plural forms come as a tuple from .po and a list from .mo."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def conversions(text: str) -> list[str]:
    return sorted(CONVERSION.findall(text))


def visible_text(html: str, separator: str = " ") -> str:
    """The text a reader sees; with separator="\n" one line per element."""
    html = re.sub(r"<(script|style|head)[^>]*>.*?</\1>", " ", html, flags=re.S | re.I)
    lines = re.sub(r"<[^>]+>", "\n", html).splitlines()
    return separator.join(" ".join(line.split()) for line in lines if line.strip())


# --- (a) the catalogs -------------------------------------------------------------------


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> set:
    """Every translatable string in the code and templates as they are now (the
    extraction command of the README, into a temporary file)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot), "."],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stderr}"
    with open(pot, "rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_every_source_string(locale, source_messages):
    catalog_ids = {message.id for message in load_catalog(locale) if message.id}
    missing = sorted(source_messages - catalog_ids, key=str)
    assert not missing, (
        f"{len(missing)} string(s) missing from {po_path(locale).relative_to(ROOT)}, e.g. {missing[:5]!r}.\n"
        "Run: pybabel extract -F babel.cfg -k _l -o saas/translations/messages.pot . && "
        "pybabel update -w 100 -i saas/translations/messages.pot -d saas/translations, then translate them."
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_every_entry_is_translated_with_matching_placeholders(locale):
    catalog = load_catalog(locale)
    problems = []
    entries = [message for message in catalog if message.id]
    assert entries, f"{po_path(locale)} has no entries"
    for message in entries:
        ids, strings = as_tuple(message.id), as_tuple(message.string)
        label = ids[0]
        if message.fuzzy:
            problems.append(f"fuzzy (check the translation, then remove the flag): {label!r}")
        if message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append(f"{len(strings)} of {catalog.num_plurals} plural forms: {label!r}")
        if not all(string and string.strip() for string in strings):
            problems.append(f"untranslated: {label!r}")
            continue
        expected = set().union(*(PLACEHOLDER.findall(msgid) for msgid in ids))
        sample = {name: 1 for name in expected}
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            if found != expected:
                problems.append(f"placeholders {sorted(found)} instead of {sorted(expected)}: {label!r} -> {string!r}")
            if not message.pluralizable and conversions(string) != conversions(ids[0]):
                problems.append(f"format {conversions(string)} instead of {conversions(ids[0])}: {label!r} -> {string!r}")
            try:
                ids[-1] % sample
            except (TypeError, ValueError, KeyError):
                continue  # the English is not %-formatted either
            try:
                string % sample
            except (TypeError, ValueError, KeyError) as error:
                problems.append(f"breaks %-formatting ({error}): {label!r} -> {string!r}")
        if any(PRODUCT in msgid for msgid in ids) and not all(PRODUCT in string for string in strings):
            problems.append(f"the product name {PRODUCT!r} must stay as it is: {label!r} -> {strings!r}")
    assert not problems, f"{po_path(locale).relative_to(ROOT)}:\n  " + "\n  ".join(problems)


# --- compiled catalogs for (b) and (c) ---------------------------------------------------


@pytest.fixture(scope="module")
def compiled_catalogs():
    for locale in LOCALES:
        po = po_path(locale)
        mo = po.with_suffix(".mo")
        if not mo.exists():
            pytest.fail(
                f"{mo.relative_to(ROOT)} is missing, so pages and emails would silently fall back to English. "
                "Run `make test` (it compiles the catalogs) or `.venv/bin/pybabel compile -d saas/translations`.",
                pytrace=False,
            )
        if mo.stat().st_mtime < po.stat().st_mtime:
            pytest.fail(
                f"{mo.relative_to(ROOT)} is older than {po.name}: recompile with "
                "`.venv/bin/pybabel compile -d saas/translations` (or `make test`).",
                pytrace=False,
            )
    return {locale: load_catalog(locale) for locale in LOCALES}


def translation_of(catalog, msgid: str) -> str:
    message = catalog.get(msgid)
    assert message is not None and message.string, f"{msgid!r} is not in the {catalog.locale} catalog"
    return message.string


# --- (b) the verification email ----------------------------------------------------------

LINK = "http://x/verify/abc"
USER = SimpleNamespace(name="Olha Bondar", email="olha@example.com", display_name="Olha Bondar")  # Latin on purpose: Cyrillic must come from the catalog


def english_sentences(text: str) -> set[str]:
    """The sentences (and sentence parts) of the English email that a translation must replace."""
    for value in (LINK, USER.email, USER.name):
        text = text.replace(value, "\n")  # what is not translated splits the sentence around it
    parts = (" ".join(part.split()) for part in re.split(r"(?<=[.!?:,])\s+|\n+", text))
    return {part for part in parts if len(ENGLISH_WORD.findall(part)) >= 2}


def render(app, locale):
    with app.app_context():
        return render_email("verify_email", locale, user=USER, link=LINK, hours=48)


@pytest.mark.parametrize("locale", LOCALES)
def test_verification_email_has_no_english_left(app, compiled_catalogs, locale):
    en_subject, en_text, en_html = render(app, "en")
    subject, text, html = render(app, locale)
    html_text = visible_text(html)

    assert CYRILLIC.search(subject), f"{locale} subject is not translated: {subject!r}"
    assert CYRILLIC.search(text), f"{locale} text body is not translated:\n{text}"
    assert CYRILLIC.search(html_text), f"{locale} HTML body is not translated:\n{html_text}"
    assert subject != en_subject
    assert PRODUCT in subject, f"the product name must stay in the subject: {subject!r}"

    # The facts survive translation: the link, the address and the 48 hours.
    for part in (LINK, USER.email, "48"):
        assert part in text, f"{part!r} missing from the {locale} text body:\n{text}"
        assert part in html, f"{part!r} missing from the {locale} HTML body"

    sentences = english_sentences(en_text) | english_sentences(visible_text(en_html, "\n")) | english_sentences(en_subject)
    assert sentences, "the English email should have sentences to compare with"
    left = sorted(sentence for sentence in sentences if sentence in text or sentence in html_text or sentence in subject)
    assert not left, f"English left in the {locale} verification email: {left}"


# --- (c) the login page ---------------------------------------------------------------------

LOGIN_LABELS = ("Log in", "Forgot your password?", "Create an account", "Sign up")


@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [("uk", "uk"), ("uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7", "uk"), ("ru", "ru")],
)
def test_login_page_follows_accept_language(client, compiled_catalogs, accept_language, locale):
    response = client.get("/login", headers={"Accept-Language": accept_language})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{locale}">' in html

    page = visible_text(html)
    catalog = compiled_catalogs[locale]
    for label in LOGIN_LABELS:
        translated = translation_of(catalog, label)
        assert translated in page, f"{translated!r} ({label!r}) missing from the {locale} login page: {page}"
    for label in ("Forgot your password?", "Create an account", "Sign up"):
        assert label not in page, f"English {label!r} on the {locale} login page"
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1)
    assert translation_of(catalog, "Log in") in title


def test_login_page_stays_english_without_a_preference(client, compiled_catalogs):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Forgot your password?" in html and not CYRILLIC.search(visible_text(html))


def test_login_form_field_labels_are_translated(client, compiled_catalogs):
    page = visible_text(client.get("/login", headers={"Accept-Language": "uk"}).get_data(as_text=True))
    english = {"Email", "Password", "Keep me logged in"}
    assert not {label for label in english if re.search(rf"\b{re.escape(label)}\b", page)}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_compiled_catalog_says_what_its_source_says(locale):
    """The .mo files are committed, so an app deployed from the Procfile without `make` speaks every
    language: each must hold exactly its .po's translations (run `pybabel compile -d saas/translations`)."""
    from babel.messages.mofile import read_mo

    po = po_path(locale)
    with open(po.with_suffix(".mo"), "rb") as compiled:
        mo_messages = {as_tuple(message.id): as_tuple(message.string) for message in read_mo(compiled) if message.id}
    po_messages = {as_tuple(message.id): as_tuple(message.string)
                   for message in load_catalog(locale) if message.id and message.string and not message.fuzzy}
    assert mo_messages == po_messages
