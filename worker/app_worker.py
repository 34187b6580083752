"""The worker class the Procfile runs: `rq worker -w worker.app_worker.AppWorker`."""
from rq.worker import Worker

from worker.jobs import worker_app


class AppWorker(Worker):
    """Builds the Flask app once, in the worker process. RQ forks a work horse for every
    job; the horse inherits the built app instead of building its own each time. The
    parent never touches the database, so no connection is shared across the fork."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        worker_app()
