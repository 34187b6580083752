"""What shipped labelled comments add to the app's model, judged on the sets not written from the brief.

    python -m bench.corpus saas/feedback/corpus/written2_*.jsonl
    python -m bench.corpus --gate

Each of the six shipped sets not written from the brief (DEVELOPMENT_SETS) is left out in turn and judged
by the app's model of all the other shipped comments (learning.train_app_model, the rules joined with it,
as a new business's answers are read): once without the files given, once with them. Prints each set's
macro-F1, needs_action accuracy and share of comments about nothing given a category, both ways, and
their means. With --gate, no files: the app's model without its topic gate (learning.GATES only 0.0)
against with it. Takes a few minutes (twelve app models).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

from bench.categorise import _joined
from saas.feedback import learning
from saas.feedback.evaluation import Scores, evaluate, load

DEVELOPMENT_SETS = ("labelled_comments.jsonl", "independent_dev.jsonl", "reviews.jsonl", "development_en_cafe.jsonl",
                    "development_ru_car_service.jsonl", "development_uk_clothes.jsonl")


def app_model_of(learned_from: list[Path], gates: tuple = learning.GATES) -> learning.LearnedModel:
    """The app's model as if the files `learned_from` were the shipped comments, its topic gate chosen of
    `gates`."""
    sets = tuple(learning.examples_in(path) for path in learned_from)
    with mock.patch.object(learning, "shipped_sets", lambda: sets), mock.patch.object(learning, "GATES", gates):
        return learning.train_app_model()


def judged(left_out: str, learned_from: list[Path], gates: tuple = learning.GATES) -> Scores:
    """`left_out` judged by the app's model of the files `learned_from`, its topic gate chosen of `gates`."""
    model = app_model_of(learned_from, gates)
    return evaluate(load(learning.CORPUS / left_out), lambda row: _joined(model, row))


def figures(scores: Scores) -> tuple[float, float, float]:
    return scores.macro_f1, scores.action_accuracy, scores.no_topic_false_positive_rate or 0.0


def shown(figures: tuple | list) -> str:
    f1, action, about_nothing = figures
    return f"{f1:>8.3f} / {action:.3f} / {about_nothing:>3.0%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="labelled comments (JSON lines) to judge the worth of")
    parser.add_argument("--gate", action="store_true", help="judge the topic gate rather than files")
    args = parser.parse_args()
    if args.gate == bool(args.files):
        parser.error("either files or --gate")
    added = [path.resolve() for path in args.files]
    shipped = [path for path in sorted(learning.CORPUS.glob("*.jsonl")) if path.resolve() not in added]
    print(f"{'left out':<34} {'without':>23} {'with':>23}   (macro-F1 / needs_action / about nothing given one)")
    totals = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    for name in DEVELOPMENT_SETS:
        others = [path for path in shipped if path.name != name]
        both = ((judged(name, others, gates=(0.0,)), judged(name, others)) if args.gate
                else (judged(name, others), judged(name, others + added)))
        for total, scores in zip(totals, both):
            for index, figure in enumerate(figures(scores)):
                total[index] += figure / len(DEVELOPMENT_SETS)
        print(f"{name:<34} " + " ".join(shown(figures(scores)) for scores in both))
    print(f"{'mean':<34} " + " ".join(shown(total) for total in totals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
