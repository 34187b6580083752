"""Survey throughput and latency under gunicorn on PostgreSQL + Redis.

    python -m bench.survey [--seconds 10] [--concurrency 8]

Starts gunicorn with the Procfile's worker settings on a fresh PostgreSQL database
(DATABASE_URL names the server) and a redis-server of its own (submissions enqueue
their processing there; no worker drains it during the run), then for a fixed time at a fixed
concurrency measures, one phase each: GET of a bare Flask endpoint on the same server (the
baseline), POST of the same form body to a bare endpoint that stores it as one row (the
least a request that stores something can cost), GET of a survey page, and POST of survey
submissions. Prints requests/s, p50 and p99 latency and errors for each, each as a ratio
to the bare endpoint, and checks that the stored responses equal the successful POSTs.
The survey rate limit is raised for the run (every request comes from one address).

It also reads, from /proc, the CPU time each phase cost per request in the web server,
PostgreSQL, Redis and this load generator, and from those the ceiling: the ratio a
submission would reach if its work in the web server and the load generator cost no more
than the bare endpoint's, with the PostgreSQL and Redis work it causes left as measured.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse

import psycopg
import sqlalchemy as sa

from bench.common import ROOT, ProcessCpu, create_business
from tests.support.apps import scratch_database
from tests.support.processes import OwnRedis, free_port, start_gunicorn, stop_processes, wait_until_up


def _create_store_table(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CREATE TABLE bench_store (id bigserial PRIMARY KEY, body text NOT NULL)")


def stored_responses(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM response")).scalar_one()
    engine.dispose()
    return count


class Load:
    """`concurrency` threads, each on its own keep-alive connection, for `seconds`."""

    def __init__(self, port: int, concurrency: int, seconds: float, cpu: ProcessCpu):
        self.port, self.concurrency, self.seconds, self.cpu = port, concurrency, seconds, cpu

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
        cpu_before = self.cpu.snapshot()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu = ProcessCpu.spent(cpu_before, self.cpu.snapshot())
        ordered = sorted(latencies)
        return {
            "cpu_us": {group: seconds / max(len(ordered), 1) * 1e6 for group, seconds in cpu.items()},
            "busy_cores": sum(cpu.values()) / elapsed,
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
    with tempfile.TemporaryDirectory() as tmp, OwnRedis(tmp) as redis_server, scratch_database("loopline_bench") as url:
        token = create_business(url)["touchpoint"]
        store_dsn = url.replace("postgresql+psycopg://", "postgresql://")
        _create_store_table(store_dsn)
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_server.url, "SECRET_KEY": "bench", "BENCH_STORE_DSN": store_dsn,
               "SURVEY_RATE_LIMIT": "1000000 per minute", "BASE_URL": f"http://127.0.0.1:{port}", "TRUSTED_PROXIES": "1"}
        gunicorn = start_gunicorn("bench.wsgi:app", port, env, "--workers", args.workers, "--threads", "4",
                                  "--log-level", "warning", cwd=ROOT, capture=False)
        try:
            wait_until_up(f"http://127.0.0.1:{port}", gunicorn)
            cpu = ProcessCpu({
                "server": lambda command: "gunicorn" in command and f":{port}" in command,
                "postgres": lambda command: command.startswith("postgres"),
                "redis": lambda command: "redis-server" in command and str(redis_server.port) in command,
            })
            results = _measure(port, token, args, cpu)
            stored = stored_responses(url)
        finally:
            stop_processes(gunicorn)

    base = results["bare GET"]
    print(f"gunicorn workers={args.workers} threads=4, concurrency={args.concurrency}, {args.seconds:.0f} s per phase")
    print(f"{'endpoint':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}   {'req/s ratio':>11} {'p99 ratio':>9}")
    for label, r in results.items():
        print(f"{label:<12} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['errors']:6d}   "
              f"{r['rps'] / base['rps']:11.2f} {r['p99'] / base['p99']:9.2f}")
    _print_cpu(results)
    posted = results["survey POST"]["ok"]
    print(f"stored responses: {stored}, successful POSTs: {posted}, lost: {posted - stored}")
    return 0 if stored == posted and all(r["errors"] == 0 for r in results.values()) else 1


def _print_cpu(results: dict) -> None:
    groups = list(results["bare GET"]["cpu_us"])
    print(f"\nCPU per request, µs ({', '.join(groups)}; busy = cores in use)")
    for label, r in results.items():
        spent = "  ".join(f"{group} {r['cpu_us'][group]:6.0f}" for group in groups)
        print(f"{label:<12} {spent}  total {sum(r['cpu_us'].values()):6.0f}  busy {r['busy_cores']:.2f}")
    bare, post = results["bare GET"]["cpu_us"], results["survey POST"]["cpu_us"]
    floor = bare["server"] + bare["load"] + post["postgres"] + post["redis"]
    print(f"ceiling for survey POST (its server and load-generator work cut to the bare endpoint's, "
          f"its PostgreSQL and Redis work as measured): {sum(bare.values()) / floor:.2f} of the bare endpoint")
    print(f"survey POST against bare INSERT: {results['survey POST']['rps'] / results['bare INSERT']['rps']:.2f} "
          f"of its requests/s")


def _measure(port: int, token: str, args, cpu: ProcessCpu) -> dict:
    load = Load(port, args.concurrency, args.seconds, cpu)
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}

    numbers = itertools.count()

    def submission():
        # Each answer in words of its own: the same words and score from one address are one answer.
        body = urllib.parse.urlencode(
            {"score": secrets.randbelow(11), "comment": f"Bench answer {next(numbers)}: the coffee was fine, the queue long.",
             "submission_key": secrets.token_urlsafe(24)}
        )
        # Customers come from many addresses (the benchmarking range, RFC 2544): one address sending every
        # answer would be held as a flood after ten, a cheaper path than the one measured here.
        customer = f"198.{18 + secrets.randbelow(2)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
        return "POST", f"/s/{token}", body, {**form_headers, "X-Forwarded-For": customer}, 302

    def bare_store():
        return "POST", "/bare/store", submission()[2], form_headers, 200

    load.run(lambda: ("GET", "/bare/", None, {}, 200))  # warm-up, not reported
    return {
        "bare GET": load.run(lambda: ("GET", "/bare/", None, {}, 200)),
        "bare INSERT": load.run(bare_store),
        "survey GET": load.run(lambda: ("GET", f"/s/{token}", None, {}, 200)),
        "survey POST": load.run(submission),
    }


if __name__ == "__main__":
    sys.exit(main())
