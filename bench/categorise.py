"""The categoriser's quality and speed on the labelled comments.

    python -m bench.categorise [--rounds 20]

For each labelled set (tests/data/README.md says who wrote which and what each may be used for):
precision, recall and F1 per category, the macro-F1 overall and per language, the accuracy of the two
decisions (needs a reply, needs an action), and the share of comments about nothing in particular that
were given a category anyway. Then comments per second: the sets read `--rounds` times after a warm-up,
against a baseline that only tokenises the same texts.

The app's own model (learning.train_app_model), which joins the rules for every business until it has a
model of its own: how each category joins the rules, each one's F1 with every shipped set judged by a
model of the others (a business the model never saw), and the judging-only sets read by the rules joined
with it, as a new business's answers are, each with the span its macro-F1 and needs_action would take on 19
sets in 20 of its kind (a bootstrap: the held-out set's 150 comments place the rules alone anywhere from 0.76
to 0.86).

The learned categoriser (saas.feedback.learning), as a business gets it: the learning curve of three
businesses, each one's comments in the order they came over two years (written by people who never saw
the keywords): its first 50, 100, 200, 500 as its corrections, the model joined with the rules judged on
its last 160, against the rules alone (and the rules with the app's model), and against a model learned
from its corrections alone, without the shipped comments; the same for three other businesses' comments, on which the way the model joins
the rules was chosen; the held-out comments by cross-validation (a comment and its translations always
on the same side); the independent and the reviews test sets judged by the rules joined with a model
learned from the other businesses' comments, as `flask categorise --train` would; and the time to train
on 5,000 corrections (the median of three runs; and the first in a process, which also counts the shipped
comments: learning.shipped_counts), against a plain classifier of letters fitted on the same
comments in the same process (the figure to compare between machines).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench.common import ROOT
from saas.feedback import learned_models, learning
from saas.feedback.categoriser import analyse, tokenize
from saas.feedback.evaluation import evaluate, intervals, load, rules_alone, scored
from saas.feedback.taxonomy import CATEGORY_KEYS

DATA = ROOT / "tests" / "data"
SETS = {"development": learning.CORPUS / "labelled_comments.jsonl", "held out": DATA / "heldout_comments.jsonl",
        "independent, development": learning.CORPUS / "independent_dev.jsonl",
        "independent, test": DATA / "independent_test.jsonl", "reviews, development": learning.CORPUS / "reviews.jsonl",
        "reviews, test": DATA / "reviews_test.jsonl", "written from the brief, development": learning.CORPUS / "written*"}


def report(name: str, rows: list[dict]) -> None:
    scores = evaluate(rows)
    print(f"\n{name}: {scores.count} labelled comments")
    print(f"{'category':<15} {'precision':>9} {'recall':>7} {'F1':>6}")
    for key, (precision, recall, f1) in scores.per_category.items():
        print(f"{key:<15} {precision:9.2f} {recall:7.2f} {f1:6.2f}")
    locales = "  ".join(f"{locale} {f1:.3f}" for locale, f1 in scores.per_locale.items())
    print(f"macro-F1 {scores.macro_f1:.3f} ({locales})   needs_reply accuracy {scores.reply_accuracy:.3f}   "
          f"needs_action accuracy {scores.action_accuracy:.3f}")
    if scores.no_topic_false_positive_rate is not None:
        print(f"comments about no topic given one anyway: {scores.no_topic_false_positive_rate:.0%}")


def example(row: dict) -> learning.Example:
    return learning.Example(row["text"], row["locale"], frozenset(row["categories"]), row.get("score"),
                            row.get("metric", "nps"), row.get("needs_action"))


def decided(rows: list[dict]) -> list[learning.Example]:
    """What a business learns "needs an action" from: the answers the rules made a task of (a person
    corrects the decision there, or closes the task as it stands)."""
    return learning.tasks_among([example(row) for row in rows])


BUSINESSES = ("business_uk_pizza.jsonl", "business_en_salon.jsonl", "business_ru_electronics.jsonl")
DEVELOPMENT = ("development_en_cafe.jsonl", "development_ru_car_service.jsonl", "development_uk_clothes.jsonl")
JUDGED_LAST = 160  # each business's last comments: never trained on


def app_model_report(sets: dict[str, list[dict]]) -> None:
    """How the app's model joins the rules, and what the rules joined with it make of the sets it never
    learned from: a new business's answers."""
    app = learned_models.app_model()
    print(f"\nthe app's model, from the {app.examples:,} shipped comments; each category's join "
          "(where the rules find it, where not) and F1 with each shipped set judged by a model of the others:")
    for key, quality in app.quality.items():
        print(f"  {key:<14} {quality.thresholds}  rules {quality.f1['rules']:.3f}, joined "
              f"{max(quality.f1.values()):.3f}")
    mean = sum(max(quality.f1.values()) for quality in app.quality.values()) / len(app.quality)
    rules = sum(quality.f1["rules"] for quality in app.quality.values()) / len(app.quality)
    print(f"  macro-F1 rules {rules:.3f}, joined {mean:.3f}")
    print(f"  needs_action {app.action.thresholds}: right on the {app.action.examples:,} the rules make a task of, "
          f"rules {app.action.accuracy['rules']:.3f}, joined {max(app.action.accuracy.values()):.3f}")
    print(f"  topic gate {app.gate()}: no category it knows for a comment less likely than that to speak of any")
    print("a new business's answers, the rules joined with it, on the sets it never learned from:")
    for name, rows in sets.items():
        by_rules, by_both = [rules_alone(row) for row in rows], [_joined(app, row) for row in rows]
        alone, joined = scored(rows, by_rules), scored(rows, by_both)
        locales = "  ".join(f"{locale} {f1:.3f}" for locale, f1 in joined.per_locale.items())
        print(f"  {name}: {joined.macro_f1:.3f} ({locales}), rules alone {alone.macro_f1:.3f}; comments about no "
              f"topic given one {joined.no_topic_false_positive_rate:.0%}, rules alone "
              f"{alone.no_topic_false_positive_rate:.0%}; needs_action {joined.action_accuracy:.3f}, rules alone "
              f"{alone.action_accuracy:.3f}")
        alone, joined = intervals(rows, by_rules), intervals(rows, by_both)
        print(f"    19 sets in 20 of its kind (a bootstrap of its {len(rows):,}): macro-F1 {_span(joined.macro_f1)}, "
              f"rules alone {_span(alone.macro_f1)}; needs_action {_span(joined.action_accuracy)}, rules alone "
              f"{_span(alone.action_accuracy)}")


def _span(interval: tuple[float, float]) -> str:
    return f"{interval[0]:.3f} to {interval[1]:.3f}"


def one_business_curves() -> None:
    """Each business's first comments replayed as its corrections, judged on its last JUDGED_LAST."""
    print(f"\nthree businesses: the first comments as corrections, judged on the last {JUDGED_LAST}; "
          "the model with the shipped comments [and from the corrections alone]")
    for filename in BUSINESSES:
        rows = load(DATA / filename)
        print(_curve(filename, rows, (50, 100, 200, 500), alone=True, with_app_model=True))


def development_curves() -> None:
    """The same for the three businesses the way the model joins the rules was chosen on. They ship with
    the app: each business's own comments are left out of the shipped comments it learns from."""
    print("\nthree development businesses (how the model joins the rules was chosen on these), the same way, "
          "each left out of the shipped comments")
    for filename in DEVELOPMENT:
        rows = load(learning.CORPUS / filename)
        own = {row["text"] for row in rows}
        others = [shipped for shipped in learning.corpus() if shipped.text not in own]
        print(_curve(filename, rows, (50, 100, 200, len(rows) - JUDGED_LAST), alone=False, prior=others))


def _curve(name: str, rows: list[dict], counts: tuple, alone: bool, prior=None, with_app_model=False) -> str:
    """The business's model after each count of corrections, learned as the app learns it (a category with
    too few of them joins the rules as the app's model does); the app's model, with the rules alone, is
    its baseline where it never learned from the business's comments."""
    test, history = rows[-JUDGED_LAST:], rows[:-JUDGED_LAST]
    rules = evaluate(test)
    figures = []
    for count in [n for n in counts if n <= len(history)]:
        corrections = [example(row) for row in history[:count]]
        model = learned_models.train_by_key(corrections, prior)
        pooled = evaluate(test, lambda row: _joined(model, row))
        figure = (f"{count}: {pooled.macro_f1:.3f} ({pooled.macro_f1 - rules.macro_f1:+.3f}"
                  f"{_alone(corrections, test, rules) if alone else ''}), "
                  f"action {pooled.action_accuracy:.3f} ({pooled.action_accuracy - rules.action_accuracy:+.3f})")
        figures.append(figure)
    app = learned_models.app_model()
    baseline = f", with the app's model {evaluate(test, lambda row: _joined(app, row)).macro_f1:.3f}" \
        if with_app_model else ""
    return (f"{name:<34} rules {rules.macro_f1:.3f}{baseline}, action {rules.action_accuracy:.3f}; after\n    "
            + "\n    ".join(figures))


def _alone(corrections: list[learning.Example], test: list[dict], rules) -> str:
    """The gain of a model of the corrections alone, without the shipped comments."""
    by_itself = learning.train(corrections)
    return f" [{evaluate(test, lambda row: _joined(by_itself, row)).macro_f1 - rules.macro_f1:+.3f}]"


def _joined(model: learning.LearnedModel, row: dict):
    analysis = rules_alone(row)
    model.revise(analysis, row["text"], CATEGORY_KEYS, row.get("score"), row.get("metric", "nps"))
    return analysis


def held_out_cross_validation(test: list[dict], folds: int = 5) -> None:
    """The held-out comments in five folds, a comment and its translations always in the same fold (the set
    is 50 comments written in each language, in the same order): each fold judged by a model trained on the
    other folds as a business's corrections, with the shipped comments."""
    positions: dict[str, int] = {}
    groups = []
    for row in test:
        groups.append(positions.get(row["locale"], 0))
        positions[row["locale"]] = groups[-1] + 1
    joined: dict[int, object] = {}
    for fold in range(folds):
        training = [row for row, group in zip(test, groups) if group % folds != fold]
        model = learned_models.train_by_key([example(row) for row in training])
        for row, group in zip(test, groups):
            if group % folds == fold:
                joined[id(row)] = _joined(model, row)
    rules, scores = evaluate(test), evaluate(test, lambda row: joined[id(row)])
    print(f"held-out comments by {folds}-fold cross-validation (no comment or translation on both sides): "
          f"rules {rules.macro_f1:.3f}, joined with the model {scores.macro_f1:.3f} "
          f"({scores.macro_f1 - rules.macro_f1:+.3f}); needs_action accuracy {rules.action_accuracy:.3f} -> "
          f"{scores.action_accuracy:.3f}")


def learned_from_other_businesses(tests: dict[str, list[dict]]) -> None:
    """As `flask categorise --train FILE` with a few thousand labelled comments of other businesses: the
    three judged businesses' comments before their last JUDGED_LAST, and the shipped ones."""
    examples = [example(row) for filename in BUSINESSES for row in load(DATA / filename)[:-JUDGED_LAST]]
    model = learned_models.train_by_key(examples)
    print(f"rules joined with a model of {len(examples):,} other businesses' comments and the "
          f"{len(learning.corpus()):,} shipped ones (as --train):")
    for name, test in tests.items():
        rules, joined = evaluate(test), evaluate(test, lambda row: _joined(model, row))
        locales = "  ".join(f"{locale} {f1:.3f}" for locale, f1 in joined.per_locale.items())
        judged = "  ".join(f"{key} {joined.per_category[key][2]:.2f}" for key in ("staff", "quality", "price"))
        print(f"  {name}: {joined.macro_f1:.3f} ({locales}; {judged}); rules alone {rules.macro_f1:.3f}; "
              f"needs_action accuracy {joined.action_accuracy:.3f}, rules alone {rules.action_accuracy:.3f}")


def plain_classifier(texts: list[str], labels: list[frozenset], keys: list) -> tuple:
    """The baseline the learned model is measured against: TF-IDF over the letters (2 to 5, within words)
    and a logistic regression per category at even odds, scikit-learn's defaults otherwise. Returns the
    vectoriser and each key's classifier."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    letters = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
    matrix = letters.fit_transform(texts)
    return letters, {key: LogisticRegression(class_weight="balanced", max_iter=1000).fit(
        matrix, [key in labelled for labelled in labels]) for key in keys}


def _timed_runs(work, runs: int) -> list[float]:
    """The seconds each of `runs` calls of `work` took."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


def training_time(rows: list[dict], size: int = 5000, runs: int = 3) -> None:
    chosen = [rows[index % len(rows)] for index in range(size)]
    examples, decisions = [example(row) for row in chosen], decided(chosen)
    app, prior = learned_models.app_model(), learning.corpus()

    def training():
        learning.train(examples, prior=prior, decisions=decisions, **app.own_defaults())

    learning.shipped_counts.cache_clear()
    first = _timed_runs(training, 1)[0]  # the shipped comments counted too, once per process
    seconds = _timed_runs(training, runs)
    both = [*examples, *prior]
    texts, labels, keys = [each.text for each in both], [each.labels for each in both], learning.learnable(both)
    plain = _timed_runs(lambda: plain_classifier(texts, labels, keys), runs)
    print(f"training on {size:,} corrections ({len(decisions):,} of them tasks' decisions) and the "
          f"{len(prior):,} shipped comments (with the cross-validation that picks each source): "
          f"median {statistics.median(seconds):.1f} s of {runs} runs ({min(seconds):.1f} to {max(seconds):.1f}), "
          f"the first in a process {first:.1f} s (it counts the shipped comments); "
          f"a plain classifier of letters on the same comments {statistics.median(plain):.1f} s "
          f"({statistics.median(seconds) / statistics.median(plain):.1f}x as long)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    every, sets = [], {}
    for name, path in SETS.items():
        rows = sets[name] = [row for each in sorted(path.parent.glob(path.name)) for row in load(each)]
        report(name, rows)
        every += rows

    texts = [(row["text"], row["score"], row["locale"]) for row in every]
    for text, score, locale in texts:  # warm the indexes and the lemma cache
        analyse(text, score, locale=locale)
    started = time.perf_counter()
    for _ in range(args.rounds):
        for text, score, locale in texts:
            analyse(text, score, locale=locale)
    rate = len(texts) * args.rounds / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(args.rounds):
        for text, _score, _locale in texts:
            tokenize(text)
    baseline = len(texts) * args.rounds / (time.perf_counter() - started)
    print(f"\n{rate:,.0f} comments/s categorised; {baseline:,.0f} comments/s only tokenised "
          f"(categorising costs {baseline / rate:.1f}x tokenising)")
    app_model_report({name: sets[name] for name in ("held out", "independent, test", "reviews, test")}
                     | {filename: load(DATA / filename)[-JUDGED_LAST:] for filename in BUSINESSES})
    one_business_curves()
    development_curves()
    held_out_cross_validation(sets["held out"])
    learned_from_other_businesses({name: sets[name] for name in ("independent, test", "reviews, test")})
    training_time(every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
