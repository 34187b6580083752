"""The categoriser's quality and speed on the labelled comments (tests/data).

    python -m bench.categorise [--rounds 20]

For each labelled set (tests/data/README.md says who wrote which and what each may be used for):
precision, recall and F1 per category, the macro-F1 overall and per language, the accuracy of the two
decisions (needs a reply, needs an action), and the share of comments about nothing in particular that
were given a category anyway. Then comments per second: the sets read `--rounds` times after a warm-up,
against a baseline that only tokenises the same texts.

The learned categoriser (saas.feedback.learning): a learning curve, the independent development comments
and then the original ones replayed in order as a business's corrections (first 50, 100, 200, 500, all),
the model joined with the rules judged on the two sets that are never trained or tuned on, against the rules
alone on the same comments; each category's chosen source; the held-out comments by cross-validation (a
comment and its translations always on the same side); and the time to train on 5,000 corrections.
"""
from __future__ import annotations

import argparse
import sys
import time

from bench.common import ROOT
from saas.feedback import learning
from saas.feedback.categoriser import analyse, tokenize
from saas.feedback.evaluation import evaluate, load
from saas.feedback.taxonomy import CATEGORY_KEYS

SETS = {"development": "labelled_comments.jsonl", "held out": "heldout_comments.jsonl",
        "independent, development": "independent_dev.jsonl", "independent, test": "independent_test.jsonl"}
JUDGED_ON = ("independent, test", "held out")  # never trained or tuned on


def report(name: str, rows: list[dict]) -> None:
    scores = evaluate(rows)
    print(f"\n{name}: {scores.count} labelled comments")
    print(f"{'category':<15} {'precision':>9} {'recall':>7} {'F1':>6}")
    for key, (precision, recall, f1) in scores.per_category.items():
        print(f"{key:<15} {precision:9.2f} {recall:7.2f} {f1:6.2f}")
    locales = "  ".join(f"{locale} {f1:.3f}" for locale, f1 in scores.per_locale.items())
    print(f"macro-F1 {scores.macro_f1:.3f} ({locales})   needs_reply accuracy {scores.reply_accuracy:.3f}   "
          f"needs_action accuracy {scores.action_accuracy:.3f}")
    if scores.no_topic_false_positive_rate is not None:
        print(f"comments about no topic given one anyway: {scores.no_topic_false_positive_rate:.0%}")


def example(row: dict) -> learning.Example:
    return learning.Example(row["text"], row["locale"], frozenset(row["categories"]))


def learning_curve(corrections: list[dict], tests: dict[str, list[dict]]) -> None:
    rules = {name: evaluate(rows) for name, rows in tests.items()}
    print("\nlearned from corrections, judged on " + " and on ".join(
        f"{name} (rules alone: macro-F1 {scores.macro_f1:.3f})" for name, scores in rules.items()))
    for count in [n for n in (50, 100, 200, 500) if n < len(corrections)] + [len(corrections)]:
        model = learning.train([example(row) for row in corrections[:count]], learning.default_rules_say)

        def joined(row, model=model):
            analysis = analyse(row["text"], row.get("score"), locale=row["locale"])
            analysis.categories = model.combine(analysis.categories, row["text"], analysis.language, CATEGORY_KEYS)
            return analysis

        figures = []
        for name, rows in tests.items():
            scores = evaluate(rows, joined)
            locales = " ".join(f"{locale} {f1:.3f}" for locale, f1 in scores.per_locale.items())
            figures.append(f"{name} {scores.macro_f1:.3f} ({scores.macro_f1 - rules[name].macro_f1:+.3f}; {locales})")
        sources = ", ".join(f"{ident} {quality.source}" for ident, quality in sorted(model.quality.items())
                            if quality.source != "rules")
        print(f"after {count:>4} corrections: " + "; ".join(figures))
        print(f"{'':>22}learned or both: {sources or 'none'}")


def held_out_cross_validation(corrections: list[dict], test: list[dict], folds: int = 5) -> None:
    """The held-out comments in five folds, a comment and its translations always in the same fold (the set
    is 50 comments written in each language, in the same order): each fold judged by a model trained on
    the development comments and the other folds, as a business whose corrections are like its answers."""
    positions: dict[str, int] = {}
    groups = []
    for row in test:
        groups.append(positions.get(row["locale"], 0))
        positions[row["locale"]] = groups[-1] + 1
    joined: dict[int, object] = {}
    for fold in range(folds):
        training = [example(row) for row in corrections] + [
            example(row) for row, group in zip(test, groups) if group % folds != fold]
        model = learning.train(training, learning.default_rules_say)
        for index, (row, group) in enumerate(zip(test, groups)):
            if group % folds == fold:
                analysis = analyse(row["text"], row.get("score"), locale=row["locale"])
                analysis.categories = model.combine(analysis.categories, row["text"], analysis.language,
                                                    CATEGORY_KEYS)
                joined[id(row)] = analysis
    rules, scores = evaluate(test), evaluate(test, lambda row: joined[id(row)])
    print(f"held-out comments by {folds}-fold cross-validation (no comment or translation on both sides): "
          f"rules {rules.macro_f1:.3f}, joined with the model {scores.macro_f1:.3f} "
          f"({scores.macro_f1 - rules.macro_f1:+.3f})")


def training_time(rows: list[dict], size: int = 5000) -> None:
    examples = [example(rows[index % len(rows)]) for index in range(size)]
    started = time.perf_counter()
    learning.train(examples, learning.default_rules_say)
    print(f"training on {size:,} corrections (with the cross-validation that picks each source): "
          f"{time.perf_counter() - started:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    every, sets = [], {}
    for name, filename in SETS.items():
        rows = sets[name] = load(ROOT / "tests" / "data" / filename)
        report(name, rows)
        every += rows

    texts = [(row["text"], row["score"], row["locale"]) for row in every]
    for text, score, locale in texts:  # warm the indexes and the lemma cache
        analyse(text, score, locale=locale)
    started = time.perf_counter()
    for _ in range(args.rounds):
        for text, score, locale in texts:
            analyse(text, score, locale=locale)
    rate = len(texts) * args.rounds / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(args.rounds):
        for text, _score, _locale in texts:
            tokenize(text)
    baseline = len(texts) * args.rounds / (time.perf_counter() - started)
    print(f"\n{rate:,.0f} comments/s categorised; {baseline:,.0f} comments/s only tokenised "
          f"(categorising costs {baseline / rate:.1f}x tokenising)")
    learning_curve(sets["independent, development"] + sets["development"], {name: sets[name] for name in JUDGED_ON})
    held_out_cross_validation(sets["development"], sets["held out"])
    training_time(every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
