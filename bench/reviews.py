"""The categoriser on public, human-labelled restaurant reviews: SemEval ABSA files of sentences (2015 and
2016 task 5, subtask 1, in any of its languages) and SentiRuEval-2015's Russian reviews, which the app does
not ship (their licences are for research).

    python -m bench.reviews TRAIN.xml [TEST.xml] [--locale en] [--whole-reviews] [--mentions] [--plain]

A sentence's opinion categories read as the app's categories where they mean the same thing: SERVICE#GENERAL
as staff, FOOD# and DRINKS#QUALITY as quality, every #PRICES as price, FOOD# and DRINKS#STYLE_OPTIONS as
assortment, AMBIENCE#GENERAL as cleanliness and comfort (the rest, such as RESTAURANT#GENERAL, as none).
SentiRuEval labels whole reviews with aspects (a term, its place in the text, its category and sentiment):
each review is cut into sentences, and a sentence has the categories of the relevant aspects that start in
it (Service as staff, Food as quality, Price as price, Interior as cleanliness and comfort, Whole as none),
those with an opinion (positive, negative or both) or, with --mentions, every one, neutral ones too.
The figure is the strict macro-F1 over the three categories such data judges best (staff, quality, price),
with the share of the sentences given none of the app's categories that got one anyway. Each set is read
by the rules alone, by the rules with the app's model (a new business), and as `flask categorise --train`
reads after learning from labelled sentences: trained on TRAIN and judging TEST, or without TEST by
5-fold cross-validation, a review's sentences always on the same side. With --plain, also a plain
classifier learned the same way (TF-IDF over 2 to 5 letters within words, one logistic regression per
category): what a simple model of letters reaches on such data, against which --train's figure is judged.
With --whole-reviews, each review is one comment (its sentences' categories together), as a customer's
long answer is read.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from pathlib import Path

from bench.categorise import _joined, example, plain_classifier
from saas.feedback import learned_models, learning
from saas.feedback.evaluation import evaluate, rules_alone

JUDGED = ("staff", "quality", "price")
AS_THE_APP_S = {"SERVICE#GENERAL": "staff", "FOOD#QUALITY": "quality", "DRINKS#QUALITY": "quality",
                "FOOD#PRICES": "price", "DRINKS#PRICES": "price", "RESTAURANT#PRICES": "price",
                "FOOD#STYLE_OPTIONS": "assortment", "DRINKS#STYLE_OPTIONS": "assortment",
                "AMBIENCE#GENERAL": "cleanliness"}
SENTIRUEVAL_AS_THE_APP_S = {"Service": "staff", "Food": "quality", "Price": "price", "Interior": "cleanliness"}
OPINIONS = {"positive", "negative", "both"}
FOLDS = 5
# A sentence ends at . ! ? or … and the spaces after them, or where a capital follows a full stop at once
# ("диваны.Очень"), but not after a common abbreviation followed by a small letter ("т.е. сделали").
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»)]*\s+|(?<=[a-zа-яё][.!?])(?=[A-ZА-ЯЁ])")
ABBREVIATION = re.compile(
    r"\b(?:т\.[епдкч]|др|пр|гг?|руб|р|ул|мин|ч|см|тыс|млн|шт|чел|напр|e\.g|i\.e|etc|vs|mr|mrs|dr)\.$", re.IGNORECASE)


def sentences(path: Path, locale: str, mentions: bool = False) -> list[dict]:
    """The file's sentences as labelled rows (a row's "review" names the review it came from), from a
    SemEval file (those the annotators marked out of scope left out) or a SentiRuEval one (`mentions`: its
    neutral aspects label their sentences too)."""
    root = ElementTree.parse(path).getroot()
    if root.tag == "reviews":
        return _sentirueval_sentences(root, locale, mentions)
    rows = []
    for review in root.iter("Review"):
        for sentence in review.iter("sentence"):
            if sentence.get("OutOfScope") == "TRUE":
                continue
            found = {AS_THE_APP_S.get(opinion.get("category")) for opinion in sentence.iter("Opinion")} - {None}
            rows.append({"text": sentence.findtext("text", ""), "locale": locale, "categories": sorted(found),
                         "review": review.get("rid"), "needs_reply": None, "needs_action": None})
    return rows


def _sentirueval_sentences(root, locale: str, mentions: bool) -> list[dict]:
    rows = []
    for review in root.iter("review"):
        text = review.findtext("text", "")
        aspects = [(int(aspect.get("from")), SENTIRUEVAL_AS_THE_APP_S.get(aspect.get("category")))
                   for aspect in review.iter("aspect")
                   if aspect.get("mark") == "Rel" and (mentions or aspect.get("sentiment") in OPINIONS)]
        for start, end in sentence_spans(text):
            found = {category for at, category in aspects if start <= at < end} - {None}
            rows.append({"text": text[start:end].strip(), "locale": locale, "categories": sorted(found),
                         "review": review.get("id"), "needs_reply": None, "needs_action": None})
    return [row for row in rows if row["text"]]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each of the text's sentences starts and ends (SENTENCE_END)."""
    spans, start = [], 0
    for end in SENTENCE_END.finditer(text):
        if ABBREVIATION.search(text[:end.start()].rstrip('"»)')) and text[end.end():end.end() + 1].islower():
            continue
        spans.append((start, end.start()))
        start = end.end()
    return [*spans, (start, len(text))]


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


def plain_reading(training: list[dict], judged: list[dict]) -> dict[int, object]:
    """A plain classifier's categories (--plain), learned as bench/categorise.py's baseline is, for each
    category with enough examples either way; a category with too few either way, the training's majority
    (whole reviews nearly all speak of the staff)."""
    learnable = learning.learnable([example(row) for row in training])
    letters, models = plain_classifier([row["text"] for row in training],
                                       [frozenset(row["categories"]) for row in training], learnable)
    read = letters.transform([row["text"] for row in judged])
    guesses = {}
    for key in sorted({key for row in training for key in row["categories"]}):
        truth = [key in row["categories"] for row in training]
        guesses[key] = models[key].predict(read) if key in models else [2 * sum(truth) > len(truth)] * len(judged)
    return {id(row): replace(rules_alone(row), categories=[key for key in guesses if guesses[key][index]])
            for index, row in enumerate(judged)}


def by_cross_validation(rows: list[dict], reading=learned_reading) -> dict[int, object]:
    reviews = sorted({row["review"] for row in rows})
    random.Random(0).shuffle(reviews)
    fold_of = {review: number % FOLDS for number, review in enumerate(reviews)}
    read: dict[int, object] = {}
    for fold in range(FOLDS):
        read |= reading([row for row in rows if fold_of[row["review"]] != fold],
                        [row for row in rows if fold_of[row["review"]] == fold])
    return read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("test", type=Path, nargs="?")
    parser.add_argument("--locale", default="en")
    parser.add_argument("--whole-reviews", action="store_true", help="read each review as one comment")
    parser.add_argument("--mentions", action="store_true",
                        help="SentiRuEval: a sentence's categories are those of all its aspects, neutral ones too")
    parser.add_argument("--plain", action="store_true", help="also a plain classifier of letters, learned the same way")
    args = parser.parse_args()
    grouped, unit = (whole_reviews, "reviews") if args.whole_reviews else (list, "sentences")
    training = grouped(sentences(args.train, args.locale, args.mentions))
    judged = grouped(sentences(args.test, args.locale, args.mentions)) if args.test else training
    reviews = "" if args.whole_reviews else f" ({len({row['review'] for row in judged}):,} reviews)"
    print(f"{len(judged):,} {unit} judged{reviews}, "
          f"{sum(not row['categories'] for row in judged):,} of them with none of the app's categories; "
          f"strict macro-F1 over {', '.join(JUDGED)}:")
    report("rules alone", judged)
    app = learned_models.app_model()
    report("rules and the app's model (a new business)", judged, lambda row: _joined(app, row))
    how = (f"trained on the {len(training):,} {unit} of {args.train.name}" if args.test
           else f"by {FOLDS}-fold cross-validation, a review's sentences on one side")
    readings = [("as --train", learned_reading)] + [("a plain classifier of letters", plain_reading)] * args.plain
    for name, reading in readings:
        read = reading(training, judged) if args.test else by_cross_validation(training, reading)
        report(f"{name}, {how}", judged, lambda row: read[id(row)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
