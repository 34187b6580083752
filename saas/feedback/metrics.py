"""The three key metrics, their scales, bands and standard wording (en/ru/uk via Babel)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from saas.core.enums import LabelledEnum


class Band(LabelledEnum):
    """Where a score falls on its scale; the labels name the customers in it."""

    DETRACTOR = "detractor", _l("Detractors / low")
    PASSIVE = "passive", _l("Passives / middle")
    PROMOTER = "promoter", _l("Promoters / high")


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    low: int
    high: int
    passive_from: int  # first score of the passive band
    promoter_from: int  # first score of the promoter band
    question: object  # lazy string with %(business)s
    low_label: object
    high_label: object

    @property
    def scores(self) -> range:
        return range(self.low, self.high + 1)

    def accepts(self, score: int) -> bool:
        return self.low <= score <= self.high

    def band(self, score: int) -> Band:
        if score >= self.promoter_from:
            return Band.PROMOTER
        if score >= self.passive_from:
            return Band.PASSIVE
        return Band.DETRACTOR

    def band_range(self, band: Band) -> tuple[int, int]:
        return {
            Band.DETRACTOR: (self.low, self.passive_from - 1),
            Band.PASSIVE: (self.passive_from, self.promoter_from - 1),
            Band.PROMOTER: (self.promoter_from, self.high),
        }[band]


METRICS: dict[str, Metric] = {
    metric.key: metric
    for metric in (
        Metric(
            "nps", "NPS", 0, 10, passive_from=7, promoter_from=9,
            question=_l("How likely are you to recommend %(business)s to a friend or colleague?"),
            low_label=_l("Not at all likely"), high_label=_l("Extremely likely"),
        ),
        Metric(
            "csat", "CSAT", 1, 5, passive_from=4, promoter_from=5,
            question=_l("How satisfied were you with %(business)s?"),
            low_label=_l("Very dissatisfied"), high_label=_l("Very satisfied"),
        ),
        Metric(
            "ces", "CES", 1, 7, passive_from=4, promoter_from=6,
            question=_l("How easy was it to get what you needed from %(business)s?"),
            low_label=_l("Very difficult"), high_label=_l("Very easy"),
        ),
    )
}
DEFAULT_METRIC = "nps"

COMMENT_PROMPTS = {
    None: _l("What is the main reason for your score?"),
    Band.DETRACTOR: _l("We are sorry. What went wrong, and what should we fix first?"),
    Band.PASSIVE: _l("Thank you. What would have made it better?"),
    Band.PROMOTER: _l("Wonderful! What did you like most?"),
}


def metric(key: str) -> Metric:
    return METRICS.get(key, METRICS[DEFAULT_METRIC])


def comment_prompt(band: Band | None) -> str:
    return str(COMMENT_PROMPTS[band])
