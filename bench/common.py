"""What the benchmarks share beyond tests.support: the project root, their business, CPU time per process."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from tenants.models import Role
from tests.support.apps import bare_app, dispose
from tests.support.builders import build_business

ROOT = Path(__file__).resolve().parent.parent
BENCH_BAKERY = {  # an owner and two staff who take the delivery and staff categories' tasks in turn
    "name": "Bench Bakery", "locale": "en", "password": "bench password", "touchpoint": ("Counter", "store"),
    "team": (("owner@bench.example", "owner", Role.OWNER, "en"), ("a@bench.example", "a", Role.STAFF, "en"),
             ("b@bench.example", "b", Role.STAFF, "en")),
    "routes": {"delivery": ("a", "b"), "staff": ("a", "b")},
}


def create_business(url: str, plan: str = "pro", label: str | None = None) -> dict:
    """The bench's business in the database at `url`: build_business's dict (the tenant's id
    under "tenant", the touchpoint's token under "touchpoint" and its id under "touchpoint_id"), and the
    owner's address under "login". A `label` gives a second business in the same database a team of its
    own (addresses at <label>.bench.example)."""
    domain = f"{label}.bench.example" if label else "bench.example"
    team = tuple((email.replace("@bench.example", f"@{domain}"), *rest) for email, *rest in BENCH_BAKERY["team"])
    app = bare_app(url)
    business = build_business(app, plan=plan, slug=f"bench-{label or uuid.uuid4().hex[:6]}",
                              **{**BENCH_BAKERY, "team": team})
    dispose(app)
    return {**business, "login": f"owner@{domain}"}


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
