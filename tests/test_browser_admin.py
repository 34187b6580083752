"""The platform admin in a real browser, on the production set-up: sets up two-factor log-in by the QR code's
secret, finds a business, comps it a plan and views the app as its owner, read-only, then stops."""
from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.support.admin import ADMIN, platform_admin
from tests.support.apps import make_app
from tests.support.builders import PASSWORD, build_business

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("running_app", ["production"], indirect=True)
def test_an_admin_sets_up_two_factor_comps_a_plan_and_views_as_the_owner(running_app, browser, database_url,
                                                                         tmp_path):
    base_url, _mailbox, _env = running_app
    app = make_app(database_url, tmp_path)
    build_business(app, plan="free", locale="en")
    platform_admin(app)
    page = browser.new_context(base_url=base_url, locale="en-GB", viewport={"width": 1280, "height": 900}).new_page()
    page.goto("/login")
    page.locator("#email").fill(ADMIN)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()  # no two-factor yet: no admin pages
    page.goto("/account/two-factor")
    expect(page.locator("svg").first).to_be_visible()
    secret = re.search(r"[A-Z2-7]{32}", page.locator("main code").first.inner_text()).group(0)
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main code")).to_have_count(10)  # the recovery codes, shown once

    page.goto("/admin/")
    page.get_by_role("link", name="Businesses").first.click()
    page.locator("#q").fill("zerno")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Кав'ярня Зерно").click()

    page.locator("#comp summary").click()
    page.locator("#comp-plan").select_option(label="Pro")
    page.locator("#comp-reason").fill("Partner programme")
    page.get_by_role("button", name="Comp the plan").click()
    expect(page.get_by_text("The plan is comped.")).to_be_visible()
    expect(page.locator("#subscription")).to_contain_text("Pro")

    page.locator("#impersonate summary").click()
    page.locator("#impersonate-member").select_option(label="owner@zerno.example (Owner)")
    page.locator("#impersonate-reason").fill("Ticket 12: cannot find the dashboard")
    page.get_by_role("button", name="View as this member").click()
    banner = page.locator(".banner.impersonation")  # in the owner's language (Ukrainian): what she sees
    expect(banner).to_contain_text(ADMIN)
    expect(banner).to_contain_text("owner@zerno.example")
    page.goto("/touchpoints/")
    expect(banner).to_be_visible()
    with page.expect_navigation() as refused:
        page.locator("main form button[type=submit]").first.click()  # any change: refused, read-only
    assert refused.value.status == 403

    banner.locator("button").click()
    expect(page.get_by_text("You are back in the admin pages.")).to_be_visible()
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("tbody tr")).to_have_count(3)  # comped, viewing began, viewing ended
