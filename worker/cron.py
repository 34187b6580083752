"""Periodic sweeps, run by `rq cron worker.cron` (the Procfile's clock process), on worker.jobs.SCHEDULE.
Each sweep is idempotent, so a second clock or a late run does no harm."""
from rq import cron

from worker.jobs import SCHEDULE
from worker.queue import QUEUE_NAME

for sweep, seconds in SCHEDULE.items():
    cron.register(sweep, queue_name=QUEUE_NAME, interval=seconds)
