"""The categoriser's quality and speed on the labelled comments (tests/data).

    python -m bench.categorise [--rounds 20]

Prints precision, recall and F1 per category, the macro-F1, the accuracy of the two
decisions (needs a reply, needs an action), and comments per second: the whole set read
`--rounds` times after a warm-up, against a baseline that only tokenises the same texts.
"""
from __future__ import annotations

import argparse
import sys
import time

from bench.common import ROOT
from saas.feedback.categoriser import analyse, tokenize
from saas.feedback.evaluation import evaluate, load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rows = load(ROOT / "tests" / "data" / "labelled_comments.jsonl")

    scores = evaluate(rows)
    print(f"{len(rows)} labelled comments")
    print(f"{'category':<15} {'precision':>9} {'recall':>7} {'F1':>6}")
    for key, (precision, recall, f1) in scores.per_category.items():
        print(f"{key:<15} {precision:9.2f} {recall:7.2f} {f1:6.2f}")
    print(f"macro-F1 {scores.macro_f1:.3f}   needs_reply accuracy {scores.reply_accuracy:.3f}   "
          f"needs_action accuracy {scores.action_accuracy:.3f}")

    texts = [(row["text"], row["score"]) for row in rows]
    for text, score in texts:  # warm the keyword index
        analyse(text, score)
    started = time.perf_counter()
    for _ in range(args.rounds):
        for text, score in texts:
            analyse(text, score)
    rate = len(texts) * args.rounds / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(args.rounds):
        for text, _score in texts:
            tokenize(text)
    baseline = len(texts) * args.rounds / (time.perf_counter() - started)
    print(f"{rate:,.0f} comments/s categorised; {baseline:,.0f} comments/s only tokenised "
          f"(categorising costs {baseline / rate:.1f}x tokenising)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
