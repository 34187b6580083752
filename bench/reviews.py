"""The categoriser on public, human-labelled restaurant reviews: SemEval ABSA files of sentences (2015 and
2016 task 5, subtask 1, in any of its languages), which the app does not ship (their licences are for research).

    python -m bench.reviews TRAIN.xml [TEST.xml] [--locale en]

A sentence's opinion categories read as the app's categories where they mean the same thing: SERVICE#GENERAL
as staff, FOOD# and DRINKS#QUALITY as quality, every #PRICES as price, FOOD# and DRINKS#STYLE_OPTIONS as
assortment, AMBIENCE#GENERAL as cleanliness and comfort (the rest, such as RESTAURANT#GENERAL, as none).
The figure is the strict macro-F1 over the three categories such data judges best (staff, quality, price),
with the share of the sentences given none of the app's categories that got one anyway. Each set is read
by the rules alone, by the rules with the app's model (a new business), and as `flask categorise --train`
reads after learning from labelled sentences: trained on TRAIN and judging TEST, or without TEST by
5-fold cross-validation, a review's sentences always on the same side. With --whole-reviews, each review
is one comment (its sentences' categories together), as a customer's long answer is read.
"""
from __future__ import annotations

import argparse
import random
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from bench.categorise import _joined, example
from saas.feedback import learned_models
from saas.feedback.evaluation import evaluate, rules_alone

JUDGED = ("staff", "quality", "price")
AS_THE_APP_S = {"SERVICE#GENERAL": "staff", "FOOD#QUALITY": "quality", "DRINKS#QUALITY": "quality",
                "FOOD#PRICES": "price", "DRINKS#PRICES": "price", "RESTAURANT#PRICES": "price",
                "FOOD#STYLE_OPTIONS": "assortment", "DRINKS#STYLE_OPTIONS": "assortment",
                "AMBIENCE#GENERAL": "cleanliness"}
FOLDS = 5


def sentences(path: Path, locale: str) -> list[dict]:
    """The file's sentences as labelled rows (a row's "review" names the review it came from); those the
    annotators marked out of scope are left out."""
    rows = []
    for review in ElementTree.parse(path).getroot().iter("Review"):
        for sentence in review.iter("sentence"):
            if sentence.get("OutOfScope") == "TRUE":
                continue
            found = {AS_THE_APP_S.get(opinion.get("category")) for opinion in sentence.iter("Opinion")} - {None}
            rows.append({"text": sentence.findtext("text", ""), "locale": locale, "categories": sorted(found),
                         "review": review.get("rid"), "needs_reply": None, "needs_action": None})
    return rows


def whole_reviews(rows: list[dict]) -> list[dict]:
    """Each review's sentences as one comment, labelled with all their categories."""
    reviews: dict[str, dict] = {}
    for row in rows:
        review = reviews.setdefault(row["review"], {**row, "text": "", "categories": []})
        review["text"] = f"{review['text']} {row['text']}".strip()
        review["categories"] = sorted({*review["categories"], *row["categories"]})
    return list(reviews.values())


def report(name: str, rows: list[dict], read=rules_alone) -> None:
    scores = evaluate(rows, read)
    figures = "  ".join(f"{key} {scores.per_category[key][2]:.2f}" for key in JUDGED)
    about_none = scores.no_topic_false_positive_rate
    print(f"  {name}: {sum(scores.per_category[key][2] for key in JUDGED) / len(JUDGED):.3f} ({figures}); "
          f"those labelled with none of the app's categories given one: "
          f"{'(none such)' if about_none is None else f'{about_none:.0%}'}")


def learned_reading(training: list[dict], judged: list[dict]) -> dict[int, object]:
    model = learned_models.train_by_key([example(row) for row in training])
    return {id(row): _joined(model, row) for row in judged}


def by_cross_validation(rows: list[dict]) -> dict[int, object]:
    reviews = sorted({row["review"] for row in rows})
    random.Random(0).shuffle(reviews)
    fold_of = {review: number % FOLDS for number, review in enumerate(reviews)}
    read: dict[int, object] = {}
    for fold in range(FOLDS):
        read |= learned_reading([row for row in rows if fold_of[row["review"]] != fold],
                                [row for row in rows if fold_of[row["review"]] == fold])
    return read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("test", type=Path, nargs="?")
    parser.add_argument("--locale", default="en")
    parser.add_argument("--whole-reviews", action="store_true", help="read each review as one comment")
    args = parser.parse_args()
    grouped, unit = (whole_reviews, "reviews") if args.whole_reviews else (list, "sentences")
    training = grouped(sentences(args.train, args.locale))
    judged = grouped(sentences(args.test, args.locale)) if args.test else training
    reviews = "" if args.whole_reviews else f" ({len({row['review'] for row in judged}):,} reviews)"
    print(f"{len(judged):,} {unit} judged{reviews}, "
          f"{sum(not row['categories'] for row in judged):,} of them with none of the app's categories; "
          f"strict macro-F1 over {', '.join(JUDGED)}:")
    report("rules alone", judged)
    app = learned_models.app_model()
    report("rules and the app's model (a new business)", judged, lambda row: _joined(app, row))
    learned = learned_reading(training, judged) if args.test else by_cross_validation(training)
    how = (f"trained on the {len(training):,} {unit} of {args.train.name}" if args.test
           else f"by {FOLDS}-fold cross-validation, a review's sentences on one side")
    report(f"as --train, {how}", judged, lambda row: learned[id(row)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
