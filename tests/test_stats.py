"""The dashboard's numbers: the metric formulas against hand-computed examples, the kept counts against a
recount from the rows after random sequences of what happens to answers (hypothesis), local days at the
time-zone boundary, and what the dashboard shows to whom."""
from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.usage import Usage, month_of
from saas.core.extensions import db
from saas.core.scoping import tenant_scope, unscoped
from saas.core.timeutil import utcnow
from saas.feedback import loop_stats, quota, stats
from saas.feedback.customers import record_verdict
from saas.feedback.dashboard import today_for
from saas.feedback.filters import Filters, period_for
from saas.feedback.loop_health import loop_health
from saas.feedback.metrics import Band
from saas.feedback.models import OPEN_STATUSES, Category, Response, ResponseState, Task, TaskStatus
from saas.feedback.pipeline import process_response
from saas.feedback.scores import change_is_real, key_metric
from saas.feedback.surveys import Answer, new_submission_key, record_response
from saas.feedback.tasks import correct_categories, record_event, reopen, resolve, root_causes
from tenants import tokens
from tenants.models import Membership, Role, Tenant
from tests.support.apps import make_app, truncate_all
from tests.support.builders import build_business, staff_client, submit, touchpoint_named
from worker.jobs import rebuild_stats

# --- the formulas -----------------------------------------------------------------------------------


def test_nps_with_its_margin_by_hand():
    # 50 promoters, 30 passives, 20 detractors: NPS = 50% − 20% = 30;
    # margin = 1.96·√((0.5 + 0.2 − 0.3²)/100)·100 = 1.96·√(0.0061)·100 = 15.31 points
    result = key_metric("nps", {10: 30, 9: 20, 8: 15, 7: 15, 3: 20})
    assert (result.answers, round(result.value, 6)) == (100, 30.0)
    assert result.margin == pytest.approx(1.96 * math.sqrt(0.0061) * 100)
    assert result.bands == {Band.PROMOTER: 50, Band.PASSIVE: 30, Band.DETRACTOR: 20}
    assert result.enough


def test_csat_and_ces_are_shares_of_the_good_answers_and_ces_has_its_mean():
    csat = key_metric("csat", {5: 30, 4: 10, 3: 5, 1: 5})  # 40 of 50 gave 4–5
    assert csat.value == pytest.approx(80.0) and csat.margin == pytest.approx(1.96 * math.sqrt(0.8 * 0.2 / 50) * 100)
    ces = key_metric("ces", {7: 10, 5: 10, 4: 10, 1: 10})  # 20 of 40 gave 5–7
    assert ces.value == pytest.approx(50.0) and ces.mean == pytest.approx((70 + 50 + 40 + 10) / 40)


def test_no_answers_and_too_few_answers_say_so():
    empty = key_metric("nps", {})
    assert (empty.answers, empty.value, empty.margin) == (0, None, None) and not empty.enough
    few, many = key_metric("nps", {10: 5}), key_metric("nps", {10: 40, 0: 10})
    assert change_is_real(few, many) is None  # too few to compare
    assert change_is_real(key_metric("nps", {10: 60, 0: 40}), key_metric("nps", {10: 40, 0: 60})) is True
    assert change_is_real(key_metric("nps", {10: 51, 0: 49}), key_metric("nps", {10: 49, 0: 51})) is False


def test_periods_in_local_days():
    today = datetime(2026, 5, 20).date()
    assert (period_for("7d", today).first, period_for("7d", today).last) == (today - timedelta(days=6), today)
    last_month = period_for("last_month", today)
    assert (last_month.first.isoformat(), last_month.last.isoformat()) == ("2026-04-01", "2026-04-30")
    assert period_for("this_quarter", today).first.isoformat() == "2026-04-01"
    assert period_for("nonsense", today).days == 30
    previous = period_for("30d", today).previous()
    assert previous.last == today - timedelta(days=30) and previous.days == 30


# --- the kept counts equal a recount -----------------------------------------------------------------


def test_an_answer_at_half_past_eleven_local_time_counts_on_that_day(app):
    business = build_business(app, plan="pro")
    with app.app_context(), unscoped():
        tenant = db.session.get(Tenant, business["tenant"])
        tenant.timezone = "Europe/Kyiv"  # UTC+2 in winter
        db.session.commit()
    response_id = submit(app, business["touchpoint"], 9, "Lovely")
    with app.app_context(), unscoped():
        db.session.get(Response, response_id).created_at = datetime(2026, 1, 10, 21, 30, tzinfo=timezone.utc)
        db.session.commit()
        process_response(response_id)
        db.session.commit()
        tenant = db.session.get(Tenant, business["tenant"])
        [(key, count)] = stats.running(tenant).items()
        assert key[0].isoformat() == "2026-01-10" and count == 1  # 23:30 in Kyiv: still the 10th


ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("answer"), st.integers(0, 10), st.integers(0, 3 * 24 * 60)),  # score, minutes ago
    st.tuples(st.just("rescore"), st.integers(0, 10), st.integers(0, 50)),  # a score changed, which answer
    st.tuples(st.just("timezone"), st.sampled_from(["UTC", "Europe/Kyiv", "America/Los_Angeles", "Asia/Tokyo"]),
              st.just(0)),
    st.tuples(st.just("upgrade"), st.just(0), st.just(0)),
    st.tuples(st.just("recategorise"), st.integers(0, 2 ** 10 - 1), st.integers(0, 50)),  # which categories
    st.tuples(st.sampled_from(["reply", "resolve", "reopen", "solved", "not solved"]), st.just(0),
              st.integers(0, 50)),  # which task
), min_size=1, max_size=25)


@pytest.fixture(scope="module")
def stats_app(database_url, tmp_path_factory):
    return make_app(database_url, tmp_path_factory.mktemp("stats"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_the_kept_counts_always_equal_a_recount_from_the_rows(stats_app, database_url, actions):
    app = stats_app
    truncate_all(database_url)
    business = build_business(app, plan="free")
    with app.app_context(), unscoped():
        # the free month nearly used up, so that some answers are locked until the "upgrade"
        with tenant_scope(business["tenant"]):
            db.session.add(Usage(tenant_id=business["tenant"], month=month_of(utcnow()), responses=95))
        db.session.commit()
        touchpoint = touchpoint_named(app, "Доставка")
        for action, value, extra in actions:
            tenant = db.session.get(Tenant, business["tenant"])
            if action == "answer":
                touchpoint = db.session.get(type(touchpoint), touchpoint.id)
                response_id, waiting = record_response(touchpoint, Answer(
                    score=value, submission_key=new_submission_key(), comment=f"words {extra}"))
                db.session.get(Response, response_id).created_at = datetime.now(timezone.utc) - timedelta(minutes=extra)
                db.session.commit()
                if waiting:
                    process_response(response_id)
            elif action == "rescore":
                ids = db.session.scalars(sa.select(Response.id).where(
                    Response.state == ResponseState.CATEGORISED).order_by(Response.id)).all()
                if ids:
                    response = db.session.get(Response, ids[extra % len(ids)])
                    response.score, response.state = value, ResponseState.RECEIVED  # as an amendment does
                    db.session.commit()
                    process_response(response.id)
            elif action == "recategorise":
                tasks = db.session.scalars(sa.select(Task).order_by(Task.id)).all()
                if tasks:
                    task = tasks[extra % len(tasks)]
                    with tenant_scope(tenant.id):
                        owned = db.session.scalars(sa.select(Category.id).order_by(Category.id)).all()
                        chosen = [category_id for bit, category_id in enumerate(owned) if value >> bit & 1]
                        correct_categories(task, db.session.get(Membership, task.assignee_id) or
                                           db.session.scalars(sa.select(Membership)).first(), chosen)
                    db.session.commit()
            elif action in ("reply", "resolve", "reopen", "solved", "not solved"):
                _work_on_a_task(tenant, action, extra)
            elif action == "timezone":
                tenant.timezone = value
                db.session.commit()
                rebuild_stats(tenant.id)
            else:
                tenant.plan = "pro"
                db.session.commit()
                for response_id in quota.unlock_within_quota(tenant):
                    db.session.commit()
                    process_response(response_id)
            db.session.commit()
        tenant = db.session.get(Tenant, business["tenant"])
        assert stats.running(tenant) == stats.recount(tenant)
        assert stats.running_categories(tenant) == stats.recount_categories(tenant)
        assert loop_stats.running(tenant) == loop_stats.recount(tenant)
        expected = stats.recount(tenant), stats.recount_categories(tenant), loop_stats.recount(tenant)
        rebuild_stats(tenant.id)  # as flask stats rebuild does
        tenant = db.session.get(Tenant, business["tenant"])
        assert (stats.running(tenant), stats.running_categories(tenant), loop_stats.running(tenant)) == expected


def _work_on_a_task(tenant, action: str, which: int) -> None:
    """What staff and customers do to a task, through the services the pages and links call."""
    tasks = db.session.scalars(sa.select(Task).order_by(Task.id)).all()
    if not tasks:
        return
    task = tasks[which % len(tasks)]
    with tenant_scope(tenant.id):
        actor = db.session.scalars(sa.select(Membership).order_by(Membership.id)).first()
        if action == "reply" and task.first_reply_at is None:  # what customers.reply() does once it has sent
            task.first_reply_at = utcnow()
            record_event(task, "replied", actor, text="Sorry")
        elif action == "resolve" and task.status in OPEN_STATUSES:
            resolve(task, actor, "Fixed", root_causes(tenant)[0])
        elif action == "reopen":
            reopen(task, actor, "again")
        elif action in ("solved", "not solved"):
            db.session.commit()
            record_verdict(tokens.sign("solved", task.id), solved=action == "solved")
    db.session.commit()


# --- the page -----------------------------------------------------------------------------------------


def _answer_and_process(app, token, score, comment="fine", locale="uk") -> int:
    response_id = submit(app, token, score, comment, locale=locale)
    with app.app_context():
        process_response(response_id)
        db.session.commit()
    return response_id


def test_the_dashboard_shows_the_key_metric_per_touchpoint_and_never_another_tenants(app):
    zerno = build_business(app, plan="pro")
    other = build_business(app, plan="pro", name="Other", slug="other", routes={}, touchpoint=("Counter", "store"),
                           team=(("boss@other.example", "Boss", Role.OWNER, "en"),))
    for score, words in ((10, "fine"), (10, "fine"), (9, "fine"), (3, "Кур'єр запізнився на дві години, доставка жахлива")):
        _answer_and_process(app, zerno["touchpoint"], score, words)
    for score in (0, 0, 0):
        _answer_and_process(app, other["touchpoint"], score)
    owner = staff_client(app, "owner@zerno.example")
    page = owner.get("/dashboard?period=7d").get_data(as_text=True)
    assert re.search(r'class="big-number">\+50<', page)  # 3 promoters, 1 detractor of 4
    assert "Доставка" in page and "Counter" not in page
    assert '<svg class="trend"' in page and "<polyline" in page  # the trend, drawn on the server
    driver = re.search(r'<a href="(/responses/\?category=\d+)">([^<]+)</a>', page)
    assert driver, "a driver links to its answers"
    listed = owner.get(driver.group(1)).get_data(as_text=True)
    assert listed.count('class="response ') >= 1
    assert re.search(r"посилання</th><td>4<", page)  # answers by channel: all four by link

    other_touchpoint = touchpoint_named(app, "Counter")
    foreign = owner.get(f"/dashboard?period=7d&touchpoint={other_touchpoint.id}").get_data(as_text=True)
    assert "За цей період відповідей поки немає." in foreign  # another tenant's id: nothing of theirs
    assert "−100" not in foreign and "-100" not in foreign
    with app.app_context(), unscoped():
        their_category = db.session.scalar(sa.select(Category.id).where(Category.tenant_id == other["tenant"]))
    foreign = owner.get(f"/dashboard?period=7d&category={their_category}").get_data(as_text=True)
    assert "За цей період відповідей поки немає." in foreign and "-100" not in foreign
    staff_page = staff_client(app).get("/dashboard").get_data(as_text=True)
    assert 'class="big-number"' not in staff_page and "Ваші завдання" in staff_page  # staff: their own block


def test_every_filter_narrows_the_numbers_and_lives_in_the_url(app):
    zerno = build_business(app, plan="pro")
    late = _answer_and_process(app, zerno["touchpoint"], 2, "Кур'єр запізнився на дві години, доставка жахлива")
    _answer_and_process(app, zerno["touchpoint"], 9, "Great coffee, friendly people", locale="en")
    _answer_and_process(app, zerno["touchpoint"], 10, "Усе добре")
    with app.app_context(), unscoped():
        [delivery] = db.session.scalars(sa.select(Response).where(Response.id == late)).one().categories
    owner = staff_client(app, "owner@zerno.example")

    def big_number(query: str) -> str:
        page = owner.get(f"/dashboard?{query}").get_data(as_text=True)
        return re.search(r'class="big-number">([^<]+)<', page).group(1)

    assert big_number("period=7d") == "+33"  # 2 promoters, 1 detractor
    assert big_number("period=7d&language=en") == "+100"
    assert big_number(f"period=7d&category={delivery.category_id}") == "-100"
    assert big_number(f"period=7d&category={delivery.category_id}&language=en") == "—"
    with app.app_context(), unscoped():
        today = today_for(db.session.get(Tenant, zerno["tenant"]))  # in the business's time zone
    custom = f"period=custom&from={(today - timedelta(days=2)).isoformat()}&to={today.isoformat()}"
    page = owner.get(f"/dashboard?{custom}&language=en").get_data(as_text=True)
    assert f"{(today - timedelta(days=2)).isoformat()} – {today.isoformat()}" in page and "+100" in page
    assert "answers.csv?period=custom&amp;language=en&amp;from=" in page  # the export keeps every filter
    for unreadable in ("from=2026-13-01&to=2026-01-05", f"from={today.isoformat()}&to={(today - timedelta(days=3))}",
                       f"from={today.isoformat()}&to={(today + timedelta(days=3))}"):
        page = owner.get(f"/dashboard?period=custom&{unreadable}").get_data(as_text=True)
        assert "Ці дати не вдалося використати" in page and page.count('<tr><th scope="row">') > 0
    with owner.get("/dashboard/answers.csv?period=7d&language=en") as streamed:
        rows = list(csv.reader(io.StringIO(streamed.get_data().decode("utf-8-sig"))))
    assert [row[4] for row in rows[1:]] == ["Great coffee, friendly people"]


def test_loop_health_counts_the_promise_kept_and_who_keeps_it(app):
    zerno = build_business(app, plan="pro")
    ids = [_answer_and_process(app, zerno["touchpoint"], 1, f"Кур'єр запізнився на {n} години, доставка жахлива")
           for n in (2, 3, 4)]
    now = utcnow()
    with app.app_context(), unscoped():
        tasks = [db.session.scalars(sa.select(Task).where(Task.response_id == i)).one() for i in ids]
        for task, replied_after in zip(tasks, (2, 4, None), strict=True):
            task.response.created_at = now - timedelta(hours=10)
            task.response.needs_reply = True
            task.first_reply_at = None if replied_after is None else now - timedelta(hours=10 - replied_after)
        tasks[0].status, tasks[0].resolved_at, tasks[0].customer_solved = TaskStatus.RESOLVED, now, True
        tasks[0].due_at = now + timedelta(hours=1)
        record_event(tasks[0], "told_customer")
        tasks[2].due_at = now - timedelta(hours=1)  # no reply, past its deadline
        for task in tasks:
            loop_stats.changed(task.response_id)  # as every service that changes a task does
        db.session.commit()
        tenant = db.session.get(Tenant, zerno["tenant"])
        health = loop_health(tenant, Filters(period_for("7d", today_for(tenant))))
    assert (health.answers, health.decided, health.need_reply, health.replied, health.tasks) == (3, 3, 3, 2, 3)
    assert (health.median_reply_within, health.p90_reply_within) == (2.0, 4.0)  # replies after 2 h and 4 h
    assert (health.resolved_in_time, health.overdue_now, health.asked, health.solved_yes, health.solved_no) == (
        1, 1, 1, 1, 0)
    assert health.recovery_rate == 100 and health.reopened == 0
    assert sum(row.open_tasks for row in health.assignees) == 2 and sum(row.resolved for row in health.assignees) == 1
    page = staff_client(app, "owner@zerno.example").get("/dashboard?period=7d").get_data(as_text=True)
    assert "Стан циклу" in page and ("Dina" in page or "Petro" in page)


# --- the CSV export -------------------------------------------------------------------------------------


def test_the_answers_export_is_excel_ready_inert_and_keeps_only_consented_addresses(app):
    business = build_business(app, plan="pro")
    with app.app_context():
        for text, email, consent in (("=HYPERLINK(\"http://evil.example\")", "a@example.com", False),
                                     ("Кава холодна, кур'єр запізнився", "b@example.com", True),
                                     ("-1 star, @everyone", None, False)):
            response_id = submit(app, business["touchpoint"], 2, text, email=email, consent=consent)
            process_response(response_id)
            db.session.commit()
    owner = staff_client(app, "owner@zerno.example")
    export = owner.get("/dashboard/answers.csv?period=7d")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    body = export.get_data()
    export.close()  # a streamed response ends its request context when closed, as a server closes it
    assert body.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Час", "Точка контакту"] and len(rows[0]) == 17  # in the owner's language
    comments = [row[4] for row in rows[1:]]
    assert comments == ["'=HYPERLINK(\"http://evil.example\")", "Кава холодна, кур'єр запізнився",
                        "'-1 star, @everyone"]
    assert [row[16] for row in rows[1:]] == ["", "b@example.com", ""]  # consented addresses only
    assert all(row[10] for row in rows[1:])  # each has its task's assignee

    other = touchpoint_named(app, "Доставка").id + 999
    with owner.get(f"/dashboard/answers.csv?period=7d&touchpoint={other}") as streamed:
        only_header = streamed.get_data().decode("utf-8-sig")
    assert len(only_header.strip().splitlines()) == 1
    assert staff_client(app).get("/dashboard/answers.csv").status_code == 403
    assert staff_client(app).get("/dashboard/tasks.csv").status_code == 403

    with owner.get("/dashboard/tasks.csv?period=7d") as streamed:
        tasks = list(csv.reader(io.StringIO(streamed.get_data().decode("utf-8-sig"))))
    assert len(tasks[0]) == 12 and len(tasks) == 4  # the header and the three tasks
    assert tasks[1][3] == "'=HYPERLINK(\"http://evil.example\")" and tasks[2][3] == "Кава холодна, кур'єр запізнився"
