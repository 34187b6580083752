"""Reading a comment: which categories, what sentiment, does it need a reply, an action.

Pure functions over text: no database, no Flask, so `flask categorise`, the pipeline and the tests all
run exactly the same code. A comment is read in its own language (saas.feedback.lemmas: Latin words in
English, Cyrillic ones in Russian or Ukrainian, whichever the comment is in, the survey's where nothing
tells) and compared with those languages' keywords only, word by word as lemmas: "курьера" matches the
keyword "курьер", "waited" matches "wait" but "waiter" does not. A keyword ending in * matches words that
begin with it (as written or as a lemma); a Russian or Ukrainian "не-" word matches the one-word keyword
it is the antonym of ("недорого" is about price, as "дорого" is). No typo matching: on real comments it
created more errors ("extensive" read as "expensive") than it fixed. A problem word right after
"not"/"не"/"ні" names no problem, and no keyword counts inside an idiom ("в свою очередь").

Three of the default categories are also found without their keywords, where the comment's shape says so
(each measured on the independently written comments, tests/data/README.md): a clause that names a
product or a service's result, nothing another category is about, and judges it is about quality ("the
roses wilted in a day"); a person named by their first name or surname in a Russian or Ukrainian comment
is one of the staff ("спасибо Ольге"), and so is someone an English comment calls he or she, unless it
names a relative, a friend or a pet ("she redid it for free"); speed and how long something took are
about waiting, unless the comment is about a delivery, whose speed it is ("done in 10 minutes").
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

from saas.feedback import lemmas, taxonomy
from saas.feedback.metrics import Band, metric

NEGATION_WINDOW = 3  # a negation reaches this many words ahead
CACHED_FORMS = 100_000  # per keyword index: the words seen, with the keywords each may start
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\n—–]+")
_SENTENCE_BREAK = re.compile(r"[.!?\n]+")


@dataclass(frozen=True)
class CategoryRule:
    """A category as the categoriser sees it: an id to report, the keywords its owner typed (in any of
    the languages: each is read in the language its letters say, Cyrillic common to Russian and Ukrainian
    in both), and the key of the default category whose keywords it also has in each language."""

    ident: object
    keywords: tuple[str, ...] = ()
    key: str | None = None
    dropped: frozenset[str] = frozenset()  # default keywords the owner took out: they do not match


@dataclass
class Analysis:
    categories: list = field(default_factory=list)  # the idents of matching CategoryRules
    sentiment: str = "neutral"  # negative | neutral | positive
    needs_reply: bool = False
    needs_action: bool = False
    language: str = "en"


def _normalised(text: str) -> str:
    return text.lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'")


def tokenize(text: str) -> list[str]:
    return _WORD.findall(_normalised(text))


@dataclass(frozen=True)
class Words:
    """A comment's words as written and as the lemmas each may be, in its language, and the clause each
    is in (clauses end at punctuation and at "but", "and", "но", "але"...)."""

    surface: list[str]
    lemmas: list[tuple[str, ...]]
    clauses: list[int] = field(default_factory=list)
    capitalised: list[bool] = field(default_factory=list)  # written with a capital, not starting a sentence
    titled: list[bool] = field(default_factory=list)  # written with a capital (not all capitals), anywhere


def read(text: str, locale_hint: str | None) -> tuple[Words, str, str]:
    """The comment's words, its language and the language its Cyrillic words are read in."""
    text = text or ""
    normal = _normalised(text)
    found = list(_WORD.finditer(normal))
    tokens = [match.group() for match in found]
    cyrillic = lemmas.cyrillic_language(tokens, locale_hint)
    clauses, capitals, titled = _clauses_and_capitals(text, normal, found)
    words = Words(tokens, lemmas.lemmas(tokens, cyrillic), clauses, capitals, titled)
    return words, lemmas.language_of(tokens, locale_hint), cyrillic


def _clauses_and_capitals(text: str, normal: str, found: list[re.Match]) -> tuple[list[int], list[bool], list[bool]]:
    """Each word's clause number, whether it is written with a capital (not all capitals) but does not
    start a sentence, and whether it is written with a capital at all."""
    clause_breaks = [match.end() for match in _CLAUSE_BREAK.finditer(text)]
    sentence_breaks = [match.end() for match in _SENTENCE_BREAK.finditer(text)]
    comparable = len(normal) == len(text)  # lower() kept every letter in its place (it nearly always does)
    clauses, capitals, titled, joined, previous_sentence = [], [], [], 0, -1
    for match in found:
        if match.group() in taxonomy.CLAUSE_WORDS:
            joined += 1
        clauses.append(bisect.bisect_right(clause_breaks, match.start()) + joined)
        sentence = bisect.bisect_right(sentence_breaks, match.start())
        written = text[match.start():match.end()] if comparable else ""
        titled.append(written[:1].isupper() and not written.isupper())
        capitals.append(sentence == previous_sentence and titled[-1])
        previous_sentence = sentence
    return clauses, capitals, titled


def names_a_person(words: Words, cyrillic: str, idioms: frozenset[int]) -> bool:
    """Whether the comment names someone ("спасибо Ольге", "у Тимура") outside an idiom (a saint's day is
    no one at work) or, in English, speaks of someone (someone_in_english): in a review, one of the staff."""
    return someone_in_english(words, cyrillic) or any(
        flag and position not in idioms and lemmas.is_first_name_or_surname(word, cyrillic)
        for position, (word, flag) in enumerate(zip(words.surface, words.capitalised)))


def someone_in_english(words: Words, cyrillic: str) -> bool:
    """He or she, in a comment that names no relative, friend or pet ("she redid it for free"); or a name
    the dictionary does not know that a he or she later refers to ("Kasia made my dad's coffee, she...")."""
    pronouns = [position for position, word in enumerate(words.surface) if word in taxonomy.PERSONAL_PRONOUNS]
    if not pronouns:
        return False
    if taxonomy.NOT_STAFF_PEOPLE.isdisjoint(lemma for readings in words.lemmas for lemma in readings):
        return True
    return any(titled and len(word) > 2 and lemmas.script_language(word, cyrillic) == "en"
               and not lemmas.is_english_word(word) for word, titled in zip(words.surface[:pronouns[-1]], words.titled))


Part = tuple[str, str, bool]  # (as written, its lemma, is_stem)


def parse_keyword(keyword: str, cyrillic: str, own_form: bool = False) -> tuple[Part, ...]:
    """A keyword as parts: each a whole word (matched as written or by lemma), or a stem when it ends in *.
    `own_form`: a word matches by lemmas.keyword_lemma, the form as typed where it means something of its own."""
    words = _normalised(keyword).split()
    lemma_of = lemmas.keyword_lemma if own_form else lemmas.lemma
    parts = []
    for word in words:
        text = word.rstrip("*")
        if text:
            stem = word.endswith("*")
            parts.append((text, text if stem else lemma_of(text, lemmas.script_language(text, cyrillic)), stem))
    return tuple(parts)


def languages_of_keyword(keyword: str) -> tuple[str, ...]:
    """The languages a typed keyword belongs to, by its letters: Latin is English; Cyrillic with a letter
    only one of Russian and Ukrainian has is that one; other Cyrillic may be either."""
    letters = set(keyword.lower())
    if not letters & set("абвгдежзийклмнопрстуфхцчшщьюяёіїєґыэъ"):
        return ("en",)
    if letters & set("іїєґ"):
        return ("uk",)
    if letters & set("ыэъё"):
        return ("ru",)
    return ("ru", "uk")


class KeywordIndex:
    """English keywords and one Cyrillic language's, grouped into labels (a category, or a kind of cue),
    indexed by their first word, so that reading a comment costs a few lookups per word rather than a
    pass over every keyword."""

    def __init__(self, labelled_keywords: dict[object, tuple[str, ...]], cyrillic: str, categories: bool = False):
        self.exact: dict[str, list] = {}  # a word, as written or as its lemma -> entries
        self.stems: dict[str, list] = {}
        self._by_form: dict[str, tuple] = {}  # a form -> the entries it starts (a cache)
        self.cyrillic = cyrillic
        # The categories' keywords, which owners type: a keyword's own form counts (parse_keyword), and a
        # Cyrillic "не-" word also matches the one-word keyword it is the antonym of (недорого, неудобный).
        self.antonyms = categories
        self._by_antonym: dict[str, tuple] = {}
        for label, keywords in labelled_keywords.items():
            for keyword in keywords:
                parts = parse_keyword(keyword, cyrillic, own_form=categories)
                if not parts:
                    continue
                (text, lemma, stem), entry = parts[0], (label, parts)
                if stem:
                    self.stems.setdefault(text, []).append(entry)
                else:
                    for key in {text, lemma}:
                        self.exact.setdefault(key, []).append(entry)
        self.stem_lengths = sorted({len(stem) for stem in self.stems})

    def _starting_with(self, form: str) -> tuple:
        entries = self._by_form.get(form)
        if entries is None:
            found = list(self.exact.get(form, ()))
            for length in self.stem_lengths:
                if length > len(form):
                    break
                found.extend(self.stems.get(form[:length], ()))
            entries = tuple(found)
            if len(self._by_form) < CACHED_FORMS:
                self._by_form[form] = entries
        return entries

    def _starting_at(self, words: Words, position: int) -> list:
        forms = (words.surface[position], *words.lemmas[position])
        entries = [entry for form in forms for entry in self._starting_with(form)]
        if self.antonyms and words.surface[position].startswith("не"):
            entries += self._antonym_of(words.surface[position])
        return list(dict.fromkeys(entries))

    def _antonym_of(self, word: str) -> tuple:
        """The one-word keywords the word is the "не-" antonym of, as written or as lemmas ("недорого": дорого)."""
        entries = self._by_antonym.get(word)
        if entries is None:
            rest = word[2:]
            cyrillic = lemmas.script_language(rest, self.cyrillic) == self.cyrillic
            forms = (rest, *lemmas.readings(rest, self.cyrillic)) if len(rest) > 3 and cyrillic else ()
            entries = tuple(entry for form in forms for entry in self.exact.get(form, ()) if len(entry[1]) == 1)
            if len(self._by_antonym) < CACHED_FORMS:
                self._by_antonym[word] = entries
        return entries

    def found(self, words: Words) -> list[tuple[object, int, int]]:
        """Every keyword in the text: (its label, the position of its first word, its length in words)."""
        found = []
        count = len(words.surface)
        for position in range(count):
            for label, parts in self._starting_at(words, position):
                if position + len(parts) <= count and all(
                        _word_matches(words.surface[position + i], words.lemmas[position + i], part)
                        for i, part in enumerate(parts[1:], 1)):
                    found.append((label, position, len(parts)))
        return found

    def hits(self, words: Words, masked: frozenset[int] = frozenset()) -> list[tuple[object, int, bool]]:
        """Every keyword in the text but those inside a `masked` word (an idiom): (its label, the position
        of its first word, whether it is negated)."""
        return [(label, position, _negated(words.surface, position)) for label, position, length in self.found(words)
                if masked.isdisjoint(range(position, position + length))]


def _word_matches(surface: str, lemmas_: tuple[str, ...], part: Part) -> bool:
    text, keyword_lemma, stem = part
    if stem:
        return surface.startswith(text) or any(lemma.startswith(text) for lemma in lemmas_)
    return surface == text or keyword_lemma in lemmas_


def _negated(tokens: list[str], position: int) -> bool:
    window = tokens[max(0, position - NEGATION_WINDOW): position]
    return any(word in taxonomy.NEGATIONS for word in window)


@lru_cache(maxsize=256)
def rule_index(rules: tuple[CategoryRule, ...], cyrillic: str) -> KeywordIndex:
    """The rules' keywords in English and in the comment's Cyrillic language: the owner's typed ones of
    those languages, and the default category's keywords in them but those the owner took out."""
    languages = ("en", cyrillic)
    return KeywordIndex({
        rule.ident: tuple(keyword for keyword in rule.keywords if set(languages_of_keyword(keyword)) & set(languages))
        + tuple(word for locale in languages for word in (default_keywords(rule.key, locale) if rule.key else ())
                if word not in rule.dropped)
        for rule in rules
    }, cyrillic, categories=True)


@lru_cache(maxsize=2)
def signal_index(cyrillic: str) -> KeywordIndex:
    """Everything but the categories' own keywords, read in the same pass: idioms, the cues of a problem,
    praise, displeasure, a wish to be contacted, a price found too high; products; speed."""
    def of(words):
        return tuple(word for word in words if set(languages_of_keyword(word)) & {"en", cyrillic})

    def both(by_language):
        return tuple(by_language["en"]) + tuple(by_language[cyrillic])

    return KeywordIndex({
        "idiom": both(taxonomy.IDIOMS), "problem": of(taxonomy.PROBLEM_CUES), "praise": of(taxonomy.POSITIVE_CUES),
        "displeasure": of(taxonomy.NEGATIVE_CUES), "contact": of(taxonomy.CONTACT_CUES),
        "dear": of(taxonomy.PRICE_COMPLAINTS), "product": both(taxonomy.PRODUCTS), "speed": both(taxonomy.SPEED_WORDS),
    }, cyrillic)


@dataclass(frozen=True)
class Signals:
    idioms: frozenset[int]  # the positions of words inside an idiom, where no keyword counts
    hits: list  # (label, position, negated) of every other signal outside an idiom

    def labels(self, *, affirmed: bool = False) -> set:
        return {label for label, _, negated in self.hits if not (affirmed and negated)}


def signals_in(words: Words, cyrillic: str) -> Signals:
    """The signals in a comment; none counts inside an idiom ("в свою очередь" is no queue)."""
    found = signal_index(cyrillic).found(words)
    idioms = frozenset(position + offset for label, position, length in found if label == "idiom"
                       for offset in range(length))
    return Signals(idioms, [(label, position, _negated(words.surface, position))
                            for label, position, length in found
                            if label != "idiom" and idioms.isdisjoint(range(position, position + length))])


def judged_product(words: Words, signals: Signals, rule_hits: list, detractor: bool, quality: CategoryRule) -> bool:
    """Whether a clause names a product or a service's result, nothing else a category is about, and
    judges it (praise, displeasure, a problem; or any clause of a detractor's): "the roses wilted in a
    day" is about quality, "ordered roses for mum" is not, nor is "the card machine ate my card". A word
    the owner took out of quality's keywords judges nothing (a bar's "cold" beer)."""
    judging = {"praise", "displeasure", "problem"}
    for label, position, _negated in signals.hits:
        if label != "product":
            continue
        clause = words.clauses[position]
        if any(words.clauses[at] == clause and rule != quality.ident for rule, at, _ in rule_hits):
            continue
        if detractor or any(words.clauses[at] == clause and cue in judging and not negated
                            and not quality.dropped.intersection((words.surface[at], *words.lemmas[at]))
                            for cue, at, negated in signals.hits):
            return True
    return False


def _alternatives(words: list[str]) -> str:
    return "|".join(map(re.escape, words))


_DURATION = re.compile(r"(?<![\w'])(?:(?P<dated>%s)\s+)?(?:\d+(?:[.,]\d+)?|%s)[\s-]*(?:%s)(?![\w'])"
                       r"(?:\s+(?P<dated_after>%s)(?![\w']))?" % (
                           _alternatives(taxonomy.DATING_BEFORE), _alternatives(taxonomy.NUMBER_WORDS),
                           _alternatives(taxonomy.TIME_UNITS), _alternatives(taxonomy.DATING_AFTER)), re.IGNORECASE)


def about_time(text: str, signals: Signals) -> bool:
    """Whether the comment says how quick something was or how long it took: a speed, or a duration that
    does not date an event ("3 days after", "a week ago")."""
    return "speed" in signals.labels() or any(
        not (match.group("dated") or match.group("dated_after")) for match in _DURATION.finditer(text))


def _rule_with_key(rules: list[CategoryRule], key: str) -> object | None:
    """The ident of the business's category that is the default one `key` (it may have been renamed)."""
    rule = _default_rule(rules, key)
    return rule.ident if rule else None


def _default_rule(rules: list[CategoryRule], key: str) -> CategoryRule | None:
    return next((rule for rule in rules if rule.key == key), None)


def _found_by_shape(text: str, words: Words, cyrillic: str, signals: Signals, rules: list[CategoryRule],
                    rule_hits: list, found: set, detractor: bool) -> set:
    """The default categories of quality, staff and waiting that the keywords did not find (`found`) but the
    comment's shape names: a judged product, a person's name, how long it took."""
    quality, staff = _default_rule(rules, "quality"), _rule_with_key(rules, "staff")
    waiting, delivery = _rule_with_key(rules, "waiting"), _rule_with_key(rules, "delivery")
    shaped = set()
    if quality is not None and quality.ident not in found and judged_product(words, signals, rule_hits, detractor,
                                                                             quality):
        shaped.add(quality.ident)
    if staff not in found and staff is not None and names_a_person(words, cyrillic, signals.idioms):
        shaped.add(staff)
    if waiting not in found and waiting is not None and delivery not in found and about_time(text, signals):
        shaped.add(waiting)
    return shaped


def default_rules() -> list[CategoryRule]:
    """The default taxonomy as rules (idents = keys)."""
    return [CategoryRule(key, key=key) for key in taxonomy.CATEGORY_KEYS]


def default_keywords(key: str, locale: str) -> tuple[str, ...]:
    entry = taxonomy.DEFAULT_TAXONOMY.get(key)
    return tuple(entry["keywords"].get(locale, ())) if entry else ()


@lru_cache(maxsize=64)
def app_keywords(key: str | None) -> frozenset[str]:
    """The words the app gives a default category, in every language, and those it gave it once: a stored
    list's word among them is not the owner's own."""
    entry = taxonomy.DEFAULT_TAXONOMY.get(key) if key else None
    if entry is None:
        return frozenset()
    defaults = frozenset(word for words in entry["keywords"].values() for word in words)
    return defaults | taxonomy.RETIRED_KEYWORDS.get(key, frozenset())


def _sentiment(band: Band | None, cues: set, plain_cues: set) -> str:
    praise = "praise" in cues
    displeasure = bool({"displeasure", "dear"} & cues) or ("praise" in plain_cues and not praise)  # "not good"
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
            rules: list[CategoryRule] | None = None, contact_given: bool = False,
            locale: str | None = None) -> Analysis:
    """Categorise a comment and make the two decisions: reply? action? `locale` is the survey's language,
    the comment's own unless its words say otherwise.

    A detractor who left only a score needs a reply when they gave a way to reach them
    (there is someone to call back); without a comment or a contact there is nothing to do."""
    text = text or ""
    words, language, cyrillic = read(text, locale)
    tokens = words.surface
    rules = default_rules() if rules is None else rules
    band = metric(metric_key).band(score) if score is not None else None
    analysis = Analysis(language=language)
    signals = signals_in(words, cyrillic)
    rule_hits = rule_index(tuple(rules), cyrillic).hits(words, signals.idioms)
    found = {label for label, _, _ in rule_hits}
    found |= _found_by_shape(text, words, cyrillic, signals, rules, rule_hits, found, band == Band.DETRACTOR)
    analysis.categories = [rule.ident for rule in rules if rule.ident in found]
    plain_cues, cues = signals.labels(), signals.labels(affirmed=True)
    analysis.sentiment = _sentiment(band, cues, plain_cues)
    problem = "problem" in cues
    wants_contact = "contact" in plain_cues
    question = _asks_question(text, tokens)
    unhappy = band == Band.DETRACTOR or analysis.sentiment == "negative"
    complaint = unhappy and (bool(tokens) or contact_given)
    # A detractor who names what it was about has named a problem (unless it is only the price: what to
    # charge is no fault to fix); promoters and passives mention small problems in passing ("a bit slow"),
    # and only a displeased one's problem is work (the unhappy).
    named_problem = problem or (band == Band.DETRACTOR and bool(found - {_rule_with_key(rules, "price")}))
    analysis.needs_action = named_problem and unhappy
    analysis.needs_reply = bool(complaint or question or wants_contact)
    return analysis
