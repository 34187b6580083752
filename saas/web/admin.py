"""The platform admins' pages under /admin/. Anyone else, and a platform admin without two-factor log-in,
meets a 404 on every one of them: the pages do not exist for them. A platform admin with two-factor gives
a current code once per browser session (saas.web.admin_access) before the pages open.

Queries here look across tenants on purpose (unscoped) and show numbers, never a business's customers."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, Form, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from billing import entitlement
from billing.models import StripeEvent
from billing.plans import PLANS
from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.scoping import unscoped
from saas.core.timeutil import utcnow
from saas.feedback import platform, stats
from saas.web import impersonation
from saas.web.actions import apply_change, redirect_to, submit
from saas.web.admin_access import mark_verified, verified_recently
from saas.web.charts import daily_bars
from saas.web.context import safe_next
from saas.web.extensions import csrf, limiter
from saas.web.forms import options
from tenants import admin_actions, admin_numbers, deletion, two_factor
from tenants.models import Role, Tenant, TenantStatus
from worker import jobs, operations
from worker.queue import enqueue

bp = Blueprint("admin", __name__, url_prefix="/admin")
csrf.exempt(bp)  # checked by the gate below instead
OPEN_BEFORE_CODE = {"admin.verify"}


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True})


@bp.before_request
def only_platform_admins_with_two_factor():
    user = current_user
    if not (user.is_authenticated and user.is_platform_admin and two_factor.is_enabled(user)):
        abort(404)
    if request.method == "POST":
        csrf.protect()  # here, after the 404: for anyone else even a form without a token finds nothing
    if request.endpoint not in OPEN_BEFORE_CODE and not verified_recently():
        return redirect(url_for("admin.verify", next=request.full_path))
    return None


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def verify():
    form = CodeForm()

    def check():
        two_factor.verify(current_user, form.code.data)
        mark_verified()

    return submit(form, check, done=lambda _nothing: redirect(_safe_next()),
                  again=lambda: (render_template("admin/verify.html", form=form), 422 if form.errors else 200))


def _safe_next() -> str:
    """Back to the admin page that asked for the code; never off the admin pages."""
    target = safe_next("admin.index")
    return target if target.startswith("/admin/") else url_for("admin.index")


@bp.route("/")
def index():
    with unscoped():
        revenue = admin_numbers.monthly_revenue()
        page = render_template(
            "admin/index.html", numbers=admin_numbers.tenants_by_plan_and_status(), revenue=revenue,
            revenue_totals=admin_numbers.revenue_totals(revenue), weeks=admin_numbers.weekly_growth(),
            answers=daily_bars(stats.platform_answers_per_day()), outbox=admin_numbers.outbox_backlog(),
            stripe_events=admin_numbers.stripe_event_backlog(), sweeps=operations.sweeps(), sweep_labels=SWEEP_LABELS, now=utcnow(), **_queues())
    return page


SWEEP_LABELS = {
    "sweep_outbox": _l("Emails due for delivery"), "sweep_responses": _l("Answers waiting for processing"),
    "sweep_score_clicks": _l("One-click scores"), "sweep_deadlines": _l("Reminders and escalations"),
    "sweep_improvements": _l("“You said, we did” messages"), "sweep_billing": _l("Stripe events and plan deadlines"),
    "sweep_digests": _l("Weekly digests"), "sweep_purges": _l("Purges of deleted businesses"),
}


def _queues() -> dict:
    """The queues' depths for the health section: None in the embedded set-up, an error when Redis is down."""
    try:
        return {"queues": operations.queue_depths(), "queue_error": None}
    except operations.QueueUnreachable as error:
        return {"queues": [], "queue_error": str(error)}


# --- businesses -------------------------------------------------------------------------------------------

REAUTH_SECONDS = 600  # an action needs a code given within the last ten minutes


# Stripe's subscription statuses, as the admin pages say them (any other is shown as Stripe names it).
SUBSCRIPTION_LABELS = {"active": _l("paying"), "trialing": _l("trial"), "past_due": _l("past due"),
                       "canceled": _l("cancelled"), "incomplete": _l("incomplete"), "unpaid": _l("unpaid")}


class TenantSearchForm(Form):
    q = StringField(_l("Name, slug or owner's email"), validators=[Optional(), Length(max=200)])
    plan = SelectField(_l("Plan"), choices=options([("", _l("All plans")), *((key, p.name) for key, p in PLANS.items())]),
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=options([("", _l("Any status")), *(
        (status.value, label) for status, label in admin_actions.STATUS_LABELS.items())]), validators=[Optional()])
    subscription = SelectField(_l("Subscription"), choices=options([
        ("", _l("Any subscription")), *SUBSCRIPTION_LABELS.items(), ("none", _l("none"))]), validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=options([("signup", _l("newest")), ("usage", _l("answers this month")),
                                                       ("revenue", _l("revenue"))]), validators=[Optional()])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (for the audit log)"), validators=[DataRequired(), Length(max=500)])


class CompForm(ReasonForm):
    plan = SelectField(_l("Plan"), choices=options([(key, p.name) for key, p in PLANS.items()]))
    until = DateField(_l("Until (leave empty for no end)"), validators=[Optional()])


class GraceForm(ReasonForm):
    days = IntegerField(_l("More days"), default=7, validators=[InputRequired(), NumberRange(1, 60)])


class TransferForm(ReasonForm):
    member = SelectField(_l("New owner"), coerce=int, validate_choice=False)


class DeleteForm(ReasonForm):
    slug = StringField(_l("Type the business's slug to confirm"), validators=[DataRequired(), Length(max=80)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})


class ImpersonateForm(ReasonForm):
    member = SelectField(_l("View as"), coerce=int, validate_choice=False)


def _comp(form, tenant) -> None:
    until = datetime.combine(form.until.data, time.max, timezone.utc) if form.until.data else None
    admin_actions.comp_plan(current_user, tenant, form.plan.data, until, form.reason.data)


def _unlock_answers(tenant_id: int, _result) -> None:
    """A bigger plan has room for answers locked over the old one's quota (a no-op otherwise)."""
    enqueue(jobs.unlock_responses, tenant_id)


def _export(_tenant_id: int, tenant: Tenant):
    archive = deletion.write_export(tenant)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"{tenant.slug}-{utcnow():%Y-%m-%d}.zip")


def _view_as(_tenant_id: int, membership):
    impersonation.start(membership)
    return redirect(url_for("main.dashboard"))


@dataclass(frozen=True)
class TenantAction:
    form: type[FlaskForm]
    change: Callable  # (form, tenant)
    said: object
    after_commit: Callable | None = None  # (tenant id, what change returned): a response to answer with, or None


TENANT_ACTIONS = {
    "suspend": TenantAction(ReasonForm, lambda form, tenant: admin_actions.set_status(
        current_user, tenant, TenantStatus.SUSPENDED, form.reason.data), _l("The business is suspended.")),
    "reactivate": TenantAction(ReasonForm, lambda form, tenant: admin_actions.set_status(
        current_user, tenant, TenantStatus.ACTIVE, form.reason.data), _l("The business is active again.")),
    "comp": TenantAction(CompForm, _comp, _l("The plan is comped."), _unlock_answers),
    "end_comp": TenantAction(ReasonForm, lambda form, tenant: admin_actions.end_comp(
        current_user, tenant, form.reason.data), _l("The comp has ended: the plan is what Stripe says again.")),
    "extend_grace": TenantAction(GraceForm, lambda form, tenant: admin_actions.extend_grace(
        current_user, tenant, form.days.data, form.reason.data), _l("The grace period is extended.")),
    "resend_verification": TenantAction(ReasonForm, lambda form, tenant: admin_actions.resend_verification(
        current_user, tenant, form.reason.data), _l("The verification email is on its way.")),
    "impersonate": TenantAction(ImpersonateForm, lambda form, tenant: admin_actions.impersonation_started(
        current_user, tenant, form.member.data, form.reason.data), None, _view_as),
    "export": TenantAction(ReasonForm, lambda form, tenant: admin_actions.exported(
        current_user, tenant, form.reason.data), None, _export),
    "delete": TenantAction(DeleteForm, lambda form, tenant: admin_actions.delete_business(
        current_user, tenant, form.slug.data, form.reason.data),
        _l("The business is deleted: closed now, its data purged in 30 days unless the deletion is cancelled.")),
    "cancel_deletion": TenantAction(ReasonForm, lambda form, tenant: admin_actions.cancel_deletion(
        current_user, tenant, form.reason.data), _l("The deletion is cancelled: the business is open again.")),
    "transfer_ownership": TenantAction(TransferForm, lambda form, tenant: admin_actions.transfer_ownership(
        current_user, tenant, form.member.data, form.reason.data), _l("Ownership is transferred.")),
}


@bp.route("/tenants/")
def tenants():
    form = TenantSearchForm(request.args)
    form.validate()
    with unscoped():
        page = platform.tenants(form.q.data or "", form.plan.data or "", form.status.data or "",
                                form.subscription.data or "", form.sort.data or "signup",
                                request.args.get("page", 1, type=int))
        rows = platform.rows_for(page.items)
    return render_template("admin/tenants.html", form=form, page=page, rows=rows, query_args=_query_args(),
                           subscription_labels=SUBSCRIPTION_LABELS, status_labels=admin_actions.STATUS_LABELS)


@bp.route("/tenants/<int:tenant_id>")
def tenant(tenant_id):
    with unscoped():
        return _tenant_page(db.session.get(Tenant, tenant_id) or abort(404))


def _tenant_page(found: Tenant, failed: tuple[str, FlaskForm] | None = None):
    """The business's page with a form for each action (`failed`: the one shown again with its errors)."""
    forms = {name: action.form(prefix=name) for name, action in TENANT_ACTIONS.items()}
    if failed:
        forms[failed[0]] = failed[1]
    members = platform.members_of(found)
    forms["transfer_ownership"].member.choices = [(m.id, f"{m.user.email} ({m.role.label})")
                                                  for m in members if m.role != Role.OWNER]
    forms["impersonate"].member.choices = [(m.id, f"{m.user.email} ({m.role.label})") for m in members]
    numbers = platform.numbers_of(found)
    page = render_template("admin/tenant.html", tenant=found, members=members, numbers=numbers, forms=forms,
                           rows=deletion.row_counts(found), status_labels=admin_actions.STATUS_LABELS,
                           plans=PLANS, grace_ends=entitlement.grace_ends(numbers.account) if numbers.account else None,
                           stripe_link=_stripe_link(numbers.account), subscription_labels=SUBSCRIPTION_LABELS)
    return page, 422 if failed else 200


def _stripe_link(account) -> str | None:
    if account is None or not account.stripe_customer_id:
        return None
    return f"{current_app.config['STRIPE_DASHBOARD_URL'].rstrip('/')}/customers/{account.stripe_customer_id}"


@bp.route("/tenants/<int:tenant_id>/<action>", methods=["POST"])
def tenant_action(tenant_id, action):
    if action not in TENANT_ACTIONS:
        abort(404)
    back = url_for("admin.tenant", tenant_id=tenant_id)
    if not verified_recently(REAUTH_SECONDS):
        return _code_again(back)
    chosen = TENANT_ACTIONS[action]
    form = chosen.form(prefix=action)
    with unscoped():
        found = db.session.get(Tenant, tenant_id) or abort(404)
        return submit(form, lambda: chosen.change(form, found), done=lambda result: _done(chosen, tenant_id, result),
                      again=lambda: _tenant_page(found, (action, form)))


def _done(action: TenantAction, tenant_id: int, result):
    answer = action.after_commit(tenant_id, result) if action.after_commit is not None else None
    return answer or redirect_to("admin.tenant", action.said, tenant_id=tenant_id)


@bp.route("/stop-viewing-as", methods=["POST"])
def stop_impersonating():
    tenant = impersonation.stop("stopped by the admin")
    db.session.commit()
    if tenant is None:
        return redirect(url_for("admin.index"))
    return redirect_to("admin.tenant", _("You are back in the admin pages."), tenant_id=tenant.id)


def _code_again(back: str):
    flash(_("Enter a current code again: it has been more than ten minutes since the last one."), "info")
    return redirect(url_for("admin.verify", next=back))


# --- operations: emails, Stripe events, failed jobs -----------------------------------------------------------


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
                               action_form=ReasonForm(), query_args=_query_args())


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
                               query_args=_query_args())


@bp.route("/stripe-events/<int:event_id>/replay", methods=["POST"])
def replay_stripe_event(event_id):
    return _operation("admin.stripe_events", "replay", StripeEvent, event_id, {
        "replay": (admin_actions.replay_event, _l("The event will be processed again."),
                   lambda: enqueue(jobs.process_stripe_event, event_id)),
    })


def _operation(page: str, action: str, model, row_id: int, actions: dict):
    """An audited action on one row of an operations page; then `after` (enqueue) once committed."""
    back = url_for(page, **_back_args())
    if not verified_recently(REAUTH_SECONDS):
        return _code_again(back)
    change, said, after = actions[action]
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why: the reason goes into the audit log."), "error")
        return redirect(back)
    with unscoped():
        row = db.session.get(model, row_id) or abort(404)
        return apply_change(lambda: change(current_user, row, form.reason.data), said, page,
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
    back = url_for("admin.failed_jobs")
    if not verified_recently(REAUTH_SECONDS):
        return _code_again(back)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why: the reason goes into the audit log."), "error")
        return redirect(back)
    change = operations.requeue_failed if action == "requeue" else operations.delete_failed
    try:
        with unscoped():
            function = change(current_user, job_id, form.reason.data)
    except operations.QueueUnreachable as error:
        db.session.rollback()
        return redirect_to("admin.failed_jobs", _("Redis cannot be reached: %(error)s", error=error), "error")
    db.session.commit()
    said = (_("%(function)s is queued again.", function=function) if action == "requeue"
            else _("%(function)s is deleted.", function=function))
    return redirect_to("admin.failed_jobs", said)


# --- the audit log ------------------------------------------------------------------------------------------


class AuditSearchForm(Form):
    admin = StringField(_l("Admin's email"), validators=[Optional(), Length(max=254)])
    tenant = StringField(_l("Business (slug)"), validators=[Optional(), Length(max=80)])
    action = SelectField(_l("Action"), choices=options([("", _l("Any action")), *admin_actions.ACTIONS.items()]),
                         validators=[Optional()])
    first = DateField(_l("From"), validators=[Optional()])
    last = DateField(_l("To"), validators=[Optional()])


@bp.route("/audit/")
def audit():
    form = AuditSearchForm(request.args)
    form.validate()  # a field that cannot be read is shown with its error and left out
    with unscoped():
        page = admin_actions.audit_log(form.admin.data or "", form.tenant.data or "", form.action.data or "",
                                       form.first.data if not form.first.errors else None,
                                       form.last.data if not form.last.errors else None,
                                       request.args.get("page", 1, type=int))
    return render_template("admin/audit.html", form=form, page=page, query_args=_query_args())


def _query_args() -> dict:
    """The page's filters, for the links to the next and previous pages."""
    return {key: value for key, value in request.args.items() if key != "page"}
