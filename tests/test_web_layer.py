"""The web layer's one way for each thing: a LookupError from anywhere is a 404 that commits nothing (and a
KeyError stays the bug it is), error pages and refusals speak the reader's language, and stored values
(dismiss reasons, root causes, sentiment, a category's source, plan names) are shown translated while they
stay stored as they were."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback.models import Task, TaskEvent, Touchpoint
from saas.feedback.surveys import new_submission_key
from tenants.models import User
from tenants.services import normalise_email
from tests.support.http import post_form, signup

RU = {"Accept-Language": "ru"}


def speak(app, locale):
    with app.app_context():
        db.session.execute(sa.update(User).values(locale=locale))
        db.session.commit()


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(User.id)))


def complaint_task(app, client) -> int:
    """A business (its owner logged in on `client`) with one complaint that became a task."""
    signup(client)
    post_form(client, "/touchpoints/", {"name": "Counter", "kind": "store", "default_assignee_id": "0"},
              page="/touchpoints/")
    with app.app_context(), unscoped():
        token = db.session.scalar(sa.select(Touchpoint.token))
    answer = {"score": "1", "comment": "The courier was rude and two hours late.", "submission_key": new_submission_key()}
    assert app.test_client().post(f"/s/{token}", data=answer).status_code == 302
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(Task.id))


def test_a_lookup_error_in_any_view_is_a_404_that_commits_nothing(app):
    @app.route("/probe/lookup")
    def lookup():
        db.session.add(User(email="ghost@example.com", name="Ghost"))
        db.session.flush()
        raise LookupError("Touchpoint 42")

    response = app.test_client().get("/probe/lookup")
    assert response.status_code == 404
    assert "We could not find that page." in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_a_key_error_is_a_bug_not_a_404(app):
    @app.route("/probe/bug")
    def bug():
        return {}["missing"]

    with pytest.raises(KeyError):  # TESTING propagates it; in production it is the 500 page, reported
        app.test_client().get("/probe/bug")


def test_another_tenants_id_in_a_form_round_trip_is_a_404_that_changes_nothing(app, client):
    signup(client)
    post_form(client, "/touchpoints/", {"name": "Counter", "kind": "store", "default_assignee_id": "0"},
              page="/touchpoints/")
    missing = post_form(client, "/touchpoints/999999", {"name": "Renamed", "kind": "store", "default_assignee_id": "0"},
                        page="/touchpoints/")
    assert missing.status_code == 404
    with app.app_context(), unscoped():
        assert db.session.scalars(sa.select(Touchpoint.name)).all() == ["Counter"]


def test_error_pages_speak_the_readers_language(client):
    page = client.get("/no-such-page", headers=RU)
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "Не найдено" in html and "Мы не нашли эту страницу." in html
    assert "Not found" not in html and "could not find" not in html
    api = client.get("/no-such-page", headers={"Accept": "application/json", "Accept-Language": "uk"})
    assert api.json == {"error": "Не знайдено", "detail": "Ми не знайшли цю сторінку."}
    expired = client.post("/login", data={"email": "a@example.com", "password": "x"}, headers=RU)
    assert expired.status_code == 400 and "Срок действия формы истёк" in expired.get_data(as_text=True)


def test_a_failed_log_in_is_explained_in_the_readers_language(client):
    refused = post_form(client, "/login", {"email": "nobody@example.com", "password": "wrong password"}, headers=RU)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Нет учётной записи с таким адресом почты и паролем." in html and "do not match" not in html


def test_a_page_behind_the_log_in_asks_for_it_in_the_readers_language(client):
    response = client.get("/tasks/", headers=RU)
    assert response.status_code == 302
    assert "Войдите, чтобы продолжить." in client.get(response.headers["Location"], headers=RU).get_data(as_text=True)


def test_an_invalid_email_address_is_refused_in_our_own_words(app):
    with app.test_request_context(headers=RU):
        with pytest.raises(Refusal) as refused:
            normalise_email("ann@")
        assert str(refused.value) == "Этот адрес почты недействителен. Проверьте, нет ли в нём опечатки."


def test_a_task_page_shows_stored_values_translated_and_keeps_them_as_stored(app, client):
    task_id = complaint_task(app, client)
    speak(app, "ru")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'title="по правилам"' in page and "негативный" in page  # the category's source, the sentiment
    assert ">Поставщик</option>" in page and ">Действий не требуется</option>" in page
    post_form(client, f"/tasks/{task_id}/dismiss", {"reason": "no_action_needed"}, page=f"/tasks/{task_id}")
    history = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "· Действий не требуется" in history and "no_action_needed" not in history
    with app.app_context(), unscoped():
        assert db.session.scalar(sa.select(TaskEvent.detail).where(TaskEvent.kind == "dismissed")) == {
            "reason": "no_action_needed"
        }


def test_the_lists_filters_and_the_plan_are_translated(app, client):
    signup(client)
    speak(app, "ru")
    tasks_page = client.get("/tasks/").get_data(as_text=True)
    for label in ("Все точки контакта", "Все категории", ">В работе</option>", ">Последний год</option>"):
        assert label in tasks_page
    assert "Все точки контакта" in client.get("/responses/").get_data(as_text=True)
    assert "Ваш тариф «Бесплатный»" in client.get("/welcome/touchpoints").get_data(as_text=True)
    assert "Владельцы" in client.get("/touchpoints/").get_data(as_text=True)


def test_a_user_is_named_by_their_name_else_their_email():
    assert User(name="Olga", email="olga@example.com").display_name == "Olga"
    assert User(name="", email="olga@example.com").display_name == "olga@example.com"
