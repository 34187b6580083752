"""Periodic sweeps, run by `rq cron worker.cron` (the Procfile's clock process).
Each sweep is idempotent, so a second clock or a late run does no harm."""
from rq import cron

from worker.jobs import (
    sweep_billing,
    sweep_deadlines,
    sweep_digests,
    sweep_improvements,
    sweep_outbox,
    sweep_responses,
    sweep_score_clicks,
)
from worker.queue import QUEUE_NAME

cron.register(sweep_outbox, queue_name=QUEUE_NAME, interval=60)
cron.register(sweep_responses, queue_name=QUEUE_NAME, interval=60)
cron.register(sweep_score_clicks, queue_name=QUEUE_NAME, interval=30)
cron.register(sweep_deadlines, queue_name=QUEUE_NAME, interval=300)
cron.register(sweep_improvements, queue_name=QUEUE_NAME, interval=120)
cron.register(sweep_billing, queue_name=QUEUE_NAME, interval=300)
cron.register(sweep_digests, queue_name=QUEUE_NAME, interval=900)
