"""Surveys in a real browser: an owner sets up, a customer answers on a phone in Russian
from the QR link, another clicks a one-click score from the email snippet, and the owner
sees both (with hostile markup shown as text). A mail scanner that runs scripts opens every
score link of the email at once, and leaves no answer."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from saas.core.timeutil import as_utc
from saas.feedback.models import ScoreClick
from tests.support.browser import sign_up
from tests.support.processes import run_flask

pytestmark = pytest.mark.browser

PASSWORD = "a long enough secret"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def owner_sets_up_a_shop_touchpoint(browser, base_url, mailbox):
    owner = browser.new_context(base_url=base_url).new_page()
    sign_up(owner, mailbox, "Kyiv Coffee", "Oksana", "oksana@coffee.example", PASSWORD)
    owner.get_by_role("button", name="Next: touchpoints").click()
    owner.get_by_label("Shop").check()
    owner.get_by_role("button", name="Create my survey links").click()
    expect(owner.get_by_role("heading", name="Shop")).to_be_visible()
    return owner


def test_customers_answer_and_the_owner_sees_them(running_app, browser):
    base_url, mailbox, env = running_app
    owner = owner_sets_up_a_shop_touchpoint(browser, base_url, mailbox)
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
    expect(email_reader.get_by_text("Your 9 is saved")).to_be_visible()
    email_reader.close()  # and nothing more: the click counts once it has settled
    a_minute_later(env)

    owner.goto("/responses/")
    detractor = owner.locator("li.response", has_text="Очередь")
    expect(detractor).to_contain_text("<script>alert('x')</script>")
    expect(detractor).to_contain_text("QR code")
    expect(detractor.locator(".score")).to_have_text("3")
    promoter = owner.locator("li.response.band-promoter")
    expect(promoter.locator(".score")).to_have_text("9")
    expect(promoter).to_contain_text("email")
    expect(owner.locator("li.response")).to_have_count(2)


def a_minute_later(env) -> None:
    """What the clock process does a minute on: the clicks are due (their time moved back), the sweep runs."""
    table = ScoreClick.__table__
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.begin() as conn:
        for click_id, created_at in conn.execute(sa.select(table.c.id, table.c.created_at)).all():
            conn.execute(table.update().where(table.c.id == click_id)
                         .values(created_at=as_utc(created_at) - timedelta(minutes=1)))
    engine.dispose()
    run_flask(env, "sweep")


def test_a_scanner_that_runs_scripts_opens_every_score_link_and_leaves_no_answer(running_app, browser):
    base_url, mailbox, env = running_app
    owner = owner_sets_up_a_shop_touchpoint(browser, base_url, mailbox)
    owner.get_by_role("link", name="Email snippet").click()
    snippet = owner.locator("#snippet-code").input_value()
    links = [unescape(link) for link in re.findall(r'href="([^"]+score=\d+[^"]*)"', snippet)]
    assert len(links) == 11

    # A scanner's sandbox: every link in a tab of its own, scripts on, from one data centre, within a second.
    scanner = browser.new_context(extra_http_headers={"X-Forwarded-For": "40.94.1.10"})
    tabs = [scanner.new_page() for _ in links]
    for tab, link in zip(tabs, links):
        tab.goto(link, wait_until="commit")
    for tab in tabs:
        tab.wait_for_load_state()
    scanner.close()
    # A person reading the same email meanwhile, elsewhere, clicks 7 and closes the tab.
    person = browser.new_context(extra_http_headers={"X-Forwarded-For": "198.51.100.7"}, **PHONE).new_page()
    person.goto(links[7])
    expect(person.get_by_text("Your 7 is saved")).to_be_visible()
    person.close()

    a_minute_later(env)
    owner.goto("/responses/")
    expect(owner.locator("li.response")).to_have_count(1)
    expect(owner.locator("li.response .score")).to_have_text("7")


def test_the_staff_pages_fit_a_phone_and_one_line_of_a_desktop(running_app, browser):
    base_url, mailbox, _ = running_app
    owner = owner_sets_up_a_shop_touchpoint(browser, base_url, mailbox)
    link = owner.get_by_label("Survey link").input_value()
    customer = browser.new_context(**PHONE).new_page()
    customer.goto(link)
    customer.locator("label[for=score-2]").click()
    customer.locator("#comment").fill("Nobody answered the phone for an hour, twice, and the order never came")
    customer.locator("#email").fill("a.very.long.address.of.a.customer.with.many.parts@a-rather-long-domain.example")
    customer.locator("#consent").check()
    customer.get_by_role("button", name="Send").click()
    expect(customer.get_by_role("heading", name="Thank you!")).to_be_visible()

    desktop_nav_height = owner.locator(".topbar").bounding_box()["height"]
    assert desktop_nav_height < 70  # one line at 1280 px
    phone = browser.new_context(base_url=base_url, storage_state=owner.context.storage_state(), **PHONE).new_page()
    for path in ("/responses/", "/tasks/?view=all"):
        phone.goto(path)
        for _attempt in range(20):  # the task is the worker's: reload as a person would until it is there
            if phone.locator("li.response").count():
                break
            phone.wait_for_timeout(250)
            phone.reload()
        expect(phone.locator("li.response").first).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path  # nothing wider than the phone
        assert phone.locator(".topbar").bounding_box()["height"] < 80  # the menu is folded away
    expect(phone.get_by_role("link", name="Team")).to_be_hidden()
    phone.get_by_text("Menu").click()
    expect(phone.get_by_role("link", name="Team")).to_be_visible()

    phone.goto("/dashboard")
    expect(phone.locator(".drivers td[data-label]").first).to_be_visible()  # the answer's category, as a block
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    scrolling_sideways = phone.evaluate("""[...document.querySelectorAll('main *')]
        .filter(element => element.scrollWidth > element.clientWidth + 1
                           && ['auto', 'scroll'].includes(getComputedStyle(element).overflowX))
        .map(element => element.tagName + '.' + element.className)""")
    assert scrolling_sideways == []  # no table hides its last columns off-screen inside its card
