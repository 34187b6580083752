"""How far a second reader labelling the same comments agrees with the first: a yardstick for the
categoriser's figures.

    python -m bench.agreement

Each development set that has a second opinion (tests/data/second_opinion/: the same comments labelled
again by another reader, an AI model, who saw neither the set's labels nor the keywords; tests/data/README.md)
is scored as the categoriser is (saas.feedback.evaluation), the first labels taken as the truth, three ways:
the second reader's labels; the rules alone; the rules joined with the app's model of the other shipped
sets (a business the model never saw, as bench/corpus.py judges). Then "needs an action" on the comments the
two readers decided alike, and each category's F1 the three ways. Takes a few minutes (an app model a set).
"""
from __future__ import annotations

from pathlib import Path

from bench.categorise import _joined
from bench.common import ROOT
from bench.corpus import app_model_of
from saas.feedback import learning
from saas.feedback.categoriser import Analysis
from saas.feedback.evaluation import Scores, evaluate, load, rules_alone
from saas.feedback.taxonomy import CATEGORY_KEYS

SECOND_OPINIONS = ROOT / "tests" / "data" / "second_opinion"


def comment_key(row: dict) -> tuple:
    return row["text"], row["locale"], row.get("score")


def labelled_again(path: Path) -> dict[tuple, Analysis]:
    """The second reader's labels of each comment, as the categoriser's answer would be."""
    return {comment_key(row): Analysis(categories=list(row["categories"]), needs_reply=row["needs_reply"],
                                       needs_action=row["needs_action"]) for row in load(path)}


def row_of_figures(name: str, scores: Scores) -> str:
    about_nothing = scores.no_topic_false_positive_rate
    return (f"  {name:<26} {scores.macro_f1:8.3f} {scores.reply_accuracy:11.3f} {scores.action_accuracy:12.3f} "
            f"{'' if about_nothing is None else f'{about_nothing:.0%}':>10}")


def compare(first: Path, second: Path) -> None:
    rows = load(first)
    again = labelled_again(second)
    missing = [row["text"] for row in rows if comment_key(row) not in again]
    if missing:
        raise SystemExit(f"{second} lacks {len(missing)} of {first.name}'s comments, e.g. {missing[0]!r}")
    model = app_model_of([path for path in sorted(learning.CORPUS.glob("*.jsonl")) if path.name != first.name])
    readers = {"second reader": lambda row: again[comment_key(row)], "rules alone": rules_alone,
               "rules + app's model": lambda row: _joined(model, row)}
    answers = {name: [read(row) for row in rows] for name, read in readers.items()}
    print(f"\n{first.name}: {len(rows)} comments; the first labels taken as the truth")
    print(f"  {'labels by':<26} {'macro-F1':>8} {'needs_reply':>11} {'needs_action':>12} {'about none':>10}")
    scores = {name: _scored(rows, found) for name, found in answers.items()}
    for name, each in scores.items():
        print(row_of_figures(name, each))
    alike = [index for index, (row, other) in enumerate(zip(rows, answers["second reader"]))
             if row["needs_action"] == other.needs_action]
    print(f"  needs_action on the {len(alike)} comments both readers decided alike: " + ", ".join(
        f"{name} {sum(found[index].needs_action == rows[index]['needs_action'] for index in alike) / len(alike):.3f}"
        for name, found in answers.items() if name != "second reader"))
    print(f"  {'F1 by category':<26} " + " ".join(f"{name[:12]:>12}" for name in scores))
    for key in CATEGORY_KEYS:
        print(f"  {key:<26} " + " ".join(f"{each.per_category[key][2]:12.2f}" for each in scores.values()))


def _scored(rows: list[dict], answers: list[Analysis]) -> Scores:
    by_key = {comment_key(row): answer for row, answer in zip(rows, answers)}
    return evaluate(rows, lambda row: by_key[comment_key(row)])


def main() -> int:
    for second in sorted(SECOND_OPINIONS.glob("*.jsonl")):
        compare(learning.CORPUS / second.name, second)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
