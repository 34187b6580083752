"""The platform admins' operations pages (on saas.web.admin's blueprint, behind its gate): failed jobs,
emails and Stripe events, each action audited."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import Form, SelectField, StringField
from wtforms.validators import Length, Optional

from billing.models import StripeEvent
from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.scoping import unscoped
from saas.web.actions import apply_change, redirect_to
from saas.web.admin import ReasonForm, bp, fresh_code_or_ask, query_args
from saas.web.forms import options
from tenants import admin_actions, admin_numbers
from worker import jobs, operations
from worker.queue import enqueue


class OutboxFilterForm(Form):
    status = SelectField(_l("Status"), choices=options([(s.value, s.label) for s in MessageStatus]),
                         default="failed", validators=[Optional()])
    tenant = StringField(_l("Business (slug)"), validators=[Optional(), Length(max=80)])


class EventFilterForm(Form):
    status = SelectField(_l("Status"), choices=options([("", _l("Any status")), ("failed", _l("failed")),
                                                        ("pending", _l("waiting")), ("processed", _l("processed")),
                                                        ("ignored", _l("ignored"))]), validators=[Optional()])
    q = StringField(_l("Event, customer or type"), validators=[Optional(), Length(max=255)])


@bp.route("/outbox/")
def outbox():
    form = OutboxFilterForm(request.args)
    form.validate()
    with unscoped():
        page = admin_numbers.messages(form.status.data or "failed", form.tenant.data or "",
                                      request.args.get("page", 1, type=int))
        return render_template("admin/outbox.html", form=form, page=page, masked=admin_numbers.masked,
                               slugs=admin_numbers.slugs_of(message.tenant_id for message in page.items),
                               action_form=ReasonForm(), query_args=query_args())


@bp.route("/outbox/<int:message_id>/<any(retry, cancel):action>", methods=["POST"])
def outbox_action(message_id, action):
    return _operation("admin.outbox", action, Message, message_id, {
        "retry": (admin_actions.retry_email, _l("The email is due again."),
                  lambda: enqueue(jobs.deliver_message, message_id)),
        "cancel": (admin_actions.cancel_email, _l("The email is cancelled: it will not be sent."), None),
    })


@bp.route("/stripe-events/")
def stripe_events():
    form = EventFilterForm(request.args)
    form.validate()
    with unscoped():
        page = admin_numbers.stripe_events(form.status.data or "", form.q.data or "",
                                           request.args.get("page", 1, type=int))
        return render_template("admin/stripe_events.html", form=form, page=page, action_form=ReasonForm(),
                               query_args=query_args())


@bp.route("/stripe-events/<int:event_id>/replay", methods=["POST"])
def replay_stripe_event(event_id):
    return _operation("admin.stripe_events", "replay", StripeEvent, event_id, {
        "replay": (admin_actions.replay_event, _l("The event will be processed again."),
                   lambda: enqueue(jobs.process_stripe_event, event_id)),
    })


def _reason_or_back(back: str):
    """(the reason given, None), or (None, where to send the admin): a code again, or back to say why."""
    if (asked := fresh_code_or_ask(back)) is not None:
        return None, asked
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why: the reason goes into the audit log."), "error")
        return None, redirect(back)
    return form.reason.data, None


def _operation(page: str, action: str, model, row_id: int, actions: dict):
    """An audited action on one row of an operations page; then `after` (enqueue) once committed."""
    reason, answer = _reason_or_back(url_for(page, **_back_args()))
    if answer is not None:
        return answer
    change, said, after = actions[action]
    with unscoped():
        row = db.session.get(model, row_id) or abort(404)
        return apply_change(lambda: change(current_user, row, reason), said, page,
                            then=after, **_back_args())


def _back_args() -> dict:
    """The list's filters the action was made from (they travel in the form's query string)."""
    return {key: value for key, value in request.args.items() if key in {"status", "tenant", "q", "page"}}


@bp.route("/jobs/failed/")
def failed_jobs():
    try:
        found, error = operations.failed_jobs(), None
    except operations.QueueUnreachable as unreachable:
        found, error = [], str(unreachable)
    return render_template("admin/failed_jobs.html", jobs=found, queue_error=error, action_form=ReasonForm())


@bp.route("/jobs/failed/<job_id>/<any(requeue, delete):action>", methods=["POST"])
def failed_job_action(job_id, action):
    reason, answer = _reason_or_back(url_for("admin.failed_jobs"))
    if answer is not None:
        return answer
    change = operations.requeue_failed if action == "requeue" else operations.delete_failed
    try:
        with unscoped():
            function = change(current_user, job_id, reason)
    except operations.QueueUnreachable as error:
        db.session.rollback()
        return redirect_to("admin.failed_jobs", _("Redis cannot be reached: %(error)s", error=error), "error")
    db.session.commit()
    said = (_("%(function)s is queued again.", function=function) if action == "requeue"
            else _("%(function)s is deleted.", function=function))
    return redirect_to("admin.failed_jobs", said)
