"""Survey settings (owners and admins): key metric, question, language, brand, review link."""
from flask import Blueprint, flash, redirect, render_template, url_for

from saas.extensions import db
from saas.web.context import current_membership, tenant_route
from saas.web.forms import SurveySettingsForm, attach_error
from tenants import touchpoints
from tenants.models import Role
from tenants.services import AccountError

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/survey", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def survey():
    tenant = current_membership().tenant
    form = SurveySettingsForm()
    if not form.is_submitted():
        form.metric.data = tenant.metric
        form.locale.data = tenant.locale
        form.question.data = touchpoints.question_for(tenant, tenant.locale)
        form.brand_color.data = tenant.brand_color
        form.review_url.data = tenant.review_url or ""
    if form.validate_on_submit():
        try:
            touchpoints.update_survey_settings(
                tenant, form.metric.data, form.question.data, form.brand_color.data,
                form.review_url.data, form.locale.data,
            )
        except AccountError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash("Survey settings saved. Past responses keep the scale they were given on.", "success")
            return redirect(url_for("settings.survey"))
    standard = {
        key: touchpoints.standard_question(tenant, key, form.locale.data or tenant.locale)
        for key in ("nps", "csat", "ces")
    }
    status = 422 if form.errors or form.form_errors else 200
    return render_template("settings/survey.html", form=form, standard=standard), status
