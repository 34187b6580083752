"""Survey settings (owners and admins): key metric, question, language, brand, review link.
The onboarding's first step uses the same form and the same saving."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.feedback import customers, tasks, touchpoints
from saas.feedback.metrics import METRICS
from saas.web.context import current_membership, tenant_route
from saas.web.forms import LogoForm, LoopSettingsForm, SurveySettingsForm, attach_error
from tenants.models import Role

bp = Blueprint("settings", __name__, url_prefix="/settings")


def survey_settings_form(tenant) -> SurveySettingsForm:
    """The form, filled with the tenant's settings unless it was just submitted."""
    form = SurveySettingsForm()
    if not form.is_submitted():
        form.metric.data, form.locale.data = tenant.metric, tenant.locale
        form.question.data = touchpoints.question_for(tenant, tenant.locale)
        form.brand_color.data, form.review_url.data = tenant.brand_color, tenant.review_url or ""
        form.sla_hours.data, form.reply_to.data = tenant.sla_hours, tenant.reply_to or ""
    return form


def save_survey_settings(tenant, form: SurveySettingsForm) -> bool:
    if not form.validate_on_submit():
        return False
    try:
        touchpoints.update_survey_settings(
            tenant, form.metric.data, form.question.data, form.brand_color.data, form.review_url.data,
            form.locale.data, form.sla_hours.data, form.reply_to.data or "",
        )
    except Refusal as error:
        db.session.rollback()
        attach_error(form, error)
        return False
    db.session.commit()
    return True


def render_survey_settings(template: str, tenant, form: SurveySettingsForm, **context):
    locale = form.locale.data or tenant.locale
    standard = {key: touchpoints.standard_question(tenant, key, locale) for key in METRICS}
    failed = [f for f in (form, context.get("logo_form")) if f is not None and (f.errors or f.form_errors)]
    return render_template(template, form=form, standard=standard, **context), 422 if failed else 200


@bp.route("/survey", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def survey():
    tenant = current_membership().tenant
    form = survey_settings_form(tenant)
    if save_survey_settings(tenant, form):
        flash(_("Survey settings saved. Past responses keep the scale they were given on."), "success")
        return redirect(url_for("settings.survey"))
    return render_survey_settings("settings/survey.html", tenant, form, logo_form=LogoForm())


@bp.route("/logo", methods=["POST"])
@tenant_route(Role.ADMIN)
def logo():
    tenant = current_membership().tenant
    form = LogoForm()
    if form.validate_on_submit():
        upload = form.logo.data
        try:
            touchpoints.set_logo(tenant, None if form.remove.data else (upload.read() if upload else b""))
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Logo saved.") if tenant.logo_type else _("Logo removed."), "success")
            return redirect(url_for("settings.survey"))
    return render_survey_settings("settings/survey.html", tenant, survey_settings_form(tenant), logo_form=form)


@bp.route("/replies", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def replies():
    """The business's saved replies (per language) and root causes."""
    tenant = current_membership().tenant
    form = LoopSettingsForm()
    if not form.is_submitted():
        form.root_causes.data = "\n".join(tasks.root_causes(tenant))
        for locale in ("en", "ru", "uk"):
            getattr(form, f"replies_{locale}").data = "\n".join(
                f"{title}: {text}" for title, text in customers.saved_replies(tenant, locale)
            )
    if form.validate_on_submit():
        try:
            tenant.root_causes = tasks.parse_root_causes(form.root_causes.data)
            tenant.saved_replies = {
                locale: customers.parse_saved_replies(getattr(form, f"replies_{locale}").data, f"replies_{locale}")
                for locale in ("en", "ru", "uk")
            }
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved replies and root causes saved."), "success")
            return redirect(url_for("settings.replies"))
    return render_template("settings/replies.html", form=form), 422 if form.errors or form.form_errors else 200
