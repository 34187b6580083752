"""The walk-through after sign-up: key metric → touchpoints → links and QR codes; with its touchpoints form."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget

from billing import plans
from saas.feedback import onboarding
from saas.web.actions import redirect_to, status_of, submit
from saas.web.context import current_tenant, tenant_route
from saas.web.forms import options
from saas.web.settings import render_survey_settings, submit_survey_settings, survey_settings_form
from tenants.models import Role

bp = Blueprint("onboarding", __name__, url_prefix="/welcome")


class OnboardingTouchpointsForm(FlaskForm):
    names = SelectMultipleField(
        _l("Where do your customers meet you?"), validators=[DataRequired(message=_l("Choose at least one."))],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )


@bp.route("/", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def metric():
    tenant = current_tenant()
    form = survey_settings_form(tenant)
    return submit_survey_settings(
        tenant, form, done=lambda _tenant: redirect_to("onboarding.choose_touchpoints"),
        again=lambda: render_survey_settings("onboarding/metric.html", tenant, form, step=1),
    )


@bp.route("/touchpoints", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def choose_touchpoints():
    tenant = current_tenant()
    form = OnboardingTouchpointsForm()
    form.names.choices = options((name, name) for name, _kind in onboarding.SUGGESTIONS)
    return submit(
        form, lambda: _add_and_finish(tenant, form.names.data),
        done=lambda _nothing: redirect_to("onboarding.share"),
        again=lambda: (render_template(
            "onboarding/touchpoints.html", form=form, plan=plans.plan_for(tenant), step=2
        ), status_of(form)),
    )


def _add_and_finish(tenant, names: list[str]) -> None:
    onboarding.add_suggested(tenant, names)
    onboarding.finish_onboarding(tenant)


@bp.route("/share")
@tenant_route(Role.ADMIN)
def share():
    return redirect_to("touchpoints.index", _("You are collecting feedback. Share each link, or print its QR code."))
