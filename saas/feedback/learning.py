"""A categoriser learned from a business's own corrections, and how its guesses join the rules'.

Pure functions over labelled examples (no database): the pipeline's per-tenant model, `flask categorise
--train` and bench/categorise.py all train and predict with this code.

The model: TF-IDF over the comment's lemmas (word unigrams and bigrams) and over its characters (2-5
letters within words, which carries across inflections and languages), then one logistic regression per
category that has enough examples. Whether a category's labels come from the rules, the model or both is
decided per category by cross-validation on the business's corrections (out-of-fold guesses, so no
comment is judged by a model that saw it): the source with the best F1, the rules on a tie. A category
with too few examples stays with the rules.

Tried and left out: the rules' answer as a feature of the model (stacking). On the independent sets it
did no better after 500 corrections (+0.045 against +0.040) and worse after 942 (+0.059 against +0.082)."""
from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from saas.feedback import lemmas
from saas.feedback.categoriser import analyse, tokenize

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

MIN_EXAMPLES = 30  # corrections before a business gets a model (bench/categorise.py's learning curve)
MIN_POSITIVES = 6  # a category needs this many examples, and as many without it, to be learned
FOLDS = 4
THRESHOLD = 0.5
SOURCES = ("rules", "learned", "both")


@dataclass(frozen=True)
class Example:
    text: str
    locale: str | None
    labels: frozenset  # category idents


@dataclass
class CategoryQuality:
    """How each source did on the business's corrections for one category (out-of-fold F1)."""

    source: str  # rules | learned | both: where this category's labels come from
    examples: int
    f1: dict[str, float] = field(default_factory=dict)


@dataclass
class LearnedModel:
    features: FeatureUnion | None
    classifiers: dict  # ident -> LogisticRegression
    quality: dict  # ident -> CategoryQuality
    examples: int

    def probabilities(self, text: str, locale: str | None) -> dict:
        if not self.classifiers:
            return {}
        row = self.features.transform([lemma_text(text, locale)])
        return {ident: float(classifier.predict_proba(row)[0, 1]) for ident, classifier in self.classifiers.items()}

    def combine(self, rule_labels: Sequence, text: str, locale: str | None, order: Sequence) -> list:
        """The categories, in `order`: each from its source (rules, learned or both)."""
        found = set(rule_labels)
        for ident, probability in self.probabilities(text, locale).items():
            source = self.quality[ident].source
            learned = probability >= THRESHOLD
            if source == "learned":
                found.discard(ident)
                if learned:
                    found.add(ident)
            elif source == "both" and learned:
                found.add(ident)
        return [ident for ident in order if ident in found]


def read_examples(lines) -> list[Example]:
    """Labelled examples from JSON lines {"text", "locale", "categories": [...]}; ValueError naming the
    first line that is not one."""
    examples = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text, locale, labels = item["text"], item.get("locale"), item["categories"]
            if not isinstance(text, str) or not isinstance(labels, list) or not isinstance(locale, str | None):
                raise TypeError
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"line {number}: expected {{\"text\", \"locale\", \"categories\": [...]}}") from error
        examples.append(Example(text, locale, frozenset(str(label) for label in labels)))
    return examples


def default_rules_say(example: Example) -> set:
    """What the default taxonomy's rules find in an example (its categories by key)."""
    return set(analyse(example.text, locale=example.locale).categories)


def categories_in(examples: Sequence[Example], known: Sequence) -> tuple:
    """The known categories, then any other the examples name, in a stable order."""
    extra = sorted({label for example in examples for label in example.labels} - set(known))
    return (*known, *extra)


def lemma_text(text: str, locale: str | None) -> str:
    """The comment as the model reads it: its words' likeliest lemmas in its own language."""
    words = tokenize(text or "")
    return " ".join(readings[0] for readings in lemmas.lemmas(words, lemmas.cyrillic_language(words, locale)))


def _features() -> FeatureUnion:
    # scikit-learn is imported when a model is made (or unpickled), not with the app: it costs web and
    # worker processes that never train 2 s at start and ~60 MB.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
        ("letters", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                    max_features=30_000)),
    ])


def _classifier() -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    # The dual problem (more features than examples), to a tolerance that changed no figure of
    # bench/categorise.py: training on 5,000 corrections takes half the time.
    return LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", dual=True, tol=1e-3,
                              max_iter=500)


def learnable(examples: Sequence[Example]) -> list:
    """The categories with enough examples with and without them to learn."""
    counts: dict = {}
    for example in examples:
        for ident in example.labels:
            counts[ident] = counts.get(ident, 0) + 1
    return sorted((ident for ident, count in counts.items()
                   if count >= MIN_POSITIVES and len(examples) - count >= MIN_POSITIVES), key=str)


def fit(examples: Sequence[Example], idents: Sequence, matrix) -> dict:
    """One classifier per category in `idents`, fitted on all the examples (`matrix`: their features)."""
    classifiers = {}
    for ident in idents:
        targets = [ident in example.labels for example in examples]
        classifiers[ident] = _classifier().fit(matrix, targets)
    return classifiers


def train(examples: Sequence[Example], rules: Callable[[Example], set], seed: int = 0) -> LearnedModel:
    """The model a business's corrections make, each category's source chosen by cross-validation."""
    examples = list(examples)
    idents = learnable(examples)
    if not idents:
        return LearnedModel(None, {}, {}, len(examples))
    texts = [lemma_text(example.text, example.locale) for example in examples]
    rule_guesses = [set(rules(example)) for example in examples]
    # The vocabulary and its weights come from every comment's text (no label): the cross-validation's
    # models share them, and only the labels are kept from each fold.
    features = _features()
    matrix = features.fit_transform(texts)
    learned_guesses = _out_of_fold(examples, matrix, idents, seed)
    quality = {}
    for ident in idents:
        truth = [ident in example.labels for example in examples]
        by_rules = [ident in guess for guess in rule_guesses]
        by_model = [ident in guess for guess in learned_guesses]
        f1 = {"rules": f1_score(truth, by_rules), "learned": f1_score(truth, by_model),
              "both": f1_score(truth, [a or b for a, b in zip(by_rules, by_model)])}
        best = max(SOURCES, key=lambda source: (round(f1[source], 6), source == "rules"))
        quality[ident] = CategoryQuality(best, sum(truth), f1)
    return LearnedModel(features, fit(examples, idents, matrix), quality, len(examples))


def _out_of_fold(examples: list[Example], matrix, idents: list, seed: int) -> list[set]:
    """For each example, the categories a model trained on the other folds gives it."""
    guesses = [set() for _ in examples]
    if not idents:
        return guesses
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    for fold in range(FOLDS):
        test = order[fold::FOLDS]
        held = set(test)
        training = [index for index in order if index not in held]
        fold_idents = [ident for ident in idents if ident in learnable([examples[index] for index in training])]
        classifiers = fit([examples[index] for index in training], fold_idents, matrix[training])
        for ident, classifier in classifiers.items():
            for row, probability in zip(test, classifier.predict_proba(matrix[test])[:, 1]):
                if probability >= THRESHOLD:
                    guesses[row].add(ident)
    return guesses


def f1_score(truth: Sequence[bool], guess: Sequence[bool]) -> float:
    hits = sum(t and g for t, g in zip(truth, guess))
    guessed, actual = sum(guess), sum(truth)
    if not hits:
        return 0.0
    precision, recall = hits / guessed, hits / actual
    return 2 * precision * recall / (precision + recall)
