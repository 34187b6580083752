"""The key metric computed the standard way from a distribution of scores, with its 95% margin of error:

- NPS: % promoters − % detractors (−100…100); margin 1.96·√((p + d − (p − d)²)/n)·100 points;
- CSAT: % of answers 4–5; CES: % of answers 5–7, and the mean; margin 1.96·√(s(1 − s)/n)·100 points.

Pure functions over counts: the numbers come from saas.feedback.stats, never from rows here."""
from __future__ import annotations

import math
from dataclasses import dataclass

from saas.feedback.metrics import METRICS, Band

MIN_ANSWERS = 30  # fewer, and the margin is too wide to say anything
Z95 = 1.96


@dataclass(frozen=True)
class KeyMetric:
    metric: str
    answers: int
    value: float | None  # None without answers
    margin: float | None  # ± points, 95%
    mean: float | None
    bands: dict[Band, int]
    distribution: dict[int, int]

    @property
    def enough(self) -> bool:
        return self.answers >= MIN_ANSWERS


def key_metric(metric_key: str, distribution: dict[int, int]) -> KeyMetric:
    scale = METRICS[metric_key]
    counts = {score: distribution.get(score, 0) for score in scale.scores}
    answers = sum(counts.values())
    bands = {band: 0 for band in Band}
    for score, count in counts.items():
        bands[scale.band(score)] += count
    if answers == 0:
        return KeyMetric(metric_key, 0, None, None, None, bands, counts)
    mean = sum(score * count for score, count in counts.items()) / answers
    if metric_key == "nps":
        promoters, detractors = bands[Band.PROMOTER] / answers, bands[Band.DETRACTOR] / answers
        value = 100 * (promoters - detractors)
        margin = Z95 * math.sqrt(max(0.0, promoters + detractors - (promoters - detractors) ** 2) / answers) * 100
    else:
        good_from = 4 if metric_key == "csat" else 5
        share = sum(count for score, count in counts.items() if score >= good_from) / answers
        value = 100 * share
        margin = Z95 * math.sqrt(share * (1 - share) / answers) * 100
    return KeyMetric(metric_key, answers, value, margin, mean, bands, counts)


def change_is_real(now: KeyMetric, before: KeyMetric) -> bool | None:
    """Whether the change between two periods is larger than the noise of both (None: nothing to compare)."""
    if now.value is None or before.value is None or not (now.enough and before.enough):
        return None
    return abs(now.value - before.value) > math.sqrt(now.margin ** 2 + before.margin ** 2)
