"""Survey settings (owners and admins): key metric, question, language, brand, review link, logo; the saved
replies and root causes; with their forms. The onboarding's first step uses the same form and the same saving."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from saas.core.i18n import LOCALES
from saas.core.timeutil import timezones
from saas.feedback import customers, tasks, touchpoints
from saas.feedback.metrics import METRICS
from saas.web.actions import redirect_to, status_of, submit
from saas.web.context import current_tenant, tenant_route
from saas.web.forms import LOCALE_CHOICES, options
from tenants.models import Role
from worker.jobs import rebuild_stats
from worker.queue import enqueue

bp = Blueprint("settings", __name__, url_prefix="/settings")

METRIC_CHOICES = options([
    ("nps", _l("NPS: how likely to recommend (0–10)")),
    ("csat", _l("CSAT: how satisfied (1–5)")),
    ("ces", _l("CES: how easy (1–7)")),
])


class SurveySettingsForm(FlaskForm):
    metric = SelectField(_l("Key metric"), choices=METRIC_CHOICES)
    question = StringField(
        _l("Question"), validators=[Length(max=300)],
        description=_l("Leave it as it is to show the standard question in each customer's language."),
    )
    locale = SelectField(_l("Language of your business"), choices=LOCALE_CHOICES)
    brand_color = StringField(_l("Brand colour"), validators=[DataRequired(), Length(max=7)])
    review_url = StringField(
        _l("Public review link (optional)"), validators=[Length(max=500)],
        description=_l("Offered on the thank-you page to everyone who answers, whatever their score. Offering it "
                       "only to happy customers (review gating) is against Google's and Trustpilot's rules, and "
                       "our emails never ask for a review."),
    )
    reply_to = EmailField(
        _l("Customers' answers go to (optional)"), validators=[Optional(), Email(), Length(max=254)],
        description=_l("Your mailbox for replies to the emails we send customers in your name. Empty: the first owner's."),
    )
    sla_hours = IntegerField(
        _l("Answer customers within (hours)"), default=24, validators=[InputRequired(), NumberRange(1, 168)],
        description=_l("Each task's deadline. A customer left without an answer for more than a day is a customer lost."),
    )
    # Checked by the service (a choice it does not know is refused at the field); left out, it stays as it is.
    timezone = SelectField(_l("Time zone"), choices=options((zone, zone.replace("_", " ")) for zone in timezones()),
                           validate_choice=False,
                           description=_l("Deadlines, histories and lists show times in it."))


class LoopSettingsForm(FlaskForm):
    """The saved replies have one field per language (replies_<locale>)."""

    root_causes = TextAreaField(_l("Root causes (one per line)"), validators=[Length(max=2000)])
    replies_en = TextAreaField(_l("Saved replies in English (Title: the reply, one per line)"), validators=[Length(max=20_000)])
    replies_ru = TextAreaField(_l("Saved replies in Russian"), validators=[Length(max=20_000)])
    replies_uk = TextAreaField(_l("Saved replies in Ukrainian"), validators=[Length(max=20_000)])

    def replies(self, locale: str):
        return getattr(self, f"replies_{locale}")


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo (PNG or JPEG, up to 60 KB)"))
    remove = BooleanField(_l("Remove the logo"))


def survey_settings_form(tenant) -> SurveySettingsForm:
    """The form, filled with the tenant's settings unless it was just submitted."""
    form = SurveySettingsForm()
    if not form.is_submitted():
        form.metric.data, form.locale.data = tenant.metric, tenant.locale
        form.question.data = touchpoints.question_for(tenant, tenant.locale)
        form.brand_color.data, form.review_url.data = tenant.brand_color, tenant.review_url or ""
        form.sla_hours.data, form.reply_to.data = tenant.sla_hours, tenant.reply_to or ""
        form.timezone.data = tenant.timezone
    return form


def submit_survey_settings(tenant, form: SurveySettingsForm, done, again):
    """The survey settings' round trip (this page's and the onboarding's first step). A new time zone moves
    the days the dashboard counts answers on: they are recounted by a job."""
    zone_before = tenant.timezone

    def saved(result):
        if tenant.timezone != zone_before:
            enqueue(rebuild_stats, tenant.id)
        return done(result)

    return submit(form, lambda: touchpoints.update_survey_settings(
        tenant, form.metric.data, form.question.data, form.brand_color.data, form.review_url.data,
        form.locale.data, form.sla_hours.data, form.reply_to.data or "", form.timezone.data or None,
    ), saved, again)


def render_survey_settings(template: str, tenant, form: SurveySettingsForm, **context):
    locale = form.locale.data or tenant.locale
    standard = {key: touchpoints.standard_question(tenant, key, locale) for key in METRICS}
    return render_template(template, form=form, standard=standard, **context), status_of(form, context.get("logo_form"))


@bp.route("/survey", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def survey():
    tenant = current_tenant()
    form = survey_settings_form(tenant)
    return submit_survey_settings(
        tenant, form,
        done=lambda _tenant: redirect_to(
            "settings.survey", _("Survey settings saved. Past responses keep the scale they were given on.")
        ),
        again=lambda: render_survey_settings("settings/survey.html", tenant, form, logo_form=LogoForm()),
    )


@bp.route("/logo", methods=["POST"])
@tenant_route(Role.ADMIN)
def logo():
    tenant = current_tenant()
    form = LogoForm()
    return submit(
        form, lambda: touchpoints.set_logo(tenant, None if form.remove.data else _upload(form)),
        done=lambda _nothing: redirect_to(
            "settings.survey", _("Logo saved.") if tenant.logo_type else _("Logo removed.")
        ),
        again=lambda: render_survey_settings(
            "settings/survey.html", tenant, survey_settings_form(tenant), logo_form=form
        ),
    )


def _upload(form: LogoForm) -> bytes:
    return form.logo.data.read() if form.logo.data else b""


@bp.route("/replies", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def replies():
    """The business's saved replies (per language) and root causes."""
    tenant = current_tenant()
    form = LoopSettingsForm()
    if not form.is_submitted():
        form.root_causes.data = "\n".join(tasks.root_causes(tenant))
        for locale in LOCALES:
            form.replies(locale).data = "\n".join(
                f"{title}: {text}" for title, text in customers.saved_replies(tenant, locale)
            )
    return submit(
        form, lambda: _save_replies(tenant, form),
        done=lambda _nothing: redirect_to("settings.replies", _("Saved replies and root causes saved.")),
        again=lambda: (render_template("settings/replies.html", form=form), status_of(form)),
    )


def _save_replies(tenant, form: LoopSettingsForm) -> None:
    tenant.root_causes = tasks.parse_root_causes(form.root_causes.data)
    tenant.saved_replies = {
        locale: customers.parse_saved_replies(form.replies(locale).data, f"replies_{locale}") for locale in LOCALES
    }
