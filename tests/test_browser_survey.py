"""Surveys in a real browser: an owner sets up, a customer answers on a phone in Russian
from the QR link, another clicks a one-click score from the email snippet, and the owner
sees both (with hostile markup shown as text)."""
from __future__ import annotations

import re
from html import unescape

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "a long enough secret"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def owner_sets_up_a_shop_touchpoint(browser, base_url):
    owner = browser.new_context(base_url=base_url).new_page()
    owner.goto("/signup")
    owner.get_by_label("Business name").fill("Kyiv Coffee")
    owner.get_by_label("Your name").fill("Oksana")
    owner.get_by_label("Email").fill("oksana@coffee.example")
    owner.get_by_label("Password").fill(PASSWORD)
    owner.get_by_role("button", name="Create my account").click()
    expect(owner.get_by_role("heading", name="Pick your one key metric")).to_be_visible()
    owner.get_by_role("button", name="Next: touchpoints").click()
    owner.get_by_label("Shop").check()
    owner.get_by_role("button", name="Create my survey links").click()
    expect(owner.get_by_role("heading", name="Shop")).to_be_visible()
    return owner


def test_customers_answer_and_the_owner_sees_them(running_app, browser):
    base_url, _ = running_app
    owner = owner_sets_up_a_shop_touchpoint(browser, base_url)
    link = owner.get_by_label("Survey link").input_value()
    owner.get_by_role("link", name="Email snippet").click()
    snippet = owner.locator("#snippet-code").input_value()
    one_click_nine = unescape(re.search(r'href="([^"]+score=9[^"]*)"', snippet).group(1))

    phone = browser.new_context(base_url=base_url, locale="ru-RU", **PHONE).new_page()
    phone.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
    phone.goto(link + "?c=qr")
    expect(phone.locator("html")).to_have_attribute("lang", "ru")
    expect(phone.get_by_role("heading", name=re.compile("Kyiv Coffee"))).to_be_visible()
    phone.locator("label[for=score-3]").click()
    phone.locator("#comment").fill("<script>alert('x')</script> Очередь слишком длинная")
    phone.get_by_role("button", name="Отправить").click()
    expect(phone.get_by_role("heading", name="Спасибо!")).to_be_visible()

    email_reader = browser.new_context(**PHONE).new_page()
    email_reader.goto(one_click_nine)
    expect(email_reader.locator("#score-9")).to_be_checked()
    email_reader.close()

    owner.goto("/responses/")
    detractor = owner.locator("li.response", has_text="Очередь")
    expect(detractor).to_contain_text("<script>alert('x')</script>")
    expect(detractor).to_contain_text("QR code")
    expect(detractor.locator(".score")).to_have_text("3")
    promoter = owner.locator("li.response.band-promoter")
    expect(promoter.locator(".score")).to_have_text("9")
    expect(promoter).to_contain_text("email")
    expect(owner.locator("li.response")).to_have_count(2)
