"""The worker the Procfile runs: `rq worker -w worker.app_worker.AppWorker`. The one place outside
create_app's callers that builds the app: the jobs (worker.jobs) only expect an app context."""
from flask import Flask
from rq.worker import SimpleWorker

from saas.app import create_app
from saas.feedback import learned_models, lemmas


class AppWorker(SimpleWorker):
    """Runs jobs in the worker process itself, with the Flask app and its database
    connection pool built once. RQ's default forks a work horse per job, and a fresh
    horse must open a new database connection every time: that, not the work, was most
    of a job's cost (bench/pipeline.py). Job time limits still apply (SIGALRM), and a
    worker killed mid-job loses nothing: the job's transaction rolls back and the sweep
    enqueues the response again."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.app: Flask = create_app()
        lemmas.warm()  # the categoriser's dictionaries, once, not in the first job
        with self.app.app_context():  # and the app's model: this machine's file, else the database's
            learned_models.app_model()

    def execute_job(self, job, queue):
        # A context per job: each job gets a database session of its own, removed after it.
        with self.app.app_context():
            return super().execute_job(job, queue)
