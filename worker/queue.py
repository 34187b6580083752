"""The one way the app runs background work: enqueue().

With REDIS_URL set, jobs go to RQ and an `rq worker` runs them. Without it (the
embedded default) they run inline, right away, in a fresh app context so they get a
database session of their own, exactly as a worker would.

Enqueueing never fails the caller: if Redis is unreachable the work is still
recorded in the database (a pending Message, a response waiting for processing)
and the sweeps enqueue it later.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)
QUEUE_NAME = "default"
LEARNING_QUEUE = "learning"  # training the businesses' categorisers: the Procfile's learner process takes it


@lru_cache(maxsize=8)
def redis_connection(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def get_queue(name: str = QUEUE_NAME) -> Queue | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    return Queue(name, connection=redis_connection(url))


# A job that fails (a deadlock, a database restart) is tried again after these delays;
# after that the sweeps still catch whatever it left undone.
RETRY = Retry(max=3, interval=[10, 60, 300])
RESULT_TTL = 0  # what a job returns is in the database already; failures are kept a week
PENDING = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def enqueue(func, *args, job_id: str | None = None, queue_name: str = QUEUE_NAME, **kwargs):
    """Run func(*args, **kwargs) in the background; returns the RQ job, or None when
    it ran inline or could not be enqueued (the sweeps will catch up). A `job_id` names one
    job: while it waits or runs, enqueueing it again returns it instead of queueing a second."""
    queue = get_queue(queue_name)
    if queue is None:
        _run_inline(func, *args, **kwargs)
        return None
    try:
        if job_id is not None and (waiting := _pending(job_id, queue)) is not None:
            return waiting
        # One round trip to Redis instead of two: RQ writes the job and pushes it onto
        # the queue in the pipeline it is given, and we send that pipeline once.
        with queue.connection.pipeline() as pipeline:
            job = queue.enqueue(func, args=args, kwargs=kwargs, job_id=job_id, retry=RETRY, result_ttl=RESULT_TTL,
                                failure_ttl=7 * 24 * 3600, pipeline=pipeline)
            pipeline.execute()
        return job
    except RedisError as error:
        # One line, no traceback: during an outage every request says it, and the sweep catches up.
        log.warning("could not enqueue %s%r (%s); the sweep will retry", func.__name__, args, error)
        return None


def _pending(job_id: str, queue: Queue) -> Job | None:
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return None
    return job if job.get_status() in PENDING else None


def _run_inline(func, *args, **kwargs) -> None:
    app = current_app._get_current_object()
    with app.app_context():
        try:
            func(*args, **kwargs)
        except Exception:
            # Same contract as a worker: the job failed, the data stays for the sweep.
            log.exception("inline job %s%r failed", func.__name__, args)
