"""Survey throughput and latency under gunicorn on PostgreSQL + Redis.

    python bench/survey.py [--seconds 10] [--concurrency 8]

Starts gunicorn with the Procfile's worker settings on a fresh PostgreSQL database
(DATABASE_URL names the server) and a redis-server of its own (submissions enqueue
their processing there; no worker drains it during the run), then for a fixed time at a fixed
concurrency measures: GET of a bare Flask endpoint on the same server (the baseline),
GET of a survey page, and POST of survey submissions. Prints requests/s, p50 and p99
latency and errors for each, each as a ratio to the bare endpoint, and checks that the
stored responses equal the successful POSTs. The survey rate limit is raised for the
run (every request comes from one address).
"""
from __future__ import annotations

import argparse
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import sqlalchemy as sa

from common import BIN, ROOT, create_business, free_port, own_redis, scratch_database


def stored_responses(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM response")).scalar_one()
    engine.dispose()
    return count


class Load:
    """`concurrency` threads, each on its own keep-alive connection, for `seconds`."""

    def __init__(self, port: int, concurrency: int, seconds: float):
        self.port, self.concurrency, self.seconds = port, concurrency, seconds

    def run(self, make_request) -> dict:
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        deadline = time.perf_counter() + self.seconds

        def worker():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            mine, failed = [], 0
            while time.perf_counter() < deadline:
                method, path, body, headers, ok = make_request()
                started = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    if response.status == ok:
                        mine.append(time.perf_counter() - started)
                    else:
                        failed += 1
                except (OSError, http.client.HTTPException):
                    failed += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.close()
            with lock:
                latencies.extend(mine)
                errors[0] += failed

        threads = [threading.Thread(target=worker) for _ in range(self.concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        ordered = sorted(latencies)
        return {
            "ok": len(ordered),
            "errors": errors[0],
            "rps": len(ordered) / elapsed,
            "p50": statistics.median(ordered) * 1000 if ordered else float("nan"),
            "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else float("nan"),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", default=os.environ.get("WEB_CONCURRENCY", "2"))
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp, own_redis(tmp) as redis_url, scratch_database("loopline_bench") as url:
        token = create_business(url)["token"]
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "bench",
               "SURVEY_RATE_LIMIT": "1000000 per minute", "BASE_URL": f"http://127.0.0.1:{port}"}
        gunicorn = subprocess.Popen(
            [BIN / "gunicorn", "bench.wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", args.workers,
             "--threads", "4", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )
        try:
            _wait_for(port)
            results = _measure(port, token, args)
            stored = stored_responses(url)
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=20)

    base = results["bare GET"]
    print(f"gunicorn workers={args.workers} threads=4, concurrency={args.concurrency}, {args.seconds:.0f} s per phase")
    print(f"{'endpoint':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}   {'req/s ratio':>11} {'p99 ratio':>9}")
    for label, r in results.items():
        print(f"{label:<12} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['errors']:6d}   "
              f"{r['rps'] / base['rps']:11.2f} {r['p99'] / base['p99']:9.2f}")
    posted = results["survey POST"]["ok"]
    print(f"stored responses: {stored}, successful POSTs: {posted}, lost: {posted - stored}")
    return 0 if stored == posted and all(r["errors"] == 0 for r in results.values()) else 1


def _measure(port: int, token: str, args) -> dict:
    load = Load(port, args.concurrency, args.seconds)
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def submission():
        body = urllib.parse.urlencode(
            {"score": secrets.randbelow(11), "comment": "Bench: the coffee was fine, the queue long.",
             "submission_key": secrets.token_urlsafe(24)}
        )
        return "POST", f"/s/{token}", body, form_headers, 302

    load.run(lambda: ("GET", "/bare/", None, {}, 200))  # warm-up, not reported
    return {
        "bare GET": load.run(lambda: ("GET", "/bare/", None, {}, 200)),
        "survey GET": load.run(lambda: ("GET", f"/s/{token}", None, {}, 200)),
        "survey POST": load.run(submission),
    }


def _wait_for(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


if __name__ == "__main__":
    sys.exit(main())
