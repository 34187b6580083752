"""The categoriser's quality and speed on the labelled comments (tests/data).

    python -m bench.categorise [--rounds 20]

For each labelled set: precision, recall and F1 per category, the macro-F1 overall and per language,
the accuracy of the two decisions (needs a reply, needs an action), and the share of comments about
nothing in particular that were given a category anyway. `labelled_comments.jsonl` is the set the
rules were developed on; `heldout_comments.jsonl` was written before the rules were tuned and is never
tuned on. Then comments per second: the sets read `--rounds` times after a warm-up, against a baseline
that only tokenises the same texts.
"""
from __future__ import annotations

import argparse
import sys
import time

from bench.common import ROOT
from saas.feedback.categoriser import analyse, tokenize
from saas.feedback.evaluation import evaluate, load

SETS = {"development": "labelled_comments.jsonl", "held out": "heldout_comments.jsonl"}


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    every = []
    for name, filename in SETS.items():
        rows = load(ROOT / "tests" / "data" / filename)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
