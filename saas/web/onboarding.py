"""The walk-through after sign-up: key metric → touchpoints → links and QR codes."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from billing import plans
from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.feedback import onboarding
from saas.web.context import current_membership, tenant_route
from saas.web.forms import OnboardingTouchpointsForm, attach_error, options
from saas.web.settings import render_survey_settings, save_survey_settings, survey_settings_form
from tenants.models import Role

bp = Blueprint("onboarding", __name__, url_prefix="/welcome")


def _tenant():
    return current_membership().tenant


@bp.route("/", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def metric():
    tenant = _tenant()
    form = survey_settings_form(tenant)
    if save_survey_settings(tenant, form):
        return redirect(url_for("onboarding.choose_touchpoints"))
    return render_survey_settings("onboarding/metric.html", tenant, form, step=1)


@bp.route("/touchpoints", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def choose_touchpoints():
    tenant = _tenant()
    form = OnboardingTouchpointsForm()
    form.names.choices = options((name, name) for name, _ in onboarding.SUGGESTIONS)
    if form.validate_on_submit():
        try:
            onboarding.add_suggested(tenant, form.names.data)
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            onboarding.finish_onboarding(tenant)
            db.session.commit()
            return redirect(url_for("onboarding.share"))
    return render_template(
        "onboarding/touchpoints.html", form=form, plan=plans.plan_for(tenant), step=2
    ), 422 if form.errors or form.form_errors else 200


@bp.route("/share")
@tenant_route(Role.ADMIN)
def share():
    flash(_("You are collecting feedback. Share each link, or print its QR code."), "success")
    return redirect(url_for("touchpoints.index"))
