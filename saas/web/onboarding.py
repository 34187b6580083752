"""The walk-through after sign-up: key metric → touchpoints → links and QR codes."""
from flask import Blueprint, flash, redirect, render_template, url_for

from billing import plans
from saas.extensions import db
from saas.web.context import current_membership, tenant_route
from saas.web.forms import OnboardingTouchpointsForm, SurveySettingsForm, attach_error, options
from tenants import touchpoints
from tenants.models import Role
from tenants.services import AccountError

bp = Blueprint("onboarding", __name__, url_prefix="/welcome")


def _tenant():
    return current_membership().tenant


@bp.route("/", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def metric():
    tenant = _tenant()
    form = SurveySettingsForm()
    if not form.is_submitted():
        form.metric.data, form.locale.data = tenant.metric, tenant.locale
        form.question.data = touchpoints.question_for(tenant, tenant.locale)
        form.brand_color.data, form.review_url.data = tenant.brand_color, tenant.review_url or ""
    if form.validate_on_submit():
        try:
            touchpoints.update_survey_settings(
                tenant, form.metric.data, form.question.data, form.brand_color.data, form.review_url.data,
                form.locale.data,
            )
        except AccountError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("onboarding.choose_touchpoints"))
    standard = {key: touchpoints.standard_question(tenant, key, form.locale.data or tenant.locale) for key in ("nps", "csat", "ces")}
    return render_template("onboarding/metric.html", form=form, standard=standard, step=1), 422 if form.errors else 200


@bp.route("/touchpoints", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def choose_touchpoints():
    tenant = _tenant()
    form = OnboardingTouchpointsForm()
    form.names.choices = options((name, name) for name, _ in touchpoints.SUGGESTIONS)
    if form.validate_on_submit():
        try:
            touchpoints.add_suggested(tenant, form.names.data)
        except AccountError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            touchpoints.finish_onboarding(tenant)
            db.session.commit()
            return redirect(url_for("onboarding.share"))
    return render_template(
        "onboarding/touchpoints.html", form=form, plan=plans.plan_for(tenant), step=2
    ), 422 if form.errors or form.form_errors else 200


@bp.route("/share")
@tenant_route(Role.ADMIN)
def share():
    flash("You are collecting feedback. Share each link, or print its QR code.", "success")
    return redirect(url_for("touchpoints.index"))
