"""What the benchmarks share: a throw-away PostgreSQL database and a business in it."""
from __future__ import annotations

import os
import socket
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_database(server: str, name: str) -> str:
    from saas.core.config import normalise_database_url

    return urlunsplit(urlsplit(normalise_database_url(server))._replace(path=f"/{name}"))


@contextmanager
def scratch_database(prefix: str):
    """A fresh database on the DATABASE_URL server, migrated; dropped afterwards."""
    from saas.app import create_app
    from saas.core.extensions import db

    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(_with_database(server, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = _with_database(server, name)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            db.engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def create_business(url: str, plan: str = "pro") -> dict:
    """A business with an owner, two staff sharing the delivery category, and a touchpoint."""
    from saas.app import create_app
    from saas.core.extensions import db
    from saas.feedback.categories import ensure_categories
    from saas.core.timeutil import utcnow
    from tenants.models import Membership, Role, Tenant, User
    from saas.core.scoping import tenant_scope, unscoped
    from saas.feedback.touchpoints import create_touchpoint

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context(), unscoped():
        tenant = Tenant(name="Bench Bakery", slug=f"bench-{uuid.uuid4().hex[:6]}", plan=plan)
        members = []
        for email, role in (("owner@bench.example", Role.OWNER), ("a@bench.example", Role.STAFF),
                            ("b@bench.example", Role.STAFF)):
            user = User(email=email, name=email.split("@")[0], verified_at=utcnow(), password_hash="x")
            members.append(Membership(tenant=tenant, user=user, role=role))
        db.session.add_all(members)
        db.session.flush()
        with tenant_scope(tenant.id):
            touchpoint = create_touchpoint(tenant, "Counter", "store")
            for category in ensure_categories(tenant):
                if category.key in ("delivery", "staff"):
                    category.assignee_ids = [members[1].id, members[2].id]
        db.session.commit()
        business = {"tenant_id": tenant.id, "touchpoint_id": touchpoint.id, "token": touchpoint.token}
        db.engine.dispose()
    return business


@contextmanager
def own_redis(tmp_dir: str):
    """A redis-server of the benchmark's own, so no queue of anyone else's fills up."""
    import subprocess
    import time

    import redis

    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", tmp_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        process.kill()
        process.wait()


class ProcessCpu:
    """CPU time (user + system) spent by groups of processes, read from /proc (Linux).

    `groups` maps a label to a predicate on a process's command line; this process (the
    load generator) is always the group "load". snapshot() before and after a phase,
    then spent(before, after) gives seconds per group."""

    def __init__(self, groups: dict):
        self.groups = groups
        self.tick = os.sysconf("SC_CLK_TCK")

    def snapshot(self) -> dict:
        totals = dict.fromkeys([*self.groups, "load"], 0.0)
        totals["load"] = sum(os.times()[:2])
        for pid in filter(str.isdigit, os.listdir("/proc")):
            if int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    command = f.read().replace(b"\0", b" ").decode(errors="replace")
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue  # ended meanwhile
            label = next((name for name, matches in self.groups.items() if matches(command)), None)
            if label is not None:
                totals[label] += (int(fields[11]) + int(fields[12])) / self.tick
        return totals

    @staticmethod
    def spent(before: dict, after: dict) -> dict:
        return {label: after[label] - before[label] for label in before}
