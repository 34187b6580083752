"""The platform admins' pages under /admin/. Anyone else, and a platform admin without two-factor log-in,
meets a 404 on every one of them: the pages do not exist for them. A platform admin with two-factor gives
a current code once per browser session (saas.web.admin_access) before the pages open.

This module: the gate, the code page, the overview and the audit log; the business pages are in
saas.web.admin_tenants and the operations pages in saas.web.admin_operations, on this blueprint. Queries
look across tenants on purpose (unscoped) and show numbers, never a business's customers."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, Form, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from saas.core.scoping import unscoped
from saas.core.timeutil import utcnow
from saas.feedback import stats
from saas.web.actions import submit
from saas.web.admin_access import mark_verified, verified_recently
from saas.web.charts import daily_bars
from saas.web.context import safe_next
from saas.web.extensions import csrf, limiter
from saas.web.forms import options
from tenants import admin_actions, admin_numbers, two_factor
from worker import operations

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
    "sweep_models": _l("Learned categorisers"),
}


def _queues() -> dict:
    """The queues' depths for the health section: None in the embedded set-up, an error when Redis is down."""
    try:
        return {"queues": operations.queue_depths(), "queue_error": None}
    except operations.QueueUnreachable as error:
        return {"queues": [], "queue_error": str(error)}


# --- what the business and operations pages share (saas.web.admin_tenants, saas.web.admin_operations) ------

REAUTH_SECONDS = 600  # an action needs a code given within the last ten minutes


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (for the audit log)"), validators=[DataRequired(), Length(max=500)])


def fresh_code_or_ask(back: str):
    """None while the last code is recent enough for an action; else a redirect to give one again."""
    if verified_recently(REAUTH_SECONDS):
        return None
    flash(_("Enter a current code again: it has been more than ten minutes since the last one."), "info")
    return redirect(url_for("admin.verify", next=back))


def query_args() -> dict:
    """The page's filters, for the links to the next and previous pages."""
    return {key: value for key, value in request.args.items() if key != "page"}


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
    return render_template("admin/audit.html", form=form, page=page, query_args=query_args())
