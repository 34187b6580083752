"""The inbox and the task page: what staff do with a task, each step in the audit trail."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.outbox import Message
from saas.core.scoping import unscoped
from saas.core.timeutil import as_utc, utcnow
from saas.feedback.models import CategorySource, Response, Task, TaskEvent, TaskStatus
from tenants.models import Tenant
from tests.support.builders import build_business, complaint, rows, staff_client
from tests.support.http import post_form, signup


def test_inbox_views_and_filters(app):
    business = build_business(app)
    mine = complaint(app, business)  # delivery → Dina
    owners = complaint(app, business, "Why is the music so loud?")  # → the owner
    with app.app_context(), unscoped():
        db.session.get(Task, owners).due_at = utcnow() - timedelta(hours=1)
        db.session.get(Task, owners).assignee_id = None
        db.session.commit()
    dina = staff_client(app)
    page = dina.get("/tasks/").get_data(as_text=True)
    counts = dict(re.findall(r'view=(\w+)[^>]*>[^<]*<span class="count">(\d+)', page))
    assert counts == {"mine": "1", "all": "2", "unassigned": "1", "overdue": "1", "resolved": "0"}
    assert f"/tasks/{mine}" in page and f"/tasks/{owners}" not in page
    overdue = dina.get("/tasks/?view=overdue").get_data(as_text=True)
    assert f"/tasks/{owners}" in overdue and "прострочено з" in overdue  # Dina reads Ukrainian
    with app.app_context(), unscoped():
        from saas.feedback.models import Category

        delivery = db.session.scalar(sa.select(Category.id).where(Category.key == "delivery"))
    only_delivery = dina.get(f"/tasks/?view=all&category={delivery}").get_data(as_text=True)
    assert f"/tasks/{mine}" in only_delivery and f"/tasks/{owners}" not in only_delivery
    assert dina.get("/tasks/?view=all&band=promoter").get_data(as_text=True).count('class="response ') == 0
    bad = dina.get("/tasks/?view=bogus&category=abc&status=zzz&page=-1")
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)


def test_work_a_task_from_start_to_resolution(app):
    business = build_business(app)
    task_id = complaint(app, business)
    dina = staff_client(app)
    assert "Взяти в роботу" in dina.get(f"/tasks/{task_id}").get_data(as_text=True)  # "Start work", in uk
    post_form(dina, f"/tasks/{task_id}/start", page=f"/tasks/{task_id}")
    post_form(dina, f"/tasks/{task_id}/note", {"text": "<b>Called</b> the courier company"}, page=f"/tasks/{task_id}")
    refused = post_form(dina, f"/tasks/{task_id}/resolve", {"note": "", "root_cause": "Supplier"}, page=f"/tasks/{task_id}")
    assert refused.status_code == 422
    post_form(dina, f"/tasks/{task_id}/resolve", {"note": "New courier firm from Monday", "root_cause": "Supplier"},
              page=f"/tasks/{task_id}")
    [task] = rows(app, Task)
    assert task.status == TaskStatus.RESOLVED and task.resolution_note == "New courier firm from Monday"
    kinds = [(e.kind, e.actor_id) for e in rows(app, TaskEvent)]
    assert kinds == [("created", None), ("assigned", None), ("started", business["Dina"]), ("note", business["Dina"]),
                     ("resolved", business["Dina"])]
    page = dina.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "&lt;b&gt;Called&lt;/b&gt;" in page and "New courier firm" in page
    closed = post_form(dina, f"/tasks/{task_id}/dismiss", {"reason": "spam"}, page=f"/tasks/{task_id}")
    assert "Це завдання закрите" in dina.get(closed.headers["Location"]).get_data(as_text=True)  # Dina reads Ukrainian
    assert rows(app, Task)[0].status == TaskStatus.RESOLVED


def test_reassign_tells_the_new_person(app):
    business = build_business(app)
    task_id = complaint(app, business)
    owner = staff_client(app, "owner@zerno.example")
    post_form(owner, f"/tasks/{task_id}/reassign", {"assignee_id": str(business["Petro"])}, page=f"/tasks/{task_id}")
    assert rows(app, Task)[0].assignee_id == business["Petro"]
    assert [m.recipient for m in rows(app, Message, kind="assignment")] == ["dina@zerno.example", "petro@zerno.example"]
    stranger = post_form(owner, f"/tasks/{task_id}/reassign", {"assignee_id": "999999"}, page=f"/tasks/{task_id}")
    assert stranger.status_code == 422 and rows(app, Task)[0].assignee_id == business["Petro"]


def test_corrections_are_kept_as_manual_and_win(app):
    business = build_business(app)
    task_id = complaint(app, business)
    with app.app_context(), unscoped():
        from saas.feedback.models import Category

        price = db.session.scalar(sa.select(Category.id).where(Category.key == "price"))
    dina = staff_client(app)
    post_form(dina, f"/tasks/{task_id}/correct", {"category_ids": [str(price)], "needs_reply": "y"},
              page=f"/tasks/{task_id}")
    with app.app_context(), unscoped():
        response = db.session.scalar(sa.select(Response))
        assert [(link.category_id, link.source) for link in response.categories] == [(price, CategorySource.MANUAL)]
        assert (response.needs_reply, response.needs_action) == (True, False)
    assert [e.kind for e in rows(app, TaskEvent)][-2:] == ["categories", "needs"]


def test_dismiss_needs_a_reason(app):
    business = build_business(app)
    task_id = complaint(app, business, "buy cheap watches http://spam.example", score=0)
    dina = staff_client(app)
    assert post_form(dina, f"/tasks/{task_id}/dismiss", {"reason": "because"}, page=f"/tasks/{task_id}").status_code == 422
    post_form(dina, f"/tasks/{task_id}/dismiss", {"reason": "spam"}, page=f"/tasks/{task_id}")
    [task] = rows(app, Task)
    assert task.status == TaskStatus.DISMISSED
    assert rows(app, TaskEvent)[-1].detail == {"reason": "spam"}


def test_resolving_or_dismissing_asks_for_a_cause_instead_of_presetting_one(app):
    business = build_business(app)
    task_id = complaint(app, business)
    dina = staff_client(app)
    page = dina.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert page.count('<option value="">Виберіть…</option>') == 2  # the first choice of both is to choose
    unresolved = post_form(dina, f"/tasks/{task_id}/resolve", {"note": "Called the courier", "root_cause": ""},
                           page=f"/tasks/{task_id}")
    undismissed = post_form(dina, f"/tasks/{task_id}/dismiss", {"reason": ""}, page=f"/tasks/{task_id}")
    assert unresolved.status_code in (302, 422) and undismissed.status_code in (302, 422)
    [task] = rows(app, Task)
    assert task.status == TaskStatus.OPEN and task.resolution_note is None
    assert [event.kind for event in rows(app, TaskEvent)] == ["created", "assigned"]


def test_staff_read_times_in_the_business_time_zone(app):
    business = build_business(app)
    task_id = complaint(app, business, "The courier was two hours late")
    owner = staff_client(app, "owner@zerno.example")
    settings = {"metric": "nps", "question": "", "locale": "uk", "brand_color": "#123456", "sla_hours": "24",
                "review_url": "", "reply_to": ""}
    refused = post_form(owner, "/settings/survey", {**settings, "timezone": "Mars/Olympus"}, page="/settings/survey")
    assert refused.status_code == 422 and "Виберіть часовий пояс зі списку." in refused.get_data(as_text=True)
    saved = post_form(owner, "/settings/survey", {**settings, "timezone": "America/New_York"}, page="/settings/survey")
    assert saved.status_code == 302

    [task] = rows(app, Task)
    new_york = as_utc(task.due_at).astimezone(ZoneInfo("America/New_York"))
    page = owner.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert new_york.strftime("%Y-%m-%d %H:%M %Z") in page  # the deadline
    assert as_utc(task.created_at).astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M") in page
    assert new_york.strftime("%Y-%m-%d %H:%M %Z") in owner.get("/tasks/?view=all").get_data(as_text=True)


def test_a_new_business_starts_in_the_time_zone_of_its_language(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    signup(client)
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant.timezone)) == "Europe/Kyiv"
