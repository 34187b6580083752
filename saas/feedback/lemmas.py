"""Words as a dictionary has them: the language a comment is written in, and each word's lemma in that
language (pymorphy3's Russian and Ukrainian dictionaries, simplemma for English). Latin words are read
as English and Cyrillic ones as Russian or Ukrainian, one of the two for the whole comment.

The categoriser compares lemmas, not letters: "курьера" and "курьером" are both "курьер", "waited" is
"wait" but "waiter" stays "waiter", and "супер" is not a kind of "суп". A comment is read in one
language: the survey's, unless its words plainly say otherwise (a Russian comment on an English page)."""
from __future__ import annotations

import logging
import re
from functools import lru_cache

import pymorphy3
import simplemma

LANGUAGES = ("en", "ru", "uk")
logging.getLogger("pymorphy3").setLevel(logging.WARNING)  # not a line per dictionary loaded
_CYRILLIC = re.compile(r"[а-яёіїєґ]")
_LATIN = re.compile(r"[a-z]")
_ONLY_UKRAINIAN = re.compile("[іїєґ]")
_ONLY_RUSSIAN = re.compile("[ыэъё]")


@lru_cache(maxsize=2)
def _analyser(locale: str) -> pymorphy3.MorphAnalyzer:
    """Made on first use (0.1 s, ~15 MB each): a process that never reads Cyrillic never pays for it."""
    return pymorphy3.MorphAnalyzer(lang=locale)


def language_of(words: list[str], hint: str | None) -> str:
    """The comment's language: English if most of its letters are Latin, else cyrillic_language's.

    Measured against lingua-language-detector (English, Russian, Ukrainian) on the 8,297 labelled comments
    without the survey's language as a hint: 0.992 right, as lingua; on the 453 Russian and Ukrainian ones
    of four words or fewer 0.857, lingua 0.875. Its 96 MB were left out; with the survey's language as the
    hint this is right on 0.999 (0.987 with a wrong one: a Russian comment on a Ukrainian page)."""
    hint = hint if hint in LANGUAGES else "en"
    text = "".join(words)
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if not cyrillic and not latin:
        return hint
    return "en" if latin > cyrillic else cyrillic_language(words, hint)


def cyrillic_language(words: list[str], hint: str | None) -> str:
    """Russian or Ukrainian, for a comment's Cyrillic words: by the letters only one of them has, then by
    which dictionary knows more of the words; the hint (the survey's language) where nothing tells."""
    text = "".join(words)
    ukrainian, russian = len(_ONLY_UKRAINIAN.findall(text)), len(_ONLY_RUSSIAN.findall(text))
    if ukrainian != russian:
        return "uk" if ukrainian > russian else "ru"
    known = {locale: sum(_known(word, locale) for word in words if _CYRILLIC.search(word)) for locale in ("ru", "uk")}
    if known["uk"] != known["ru"]:
        return "uk" if known["uk"] > known["ru"] else "ru"
    return hint if hint in ("ru", "uk") else "ru"


@lru_cache(maxsize=200_000)
def _known(word: str, locale: str) -> bool:
    return _analyser(locale).word_is_known(word)


def script_language(word: str, cyrillic: str) -> str:
    """The language a word is read in: English for a Latin word, the comment's Cyrillic language else."""
    return cyrillic if _CYRILLIC.search(word) else "en"


MAX_READINGS = 3


@lru_cache(maxsize=200_000)
def lemma(word: str, locale: str) -> str:
    """The word's likeliest dictionary form in the language (the word itself where the dictionary has none)."""
    return readings(word, locale)[0]


@lru_cache(maxsize=200_000)
def readings(word: str, locale: str) -> tuple[str, ...]:
    """The dictionary forms the word may be, likeliest first: Ukrainian "дорога" is a road or "expensive",
    Russian "стоит" is "стоить" or "стоять". A keyword matches a word that can be it."""
    if locale == "en":
        if not _LATIN.search(word):
            return (word,)
        return (simplemma.lemmatize(word, lang="en").lower(),)
    if not _CYRILLIC.search(word):
        return (word,)
    forms = (parse.normal_form.replace("ё", "е") for parse in _analyser(locale).parse(word)[:MAX_READINGS])
    return tuple(dict.fromkeys(forms))


@lru_cache(maxsize=50_000)
def keyword_lemma(word: str, locale: str) -> str:
    """The dictionary form a typed keyword matches words by: the keyword itself where the dictionary has it
    as a dictionary form ("дорогой" is the adjective, though it is also "дорога"'s instrumental; "дзвінок"
    a call, though also "дзвінка"), else its likeliest one ("остывший": остыть; "couriers": courier)."""
    forms = readings(word, locale)
    return word if word in forms else forms[0]


@lru_cache(maxsize=50_000)
def is_first_name_or_surname(word: str, locale: str) -> bool:
    """Whether the word's likeliest reading is a person's first name, patronymic or surname ("Тимура",
    "Ольге", "Ковалёва"): Russian and Ukrainian only, where the dictionary marks them."""
    if locale not in ("ru", "uk") or not _CYRILLIC.search(word):
        return False
    return bool({"Name", "Surn", "Patr"} & _analyser(locale).parse(word)[0].tag.grammemes)


@lru_cache(maxsize=50_000)
def is_english_word(word: str) -> bool:
    """Whether the English dictionary knows the word (or the word before its "'s"): "Kasia" it does not."""
    return simplemma.is_known(word.split("'")[0], lang="en")


def warm() -> None:
    """Load the dictionaries now (a worker at start) rather than in the first comment's job."""
    for locale in ("en", "ru", "uk"):
        readings({"en": "waited", "ru": "ждали", "uk": "чекали"}[locale], locale)


def lemmas(words: list[str], cyrillic: str) -> list[tuple[str, ...]]:
    """Each word's readings: a Latin word's in English, a Cyrillic one's in the comment's Cyrillic language
    (a Russian comment may say "checkout", an English one "парковка")."""
    return [readings(word, script_language(word, cyrillic)) for word in words]
