"""The owner's first journey in a real browser (Debian's Chromium via Playwright), in both
ways to run: embedded (SQLite, jobs inline, emails to the outbox folder, `flask run`) and
production (PostgreSQL + Redis + an `rq worker` process + SMTP, gunicorn)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import redis
from playwright.sync_api import expect, sync_playwright

from tests.conftest import SmtpServer, body_of, free_port, link_in

pytestmark = pytest.mark.browser

BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "a long enough secret"


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


class Mailbox:
    """Where the app's emails land: the SMTP server, or the outbox folder."""

    def __init__(self, smtp: SmtpServer | None = None, folder: Path | None = None):
        self.smtp, self.folder = smtp, folder

    def _bodies(self) -> list[tuple[str, str]]:
        if self.smtp:
            return [(m["email"]["To"], body_of(m["email"])) for m in self.smtp.messages]
        emails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(self.folder.glob("*.eml"))]
        return [(e["To"], body_of(e)) for e in emails]

    def link_for(self, recipient: str, path_fragment: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for to, body in reversed(self._bodies()):
                if to == recipient and path_fragment in body:
                    return link_in(body, path_fragment)
            time.sleep(0.2)
        raise AssertionError(f"no email to {recipient} with {path_fragment}; got {self._bodies()}")


def _start(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(params=["embedded", "production"])
def running_app(request, tmp_path, database_url, redis_url):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SECRET_KEY": "browser-test-secret", "BASE_URL": base_url, "FLASK_APP": "saas"}
    processes = []
    if request.param == "embedded":
        env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}", OUTBOX_DIR=str(tmp_path / "outbox"))
        env.pop("REDIS_URL", None)
        env.pop("SMTP_URL", None)
        subprocess.run([BIN / "flask", "db", "upgrade"], env=env, check=True, capture_output=True)
        mailbox = Mailbox(folder=tmp_path / "outbox")
        processes.append(_start([BIN / "flask", "run", "--host", "127.0.0.1", "--port", str(port)], env))
    else:
        smtp = SmtpServer().start()
        request.addfinalizer(smtp.stop)
        redis.Redis.from_url(redis_url).flushdb()
        env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SMTP_URL=smtp.url)
        mailbox = Mailbox(smtp=smtp)
        processes.append(_start([BIN / "gunicorn", "saas:create_app()", "--bind", f"127.0.0.1:{port}", "--workers", "2"], env))
        processes.append(_start([BIN / "rq", "worker", "--with-scheduler", "--url", redis_url, "default"], env))
    try:
        _wait_until_up(base_url, processes[0])
        yield base_url, mailbox
    finally:
        _stop(*processes)
        if request.param == "production":
            from tests.conftest import _truncate_all

            _truncate_all(database_url)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the browser tests need it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def test_owner_signs_up_verifies_invites_staff_who_joins(running_app, browser):
    base_url, mailbox = running_app
    owner = browser.new_context(base_url=base_url)
    page = owner.new_page()

    page.goto("/signup")
    page.get_by_label("Business name").fill("Corner Bakery")
    page.get_by_label("Your name").fill("Olena Owner")
    page.get_by_label("Email").fill("olena@bakery.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Pick your one key metric")).to_be_visible()
    expect(page.get_by_text("Please verify your email address")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.goto(mailbox.link_for("olena@bakery.example", "/verify/"))
    expect(page.get_by_text("Your email address is verified")).to_be_visible()
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

    staff.get_by_role("button", name="Log out").click()
    staff.get_by_label("Email").fill("sam@bakery.example")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    expect(staff.get_by_role("heading", name="Corner Bakery")).to_be_visible()

    page.reload()
    expect(page.locator("tr", has_text="sam@bakery.example")).to_contain_text("Staff")
