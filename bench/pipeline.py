"""Pipeline throughput against RQ's own per-job cost.

    python -m bench.pipeline [--responses 5000] [--workers 2] [--learned]

On a fresh PostgreSQL database (DATABASE_URL names the server) and a redis-server of its
own: stores N realistic responses (English, Russian and Ukrainian comments, all bands),
enqueues process_response for each and drains the queue with W `rq worker --burst`
processes run as the Procfile runs them (assignment emails are queued and delivered to
the outbox folder by the same workers). Then drains N no-op jobs the same way. Rounds
alternate the two; prints the median responses per second, the median no-op jobs per
second, and their ratio (target: at least 0.25). The business's answers are read by the rules joined with
the app's model, as a new business's are; with --learned it first gets a categoriser of its own, learned
from 300 corrections, which process_response then joins with the rules instead.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time

import sqlalchemy as sa
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry

from bench.common import ROOT, create_business
from bench.jobs import noop
from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.feedback import categories, learned_models, learning
from saas.feedback.models import Correction
from tenants.models import Tenant
from tests.support.apps import bare_app, dispose, scratch_database
from tests.support.processes import OwnRedis, worker_command
from worker.jobs import process_response
from worker.queue import RESULT_TTL


def store_responses(url: str, business: dict, count: int) -> list[int]:
    from saas.cli.demo_feedback import COMMENTS

    rng = random.Random(7)
    engine = sa.create_engine(url)
    rows = []
    for _ in range(count):
        locale = rng.choice(["en", "ru", "uk"])
        band = rng.choice(list(COMMENTS[locale]))
        score = {"promoter": rng.randint(9, 10), "passive": rng.randint(7, 8), "detractor": rng.randint(0, 6)}[band.value]
        rows.append({
            "tenant_id": business["tenant"], "touchpoint_id": business["touchpoint_id"], "metric": "nps",
            "score": score, "comment": rng.choice(COMMENTS[locale][band]), "consent": False, "locale": locale,
            "channel": "link", "hidden": "{}", "state": "received", "submission_key": secrets.token_urlsafe(24),
        })
    with engine.begin() as conn:
        ids = _insert(conn, rows)
    engine.dispose()
    return ids


def give_a_learned_model(url: str, business: dict, corrections: int = 300) -> int:
    """The business as it is after `corrections` corrections: answers with the shipped labelled comments,
    each corrected to its labels (and, where the rules made it a task, to whether it needed an action), and
    the model train_for makes of them (the pipeline then loads it). Returns how many answers it stored."""
    shipped = random.Random(11).sample(learning.corpus(), corrections)
    tasks = {example.text for example in learning.tasks_among(shipped)}
    app = bare_app(url)
    with app.app_context(), unscoped():
        tenant = db.session.get(Tenant, business["tenant"])
        ids = {category.key: category.id for category in categories.ensure_categories(tenant) if category.key}
        db.session.commit()
        rows = [{"tenant_id": tenant.id, "touchpoint_id": business["touchpoint_id"], "metric": example.metric,
                 "score": 5 if example.score is None else example.score,
                 "comment": example.text, "consent": False, "locale": example.locale or "en", "channel": "link",
                 "hidden": "{}", "state": "categorised", "submission_key": secrets.token_urlsafe(24)}
                for example in shipped]
        with db.engine.begin() as conn:
            answers = _insert(conn, rows)
        for answer, example in zip(answers, shipped):
            db.session.add(Correction(tenant_id=tenant.id, response_id=answer,
                                      category_ids=sorted(ids[key] for key in example.labels),
                                      needs_action=example.needs_action if example.text in tasks else None))
        db.session.commit()
        stored = learned_models.train_for(tenant)
        db.session.commit()
        decided = stored.report.get(learned_models.NEEDS_ACTION, {}).get("examples", 0)
        print(f"learned model: version {stored.version} from {stored.examples} corrections "
              f"({decided} tasks' decisions), {len(stored.blob) / 1e6:.1f} MB")
    dispose(app)
    return len(answers)


def _insert(conn, rows) -> list[int]:
    statement = sa.text(
        "INSERT INTO response (tenant_id, touchpoint_id, metric, score, comment, consent, locale, channel, hidden,"
        " state, submission_key, created_at, updated_at) VALUES (:tenant_id, :touchpoint_id, :metric, :score,"
        " :comment, :consent, :locale, :channel, CAST(:hidden AS JSON), :state, :submission_key, now(), now())"
        " RETURNING id"
    )
    return [conn.execute(statement, row).scalar_one() for row in rows]


def drain(redis_url: str, env: dict, workers: int) -> float:
    """Seconds for `workers` burst workers to empty the queue. They run in the project root,
    which is also on their PYTHONPATH, so they import bench.jobs as this process does."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(worker_command(redis_url, "--burst", "--quiet"), cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    for process in processes:
        _, errors = process.communicate(timeout=3600)
        if process.returncode != 0:
            raise RuntimeError(errors[-2000:])
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--learned", action="store_true",
                        help="first give the business a model learned from 300 corrections, as it has after a while")
    args = parser.parse_args()

    pipeline_rates, noop_rates = [], []
    with tempfile.TemporaryDirectory() as tmp, OwnRedis(tmp) as redis_server, scratch_database("loopline_pipe") as url:
        redis_url = redis_server.url
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "bench",
               "OUTBOX_DIR": os.path.join(tmp, "outbox"), "PYTHONPATH": str(ROOT)}
        env.pop("SMTP_URL", None)
        business = create_business(url)
        corrected = give_a_learned_model(url, business) if args.learned else 0
        queue = Queue("default", connection=Redis.from_url(redis_url))
        for _ in range(args.rounds):  # alternating rounds: a noisy neighbour hits both alike
            ids = store_responses(url, business, args.responses)
            queue.enqueue_many([Queue.prepare_data(process_response, (i,), result_ttl=RESULT_TTL) for i in ids])
            pipeline_rates.append(args.responses / drain(redis_url, env, args.workers))
            report_failures(queue)
            queue.enqueue_many([Queue.prepare_data(noop, result_ttl=RESULT_TTL) for _ in range(args.responses)])
            noop_rates.append(args.responses / drain(redis_url, env, args.workers))
        processed, tasks, emails = counts(url)
        processed -= corrected

    pipeline_rate, noop_rate = statistics.median(pipeline_rates), statistics.median(noop_rates)
    learned = ", with a learned model" if args.learned else ""
    print(f"{args.responses} responses x {args.rounds} rounds, {args.workers} workers "
          f"(rq worker -w worker.app_worker.AppWorker --burst){learned}; medians")
    print(f"pipeline: {pipeline_rate:8.1f} responses/s  {[round(r) for r in pipeline_rates]}"
          f"  ({processed} processed, {tasks} tasks, {emails} emails sent)")
    print(f"no-op:    {noop_rate:8.1f} jobs/s       {[round(r) for r in noop_rates]}")
    print(f"ratio:    {pipeline_rate / noop_rate:8.2f}  (target >= 0.25)")
    return 0 if processed == args.responses * args.rounds else 1


def report_failures(queue: Queue) -> None:
    for job_id in FailedJobRegistry(queue=queue).get_job_ids()[:3]:
        print("failed job:", Job.fetch(job_id, connection=queue.connection).latest_result().exc_string[-1500:])


def counts(url: str) -> tuple[int, int, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        processed = conn.execute(sa.text("SELECT count(*) FROM response WHERE state = 'categorised'")).scalar_one()
        tasks = conn.execute(sa.text("SELECT count(*) FROM task")).scalar_one()
        emails = conn.execute(sa.text("SELECT count(*) FROM message WHERE status = 'sent'")).scalar_one()
    engine.dispose()
    return processed, tasks, emails


if __name__ == "__main__":
    sys.exit(main())
