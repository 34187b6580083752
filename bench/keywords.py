"""Which default keywords the labelled comments bear out, and what dropping or adding one does.

    python -m bench.keywords [--add WORD@CATEGORY ...] [--induce]

The comments written from the brief (corpus/written_*, files sorted by name) are split once, by file: the
1st, 3rd, 5th… with the independent and the reviews development sets choose; the 2nd, 4th, 6th… only
judge. For every default keyword: how often its match agreed with the comment's labels on the choosing
half. Each one matching at least MIN_MATCHES comments and right on fewer than PRECISION_BELOW of them is a
candidate to retire: the macro-F1 of the rules without it on both halves. Then the lemmas most often in
comments whose category the rules missed, mostly labelled with it (for a person to judge: a general word
of the category's meaning, not a dish or a product), and each `--add` word's effect on both halves.

`--induce` measures how far any keyword list can go on comments it never saw: each category's keywords are
grown greedily from the lemmas of the choosing half (dishes, products and function words included), each
time the one that raises its F1 there most, until none raises it by INDUCED_GAIN, and the rules with them
are judged on both halves.

A word is worth a change when the choosing half says so and the judging half agrees. The words are
dropped and added as an owner would on the Categories page (CategoryRule's `dropped` and `keywords`), so
nothing here changes the taxonomy: move a word to RETIRED_KEYWORDS or into DEFAULT_TAXONOMY by hand.
The judging-only sets (tests/data/README.md) are not read here.
"""
from __future__ import annotations

import argparse
from collections import Counter, defaultdict

from saas.feedback import categoriser, learning
from saas.feedback.categoriser import CategoryRule, KeywordIndex, analyse, read, signals_in
from saas.feedback.evaluation import evaluate, load, rules_alone
from saas.feedback.taxonomy import CATEGORY_KEYS, DEFAULT_TAXONOMY

MIN_MATCHES = 4
PRECISION_BELOW = 0.4
MISSED_AT_LEAST = 4  # comments a lemma is in whose category the rules missed
INDUCED_IN_AT_LEAST = 3  # comments of the choosing half an induced keyword is in
INDUCED_GAIN = 0.002  # the smallest rise of its category's F1 on the choosing half an induced keyword brings


def halves() -> tuple[list[dict], list[dict]]:
    written = sorted(learning.CORPUS.glob("written_*.jsonl"))
    choosing = [row for path in written[0::2] for row in load(path)]
    choosing += load(learning.CORPUS / "independent_dev.jsonl") + load(learning.CORPUS / "reviews.jsonl")
    return choosing, [row for path in written[1::2] for row in load(path)]


def macro_f1(rows: list[dict], rules: list[CategoryRule]) -> float:
    return evaluate(rows, lambda row: analyse(row["text"], row.get("score"), row.get("metric", "nps"), rules,
                                              locale=row.get("locale"))).macro_f1


def rules_with(key: str, dropped: str | None = None, added: str | None = None) -> list[CategoryRule]:
    return [CategoryRule(each, (added,) if added and each == key else (), key=each,
                         dropped=frozenset({dropped}) if dropped and each == key else frozenset())
            for each in CATEGORY_KEYS]


def keyword_matches(rows: list[dict]) -> tuple[Counter, Counter]:
    """(right, wrong): per (category, locale, keyword), the comments its match agreed with the labels on."""
    right, wrong, indexes = Counter(), Counter(), {}
    for row in rows:
        words, _language, cyrillic = read(row["text"], row.get("locale"))
        if cyrillic not in indexes:
            indexes[cyrillic] = KeywordIndex({
                (key, locale, word): (word,) for key in CATEGORY_KEYS for locale in ("en", cyrillic)
                for word in DEFAULT_TAXONOMY[key]["keywords"][locale]}, cyrillic, categories=True)
        idioms = signals_in(words, cyrillic).idioms
        for label in {label for label, _, _ in indexes[cyrillic].hits(words, idioms)}:
            (right if label[0] in row["categories"] else wrong)[label] += 1
    return right, wrong


def missed_lemmas(rows: list[dict]) -> list[tuple]:
    """(category, locale, lemma, comments missed, comments with the category, comments in all)."""
    everywhere, labelled, missed = Counter(), defaultdict(Counter), defaultdict(Counter)
    defaults = {(locale, word) for key in CATEGORY_KEYS for locale, words in DEFAULT_TAXONOMY[key]["keywords"].items()
                for word in words}
    for row in rows:
        found = rules_alone(row).categories
        lemmas = comment_lemmas(row)
        everywhere.update(lemmas)
        for key in row["categories"]:
            labelled[key].update(lemmas)
            if key not in found:
                missed[key].update(lemmas)
    return sorted((key, locale, lemma, count, labelled[key][locale, lemma], everywhere[locale, lemma])
                  for key in CATEGORY_KEYS for (locale, lemma), count in missed[key].items()
                  if count >= MISSED_AT_LEAST and labelled[key][locale, lemma] * 2 >= everywhere[locale, lemma]
                  and (locale, lemma) not in defaults)


def comment_lemmas(row: dict) -> set[tuple[str, str]]:
    """The comment's (language, lemma) pairs, in the language each is read in."""
    words, language, cyrillic = read(row["text"], row.get("locale"))
    return {(language if language == "en" else cyrillic, readings[0]) for readings in words.lemmas if readings}


def induced_keywords(rows: list[dict]) -> dict[str, list[tuple[str, str]]]:
    """Per category, the lemmas that most raise its F1 on `rows` added one at a time to the default rules'
    findings (a lemma's comments all get the category: negation and idioms aside), while one raises it by
    INDUCED_GAIN."""
    import numpy

    comments: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, lemmas in enumerate(map(comment_lemmas, rows)):
        for lemma in lemmas:
            comments[lemma].append(index)
    having = {}  # a lemma -> the comments it is in, as a mask
    for lemma, indexes in sorted(comments.items()):
        if len(indexes) >= INDUCED_IN_AT_LEAST:
            having[lemma] = numpy.zeros(len(rows), dtype=bool)
            having[lemma][indexes] = True
    found = [set(rules_alone(row).categories) for row in rows]
    induced = {}
    for key in CATEGORY_KEYS:
        truth = numpy.array([key in row["categories"] for row in rows])
        guess = numpy.array([key in each for each in found])
        induced[key] = []
        while True:
            now = learning._f1(truth, guess)
            gains = {lemma: learning._f1(truth, guess | mask) - now for lemma, mask in having.items()}
            best = max(gains, key=gains.get, default=None)
            if best is None or gains[best] < INDUCED_GAIN:
                break
            guess |= having.pop(best)
            induced[key].append(best)
    return induced


def induce(choosing: list[dict], judging: list[dict], base: tuple[float, float]) -> None:
    induced = induced_keywords(choosing)
    for key, lemmas in induced.items():
        print(f"  {key:<14} {len(lemmas):>2}: {', '.join(f'{lemma} ({locale})' for locale, lemma in lemmas)}")
    rules = [CategoryRule(key, tuple(lemma for _locale, lemma in induced[key]), key=key) for key in CATEGORY_KEYS]
    print(f"the rules with them: choosing half {base[0]:.4f} -> {macro_f1(choosing, rules):.4f}, "
          f"judging half {base[1]:.4f} -> {macro_f1(judging, rules):.4f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--add", action="append", default=[], metavar="WORD@CATEGORY",
                        help='a word to try as a keyword of a default category, e.g. "fee@price" (its letters say '
                             "its language)")
    parser.add_argument("--induce", action="store_true",
                        help="grow keywords from the choosing half's lemmas and judge them on both halves, instead")
    args = parser.parse_args()
    choosing, judging = halves()
    plain = categoriser.default_rules()
    base = macro_f1(choosing, plain), macro_f1(judging, plain)
    print(f"choosing half {len(choosing):,} comments, judging half {len(judging):,}; "
          f"the rules' macro-F1 {base[0]:.4f} / {base[1]:.4f}")
    if args.induce:
        print(f"\nkeywords induced from the choosing half (each in {INDUCED_IN_AT_LEAST}+ comments, raising its "
              f"category's F1 there by {INDUCED_GAIN}+):")
        induce(choosing, judging, base)
        return 0

    right, wrong = keyword_matches(choosing)
    print(f"\nkeywords right on fewer than {PRECISION_BELOW:.0%} of at least {MIN_MATCHES} matches, and the "
          "macro-F1 change without each (choosing / judging):")
    for key, locale, word in sorted(set(right) | set(wrong)):
        hits, misses = right[key, locale, word], wrong[key, locale, word]
        if hits + misses >= MIN_MATCHES and hits < PRECISION_BELOW * (hits + misses):
            rules = rules_with(key, dropped=word)
            print(f"  {key:<14} {locale} {word:<22} right {hits:>3} of {hits + misses:>3}   "
                  f"{macro_f1(choosing, rules) - base[0]:+.4f} / {macro_f1(judging, rules) - base[1]:+.4f}")

    print("\nlemmas in comments whose category the rules missed (missed, labelled with it, in all):")
    for key, locale, lemma, count, with_category, total in missed_lemmas(choosing):
        print(f"  {key:<14} {locale} {lemma:<20} {count:>3} {with_category:>4} {total:>4}")

    for entry in args.add:
        word, _, key = entry.rpartition("@")
        if key not in CATEGORY_KEYS or not word:
            parser.error(f"{entry}: expected WORD@CATEGORY, CATEGORY one of {', '.join(CATEGORY_KEYS)}")
        rules = rules_with(key, added=word)
        print(f"adding {word!r} to {key}: {macro_f1(choosing, rules) - base[0]:+.4f} / "
              f"{macro_f1(judging, rules) - base[1]:+.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
