"""The dashboard in a real browser, on the production set-up: an owner opens it, narrows it to one touchpoint,
clicks the topic that pulls the score down and lands on the matching answers."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.feedback import touchpoints
from saas.feedback.models import TouchpointKind
from tenants.models import Tenant
from tests.support.apps import make_app
from tests.support.builders import PASSWORD, build_business, complaint, process, submit

pytestmark = pytest.mark.browser


def seed(database_url, tmp_path) -> None:
    """Zerno (Ukrainian): a delivery complaint on its delivery touchpoint, praise at a new counter."""
    app = make_app(database_url, tmp_path)
    business = build_business(app, plan="pro")
    complaint(app, business, "Кур'єр запізнився на дві години, доставка жахлива", score=2)
    with app.app_context(), tenant_scope(business["tenant"]):
        counter = touchpoints.create_touchpoint(db.session.get(Tenant, business["tenant"]), "Каса", TouchpointKind.STORE)
        db.session.commit()
        token = counter.token
    process(app, submit(app, token, 10, "Кава смачна, бариста привітний"))


@pytest.mark.parametrize("running_app", ["production"], indirect=True)
def test_the_owner_narrows_the_dashboard_to_a_touchpoint_and_opens_a_driver_s_answers(
        running_app, browser, database_url, tmp_path):
    base_url, _mailbox, _env = running_app
    seed(database_url, tmp_path)
    page = browser.new_context(base_url=base_url, locale="uk-UA", viewport={"width": 1280, "height": 900}).new_page()
    page.goto("/login")
    page.locator("#email").fill("owner@zerno.example")
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.goto("/dashboard")
    expect(page.locator(".big-number")).to_have_text("0")  # one promoter, one detractor

    page.locator("#touchpoint").select_option(label="Доставка")
    page.get_by_role("button", name="Показати").click()
    expect(page).to_have_url(re.compile(r"touchpoint=\d+"))
    expect(page.locator(".big-number")).to_have_text("-100")
    expect(page.locator(".key-metric h2")).to_contain_text("Доставка")

    page.locator(".drivers a", has_text="Доставка").click()
    expect(page).to_have_url(re.compile(r"/responses/\?category=\d+&touchpoint=\d+"))
    expect(page.get_by_text("Кур'єр запізнився на дві години")).to_be_visible()
    expect(page.get_by_text("Кава смачна")).to_have_count(0)
