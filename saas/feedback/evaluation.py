"""Scoring the categoriser against labelled comments (tests and bench/categorise.py)."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from saas.feedback.categoriser import analyse
from saas.feedback.taxonomy import CATEGORY_KEYS


@dataclass
class Scores:
    per_category: dict[str, tuple[float, float, float]]  # precision, recall, F1
    macro_f1: float
    reply_accuracy: float
    action_accuracy: float


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(rows: list[dict]) -> Scores:
    hits, false_hits, misses = Counter(), Counter(), Counter()
    replies = actions = 0
    for row in rows:
        analysis = analyse(row["text"], row.get("score"), row.get("metric", "nps"))
        predicted, expected = set(analysis.categories), set(row["categories"])
        hits.update(predicted & expected)
        false_hits.update(predicted - expected)
        misses.update(expected - predicted)
        replies += analysis.needs_reply == row["needs_reply"]
        actions += analysis.needs_action == row["needs_action"]
    per_category = {}
    for key in CATEGORY_KEYS:
        precision = hits[key] / (hits[key] + false_hits[key]) if hits[key] + false_hits[key] else 0.0
        recall = hits[key] / (hits[key] + misses[key]) if hits[key] + misses[key] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_category[key] = (precision, recall, f1)
    macro = sum(f1 for _, _, f1 in per_category.values()) / len(per_category)
    return Scores(per_category, macro, replies / len(rows), actions / len(rows))
