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


@dataclass(frozen=True)
class Pattern:
    """One keyword: a sequence of parts, each a whole word or a stem (ending in *)."""

    parts: tuple[tuple[str, bool], ...]  # (text, is_stem)

    @classmethod
    @lru_cache(maxsize=20_000)
    def parse(cls, keyword: str) -> "Pattern":
        parts = []
        for word in tokenize_keyword(keyword):
            parts.append((word.rstrip("*"), word.endswith("*")))
        return cls(tuple(parts))

    def positions(self, tokens: list[str]) -> list[int]:
        """Indexes of tokens where this pattern starts."""
        if not self.parts:
            return []
        found = []
        for start in range(len(tokens) - len(self.parts) + 1):
            if all(_word_matches(tokens[start + i], text, stem) for i, (text, stem) in enumerate(self.parts)):
                found.append(start)
        return found


def tokenize_keyword(keyword: str) -> list[str]:
    keyword = keyword.lower().replace("ё", "е").replace("’", "'").strip()
    return [w for w in re.split(r"\s+", keyword) if w]


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
    for i in range(len(longer)):
        if longer[:i] + longer[i + 1:] == shorter:
            return True
    return False


def _negated(tokens: list[str], position: int) -> bool:
    window = tokens[max(0, position - NEGATION_WINDOW): position]
    return any(word in taxonomy.NEGATIONS for word in window)


def _matches(tokens: list[str], keywords, *, skip_negated: bool = False) -> bool:
    for keyword in keywords:
        for position in Pattern.parse(keyword).positions(tokens):
            if not (skip_negated and _negated(tokens, position)):
                return True
    return False


def default_rules() -> list[CategoryRule]:
    """The default taxonomy as rules, every language's keywords together (idents = keys)."""
    return [CategoryRule(key, default_keywords(key)) for key in taxonomy.CATEGORY_KEYS]


@lru_cache(maxsize=32)
def default_keywords(key: str) -> tuple[str, ...]:
    keywords = taxonomy.DEFAULT_TAXONOMY[key]["keywords"]
    return tuple(dict.fromkeys(word for words in keywords.values() for word in words))


def _sentiment(band: Band | None, tokens: list[str]) -> str:
    praise = _matches(tokens, taxonomy.POSITIVE_CUES, skip_negated=True)
    displeasure = _matches(tokens, taxonomy.NEGATIVE_CUES, skip_negated=True) or (
        _matches(tokens, taxonomy.POSITIVE_CUES) and not praise
    )
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
            rules: list[CategoryRule] | None = None) -> Analysis:
    """Categorise a comment and make the two decisions: reply? action?"""
    text = text or ""
    tokens = tokenize(text)
    rules = default_rules() if rules is None else rules
    band = metric(metric_key).band(score) if score is not None else None
    analysis = Analysis()
    analysis.categories = [rule.ident for rule in rules if _matches(tokens, rule.keywords)]
    analysis.sentiment = _sentiment(band, tokens)
    problem = _matches(tokens, taxonomy.PROBLEM_CUES, skip_negated=True)
    wants_contact = _matches(tokens, taxonomy.CONTACT_CUES)
    question = _asks_question(text, tokens)
    complaint = bool(tokens) and (band == Band.DETRACTOR or analysis.sentiment == "negative")
    # Promoters mention small problems in passing; only a displeased promoter's problem is work.
    analysis.needs_action = problem and (band != Band.PROMOTER or analysis.sentiment == "negative")
    analysis.needs_reply = bool(complaint or question or wants_contact)
    return analysis
