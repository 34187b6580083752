"""What the platform admins see of the queues and do with failed jobs, read from RQ's own registries.

None where there is no queue (the embedded set-up runs jobs inline); QueueUnreachable when Redis does not
answer, so a page can say so instead of failing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from saas.core import sweep_runs
from saas.core.extensions import db
from saas.core.timeutil import as_utc
from tenants import admin_actions
from worker.jobs import SCHEDULE
from worker.queue import LEARNING_QUEUE, QUEUE_NAME, redis_connection

FAILED_SHOWN = 100


class QueueUnreachable(Exception):
    pass


@dataclass(frozen=True)
class QueueDepth:
    name: str
    waiting: int
    running: int
    failed: int
    scheduled: int
    workers: int  # the workers taking jobs from it (none: its jobs wait until its Procfile process runs)


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    function: str
    arguments: str
    error: str  # the exception's last line; `traceback` has the rest
    traceback: str
    ended_at: datetime | None


@dataclass(frozen=True)
class SweepHealth:
    name: str
    every_seconds: int
    last: sweep_runs.SweepRun | None

    def late(self, now: datetime) -> bool:
        """Not run for three of its intervals (and a minute): the clock or the workers have stopped."""
        return self.last is None or (now - as_utc(self.last.finished_at)).total_seconds() > 3 * self.every_seconds + 60


def sweeps() -> list[SweepHealth]:
    """Every scheduled sweep with its latest run (None if it never ran here)."""
    runs = {run.name: run for run in sweep_runs.latest()}
    return [SweepHealth(sweep.__name__, seconds, runs.get(sweep.__name__)) for sweep, seconds in SCHEDULE.items()]


def _connection():
    url = current_app.config.get("REDIS_URL")
    return redis_connection(url) if url else None


def queue_depths() -> list[QueueDepth] | None:
    """The app's queues (and any other RQ knows), each with its jobs and the workers taking them."""
    connection = _connection()
    if connection is None:
        return None
    try:
        names = {QUEUE_NAME, LEARNING_QUEUE} | {queue.name for queue in Queue.all(connection=connection)}
        queues = [Queue(name, connection=connection) for name in sorted(names)]
        return [QueueDepth(queue.name, queue.count, queue.started_job_registry.count,
                           queue.failed_job_registry.count, queue.scheduled_job_registry.count,
                           Worker.count(connection=connection, queue=queue))
                for queue in queues]
    except RedisError as error:
        raise QueueUnreachable(str(error)) from error


def failed_jobs(limit: int = FAILED_SHOWN) -> list[FailedJob] | None:
    """The newest failed jobs of every queue, newest first."""
    connection = _connection()
    if connection is None:
        return None
    try:
        found = []
        for queue in Queue.all(connection=connection):
            ids = queue.failed_job_registry.get_job_ids(0, limit - 1, desc=True)
            found += [_failed(job, queue.name) for job in Job.fetch_many(ids, connection=connection) if job]
    except RedisError as error:
        raise QueueUnreachable(str(error)) from error
    return sorted(found, key=lambda job: job.ended_at or datetime.min, reverse=True)[:limit]


def _failed(job: Job, queue: str) -> FailedJob:
    result = job.latest_result()
    trace = (result.exc_string if result is not None else None) or ""
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    arguments = ", ".join([*map(repr, job.args or ()), *(f"{k}={v!r}" for k, v in (job.kwargs or {}).items())])
    return FailedJob(job.id, queue, job.func_name or "?", arguments, lines[-1] if lines else "", trace,
                     job.ended_at)


def requeue_failed(admin, job_id: str, reason: str) -> str:
    """Put a failed job back on its queue, audited; the function's name (LookupError if it is not a failed
    job). The caller commits the audit row."""
    registry, job = _failed_job(job_id)
    _audit(admin, "requeue_job", job, reason, "queued")
    _on_redis(lambda: registry.requeue(job))
    return job.func_name or "?"


def delete_failed(admin, job_id: str, reason: str) -> str:
    registry, job = _failed_job(job_id)
    _audit(admin, "delete_job", job, reason, "deleted")
    _on_redis(lambda: registry.remove(job, delete_job=True))
    return job.func_name or "?"


def _audit(admin, action: str, job: Job, reason: str, after: str) -> None:
    admin_actions.record(admin, None, action, reason, {"job": job.id, "function": job.func_name, "status": "failed"},
                         {"job": job.id, "status": after})
    db.session.flush()  # a refused reason stops here, before Redis is touched


def _on_redis(change) -> None:
    try:
        change()
    except RedisError as error:
        raise QueueUnreachable(str(error)) from error


def _failed_job(job_id: str) -> tuple[FailedJobRegistry, Job]:
    connection = _connection()
    if connection is None:
        raise LookupError(job_id)
    try:
        job = Job.fetch(job_id, connection=connection)
        registry = FailedJobRegistry(job.origin, connection=connection)
        if job_id not in registry:
            raise LookupError(job_id)
        return registry, job
    except (NoSuchJobError, InvalidJobOperation) as error:
        raise LookupError(job_id) from error
    except RedisError as error:
        raise QueueUnreachable(str(error)) from error
