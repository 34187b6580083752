"""Home, dashboard, health check and the embedded-mode outbox page."""
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
from saas.feedback import dashboard as dashboard_numbers
from saas.feedback import exports, metrics, onboarding
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
    tenant = current_tenant()
    numbers = None
    if current_membership().has_role(Role.ADMIN):
        period = dashboard_numbers.period_for(request.args.get("period", ""), dashboard_numbers.today_for(tenant))
        touchpoint_id = request.args.get("touchpoint", type=int)
        numbers = dashboard_numbers.overview(tenant, period, touchpoint_id)
        chosen = next((row.touchpoint for row in numbers.touchpoints if row.touchpoint.id == touchpoint_id), None)
    return render_template(
        "main/dashboard.html",
        memberships=services.memberships_of(current_user),
        progress=onboarding.progress(tenant),
        numbers=numbers, periods=dashboard_numbers.PERIODS, scale=metrics.metric(tenant.metric),
        chosen_touchpoint=chosen if numbers else None,
        chart=charts.trend_chart(numbers.trend, tenant.metric) if numbers else None,
        channel_labels={channel.value: channel.label for channel in Channel}, language_names=LANGUAGE_NAMES,
        action_form=ActionForm(),
    )


@bp.route("/dashboard/answers.csv")
@tenant_route(Role.ADMIN)
def export_answers():
    return _export("answers", exports.response_rows)


@bp.route("/dashboard/tasks.csv")
@tenant_route(Role.ADMIN)
def export_tasks():
    return _export("tasks", exports.task_rows)


def _export(what: str, make_rows):
    """Rows of the dashboard's period and touchpoint, as CSV, streamed."""
    tenant = current_tenant()
    period = dashboard_numbers.period_for(request.args.get("period", ""), dashboard_numbers.today_for(tenant))
    rows = make_rows(tenant, period, request.args.get("touchpoint", type=int))
    name = f"{tenant.slug}-{what}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(stream_with_context(exports.as_csv(rows)), mimetype="text/csv",
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
