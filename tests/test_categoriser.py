"""The categoriser on a labelled set of real-looking comments in en, ru and uk, and its
behaviour on the hard cases: inflection, words that only look alike, negation, the comment's own language."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from saas.feedback import learning
from saas.feedback.categoriser import Analysis, CategoryRule, analyse
from saas.feedback.evaluation import Intervals, evaluate, intervals, load, rules_alone, scored
from saas.feedback.taxonomy import CATEGORY_KEYS

LABELLED = learning.CORPUS / "labelled_comments.jsonl"
DATA = Path(__file__).parent / "data"


def test_the_labelled_set_is_broad_enough():
    rows = load(LABELLED)
    assert len(rows) >= 300
    assert min(Counter(row["locale"] for row in rows).values()) >= 100
    per_category = Counter(key for row in rows for key in row["categories"])
    assert len(per_category) == 10 and min(per_category.values()) >= 30
    assert sum(len(row["categories"]) > 1 for row in rows) >= 60


def test_macro_f1_stays_at_or_above_0_8():
    scores = evaluate(load(LABELLED))
    assert scores.macro_f1 >= 0.8, scores.per_category
    assert scores.reply_accuracy >= 0.9 and scores.action_accuracy >= 0.9


@pytest.mark.parametrize("path, macro_f1, each_locale, action, reply", [
    (learning.CORPUS / "independent_dev.jsonl", 0.65, 0.62, 0.9, 0.93),
    (DATA / "independent_test.jsonl", 0.65, 0.62, 0.9, 0.93),
    (learning.CORPUS / "reviews.jsonl", 0.62, 0.59, 0.83, 0.88),
    (DATA / "reviews_test.jsonl", 0.62, 0.6, 0.83, 0.87),
], ids=["independent_dev", "independent_test", "reviews", "reviews_test"])
def test_comments_written_without_the_keywords_stay_above_their_floor(path, macro_f1, each_locale, action, reply):
    """A floor against regressions on comments by writers who never saw the keywords (when set: 0.675 and
    0.686 on the independent sets, 0.647 and 0.648 on the reviews): a change that helps the development set
    at their cost shows here."""
    scores = evaluate(load(path))
    assert scores.macro_f1 >= macro_f1 and min(scores.per_locale.values()) >= each_locale, scores.per_locale
    assert scores.action_accuracy >= action and scores.reply_accuracy >= reply


def test_a_set_s_interval_holds_its_score_and_narrows_as_the_set_grows():
    rows = load(DATA / "independent_test.jsonl")
    analyses = [rules_alone(row) for row in rows]
    scores, spread = scored(rows, analyses), intervals(rows, analyses, rounds=200)
    assert spread.macro_f1[0] < scores.macro_f1 < spread.macro_f1[1]
    assert spread.action_accuracy[0] < scores.action_accuracy < spread.action_accuracy[1]
    third = intervals(rows[::3], analyses[::3], rounds=200)
    assert third.macro_f1[1] - third.macro_f1[0] > spread.macro_f1[1] - spread.macro_f1[0]
    assert intervals(rows, analyses, rounds=200) == spread  # the same draws each time: figures to compare
    assert scored(rows, analyses) == evaluate(rows)  # scored: evaluate's scores of readings made once


def test_a_reader_right_on_every_comment_is_right_on_every_set_drawn_from_them():
    rows = load(DATA / "independent_test.jsonl")[:60]

    labels = [Analysis(categories=list(row["categories"]), needs_action=row["needs_action"]) for row in rows]
    assert intervals(rows, labels, rounds=50) == Intervals((1.0, 1.0), (1.0, 1.0))


@pytest.mark.parametrize("text, score, expected", [
    ("Курьером доволен, а вот курьеру из прошлого раза — ноль", 5, "delivery"),  # inflection
    ("Кур'єрові дякую, але кур'єрка вчора запізнилась", 5, "delivery"),
    ("the deliveries were two days late", 3, "delivery"),
    ("оплаттой картой не получилось", 3, "payment"),
    ("Кава смачна, але касирка нагрубила", 4, "staff"),  # mixed Russian and Ukrainian
    ("Заказ через app не проходит, checkout виснет", 2, "website"),
    ("Їжа прісна і занадто дорога", 3, "price"),  # "дорога" is also a road: any reading may match
])
def test_hard_cases_find_their_category(text, score, expected):
    assert expected in analyse(text, score, locale="uk").categories


@pytest.mark.parametrize("text, locale, absent", [
    ("Всё супер, спасибо", "ru", "quality"),  # "супер" is not a kind of "суп"
    ("Our waiter was lovely", "en", "waiting"),  # "waiter" is not "wait"
    ("Я пил кофе у окна", "ru", "cleanliness"),  # Russian "пил" (drank), not Ukrainian "пил" (dust)
    ("An extensive menu", "en", "price"),  # no typo matching: "extensive" is not "expensive"
    ("Приветливый бариста", "ru", "delivery"),  # nor is "приветливый" "привезти"
    ("Купила глюкозу и свежий багет", "ru", "website"),  # nor "глюкоза" a "глюк", nor "багет" a "баг"
    # A keyword that is a dictionary form of its own means that word: "дорогой" (dear) is no "дорога"
    # (road), "дзвінок" (a call) no "дзвінка" (ringing).
    ("Беру кофе по дороге на работу", "ru", "price"),
    ("Дзвінка дівчина на касі", "uk", "communication"),
    ("Купив телефон, задоволений", "uk", "communication"),  # a phone is no call ("телефоном" went)
])
def test_words_that_only_look_alike_are_not_keywords(text, locale, absent):
    assert absent not in analyse(text, 8, locale=locale).categories


@pytest.mark.parametrize("text, locale, absent", [
    ("Кассир, в свою очередь, был очень вежлив", "ru", "waiting"),  # "in turn", not a queue
    ("У свою чергу дякую майстру", "uk", "waiting"),
    ("Can't wait to come back!", "en", "waiting"),  # looking forward, not waiting
    ("Cold weather outside, so the soup was welcome", "en", "cleanliness"),
    ("The table was booked for 7", "en", "cleanliness"),
    ("Через неделю после ремонта снова загорелся чек", "ru", "payment"),  # the engine light, not a receipt
    ("Честно, ожидала большего", "ru", "waiting"),  # expected more, not waited
    ("Очікувала більшого від такого магазину", "uk", "waiting"),
    ("Лучше, чем ожидала!", "ru", "waiting"),  # better than expected
    ("Нормально, как и ожидал", "ru", "waiting"),  # as expected
    ("Все як і очікував, дякую", "uk", "waiting"),
    ("Краще, ніж очікувала", "uk", "waiting"),
    ("Ждём открытия летней веранды!", "ru", "waiting"),  # looking forward to it
    ("The waiting room was spotless", "en", "waiting"),  # a place
])
def test_a_keyword_inside_an_idiom_does_not_count(text, locale, absent):
    assert absent not in analyse(text, 9, locale=locale).categories


@pytest.mark.parametrize("text, score, locale, expected", [
    ("Lovely bouquet, thank you so much", 10, "en", ["quality"]),  # a product, judged
    ("Букет завял на следующий день", 1, "ru", ["quality"]),  # a detractor's clause about a product
    ("Ordered roses for my mum's birthday", 9, "en", []),  # named, not judged
    ("The card terminal was broken, the coffee lovely", 4, "en", ["quality", "payment"]),
    ("The terminal did not take my card for the coffee", 3, "en", ["payment"]),  # the clause is about paying
])
def test_a_judged_product_is_about_quality(text, score, locale, expected):
    assert analyse(text, score, locale=locale).categories == expected


def test_a_word_taken_out_of_a_category_counts_neither_as_its_keyword_nor_as_its_judgement():
    bar = [CategoryRule(key, key=key, dropped=frozenset({"cold"}) if key == "quality" else frozenset())
           for key in CATEGORY_KEYS]
    assert analyse("The beer was ice cold, perfect", 9, locale="en").categories == ["quality"]
    assert analyse("The beer was ice cold, perfect", 9, locale="en", rules=bar).categories == []
    assert analyse("The beer was stale", 9, locale="en", rules=bar).categories == ["quality"]
    assert analyse("Пиво было холодное", 9, locale="ru", rules=bar).categories == ["quality"]


@pytest.mark.parametrize("text, locale, expected", [
    ("Большое спасибо Ольге за терпение", "ru", ["staff"]),
    ("Стригся у Діми, як завжди чотко", "uk", ["staff"]),
    ("Got my flu jab in 10 min, no appointment needed", "en", ["waiting"]),
    ("Зробили за два дні, як і обіцяли", "uk", ["waiting"]),
    ("Швидко і без зайвих розмов", "uk", ["waiting"]),
    ("Fast delivery, arrived in two days", "en", ["delivery"]),  # the delivery's speed
    ("She redid it the next day, no questions asked", "en", ["staff"]),
    ("Kasia drew a dinosaur for my son and he was thrilled", "en", ["staff"]),  # a name no dictionary has
    ("My son loved it, he wants to come back", "en", []),  # "he" is the son
    ("Our dog loves it here, she gets a treat every time", "en", []),
    ("З Миколаєм вас! Гарного всім свята", "uk", []),  # a saint's day is no one at work
    ("Со Святым Николаем всех!", "ru", []),
    ("Стриглася з Миколаєм, як завжди чотко", "uk", ["staff"]),  # the barber is
])
def test_names_are_staff_and_speed_is_waiting(text, locale, expected):
    assert analyse(text, 9, locale=locale).categories == expected


@pytest.mark.parametrize("text, locale", [
    ("Вони зламалися через два дні", "uk"), ("Emailed them a week ago about the voucher", "en"),
    ("The music skipped every five minutes", "en"), ("Filling fell out 3 weeks after", "en"),
])
def test_a_duration_that_dates_an_event_is_no_wait(text, locale):
    assert "waiting" not in analyse(text, 9, locale=locale).categories


@pytest.mark.parametrize("text, locale, is_staff", [
    ("The vet was so gentle with our old cat", "en", True),  # the people of every kind of small business
    ("Репетитор по английскому объясняет понятно", "ru", True),
    ("Лікар все пояснив і нічого зайвого не призначив", "uk", True),
    ("They cook the best ramen in town", "en", False),  # a cook's work is the food: quality, not staff
    ("The room could be cleaner", "en", False),  # a cleaner is also the comparative of clean
    ("They hosted our party in the back room", "en", False),  # and a host, a verb
])
def test_the_people_of_other_businesses_are_staff_but_not_words_that_are_also_verbs(text, locale, is_staff):
    assert ("staff" in analyse(text, 8, locale=locale).categories) == is_staff


@pytest.mark.parametrize("text, locale", [("Overpriced.", "en"), ("Дорого", "ru"), ("Ціни задорого", "uk")])
def test_a_price_found_too_high_gets_a_reply_but_no_task_to_fix(text, locale):
    analysis = analyse(text, 3, locale=locale)
    assert analysis.categories == ["price"] and analysis.sentiment == "negative"
    assert analysis.needs_reply and not analysis.needs_action
    assert analyse("Overpriced, and the cup was broken", 3).needs_action


@pytest.mark.parametrize("text, locale, expected", [
    ("Очень красиво и недорого", "ru", ["price"]),  # the "не-" antonym of a keyword ("дорого")
    ("Гарно і недорого", "uk", ["price"]),
    ("Неделю назад купила, всё нормально", "ru", []),  # "неделя" is no antonym of anything
])
def test_a_ne_antonym_of_a_keyword_is_about_the_same_thing(text, locale, expected):
    assert analyse(text, 9, locale=locale).categories == expected


def test_a_fresh_baguette_is_not_a_bug_to_fix():
    assert not analyse("Купила глюкозу и свежий багет", 8, locale="ru").needs_action  # a passive


def test_a_passive_s_problem_in_passing_is_no_task_but_a_displeased_passive_s_is():
    in_passing = analyse("Lovely cut, the wait was a bit slow though", 8, locale="en")
    assert in_passing.categories == ["waiting", "quality"] and not in_passing.needs_action
    displeased = analyse("The card terminal was broken again, really annoying", 7, locale="en")
    assert displeased.sentiment == "negative" and displeased.needs_action


def test_a_comment_is_read_in_its_own_language():
    on_an_english_page = analyse("Курьер опоздал на два часа", 3, locale="en")
    assert on_an_english_page.language == "ru" and on_an_english_page.categories == ["delivery"]
    assert analyse("The courier was late", 3, locale="uk").language == "en"


def test_negation_names_no_problem():
    praise = analyse("The staff were not rude at all and nothing was broken", 10)
    assert "staff" in praise.categories and not praise.needs_action and praise.sentiment == "positive"
    complaint = analyse("The staff were rude and the cup was broken", 3)
    assert complaint.needs_action and complaint.needs_reply and complaint.sentiment == "negative"
    assert analyse("not good at all", 8).sentiment == "negative"


def test_questions_and_contact_requests_need_a_reply():
    assert analyse("Do you open on Sundays?", 9).needs_reply
    assert analyse("Перезвоните мне, пожалуйста", 8).needs_reply
    assert not analyse("Lovely as always, thank you!", 10).needs_reply


def test_owner_keywords_decide_custom_categories():
    rules = [CategoryRule("parking", ("parking", "парков*", "паркув*")), CategoryRule("kids", ("kids corner",))]
    assert analyse("Нет парковки рядом, припарковаться негде", 4, rules=rules).categories == ["parking"]
    assert analyse("The kids corner was a life saver", 10, rules=rules).categories == ["kids"]
    assert analyse("Nothing to say", 8, rules=rules).categories == []


def test_a_word_the_app_retired_from_a_default_list_neither_matches_nor_shows_where_a_list_still_holds_it():
    """Lists were stored whole: a default word retired since stays in them, and is the app's, not the owner's."""
    from saas.feedback.categories import keywords_shown, rules_for
    from saas.feedback.models import Category

    payment = Category(id=1, key="payment", keywords="оплата, дважды, бесконтакт", dropped_keywords=[])
    [rule] = rules_for([payment])
    assert rule.keywords == ("бесконтакт",)  # the owner's own word
    assert analyse("Позвонила дважды, никто не ответил", 3, rules=[rule], locale="ru").categories == []
    assert analyse("Деньги списали дважды", 3, rules=[rule], locale="ru").categories == [1]  # today's phrase
    shown = [word.strip() for word in keywords_shown(payment, "ru").split(",")]
    assert "дважды" not in shown and {"оплата", "бесконтакт", "списать дважды"} <= set(shown)


@pytest.mark.parametrize("typed", ["обʼєднання", "об’єднання", "об'єднання", "ОБʼЄДНАННЯ"])
def test_an_owner_keyword_matches_whichever_apostrophe_either_side_typed(typed):
    rules = [CategoryRule("union", (typed,))]
    for written in ("Дякую обʼєднанню", "Дякую об'єднанню", "Дякую об’єднанню"):
        assert analyse(written, 9, rules=rules, locale="uk").categories == ["union"], (typed, written)


def test_flask_categorise_reads_and_writes_json_lines(app):
    lines = "\n".join([
        json.dumps({"text": "Курьер опоздал на два часа", "locale": "ru", "score": 2, "metric": "nps"}),
        json.dumps({"text": "Очень легко и быстро", "locale": "ru", "score": 7, "metric": "ces"}),
        json.dumps({"text": "no score given"}),
        "not json",
        json.dumps({"text": "bad score", "score": 12}),
    ])
    result = app.test_cli_runner().invoke(args=["categorise"], input=lines + "\n")
    outputs = [json.loads(line) for line in result.output.strip().splitlines()]
    assert len(outputs) == 5 and result.exit_code == 1
    assert outputs[0]["categories"] == ["delivery"] and outputs[0]["needs_action"] and outputs[0]["sentiment"] == "negative"
    assert outputs[1]["sentiment"] == "positive" and not outputs[1]["needs_reply"]
    assert set(outputs[2]) == {"categories", "language", "sentiment", "needs_reply", "needs_action"}
    assert "error" in outputs[3] and "error" in outputs[4]


def test_a_silent_detractor_needs_a_reply_only_when_reachable():
    assert not analyse("", 2).needs_reply
    assert analyse("", 2, contact_given=True).needs_reply
    assert not analyse("", 10, contact_given=True).needs_reply


def test_bench_reviews_reads_a_semeval_file_as_the_app_s_categories(tmp_path):
    from bench.reviews import sentences, whole_reviews

    semeval = tmp_path / "reviews.xml"
    semeval.write_text("""<?xml version="1.0" encoding="UTF-8"?><Reviews><Review rid="7"><sentences>
      <sentence id="7:0"><text>Rude waiter &amp; cold soup.</text><Opinions>
        <Opinion target="waiter" category="SERVICE#GENERAL" polarity="negative" from="5" to="11"/>
        <Opinion target="soup" category="FOOD#QUALITY" polarity="negative" from="19" to="23"/>
        <Opinion target="soup" category="FOOD#QUALITY" polarity="negative" from="19" to="23"/></Opinions></sentence>
      <sentence id="7:1"><text>We went on a Tuesday.</text></sentence>
      <sentence id="7:2"><text>Never again.</text><Opinions>
        <Opinion target="NULL" category="RESTAURANT#GENERAL" polarity="negative" from="0" to="0"/></Opinions></sentence>
      <sentence id="7:3" OutOfScope="TRUE"><text>My cousin's wedding was lovely.</text></sentence>
    </sentences></Review></Reviews>""", encoding="utf-8")
    rows = sentences(semeval, "en")
    assert [(row["text"], row["categories"], row["review"]) for row in rows] == [
        ("Rude waiter & cold soup.", ["quality", "staff"], "7"), ("We went on a Tuesday.", [], "7"),
        ("Never again.", [], "7")]
    assert [(review["text"], review["categories"]) for review in whole_reviews(rows)] == [
        ("Rude waiter & cold soup. We went on a Tuesday. Never again.", ["quality", "staff"])]


def test_bench_reviews_cuts_a_sentirueval_review_into_sentences_labelled_by_their_aspects(tmp_path):
    from bench.reviews import sentences

    text = "Официант хамил, т.е. грубил. Суп был холодный!Цены обычные. Зашли в пятницу, &quot;Ёлки&quot; – супер"
    plain = text.replace("&quot;", '"')

    def aspect(category, term, sentiment, mark="Rel"):
        return (f'<aspect category="{category}" from="{plain.index(term)}" mark="{mark}" sentiment="{sentiment}" '
                f'term="{term}" to="{plain.index(term) + len(term)}" type="explicit"/>')
    sentirueval = tmp_path / "reviews.xml"
    sentirueval.write_text(f"""<?xml version="1.0" ?><reviews><review id="12"><text>{text}</text><aspects>
      {aspect("Service", "Официант", "negative")}{aspect("Food", "Суп", "both")}{aspect("Price", "Цены", "neutral")}
      {aspect("Whole", "Ёлки", "positive")}{aspect("Food", "пятницу", "negative", mark="Irr")}
    </aspects></review></reviews>""", encoding="utf-8")
    expected = [("Официант хамил, т.е. грубил.", ["staff"]), ("Суп был холодный!", ["quality"]),
                ("Цены обычные.", []), ('Зашли в пятницу, "Ёлки" – супер', [])]
    assert [(row["text"], row["categories"]) for row in sentences(sentirueval, "ru")] == expected
    with_mentions = [(row["text"], row["categories"]) for row in sentences(sentirueval, "ru", mentions=True)]
    assert with_mentions == [*expected[:2], ("Цены обычные.", ["price"]), expected[3]]


def test_bench_reviews_plain_classifier_learns_a_category_from_its_sentences():
    from bench.reviews import plain_reading

    def row(text, categories):
        return {"text": text, "locale": "en", "categories": categories, "needs_reply": None, "needs_action": None}
    training = [row(f"The waiter was {word}.", ["staff"]) for word in ("rude", "slow", "kind", "great", "late", "nice")]
    training += [row(f"We came on {day}.", []) for day in ("Monday", "Tuesday", "Friday", "Sunday", "May", "June")]
    judged = [row("The waiter was lovely.", ["staff"]), row("We came on Saturday.", [])]
    read = plain_reading(training, judged)
    assert [read[id(each)].categories for each in judged] == [["staff"], []]


@pytest.mark.parametrize("path", sorted((DATA / "second_opinion").glob("*.jsonl")), ids=lambda path: path.name)
def test_a_second_opinion_labels_each_comment_of_its_set_once_with_the_app_s_categories(path):
    from bench.agreement import comment_key, labelled_again

    first = load(learning.CORPUS / path.name)
    again = labelled_again(path)
    assert len(load(path)) == len(again) == len(first)
    assert {comment_key(row) for row in first} == set(again)
    assert all(set(answer.categories) <= set(CATEGORY_KEYS) for answer in again.values())
