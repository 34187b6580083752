"""Whether sign-up and "forgot password" take the same time for an address with an account and one without.

    python -m bench.accounts [--requests 300]

The app runs in this process (test client, PostgreSQL, jobs inline as in the embedded default but with
SMTP off: emails go to a folder), each request for a different address, so the per-address cap never
cuts the work short. The two kinds of request alternate, so drift hits both alike. Prints the median
and 90th percentile of each, and the ratio known / unknown (1.00 means nothing to tell them apart by).
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from saas.core.extensions import db
from tenants.models import User
from tests.support.apps import make_app, scratch_database

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _accounts(app, count: int) -> list[str]:
    with app.app_context():
        emails = [f"known{n}@example.com" for n in range(count)]
        db.session.add_all(User(email=email, name="Known", locale="en", password_hash="x") for email in emails)
        db.session.commit()
        return emails


def _timed(client, url: str, form: dict) -> float:
    started = time.perf_counter()
    response = client.post(url, data=form)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed


def _measure(app, url: str, fields, known: list[str]) -> dict[str, list[float]]:
    client = app.test_client()
    token = CSRF.search(client.get(url).get_data(as_text=True)).group(1)
    times = {"known": [], "unknown": []}
    for n, email in enumerate(known):
        for kind, address in (("known", email), ("unknown", f"nobody{n}@example.com")):
            times[kind].append(_timed(client, url, {"csrf_token": token, **fields(address)}))
    return times


def _report(name: str, times: dict[str, list[float]]) -> None:
    warm = {kind: sorted(values[20:]) for kind, values in times.items()}  # the first ones warm caches
    line = []
    for kind, values in warm.items():
        median, p90 = statistics.median(values), values[int(len(values) * 0.9)]
        line.append(f"{kind}: median {median * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms")
    ratio = statistics.median(warm["known"]) / statistics.median(warm["unknown"])
    print(f"{name:<8} {'; '.join(line)}; known/unknown {ratio:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="of each kind, per form")
    args = parser.parse_args()
    with scratch_database("loopline_bench_accounts") as url, tempfile.TemporaryDirectory() as folder:
        app = make_app(url, Path(folder), TESTING=False, RESET_RATE_LIMIT="100000 per minute")
        known = _accounts(app, args.requests)
        _report("forgot", _measure(app, "/forgot", lambda email: {"email": email}, known))
        _report("signup", _measure(app, "/signup", lambda email: {"business_name": "Shop", "name": "Ann",
                                                                  "email": email}, known))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
