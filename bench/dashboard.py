"""The dashboard and its export on a big business against a small one, on PostgreSQL.

    python -m bench.dashboard [--responses 1000000] [--small 10000] [--requests 20]

Builds a scratch database (DATABASE_URL names the server) with two businesses of the bench's kind: a big
one with --responses answers spread over two years and a small one with --small, both with the same mix
(three touchpoints, three channels and languages, one or two topics per answer, a task for one answer in
four, a third of those replied to). Rows are loaded with COPY and the dashboard's kept counts are filled by
`stats.rebuild`, as `flask stats rebuild` fills them.

Then, in this process, for each business: --requests GETs of /dashboard for the last 90 days and for the
two years (median and p95 in ms, and the big one's cost as a ratio of the small one's), and the CSV export
of the answers of the period holding 100,000 of the big one's rows, streamed to nowhere while the growth
of this process's resident memory is sampled."""
from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

import psycopg

from bench.common import BENCH_BAKERY, create_business
from saas.app import create_app
from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback import loop_stats, stats, touchpoints
from saas.feedback.models import Category, TouchpointKind
from tenants.models import Tenant
from tests.support.apps import dispose, scratch_database
from tests.support.http import login

DAYS = 730
LOCALES, CHANNELS = ("en", "ru", "uk"), ("link", "qr", "email")
WORDS = ("coffee", "queue", "courier", "price", "staff", "cake", "app", "card", "table", "music")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _touchpoints_and_categories(app, tenant_id: int) -> tuple[list[int], list[int]]:
    with app.app_context(), unscoped():
        tenant = db.session.get(Tenant, tenant_id)
        for name, kind in (("Website", TouchpointKind.WEBSITE), ("Delivery", TouchpointKind.DELIVERY)):
            touchpoints.create_touchpoint(tenant, name, kind)
        db.session.commit()
        ids = [touchpoint.id for touchpoint in touchpoints.touchpoints(tenant)]
        categories = [category.id for category in db.session.query(Category).filter_by(tenant_id=tenant_id)]
    return ids, categories


def load(dsn: str, tenant_id: int, touchpoint_ids: list[int], category_ids: list[int], count: int,
         memberships: list[int], now: datetime) -> None:
    """`count` processed answers over the last DAYS days, their topics and a task for one in four, by COPY."""
    rng = random.Random(tenant_id)
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        first_id = cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM response").fetchone()[0]
        with cursor.copy("COPY response (id, tenant_id, touchpoint_id, metric, score, comment, consent, locale, channel,"
                         " hidden, state, submission_key, stats_score, sentiment, needs_reply, needs_action,"
                         " processed_at, created_at, updated_at) FROM STDIN") as copy:
            for n in range(count):
                score = rng.choice((0, 2, 5, 6, 7, 8, 8, 9, 9, 10, 10))
                created = now - timedelta(seconds=rng.randrange(DAYS * 86400))
                comment = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 12)))
                copy.write_row((first_id + n, tenant_id, rng.choice(touchpoint_ids), "nps", score, comment, False,
                                rng.choice(LOCALES), rng.choice(CHANNELS), "{}", "done", secrets.token_hex(12), score,
                                "negative" if score < 7 else "positive", score < 7, score < 4, created, created, created))
        with cursor.copy("COPY response_category (response_id, category_id, source, tenant_id) FROM STDIN") as copy:
            for n in range(count):
                for category_id in rng.sample(category_ids, rng.choice((1, 1, 2))):
                    copy.write_row((first_id + n, category_id, "rule", tenant_id))
        with cursor.copy("COPY task (response_id, assignee_id, status, due_at, escalate_at, first_reply_at,"
                         " resolved_at, created_at, tenant_id) FROM STDIN") as copy:
            for n in range(0, count, 4):
                copy.write_row((first_id + n, rng.choice(memberships), *_task_life(rng, now), tenant_id))
        cursor.execute("SELECT setval('response_id_seq', (SELECT max(id) FROM response))")
        connection.commit()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("ANALYZE")


def _task_life(rng, now: datetime) -> tuple:
    """(status, due, escalate, first reply, resolved, created) of a task as a business keeps them: most are
    answered within a day or two; a task older than two weeks is closed (resolved, or dismissed unanswered)."""
    created = now - timedelta(seconds=rng.randrange(DAYS * 86400))
    replied = created + timedelta(hours=rng.choice((0.5, 1, 2, 3, 5, 8, 20, 30, 60))) if rng.random() < 0.8 else None
    if now - created > timedelta(days=14):
        status = "resolved" if replied else "dismissed"
        resolved = (replied or created) + timedelta(hours=rng.randrange(1, 96))
    else:
        status, resolved = ("in_progress" if replied else "open"), None
    return status, created + timedelta(hours=24), created + timedelta(hours=48), replied, resolved, created


def count_in_sql(dsn: str, tenant_id: int) -> None:
    """The kept counts (DailyScore, DailyCategory) of the loaded answers, as stats.rebuild() would count them
    (days in the business's time zone), in two INSERT … SELECT … GROUP BY: rebuild() reads a million rows
    through Python, for minutes."""
    day = "(r.created_at AT TIME ZONE t.timezone)::date"
    with psycopg.connect(dsn) as connection:
        connection.execute(
            "INSERT INTO daily_score (tenant_id, day, touchpoint_id, channel, locale, metric, score, count)"
            f" SELECT r.tenant_id, {day}, r.touchpoint_id, r.channel, r.locale, r.metric, r.score, count(*)"
            " FROM response r JOIN tenant t ON t.id = r.tenant_id WHERE r.tenant_id = %s"
            " GROUP BY 1, 2, 3, 4, 5, 6, 7", (tenant_id,))
        connection.execute(
            "INSERT INTO daily_category (tenant_id, day, touchpoint_id, channel, locale, metric, category_id, score,"
            " count)"
            f" SELECT r.tenant_id, {day}, r.touchpoint_id, r.channel, r.locale, r.metric, rc.category_id, r.score,"
            " count(*) FROM response r JOIN tenant t ON t.id = r.tenant_id"
            " JOIN response_category rc ON rc.response_id = r.id WHERE r.tenant_id = %s"
            " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8", (tenant_id,))
        connection.execute("UPDATE response r SET stats_categories = coalesce((SELECT json_agg(rc.category_id"
                           " ORDER BY rc.category_id) FROM response_category rc WHERE rc.response_id = r.id), '[]')"
                           " WHERE r.tenant_id = %s", (tenant_id,))
        connection.execute(_LOOP_COUNTS.format(day=day, buckets=_reply_buckets()), (tenant_id,))
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("ANALYZE")


_LOOP_COUNTS = """
INSERT INTO daily_loop (tenant_id, day, touchpoint_id, locale, category_id, assignee_id, answers, decided, need_reply,
  replied, tasks, resolved, resolved_in_time, open_tasks, asked, solved_yes, solved_no, reopened,
  {columns})
SELECT r.tenant_id, {day}, r.touchpoint_id, r.locale, topic.category_id, coalesce(k.assignee_id, 0), count(*),
  count(*) FILTER (WHERE r.needs_reply IS NOT NULL AND r.needs_action IS NOT NULL),
  count(*) FILTER (WHERE r.needs_reply), count(*) FILTER (WHERE r.needs_reply AND k.first_reply_at IS NOT NULL),
  count(k.id), count(*) FILTER (WHERE k.status = 'resolved'),
  count(*) FILTER (WHERE k.status = 'resolved' AND k.resolved_at <= k.due_at),
  count(*) FILTER (WHERE k.status IN ('open', 'in_progress')), 0, count(*) FILTER (WHERE k.customer_solved),
  count(*) FILTER (WHERE NOT k.customer_solved), 0, {buckets}
FROM response r JOIN tenant t ON t.id = r.tenant_id LEFT JOIN task k ON k.response_id = r.id
CROSS JOIN LATERAL (SELECT 0 AS category_id UNION ALL
                    SELECT rc.category_id FROM response_category rc WHERE rc.response_id = r.id) topic
WHERE r.tenant_id = %s GROUP BY 1, 2, 3, 4, 5, 6
""".replace("{columns}", ", ".join(loop_stats.REPLY_COLUMNS))


def _reply_buckets() -> str:
    """The first-reply histogram's columns as SQL: each counts the replies after more than the bound before
    it and at most its own bound (loop_stats.reply_column)."""
    hours = "extract(epoch FROM k.first_reply_at - r.created_at) / 3600"
    lows = (None, *loop_stats.REPLY_BOUNDS)
    highs = (*loop_stats.REPLY_BOUNDS, None)
    return ", ".join(
        "count(*) FILTER (WHERE k.first_reply_at IS NOT NULL"
        + (f" AND {hours} > {low}" if low is not None else "")
        + (f" AND {hours} <= {high}" if high is not None else "") + ")"
        for low, high in zip(lows, highs, strict=True))


def _check_counts(app, tenant_id: int) -> None:
    """The SQL-made counts equal stats.recount() (for the small business: it reads every row)."""
    with app.app_context(), unscoped():
        tenant = db.session.get(Tenant, tenant_id)
        assert stats.running(tenant) == stats.recount(tenant), "the bench's counts differ from a recount"
        assert stats.running_categories(tenant) == stats.recount_categories(tenant)
        assert loop_stats.running(tenant) == loop_stats.recount(tenant)


def _timed(client, path: str, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    now = datetime.now(timezone.utc)
    with scratch_database("loopline_bench_dashboard") as url:
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "SECRET_KEY": "bench-dashboard" * 3,
                          "RATELIMIT_ENABLED": False})
        businesses = {}
        for label, count in (("big", args.responses), ("small", args.small)):
            business = create_business(url, label=label)
            ids, categories = _touchpoints_and_categories(app, business["tenant"])
            members = [business[name] for name in ("owner", "a", "b")]
            started = time.perf_counter()
            load(dsn, business["tenant"], ids, categories, count, members, now)
            count_in_sql(dsn, business["tenant"])
            print(f"{label}: {count} answers loaded and counted in {time.perf_counter() - started:.0f} s", flush=True)
            businesses[label] = business
        _check_counts(app, businesses["small"]["tenant"])
        results = {label: _measure(app, business, args.requests) for label, business in businesses.items()}
        dispose(app)
    _report(results)
    return 0


def _measure(app, business: dict, requests: int) -> dict:
    client = app.test_client()
    assert login(client, business["login"], BENCH_BAKERY["password"]).status_code == 302
    found = {"export": _export(client, app, business)}  # first: the dashboards' garbage would hide its growth
    for label, query in (("90 days", "period=90d"), ("two years", _two_years())):
        client.get(f"/dashboard?{query}")  # warm
        found[label] = _timed(client, f"/dashboard?{query}", requests)
    return found


def _export(client, app, business: dict) -> tuple[int, float]:
    """(rows, MB of resident memory grown) for the CSV export of about 100,000 answers, read chunk by chunk."""
    with client.get("/dashboard/answers.csv?period=7d") as warm:  # code and caches loaded before measuring
        warm.get_data()
    before = rss_mb()
    peak, rows = before, 0
    with client.get(f"/dashboard/answers.csv?{_export_period(app, business)}") as streamed:
        for chunk in streamed.response:
            rows += chunk.count("\n") if isinstance(chunk, str) else chunk.count(b"\n")
            if rows % 2000 == 0:
                peak = max(peak, rss_mb())
    return rows - 1, max(peak, rss_mb()) - before


def _two_years() -> str:
    today = datetime.now(timezone.utc).date()
    return f"period=custom&from={(today - timedelta(days=DAYS - 1)).isoformat()}&to={today.isoformat()}"


def _export_period(app, business: dict) -> str:
    """A custom period ending today that holds about 100,000 of the business's answers (all, if fewer)."""
    with psycopg.connect(app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")) as c:
        oldest = c.execute("SELECT min(created_at) FROM (SELECT created_at FROM response WHERE tenant_id = %s"
                           " ORDER BY created_at DESC LIMIT 100000) newest", (business["tenant"],)).fetchone()[0]
    today = datetime.now(timezone.utc).date()
    return f"period=custom&from={oldest.date().isoformat()}&to={today.isoformat()}"


def _report(results: dict) -> None:
    print(f"\n{'dashboard':<22} {'median ms':>10} {'p95 ms':>8}")
    for label in ("90 days", "two years"):
        for size in ("small", "big"):
            times = sorted(results[size][label])
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"{size + ', ' + label:<22} {statistics.median(times):10.1f} {p95:8.1f}")
        ratio = statistics.median(results["big"][label]) / statistics.median(results["small"][label])
        print(f"{'  big / small':<22} {ratio:10.2f}")
    for size in ("small", "big"):
        rows, growth = results[size]["export"]
        print(f"export, {size}: {rows} rows, resident memory grew {growth:.1f} MB while streaming")


if __name__ == "__main__":
    sys.exit(main())
