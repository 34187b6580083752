"""Home, dashboard, health check and the embedded-mode outbox page."""
from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from saas.core import outbox
from saas.core.i18n import LOCALES
from saas.feedback import categories, exports, metrics, onboarding, touchpoints
from saas.feedback import dashboard as dashboard_numbers
from saas.feedback.dashboard import today_for
from saas.feedback.filters import PERIODS, Filters, period_for
from saas.feedback.loop_health import loop_health
from saas.feedback.models import Channel
from saas.web import charts, health
from saas.web.context import current_membership, current_tenant, tenant_route
from saas.web.extensions import csrf, limiter
from saas.web.forms import LANGUAGE_NAMES, ActionForm
from tenants import services
from tenants.models import Role

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/landing.html")


@bp.route("/dashboard")
@tenant_route(Role.STAFF)
def dashboard():
    tenant, membership = current_tenant(), current_membership()
    numbers = chosen = own_loop = None
    if membership.has_role(Role.ADMIN):
        filters, chosen = _filters(tenant)
        numbers = dashboard_numbers.overview(tenant, filters)
    else:
        own_loop = loop_health(tenant, Filters(period_for("30d", today_for(tenant))), assignee_id=membership.id)
    return render_template(
        "main/dashboard.html",
        memberships=services.memberships_of(current_user),
        progress=onboarding.progress(tenant),
        numbers=numbers, own_loop=own_loop, chosen=chosen, scale=metrics.metric(tenant.metric),
        periods=PERIODS, categories=categories.categories(tenant),
        chart=charts.trend_chart(numbers.trend, tenant.metric) if numbers else None,
        channel_labels={channel.value: channel.label for channel in Channel}, language_names=LANGUAGE_NAMES,
        action_form=ActionForm(),
    )


@dataclass(frozen=True)
class Chosen:
    """What the filters name, for the page to say: the touchpoint and the category, or None."""

    touchpoint: object
    category: object
    dates_unreadable: bool


def _filters(tenant) -> tuple[Filters, Chosen]:
    """The dashboard's filters from the URL. A touchpoint or category id that is not the business's matches
    nothing (every count is the business's own); a language it does not offer is left out, and dates that
    cannot be read give the default period (the page says so)."""
    args = request.args
    period = period_for(args.get("period", ""), today_for(tenant), args.get("from", ""), args.get("to", ""))
    touchpoint_id, category_id = args.get("touchpoint", type=int), args.get("category", type=int)
    locale = args.get("language") if args.get("language") in LOCALES else None
    chosen = Chosen(_one_of(touchpoints.touchpoints(tenant), touchpoint_id),
                    _one_of(categories.categories(tenant), category_id),
                    args.get("period") == "custom" and period.key != "custom")
    return Filters(period, touchpoint_id, category_id, locale), chosen


def _one_of(rows, row_id: int | None):
    return next((row for row in rows if row.id == row_id), None)


@bp.route("/dashboard/answers.csv")
@tenant_route(Role.ADMIN)
def export_answers():
    return _export("answers", exports.response_rows)


@bp.route("/dashboard/tasks.csv")
@tenant_route(Role.ADMIN)
def export_tasks():
    return _export("tasks", exports.task_rows)


def _export(what: str, make_rows):
    """The dashboard's filtered answers (or their tasks) as CSV, streamed."""
    tenant = current_tenant()
    filters, _chosen = _filters(tenant)
    period = filters.period
    name = f"{tenant.slug}-{what}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(stream_with_context(exports.as_csv(make_rows(tenant, filters))), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/healthz")
@csrf.exempt
@limiter.exempt
def healthz():
    report = health.check()
    healthy = all(state in ("ok", "inline", "memory") for state in report.values())
    return report, 200 if healthy else 503


@bp.route("/dev/outbox")
@tenant_route(Role.OWNER)
def dev_outbox():
    """Embedded mode only: the emails that would have gone out by SMTP."""
    if current_app.config.get("SMTP_URL"):
        abort(404)
    messages = outbox.recent_messages(current_membership().tenant_id, current_user.email)
    return render_template("main/outbox.html", messages=messages)


@bp.route("/dev/outbox/<int:message_id>")
@tenant_route(Role.OWNER)
def dev_outbox_message(message_id):
    if current_app.config.get("SMTP_URL"):
        abort(404)
    message = outbox.visible_message(message_id, current_membership().tenant_id, current_user.email)
    if message is None:
        abort(404)
    return render_template("main/outbox_message.html", message=message)
