"""The upgrade journey in a real browser, run as production runs: gunicorn, an `rq worker`, PostgreSQL, Redis,
an SMTP server, and the fake Stripe as a process of its own that sends its signed webhooks to the app's
real endpoint. A free owner hits the touchpoint limit, upgrades to starter through Checkout, comes back to
starter, adds the third touchpoint, and the answers locked before the upgrade become tasks."""
from __future__ import annotations

import os
import time

import pytest
import redis
import sqlalchemy as sa
from playwright.sync_api import expect

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback.models import Response, ResponseState, Task
from tests.support.apps import make_app
from tests.support.browser import sign_up
from tests.support.builders import submit
from tests.support.fake_stripe import FakeStripeProcess
from tests.support.mail import Mailbox, SmtpServer
from tests.support.processes import free_port, run_flask, start_gunicorn, start_worker, stop_processes, wait_until_up

pytestmark = [pytest.mark.browser, pytest.mark.worker]
PASSWORD = "a long enough secret"


@pytest.fixture
def selling_app(database_url, redis_url):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    fake = FakeStripeProcess(webhook_url=f"{base_url}/billing/webhook")
    smtp = SmtpServer().start()
    redis.Redis.from_url(redis_url).flushdb()
    env = {**os.environ, "SECRET_KEY": "browser-test-secret", "BASE_URL": base_url, "FLASK_APP": "saas.app",
           "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SMTP_URL": smtp.url, **fake.config()}
    run_flask(env, "billing", "setup")
    processes = [start_gunicorn("saas.app:create_app()", port, env, "--workers", "2"), start_worker(env)]
    try:
        wait_until_up(base_url, processes[0])
        yield base_url, Mailbox(smtp=smtp)
    finally:
        stop_processes(*processes)
        fake.stop()
        smtp.stop()


def _locked_task(app) -> tuple[int, int]:
    with app.app_context(), unscoped():
        locked = db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                                   .where(Response.state == ResponseState.LOCKED))
        tasks = db.session.scalar(sa.select(sa.func.count()).select_from(Task)
                                  .join(Response, Response.id == Task.response_id)
                                  .where(Response.comment.like("Locked before the upgrade%")))
        return locked, tasks


def test_a_free_owner_upgrades_through_checkout_and_the_limits_and_locked_answers_follow(
    selling_app, browser, database_url, tmp_path
):
    base_url, mailbox = selling_app
    owner = browser.new_context(base_url=base_url).new_page()
    sign_up(owner, mailbox, "Corner Bakery", "Olena", "olena@bakery.example", PASSWORD)
    owner.get_by_role("button", name="Next: touchpoints").click()
    owner.get_by_label("Website").check()
    owner.get_by_label("Shop").check()
    owner.get_by_role("button", name="Create my survey links").click()

    owner.get_by_label("Name", exact=True).fill("Delivery")
    owner.get_by_role("button", name="Add touchpoint").click()
    expect(owner.get_by_text("Upgrade your plan")).to_be_visible()  # the free plan's two touchpoints

    # The month's free answers are used up before the upgrade: the last ones are kept, locked.
    local = make_app(database_url, tmp_path)
    token = owner.get_by_label("Survey link").first.input_value().rstrip("/").rsplit("/", 1)[1]
    for n in range(100):
        submit(local, token, 9, f"Fine, thanks #{n}")
    for n in range(2):
        submit(local, token, 1, f"Locked before the upgrade #{n}: the staff were rude and the bread stale")
    assert _locked_task(local) == (2, 0)

    owner.locator(".user-menu summary").click()  # the menu under the business's name
    owner.get_by_role("link", name="Plan and billing").click()
    expect(owner.get_by_role("heading", name="Your plan: Free")).to_be_visible()
    owner.get_by_role("button", name="Upgrade to Starter, monthly").click()
    expect(owner.get_by_role("heading", name="Pay Loopline")).to_be_visible()  # Stripe's Checkout (the fake's)
    owner.get_by_role("button", name="Pay").click()
    expect(owner.get_by_text("You are on the Starter plan now.")).to_be_visible()

    owner.get_by_role("link", name="Touchpoints").click()
    owner.get_by_label("Name", exact=True).fill("Delivery")
    owner.get_by_role("button", name="Add touchpoint").click()
    expect(owner.get_by_role("heading", name="Delivery")).to_be_visible()

    deadline = time.monotonic() + 30
    while _locked_task(local) != (0, 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _locked_task(local) == (0, 2)  # unlocked by the worker, and followed up like any answer
    owner.goto("/billing/")
    expect(owner.get_by_role("heading", name="Your plan: Starter")).to_be_visible()
    expect(owner.get_by_text("Paid: renews on")).to_be_visible()
