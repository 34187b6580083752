"""RQ job functions. Thin: take ids, run a service, commit.

They run inside an app context: the worker's (worker.app_worker, the one place that builds the app
for jobs) or the caller's when the queue runs them inline."""
from __future__ import annotations

import functools

import stripe

from billing import sync as mirror
from saas.core import outbox, sweep_runs
from saas.core.extensions import db
from saas.core.scoping import tenant_scope, unscoped
from saas.core.timeutil import utcnow
from saas.feedback import clicks, digest, improvements, learned_models, loop_stats, pipeline, quota, stats, sweeps
from saas.feedback.models import Improvement
from tenants import admin_actions, billing, deletion
from tenants.models import Tenant
from worker import mail
from worker.queue import LEARNING_QUEUE, enqueue


def recorded(sweep):
    """A sweep whose every run is written down (saas.core.sweep_runs), failures included."""

    @functools.wraps(sweep)
    def run(*args, **kwargs):
        started = utcnow()
        try:
            result = sweep(*args, **kwargs)
        except Exception as error:
            db.session.rollback()
            sweep_runs.record(sweep.__name__, started, False, repr(error)[:500])
            db.session.commit()
            raise
        sweep_runs.record(sweep.__name__, started, True, result)
        db.session.commit()
        return result

    return run


def deliver_message(message_id: int):
    with unscoped():
        status = mail.deliver(message_id)
    return status.value if status else None


@recorded
def sweep_outbox() -> int:
    """Re-enqueue pending messages whose delivery time has come (first try lost, or retry due)."""
    ids = outbox.claim_due_messages()
    db.session.commit()
    for message_id in ids:
        enqueue(deliver_message, message_id)
    return len(ids)


def process_response(response_id: int):
    """Categorise a response and hand it to a person (saas.feedback.pipeline)."""
    task = pipeline.process_response(response_id)
    task_id = task.id if task else None  # read before the commit expires it (no reload)
    db.session.commit()
    return task_id


@recorded
def sweep_responses() -> int:
    """Re-enqueue responses still waiting for processing after a few minutes."""
    with unscoped():
        ids = sweeps.claim_stale_responses()
    db.session.commit()
    for response_id in ids:
        enqueue(process_response, response_id)
    return len(ids)


@recorded
def sweep_score_clicks() -> int:
    """Settled one-click scores become answers (and are processed), mail scanners' bursts are dropped."""
    with unscoped():
        waiting, _dropped = clicks.settle_clicks()
    db.session.commit()
    for response_id in waiting:
        enqueue(process_response, response_id)
    return len(waiting)


@recorded
def sweep_deadlines() -> dict:
    """Remind assignees past their deadline; escalate to owners and admins at twice the SLA."""
    with unscoped():
        reminded = sweeps.send_reminders()
        escalated = sweeps.send_escalations()
    db.session.commit()
    return {"reminded": reminded, "escalated": escalated}


@recorded
def sweep_improvements() -> int:
    """Re-enqueue improvements whose fan-out was asked for and never finished."""
    with unscoped():
        unfinished = sweeps.claim_unfinished_improvements()
    db.session.commit()
    for tenant_id, improvement_id in unfinished:
        enqueue(send_improvement, tenant_id, improvement_id)
    return len(unfinished)


def send_improvement(tenant_id: int, improvement_id: int) -> int:
    """Fan an improvement out in batches, a commit each: a re-run or a retry sends nothing twice."""
    total = 0
    with tenant_scope(tenant_id):
        while True:
            improvement = db.session.get(Improvement, improvement_id)
            if improvement is None:
                return total
            sent = improvements.send_batch(improvement)
            db.session.commit()
            total += sent
            if not sent:
                return total


def process_stripe_event(event_id: int) -> None:
    """Re-read the subscription a webhook event is about and apply it (a bigger plan unlocks answers). If
    Stripe cannot be reached the error is recorded and raised, so RQ retries; the event stays pending for
    the sweep meanwhile."""
    try:
        with unscoped():
            changed_tenant = billing.process_event(event_id)
        db.session.commit()
        if changed_tenant is not None:
            enqueue(unlock_responses, changed_tenant)
    except stripe.StripeError as error:
        db.session.rollback()
        with unscoped():
            mirror.fail_event(event_id, repr(error))
        db.session.commit()
        raise


@recorded
def sweep_digests() -> int:
    """Queue the weekly digests that are due (Monday morning in each business's time zone), once each."""
    with unscoped():
        queued = digest.send_due()
    db.session.commit()
    return queued


@recorded
def sweep_billing() -> dict:
    """Events pending too long are processed again; plans whose grace or comp ended fall back."""
    with unscoped():
        overdue = billing.overdue_events()
        changed = billing.apply_deadlines()
    db.session.commit()
    for event_id in overdue:
        enqueue(process_stripe_event, event_id)
    return {"events": len(overdue), "plans_changed": changed}


@recorded
def sweep_purges() -> int:
    """Businesses deleted more than 30 days ago are purged, each in a transaction of its own."""
    purged = 0
    with unscoped():
        for tenant_id in deletion.due_for_purge():
            admin_actions.purge(db.session.get(Tenant, tenant_id))
            db.session.commit()
            purged += 1
    return purged


def train_categoriser(tenant_id: int) -> int | None:
    """A new version of the business's learned categoriser from its corrections; its version."""
    with unscoped():
        tenant = db.session.get(Tenant, tenant_id)
        with tenant_scope(tenant_id):
            model = learned_models.train_for(tenant) if tenant is not None else None
            version = model.version if model is not None else None
    db.session.commit()
    return version


@recorded
def sweep_models() -> int:
    """Businesses with enough new corrections (or a day's) get their categoriser trained again: once, while
    a training of theirs still waits (the learner may be behind, or not running)."""
    with unscoped():
        due = learned_models.due_for_training()
    for tenant_id in due:
        enqueue(train_categoriser, tenant_id, job_id=f"train-categoriser-{tenant_id}", queue_name=LEARNING_QUEUE)
    return len(due)


def unlock_responses(tenant_id: int) -> int:
    """After the plan changed: the locked answers it now has room for are unlocked and processed."""
    with unscoped():
        tenant = db.session.get(Tenant, tenant_id)
        unlocked = quota.unlock_within_quota(tenant) if tenant is not None else []
    db.session.commit()
    for response_id in unlocked:
        enqueue(process_response, response_id)
    return len(unlocked)


def rebuild_stats(tenant_id: int) -> int:
    """Recount a business's dashboard numbers from its answers (its time zone changed)."""
    with unscoped():
        tenant = db.session.get(Tenant, tenant_id)
        counted = stats.rebuild(tenant) if tenant is not None else 0
        if tenant is not None:
            loop_stats.rebuild(tenant)
    db.session.commit()
    return counted


# The sweeps the clock process runs (worker.cron), and how often, in seconds.
SCHEDULE = {
    sweep_outbox: 60, sweep_responses: 60, sweep_score_clicks: 30, sweep_deadlines: 300, sweep_improvements: 120,
    sweep_billing: 300, sweep_digests: 900, sweep_purges: 3600, sweep_models: 600,
}
