"""The responses list: newest first, filtered by touchpoint, score band and period."""
from flask import Blueprint, render_template, request

from billing import plans
from saas.feedback import responses, touchpoints
from saas.feedback.metrics import Band
from saas.web.context import current_membership, tenant_route
from saas.web.forms import ResponseFilterForm, options
from tenants.models import Role

bp = Blueprint("responses", __name__, url_prefix="/responses")


@bp.route("/")
@tenant_route(Role.STAFF)
def index():
    tenant = current_membership().tenant
    form = ResponseFilterForm(request.args)
    form.touchpoint.choices = options([(0, "All touchpoints")] + [(tp.id, tp.name) for tp in touchpoints.touchpoints(tenant)])
    chosen = responses.ResponseFilter()
    if form.validate():
        chosen = responses.ResponseFilter(
            touchpoint_id=form.touchpoint.data or None,
            band=Band(form.band.data) if form.band.data else None,
            period=form.period.data or None,
        )
    page = request.args.get("page", 1, type=int)
    pagination = responses.page_of_responses(tenant.id, chosen, max(page, 1))
    query_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "responses/index.html", form=form, pagination=pagination, query_args=query_args,
        plan=plans.plan_for(tenant),
    )
