"""Reading a comment: which categories, what sentiment, does it need a reply, an action.

Pure functions over text: no database, no Flask, so `flask categorise`, the pipeline and
the tests all run exactly the same code. Matching copes with inflection (keyword stems),
typos (one edit, in words and stems of six letters or more), mixed languages (every language's
default keywords are tried whatever the survey language) and negation (a problem word
right after "not"/"не"/"ні" names no problem).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from saas.feedback import taxonomy
from saas.feedback.metrics import Band, metric

NEGATION_WINDOW = 3  # a negation reaches this many words ahead
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)


@dataclass(frozen=True)
class CategoryRule:
    """A category as the categoriser sees it: an id to report and its keywords."""

    ident: object
    keywords: tuple[str, ...]


@dataclass
class Analysis:
    categories: list = field(default_factory=list)  # the idents of matching CategoryRules
    sentiment: str = "neutral"  # negative | neutral | positive
    needs_reply: bool = False
    needs_action: bool = False


def tokenize(text: str) -> list[str]:
    text = text.lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'")
    return _WORD.findall(text)


Part = tuple[str, bool]  # (text, is_stem)


def parse_keyword(keyword: str) -> tuple[Part, ...]:
    """A keyword as parts: each a whole word, or a stem when it ends in *."""
    words = keyword.lower().replace("ё", "е").replace("’", "'").split()
    return tuple((word.rstrip("*"), word.endswith("*")) for word in words if word.rstrip("*"))


class KeywordIndex:
    """Keywords grouped into labels (a category, or a kind of cue), indexed by their first
    word, so that reading a comment costs a few lookups per word rather than a pass over
    every keyword. What each word can start is remembered (words repeat a lot)."""

    def __init__(self, labelled_keywords: dict[object, tuple[str, ...]]):
        self.exact: dict[str, list] = {}
        self.stems: dict[str, list] = {}
        self.fuzzy: dict[str, list] = {}  # first letter -> parts long enough to forgive a typo
        for label, keywords in labelled_keywords.items():
            for keyword in keywords:
                parts = parse_keyword(keyword)
                if not parts:
                    continue
                (text, stem), entry = parts[0], (label, parts)
                (self.stems if stem else self.exact).setdefault(text, []).append(entry)
                if len(text) >= 6:
                    self.fuzzy.setdefault(text[0], []).append((text, stem, entry))
        self._starts: dict[str, list] = {}

    def _starting_with(self, token: str) -> list:
        cached = self._starts.get(token)
        if cached is not None:
            return cached
        found = list(self.exact.get(token, ()))
        for length in range(1, len(token) + 1):
            found.extend(self.stems.get(token[:length], ()))
        if len(token) >= 6:
            seen = {id(entry) for entry in found}
            found.extend(entry for text, stem, entry in self.fuzzy.get(token[0], ())
                         if id(entry) not in seen and _word_matches(token, text, stem))
        if len(self._starts) < 50_000:
            self._starts[token] = found
        return found

    def matches(self, tokens: list[str], skip_negated: bool = False) -> set:
        """The labels with a keyword in the text (ignoring negated ones if asked)."""
        labels = set()
        for position, token in enumerate(tokens):
            for label, parts in self._starting_with(token):
                if label in labels or position + len(parts) > len(tokens):
                    continue
                if all(_word_matches(tokens[position + i], text, stem) for i, (text, stem) in enumerate(parts[1:], 1)):
                    if not (skip_negated and _negated(tokens, position)):
                        labels.add(label)
        return labels


@lru_cache(maxsize=200_000)
def _word_matches(token: str, text: str, stem: bool) -> bool:
    if stem:
        if token.startswith(text):
            return True
        if len(text) < 6 or len(token) < 6:
            return False
        # a typo inside the stem: the token's beginning is one edit away from it
        return any(_within_one_edit(token[:length], text) for length in (len(text) - 1, len(text), len(text) + 1))
    if token == text:
        return True
    return len(text) >= 6 and _within_one_edit(token, text)


def _within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance ≤ 1 (a typo: one letter wrong, missing, extra or swapped)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def _negated(tokens: list[str], position: int) -> bool:
    window = tokens[max(0, position - NEGATION_WINDOW): position]
    return any(word in taxonomy.NEGATIONS for word in window)


@lru_cache(maxsize=256)
def rule_index(rules: tuple[CategoryRule, ...]) -> KeywordIndex:
    return KeywordIndex({rule.ident: rule.keywords for rule in rules})


@lru_cache(maxsize=1)
def cue_index() -> KeywordIndex:
    return KeywordIndex({
        "problem": tuple(taxonomy.PROBLEM_CUES), "praise": tuple(taxonomy.POSITIVE_CUES),
        "displeasure": tuple(taxonomy.NEGATIVE_CUES), "contact": tuple(taxonomy.CONTACT_CUES),
    })


def default_rules() -> list[CategoryRule]:
    """The default taxonomy as rules, every language's keywords together (idents = keys)."""
    return [CategoryRule(key, default_keywords(key)) for key in taxonomy.CATEGORY_KEYS]


@lru_cache(maxsize=32)
def default_keywords(key: str) -> tuple[str, ...]:
    keywords = taxonomy.DEFAULT_TAXONOMY[key]["keywords"]
    return tuple(dict.fromkeys(word for words in keywords.values() for word in words))


def _sentiment(band: Band | None, cues: set, plain_cues: set) -> str:
    praise = "praise" in cues
    displeasure = "displeasure" in cues or ("praise" in plain_cues and not praise)  # "not good"
    if band == Band.DETRACTOR:
        return "negative"
    if band == Band.PROMOTER:
        return "negative" if displeasure and not praise else "positive"
    if displeasure and not praise:
        return "negative"
    if praise and not displeasure:
        return "positive"
    return "neutral"


def _asks_question(text: str, tokens: list[str]) -> bool:
    if "?" not in text:
        return False
    return any(token in taxonomy.QUESTION_WORDS for token in tokens) or text.strip().endswith("?")


def analyse(text: str, score: int | None = None, metric_key: str = "nps",
            rules: list[CategoryRule] | None = None, contact_given: bool = False) -> Analysis:
    """Categorise a comment and make the two decisions: reply? action?

    A detractor who left only a score needs a reply when they gave a way to reach them
    (there is someone to call back); without a comment or a contact there is nothing to do."""
    text = text or ""
    tokens = tokenize(text)
    rules = default_rules() if rules is None else rules
    band = metric(metric_key).band(score) if score is not None else None
    analysis = Analysis()
    found = rule_index(tuple(rules)).matches(tokens)
    analysis.categories = [rule.ident for rule in rules if rule.ident in found]
    cues = cue_index().matches(tokens, skip_negated=True)
    plain_cues = cue_index().matches(tokens)
    analysis.sentiment = _sentiment(band, cues, plain_cues)
    problem = "problem" in cues
    wants_contact = "contact" in plain_cues
    question = _asks_question(text, tokens)
    unhappy = band == Band.DETRACTOR or analysis.sentiment == "negative"
    complaint = unhappy and (bool(tokens) or contact_given)
    # A detractor who names what it was about has named a problem; promoters mention small
    # problems in passing, and only a displeased promoter's problem is work.
    named_problem = problem or (band == Band.DETRACTOR and bool(found))
    analysis.needs_action = named_problem and (band != Band.PROMOTER or analysis.sentiment == "negative")
    analysis.needs_reply = bool(complaint or question or wants_contact)
    return analysis
