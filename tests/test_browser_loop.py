"""The whole loop in a real browser, on the production set-up (gunicorn, PostgreSQL, Redis, an
rq worker, SMTP): a customer complains in Russian and leaves a consented email; the assignee
gets the email, opens the task, replies; resolves and tells the customer; the customer says
it did not solve it (the task reopens, the assignee is told) and unsubscribes."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback.models import Task, TaskStatus
from tenants.models import Role
from tests.support.apps import make_app
from tests.support.builders import build_business

pytestmark = pytest.mark.browser
PASSWORD = "a long enough secret"
PEKARNYA = {  # a Russian bakery on the free plan: Sasha, who reads English, takes the delivery complaints
    "name": "Pekarnya", "slug": "pekarnya", "locale": "ru", "plan": "free", "password": PASSWORD,
    "team": (("owner@pekarnya.example", "Olga", Role.OWNER, "ru"), ("sasha@pekarnya.example", "Sasha", Role.STAFF, "en")),
    "touchpoint": ("Доставка", "delivery"), "routes": {"delivery": ("Sasha",)},
}


def seed(database_url, tmp_path) -> str:
    """The bakery, built directly in the database; its touchpoint's token."""
    return build_business(make_app(database_url, tmp_path), **PEKARNYA)["touchpoint"]


def task_status(database_url, tmp_path) -> TaskStatus:
    app = make_app(database_url, tmp_path)
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(Task.status))


@pytest.mark.parametrize("running_app", ["production"], indirect=True)
def test_the_loop_closes_in_a_browser(running_app, browser, database_url, tmp_path):
    base_url, mailbox, _ = running_app
    token = seed(database_url, tmp_path)

    customer = browser.new_context(base_url=base_url, locale="ru-RU").new_page()
    customer.goto(f"/s/{token}")
    customer.locator("label[for=score-2]").click()
    customer.locator("#comment").fill("Курьер опоздал на два часа, хлеб остыл")
    customer.locator("#email").fill("klient@example.com")
    customer.locator("#consent").check()
    customer.get_by_role("button", name="Отправить").click()
    expect(customer.get_by_role("heading", name="Спасибо!")).to_be_visible()

    staff = browser.new_context(base_url=base_url).new_page()
    staff.goto(mailbox.link_for("sasha@pekarnya.example", "/tasks/"))
    staff.get_by_label("Email").fill("sasha@pekarnya.example")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    expect(staff.get_by_text("Курьер опоздал на два часа")).to_be_visible()
    task_url = staff.url

    staff.get_by_label("Your reply to the customer").fill("Простите, пожалуйста! Мы разбираемся с курьерской службой.")
    staff.get_by_role("button", name="Send the reply").click()
    expect(staff.get_by_text("Your reply is on its way")).to_be_visible()
    mailbox.link_for("klient@example.com", "/u/")  # the reply arrived (it carries the unsubscribe link)

    staff.get_by_label("What was done").fill("Сменили курьерскую службу, хлеб теперь в термосумках.")
    staff.get_by_label("Root cause").select_option("Supplier")
    staff.get_by_label(re.compile("Tell the customer what we did")).check()
    staff.get_by_role("button", name="Resolve").click()
    expect(staff.locator("h1 .status")).to_have_text("resolved")

    no_link = mailbox.link_for("klient@example.com", "/no")
    customer.goto(no_link)  # the link asks; a scanner opening it answers nothing
    assert task_status(database_url, tmp_path) == TaskStatus.RESOLVED
    customer.get_by_role("button", name="Нет, не решено").click()
    expect(customer.get_by_text("Жаль, что проблема ещё не решена")).to_be_visible()
    assert task_status(database_url, tmp_path) == TaskStatus.OPEN
    staff.goto(task_url)
    expect(staff.locator("h1 .status")).to_have_text("open")
    assignments = [body for to, body in mailbox.bodies() if to == "sasha@pekarnya.example" and "/tasks/" in body]
    assert len(assignments) == 2  # told again when the customer said no

    customer.goto(mailbox.link_for("klient@example.com", "/u/"))
    customer.get_by_role("button", name="Отписаться").click()
    expect(customer.get_by_role("heading", name="Вы отписались")).to_be_visible()
