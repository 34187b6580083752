"""Redis killed mid-traffic and restarted empty, under gunicorn and `rq worker` as the Procfile runs them,
with the rate limits on Redis as in production: every answer the customers were thanked for is stored and
processed, log-ins never fail with a 500, an improvement sent during the outage reaches its customers once
Redis is back, and no email is sent twice (issue 10, findings 1 and 7)."""
from __future__ import annotations

import http.cookiejar
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.scoping import tenant_scope, unscoped
from saas.core.timeutil import utcnow
from saas.feedback import improvements
from saas.feedback.models import Category, Improvement, Response, ResponseState, Task
from tenants.models import Tenant
from tests.support.apps import make_app
from tests.support.builders import PASSWORD, build_business, complaint
from tests.support.processes import free_port, start_gunicorn, start_worker, stop_processes, wait_until_up
from worker import jobs

PER_PHASE = 15
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')


class Browser:
    """One visitor from one address (behind the one trusted proxy), with its own cookies."""

    def __init__(self, base: str, address: str):
        self.base, self.address = base, address
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """Status, page and the address it ended on (redirects are followed, as a browser does)."""
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers={"X-Forwarded-For": self.address})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.geturl()

    def answer(self, token: str, number: int) -> tuple[int, str]:
        status, page, _ = self.open(f"/s/{token}")
        if status != 200:
            return status, ""
        form = {"submission_key": KEY.search(page).group(1), "score": str(number % 11),
                "comment": f"Answer number {number}: the coffee was cold and the staff rude"}
        status, _, landed = self.open(f"/s/{token}", form)
        return status, landed

    def post(self, path: str, form: dict, page: str) -> tuple[int, str]:
        status, html, _ = self.open(page)
        assert status == 200, (page, status)
        status, _, landed = self.open(path, {"csrf_token": CSRF.search(html).group(1), **form})
        return status, landed


def _improvement(app, business) -> int:
    complaint(app, business, "The courier was two hours late", email="early@example.com", locale="en")
    with app.app_context(), tenant_scope(business["tenant"]):
        tenant = db.session.get(Tenant, business["tenant"])
        delivery = db.session.scalar(sa.select(Category.id).where(Category.key == "delivery"))
        improvement = improvements.create_improvement(tenant, "A new courier company", "Parcels on time.",
                                                      [delivery], [], None, False)
        db.session.commit()
        return improvement.id


def _catch_up(app) -> None:
    """What the clock process does over the next minutes, at once: everything waiting is due now."""
    with app.app_context(), unscoped():
        earlier = utcnow() - timedelta(minutes=10)
        db.session.execute(sa.update(Response).where(Response.state == ResponseState.RECEIVED).values(updated_at=earlier))
        db.session.execute(sa.update(Improvement).values(send_requested_at=earlier))
        db.session.execute(sa.update(Message).where(Message.status == MessageStatus.PENDING).values(next_attempt_at=earlier))
        db.session.commit()
        jobs.sweep_responses()
        jobs.sweep_improvements()
        jobs.sweep_outbox()


def _settled(app) -> bool:
    with app.app_context(), unscoped():
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                                    .where(Response.state == ResponseState.RECEIVED))
        pending = db.session.scalar(sa.select(sa.func.count()).select_from(Message)
                                    .where(Message.status == MessageStatus.PENDING))
        unfinished = db.session.scalar(sa.select(sa.func.count()).select_from(Improvement)
                                       .where(Improvement.sent_at.is_(None)))
        return waiting == 0 and pending == 0 and unfinished == 0


def _count(app, model, *conditions) -> int:
    with app.app_context(), unscoped():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


@pytest.mark.worker
def test_redis_killed_mid_traffic_loses_no_answer_and_sends_no_email_twice(database_url, own_redis, tmp_path,
                                                                           smtp_server):
    app = make_app(database_url, tmp_path, REDIS_URL=own_redis.url, SMTP_URL=smtp_server.url,
                   RATELIMIT_STORAGE_URI=own_redis.url)
    business = build_business(app)
    improvement_id = _improvement(app, business)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": own_redis.url, "SMTP_URL": smtp_server.url,
           "SECRET_KEY": app.config["SECRET_KEY"], "BASE_URL": base, "TRUSTED_PROXIES": "1"}
    web = start_gunicorn("saas.app:create_app()", port, env, "--workers", "2", "--threads", "4")
    worker = start_worker(env, "--with-scheduler")
    thanked, statuses = 0, []
    try:
        wait_until_up(base, web)
        owner = Browser(base, "198.51.100.1")
        assert owner.post("/login", {"email": "owner@zerno.example", "password": PASSWORD}, "/login")[1].endswith(
            "/dashboard")
        for phase, address in (("before", "203.0.113"), ("down", "192.0.2"), ("back", "198.18.0")):
            if phase == "down":
                own_redis.stop()
                status, landed = owner.post(f"/improvements/{improvement_id}/send", {}, f"/improvements/{improvement_id}")
                statuses.append(status)
                assert landed.endswith(f"/improvements/{improvement_id}")
            elif phase == "back":
                own_redis.start()
            for n in range(PER_PHASE):
                visitor = Browser(base, f"{address}.{n + 1}")
                status, landed = visitor.answer(business["touchpoint"], len(statuses))
                thanked += status == 200 and "/thanks" in landed
                statuses.append(status)
            status, landed = Browser(base, f"{address}.200").post(
                "/login", {"email": "owner@zerno.example", "password": "wrong password!"}, "/login")
            statuses.append(status)
            assert status == 422 or landed.endswith("/login"), (status, landed)  # refused in words, not a 500
        assert 500 not in statuses and thanked == 3 * PER_PHASE, statuses

        deadline = time.monotonic() + 90
        while not _settled(app) and time.monotonic() < deadline:
            if worker.poll() is not None:
                # rq worker exits when Redis vanishes in the middle of a job's bookkeeping (the job's own
                # transaction has committed); the platform starts a crashed process again, and so do we.
                worker = start_worker(env, "--with-scheduler")
            _catch_up(app)
            time.sleep(1)
        assert _settled(app)
    finally:
        stop_processes(web, worker)

    stored = _count(app, Response, Response.comment.like("Answer number %"))
    processed = _count(app, Response, Response.comment.like("Answer number %"), Response.state != ResponseState.RECEIVED)
    assert thanked == stored == processed == 3 * PER_PHASE
    messages = _count(app, Message)
    received = smtp_server.wait_for(messages, timeout=30)
    time.sleep(0.5)
    ids = [message_from_bytes(m["raw"], policy=policy.default)["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == len(set(ids)) == messages == len(received)  # every email once, none twice
    assert _count(app, Message, Message.kind == "assignment") == _count(app, Task)
    told = sorted(m["to"][0] for m in smtp_server.messages if "A new courier company" in str(m["email"]["Subject"]))
    assert told == ["early@example.com"]  # the improvement reached its customer, once
