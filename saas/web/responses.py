"""The responses list: newest first, filtered by touchpoint, score band and period; with its filter form."""
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from billing import plans
from saas.feedback import responses
from saas.web.context import current_tenant, tenant_route
from saas.web.forms import ListFilterForm, period_choices
from tenants.models import Role

bp = Blueprint("responses", __name__, url_prefix="/responses")


class ResponseFilterForm(ListFilterForm):
    period = SelectField(_l("Period"), default="", choices=period_choices(_l("All time")))


@bp.route("/")
@tenant_route(Role.STAFF)
def index():
    tenant = current_tenant()
    form = ResponseFilterForm(tenant, request.args)
    chosen = responses.ResponseFilter()
    if form.validate():
        chosen = responses.ResponseFilter(
            touchpoint_id=form.touchpoint.data or None, band=form.chosen_band(), period=form.period.data or None,
        )
    page = request.args.get("page", 1, type=int)
    pagination = responses.page_of_responses(tenant.id, chosen, max(page, 1))
    query_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "responses/index.html", form=form, pagination=pagination, query_args=query_args,
        plan=plans.plan_for(tenant),
    )
