"""What the browser journeys share: signing up the way a new owner does, through the emailed link."""
from __future__ import annotations

from playwright.sync_api import expect


def sign_up(page, mailbox, business: str, name: str, email: str, password: str) -> None:
    """The sign-up form, the link from the email, a password; the page ends on onboarding's first step."""
    page.goto("/signup")
    page.get_by_label("Business name").fill(business)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(mailbox.link_for(email, "/signup/"))
    page.get_by_label("Choose a password").fill(password)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Pick your one key metric")).to_be_visible()
