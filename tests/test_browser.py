"""The owner's first journey in a real browser (Debian's Chromium via Playwright), in both
ways to run: embedded (SQLite, jobs inline, emails to the outbox folder, `flask run`) and
production (PostgreSQL + Redis + an `rq worker` process + SMTP, gunicorn)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "a long enough secret"


def log_out(page):
    page.locator(".user-menu summary").click()  # the menu under the business's name
    page.get_by_role("button", name="Log out").click()


def test_owner_signs_up_by_the_emailed_link_invites_staff_who_joins(running_app, browser):
    base_url, mailbox, _ = running_app
    owner = browser.new_context(base_url=base_url)
    page = owner.new_page()

    page.goto("/signup")
    page.get_by_label("Business name").fill("Corner Bakery")
    page.get_by_label("Your name").fill("Olena Owner")
    page.get_by_label("Email").fill("olena@bakery.example")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(mailbox.link_for("olena@bakery.example", "/signup/"))
    expect(page.get_by_role("heading", name="Finish signing up")).to_be_visible()
    expect(page.get_by_text("Corner Bakery")).to_be_visible()
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Pick your one key metric")).to_be_visible()
    expect(page.get_by_text("Please verify your email address")).to_have_count(0)

    log_out(page)
    page.get_by_label("Email").fill("olena@bakery.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Corner Bakery")).to_be_visible()
    expect(page.get_by_text("Please verify your email address")).to_have_count(0)

    page.get_by_role("link", name="Team").click()
    page.get_by_label("Email").fill("sam@bakery.example")
    page.get_by_label("Role", exact=True).select_option("staff")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to sam@bakery.example")).to_be_visible()

    staff = browser.new_context(base_url=base_url).new_page()
    staff.goto(mailbox.link_for("sam@bakery.example", "/invite/"))
    expect(staff.get_by_role("heading", name="Join Corner Bakery")).to_be_visible()
    staff.get_by_label("Your name").fill("Sam Staff")
    staff.get_by_label("Choose a password").fill(PASSWORD)
    staff.get_by_role("button", name="Create my account and join").click()
    expect(staff.get_by_text("Welcome to Corner Bakery!")).to_be_visible()
    expect(staff.get_by_text("You are Staff here.")).to_be_visible()
    expect(staff.get_by_role("link", name="Team")).to_have_count(0)

    log_out(staff)
    staff.get_by_label("Email").fill("sam@bakery.example")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    expect(staff.get_by_role("heading", name="Corner Bakery")).to_be_visible()

    page.reload()
    expect(page.locator("tr", has_text="sam@bakery.example")).to_contain_text("Staff")
