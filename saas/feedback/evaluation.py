"""Scoring a categoriser against labelled comments (tests and bench/categorise.py): per category, per
language, the macro-F1, the two decisions, and how often a comment about nothing in particular is given a
category anyway; and how far a set's macro-F1 and "needs an action" could be from the same reading of
other comments of its kind (intervals)."""
from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from saas.feedback.categoriser import Analysis, analyse
from saas.feedback.taxonomy import CATEGORY_KEYS


@dataclass
class Scores:
    per_category: dict[str, tuple[float, float, float]]  # precision, recall, F1
    macro_f1: float
    reply_accuracy: float
    action_accuracy: float
    per_locale: dict[str, float]  # macro-F1 of each language's comments
    no_topic_false_positive_rate: float | None  # comments labelled with no category that got one
    count: int


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rules_alone(row: dict) -> Analysis:
    return analyse(row["text"], row.get("score"), row.get("metric", "nps"), locale=row.get("locale"))


def evaluate(rows: list[dict], read: Callable[[dict], Analysis] = rules_alone) -> Scores:
    return scored(rows, [read(row) for row in rows])


def scored(rows: list[dict], analyses: list[Analysis]) -> Scores:
    """The scores of `analyses`, each the reading of the row at its place."""
    per_category, macro = _f1(rows, [set(analysis.categories) for analysis in analyses])
    per_locale = {}
    for locale in sorted({row["locale"] for row in rows}):
        picked = [(row, set(analysis.categories)) for row, analysis in zip(rows, analyses) if row["locale"] == locale]
        per_locale[locale] = _f1([row for row, _ in picked], [found for _, found in picked])[1]
    no_topic = [bool(analysis.categories) for row, analysis in zip(rows, analyses) if not row["categories"]]
    return Scores(
        per_category, macro,
        sum(analysis.needs_reply == row["needs_reply"] for row, analysis in zip(rows, analyses)) / len(rows),
        sum(analysis.needs_action == row["needs_action"] for row, analysis in zip(rows, analyses)) / len(rows),
        per_locale, sum(no_topic) / len(no_topic) if no_topic else None, len(rows))


@dataclass(frozen=True)
class Intervals:
    """Where a set's scores would lie, 19 times in 20, had other comments of its kind been labelled: the
    2.5th and 97.5th percentiles over sets drawn from it with replacement (a bootstrap)."""

    macro_f1: tuple[float, float]
    action_accuracy: tuple[float, float]


def intervals(rows: list[dict], analyses: list[Analysis], rounds: int = 1000, seed: int = 0) -> Intervals:
    found = [set(analysis.categories) for analysis in analyses]
    right = [analysis.needs_action == row["needs_action"] for row, analysis in zip(rows, analyses)]
    draw, macro, action = random.Random(seed), [], []
    for _ in range(rounds):
        drawn = [draw.randrange(len(rows)) for _ in rows]
        macro.append(_f1([rows[index] for index in drawn], [found[index] for index in drawn])[1])
        action.append(sum(right[index] for index in drawn) / len(drawn))
    return Intervals(_middle_95(macro), _middle_95(action))


def _middle_95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[int(0.025 * len(ordered))], ordered[int(0.975 * len(ordered)) - 1]


def _f1(rows: list[dict], predictions: list[set]) -> tuple[dict, float]:
    hits, false_hits, misses = Counter(), Counter(), Counter()
    for row, predicted in zip(rows, predictions):
        expected = set(row["categories"])
        hits.update(predicted & expected)
        false_hits.update(predicted - expected)
        misses.update(expected - predicted)
    per_category = {}
    for key in CATEGORY_KEYS:
        precision = hits[key] / (hits[key] + false_hits[key]) if hits[key] + false_hits[key] else 0.0
        recall = hits[key] / (hits[key] + misses[key]) if hits[key] + misses[key] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_category[key] = (precision, recall, f1)
    present = [key for key in CATEGORY_KEYS if hits[key] + misses[key] + false_hits[key]]
    return per_category, sum(per_category[key][2] for key in present) / max(1, len(present))
