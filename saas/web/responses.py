"""The responses list: newest first, filtered by touchpoint, score band and period; with its filter form; and
releasing an answer held as suspected spam."""
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from billing import plans
from saas.feedback import responses, surveys
from saas.feedback.categories import categories as tenant_categories
from saas.web.actions import apply_change
from saas.web.context import current_tenant, tenant_route
from saas.web.forms import ActionForm, ListFilterForm, options, period_choices
from tenants.models import Role
from worker.jobs import process_response
from worker.queue import enqueue

bp = Blueprint("responses", __name__, url_prefix="/responses")


class ResponseFilterForm(ListFilterForm):
    category = SelectField(_l("Category"), coerce=int, default=0)
    period = SelectField(_l("Period"), default="", choices=period_choices(_l("All time")))


@bp.route("/")
@tenant_route(Role.STAFF)
def index():
    tenant = current_tenant()
    form = ResponseFilterForm(tenant, request.args)
    form.category.choices = options([(0, _l("All categories")), *((c.id, c.name) for c in tenant_categories(tenant))])
    chosen = responses.ResponseFilter()
    if form.validate():
        chosen = responses.ResponseFilter(
            touchpoint_id=form.touchpoint.data or None, band=form.chosen_band(), period=form.period.data or None,
            category_id=form.category.data or None,
        )
    page = request.args.get("page", 1, type=int)
    pagination = responses.page_of_responses(tenant.id, chosen, max(page, 1))
    query_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "responses/index.html", form=form, pagination=pagination, query_args=query_args,
        plan=plans.plan_for(tenant), action_form=ActionForm(),
    )


@bp.route("/<int:response_id>/release", methods=["POST"])
@tenant_route(Role.ADMIN)
def release(response_id):
    """A held answer is real: count it and process it."""
    return apply_change(
        lambda: surveys.release(current_tenant(), response_id), _l("Released: it is counted and read now."),
        "responses.index", then=lambda: enqueue(process_response, response_id),
    )
