"""A categoriser learned from a business's own corrections, and how its guesses join the rules'.

Pure functions over labelled examples (no database): the pipeline's per-tenant model, `flask categorise
--train` and bench/categorise.py all train and predict with this code.

The model: TF-IDF over the comment's lemmas (word unigrams and bigrams) and over its characters (2-5
letters within words, which carries across inflections and languages), then one logistic regression per
category that has enough examples. It learns from the business's corrections and from the labelled
comments shipped with the app (corpus(), labelled with the business's own default categories), a
correction counting OWN_WEIGHT times.

How the model joins the rules, per category: the model's probability must reach one threshold where the
rules find the category and another where they do not. (0, never) is the rules alone; two equal ones the
model alone; anything else both: the model confirming the rules, adding to them, or each where it is
surer. The pair is the one with the best F1 on the business's corrections by cross-validation
(out-of-fold probabilities, so no comment is judged by a model that saw it; the shipped comments are
always on the training side); of equally good ones, the simplest (JOINS). A category with fewer than
MIN_POSITIVES corrections of its own stays with the rules. Replaying three development businesses'
comments as corrections (corpus/development_*.jsonl, bench/categorise.py), before they shipped, this join
gained +0.085 macro-F1 over the rules on average over 50 to 440 corrections, against +0.064 for the
earlier choice of one of the rules, the model at even odds or their union; it gained more on each of the
three businesses.

Tried and left out: the rules' answer as a feature of the model (stacking). On the independent sets it
did no better after 500 corrections (+0.045 against +0.040) and worse after 942 (+0.059 against +0.082)."""
from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from saas.feedback import lemmas
from saas.feedback.categoriser import analyse, tokenize

if TYPE_CHECKING:
    import numpy
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

MIN_EXAMPLES = 30  # corrections before a business gets a model: until then its rules alone decide
OWN_WEIGHT = 3.0  # one of the business's own corrections counts as three of the shipped comments
CORPUS = Path(__file__).parent / "corpus"  # the project's own labelled comments (tests/data/README.md)
MIN_POSITIVES = 6  # a category needs this many examples, and as many without it, to be learned
FOLDS = 4
FEWER_FOLDS_FROM = 2_000  # corrections from which three folds judge a source as steadily as four (and train faster)
NEVER = 1.01  # a threshold no probability reaches
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, NEVER)
RULES_ALONE = (0.0, NEVER)  # (where the rules find the category, where they do not)
# The joins tried after the rules alone, the first of equally good ones kept: the model alone, then both,
# each nearest the model's own even odds first (the thresholds that tie on the corrections, the one that
# leaves the widest margin on either side).
JOINS = sorted(((found, not_found) for found in THRESHOLDS for not_found in THRESHOLDS
                if found <= not_found and (found, not_found) not in (RULES_ALONE, (NEVER, NEVER))),
               key=lambda join: (join[0] != join[1], round(abs(join[0] - 0.5) + abs(join[1] - 0.5), 6)))
# How models stored before the thresholds joined the rules: their source at 0.5.
THRESHOLDS_OF_SOURCE = {"rules": RULES_ALONE, "learned": (0.5, 0.5), "both": (0.0, 0.5)}


@dataclass(frozen=True)
class Example:
    text: str
    locale: str | None
    labels: frozenset  # category idents


@dataclass
class CategoryQuality:
    """How one category joins the rules, and how each source did on the business's corrections (the
    out-of-fold F1 of the rules, of the model alone and of both, each at its best thresholds)."""

    thresholds: tuple[float, float]  # the model's probability needed where the rules find it, and where not
    examples: int
    f1: dict[str, float] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """rules | learned | both: where this category's labels come from."""
        if self.thresholds == RULES_ALONE:
            return "rules"
        return "learned" if self.thresholds[0] == self.thresholds[1] else "both"

    def decides(self, probability: float, by_rules: bool) -> bool:
        return probability >= self.thresholds[0 if by_rules else 1]

    def __setstate__(self, state: dict) -> None:
        if "thresholds" not in state:  # stored before the thresholds: its source at 0.5
            state = {**state, "thresholds": THRESHOLDS_OF_SOURCE[state.pop("source")]}
        self.__dict__.update(state)


@dataclass
class LearnedModel:
    """The vocabularies, and each category's logistic regression stacked as one column of `coefficients`:
    one product gives every category's probability (half the time of asking each classifier)."""

    features: FeatureUnion | None
    idents: list  # the categories with a model, in the columns' order
    coefficients: numpy.ndarray | None  # features x categories, float32
    intercepts: numpy.ndarray | None
    quality: dict  # ident -> CategoryQuality
    examples: int

    def probabilities(self, text: str, locale: str | None) -> dict:
        if not self.idents:
            return {}
        from scipy.sparse import hstack

        document = [lemma_text(text, locale)]  # what FeatureUnion.transform does, without its parallel machinery
        row = hstack([vectorizer.transform(document) for _name, vectorizer in self.features.transformer_list])
        return dict(zip(self.idents, _logistic(row.tocsr(), self.coefficients, self.intercepts)[0].tolist()))

    def __setstate__(self, state: dict) -> None:
        if "classifiers" in state:  # stored before the classifiers were stacked
            state = {**state, **_stacked(state.pop("classifiers"))}
        self.__dict__.update(state)

    def combine(self, rule_labels: Sequence, text: str, locale: str | None, order: Sequence) -> list:
        """The categories, in `order`: the rules' where they have no model, each model's join elsewhere."""
        by_rules = set(rule_labels)
        probabilities = self.probabilities(text, locale)
        found = {ident for ident in by_rules if ident not in probabilities}
        found |= {ident for ident, probability in probabilities.items()
                  if self.quality[ident].decides(probability, ident in by_rules)}
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
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, max_features=30_000)),
        ("letters", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                    max_features=30_000)),
    ])


def _classifier() -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    # The dual problem (more features than examples), to a tolerance that changed no figure of
    # bench/categorise.py: training on 5,000 corrections takes half the time.
    return LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", dual=True, tol=1e-3,
                              max_iter=500)


@lru_cache(maxsize=1)
def corpus() -> tuple[Example, ...]:
    """The labelled comments shipped with the app, labelled with the default categories' keys (as `flask
    categorise` and the bench name categories; a business's own ids: corpus_for)."""
    examples = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            examples.extend(read_examples(lines))
    return tuple(examples)


def corpus_for(idents_by_key: dict) -> list[Example]:
    """The shipped comments labelled with a business's own categories (a default category's key -> its
    ident); the labels of default categories the business no longer has are dropped."""
    return [Example(example.text, example.locale,
                    frozenset(idents_by_key[key] for key in example.labels if key in idents_by_key))
            for example in corpus()]


def learnable(examples: Sequence[Example]) -> list:
    """The categories with enough examples with and without them to learn."""
    counts: dict = {}
    for example in examples:
        for ident in example.labels:
            counts[ident] = counts.get(ident, 0) + 1
    return sorted((ident for ident, count in counts.items()
                   if count >= MIN_POSITIVES and len(examples) - count >= MIN_POSITIVES), key=str)


def fit(examples: Sequence[Example], idents: Sequence, matrix, weights) -> dict:
    """One classifier per category in `idents`, fitted on all the examples (`matrix`: their features,
    `weights`: how much each counts), stacked (_stacked)."""
    classifiers = {}
    for ident in idents:
        targets = [ident in example.labels for example in examples]
        classifiers[ident] = _classifier().fit(matrix, targets, sample_weight=weights)
    return _stacked(classifiers)


def _stacked(classifiers: dict) -> dict:
    """Binary logistic regressions as the columns of one matrix (float32: half the stored model, the same
    answers) and their intercepts."""
    import numpy

    idents = list(classifiers)
    if not idents:
        return {"idents": [], "coefficients": None, "intercepts": None}
    return {"idents": idents,
            "coefficients": numpy.vstack([classifiers[ident].coef_[0] for ident in idents]).T.astype("float32"),
            "intercepts": numpy.array([classifiers[ident].intercept_[0] for ident in idents])}


def _logistic(matrix, coefficients, intercepts):
    """Each row's probability of each stacked category (what each classifier's predict_proba gives)."""
    import numpy

    decisions = numpy.asarray(matrix @ coefficients) + intercepts
    return 1.0 / (1.0 + numpy.exp(-decisions))


def train(examples: Sequence[Example], rules: Callable[[Example], set], seed: int = 0,
          prior: Sequence[Example] = ()) -> LearnedModel:
    """The model a business's corrections make, each category's source chosen by cross-validation on them.
    `prior`: labelled comments learned from as well (corpus_for), each counting 1/OWN_WEIGHT of a
    correction, never judged; one the business corrected itself is its correction only."""
    import numpy

    examples = list(examples)
    own_texts = {example.text for example in examples}
    prior = [example for example in prior if example.text not in own_texts]  # never a comment on both sides
    everything = examples + prior
    idents = learnable(everything)
    if not idents:
        return LearnedModel(None, [], None, None, {}, len(examples))
    texts = [lemma_text(example.text, example.locale) for example in everything]
    rule_guesses = [set(rules(example)) for example in examples]
    weights = numpy.array([OWN_WEIGHT] * len(examples) + [1.0] * len(prior))
    # The vocabulary and its weights come from every comment's text (no label): the cross-validation's
    # models share them, and only the labels are kept from each fold.
    features = _features()
    matrix = features.fit_transform(texts)
    for _name, vectorizer in features.transformer_list:
        vectorizer.stop_words_ = None  # the words left out, kept only for introspection: most of a pickle
    probabilities = _out_of_fold(everything, len(examples), matrix, weights, idents, seed)
    quality = {ident: _join_of(ident, examples, rule_guesses, probabilities[ident]) for ident in idents}
    return LearnedModel(features, **fit(everything, idents, matrix, weights), quality=quality, examples=len(examples))


def _join_of(ident, examples: list[Example], rule_guesses: list[set], probabilities) -> CategoryQuality:
    """The join with the best F1 on the business's corrections (the simplest on a tie, the rules alone with
    fewer than MIN_POSITIVES corrections of the category to judge by), and each source's best F1."""
    import numpy

    truth = numpy.array([ident in example.labels for example in examples])
    by_rules = numpy.array([ident in guess for guess in rule_guesses], dtype=bool)
    f1 = {"rules": _f1(truth, by_rules), "learned": 0.0, "both": 0.0}
    best, best_f1 = RULES_ALONE, f1["rules"]
    for found, not_found in JOINS:
        score = _f1(truth, numpy.where(by_rules, probabilities >= found, probabilities >= not_found))
        source = "learned" if found == not_found else "both"
        f1[source] = max(f1[source], score)
        if score > best_f1 + 1e-9:
            best, best_f1 = (found, not_found), score
    return CategoryQuality(best if truth.sum() >= MIN_POSITIVES else RULES_ALONE, int(truth.sum()), f1)


def _f1(truth, guess) -> float:
    hits = int((truth & guess).sum())
    return 2 * hits / (int(truth.sum()) + int(guess.sum())) if hits else 0.0


def _out_of_fold(everything: list[Example], own: int, matrix, weights, idents: list, seed: int) -> dict:
    """For each category, the probability a model trained on the other folds and on all the rest (the
    prior) gives each of the first `own` examples (the business's)."""
    import numpy

    probabilities = {ident: numpy.zeros(own) for ident in idents}
    order = list(range(own))
    random.Random(seed).shuffle(order)
    folds = FOLDS if own < FEWER_FOLDS_FROM else FOLDS - 1
    for fold in range(folds):
        test = order[fold::folds]
        held = set(test)
        training = [index for index in range(len(everything)) if index not in held]
        fold_idents = [ident for ident in idents if ident in learnable([everything[index] for index in training])]
        stacked = fit([everything[index] for index in training], fold_idents, matrix[training], weights[training])
        if stacked["idents"]:
            guessed = _logistic(matrix[test], stacked["coefficients"], stacked["intercepts"])
            for column, ident in enumerate(stacked["idents"]):
                probabilities[ident][test] = guessed[:, column]
    return probabilities
