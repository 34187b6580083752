"""WTForms for the account and team pages. Flask-WTF adds the CSRF token to each."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from saas.feedback.models import TouchpointKind
from tenants.models import Role


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a SelectField."""
    return [SelectChoice(value, label) for value, label in pairs]


PASSWORD_HELP = _l("At least 10 characters; not your email, not a common password.")


class ActionForm(FlaskForm):
    """A button that changes something: it only carries the CSRF token."""


class SignupForm(FlaskForm):
    business_name = StringField(_l("Business name"), validators=[DataRequired(), Length(max=120)])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(_l("New email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])


ROLE_CHOICES = options((role.value, role.label) for role in Role)


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.STAFF.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)


def attach_error(form: FlaskForm, error) -> None:
    """Show a service's Refusal next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


class SurveyForm(Form):
    """The public survey. A plain WTForms form: customers have no session, so no CSRF token
    (see saas/web/survey.py). The score's range depends on the tenant's metric and is
    checked by the survey service."""

    score = StringField(_l("Score"))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000, message=_l("Please keep your comment under %(max)s characters.", max=5000))])
    email = EmailField(
        _l("Your email (optional)"),
        validators=[Optional(), Length(max=254), Email(message=_l("That email address does not look right."))],
    )
    consent = BooleanField(_l("You may contact me about my feedback"))
    website = StringField(_l("Leave this field empty"))  # honeypot
    submission_key = HiddenField()

    def attach(self, error) -> None:
        field = getattr(self, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, str(error)]
        else:
            self.form_errors.append(str(error))


KIND_CHOICES = options((kind.value, kind.label) for kind in TouchpointKind)


class TouchpointForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, default=TouchpointKind.WEBSITE.value)
    default_assignee_id = SelectField(_l("Who handles its feedback"), coerce=int, default=0)
    hidden_fields = StringField(
        _l("Hidden fields (optional)"), validators=[Length(max=200)],
        description=_l("Link parameters to keep with each response, e.g. order, store"),
    )


METRIC_CHOICES = options([
    ("nps", _l("NPS: how likely to recommend (0–10)")),
    ("csat", _l("CSAT: how satisfied (1–5)")),
    ("ces", _l("CES: how easy (1–7)")),
])
LOCALE_CHOICES = options([("en", "English"), ("ru", "Русский"), ("uk", "Українська")])


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
        description=_l("Shown on the thank-you page to your happiest customers only."),
    )
    reply_to = EmailField(
        _l("Customers' answers go to (optional)"), validators=[Optional(), Email(), Length(max=254)],
        description=_l("Your mailbox for replies to the emails we send customers in your name. Empty: the first owner's."),
    )
    sla_hours = IntegerField(
        _l("Answer customers within (hours)"), default=24, validators=[InputRequired(), NumberRange(1, 168)],
        description=_l("Each task's deadline. A customer left without an answer for more than a day is a customer lost."),
    )


class ResponseFilterForm(Form):
    touchpoint = SelectField(_l("Touchpoint"), coerce=int, default=0)
    band = SelectField(
        _l("Score"), default="",
        choices=options([("", _l("All scores")), ("detractor", _l("Detractors / low")), ("passive", _l("Passives / middle")),
                         ("promoter", _l("Promoters / high"))]),
    )
    period = SelectField(
        _l("Period"), default="",
        choices=options([("", _l("All time")), ("7d", _l("Last 7 days")), ("30d", _l("Last 30 days")), ("90d", _l("Last 90 days")),
                         ("365d", _l("Last year"))]),
    )


class OnboardingTouchpointsForm(FlaskForm):
    names = SelectMultipleField(
        _l("Where do your customers meet you?"), validators=[DataRequired(message=_l("Choose at least one."))],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    keywords = TextAreaField(
        _l("Keywords"), validators=[Length(max=10_000)],
        description=_l("Comma-separated. End a word with * to match its beginning: deliver* matches delivered, delivery."),
    )
    assignee_ids = SelectMultipleField(_l("Handled by (in turn)"), coerce=int)


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Internal note"), validators=[DataRequired(), Length(max=5000)])


class ReassignForm(FlaskForm):
    assignee_id = SelectField(_l("Assign to"), coerce=int)


class CorrectionForm(FlaskForm):
    category_ids = SelectMultipleField(_l("Categories"), coerce=int, widget=ListWidget(prefix_label=False),
                                       option_widget=CheckboxInput())
    needs_reply = BooleanField(_l("Needs a reply"))
    needs_action = BooleanField(_l("Needs an action"))


class ResolveForm(FlaskForm):
    note = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=5000)])
    root_cause = SelectField(_l("Root cause"))
    tell_customer = BooleanField(_l("Tell the customer what we did (with “Did this solve it?”)"))


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Your reply to the customer"), validators=[DataRequired(), Length(max=5000)])


class DismissForm(FlaskForm):
    reason = SelectField(_l("Why it needs no work"))


class InboxFilterForm(Form):
    touchpoint = SelectField(_l("Touchpoint"), coerce=int, default=0)
    category = SelectField(_l("Category"), coerce=int, default=0)
    band = SelectField(_l("Score"), default="", choices=options([
        ("", _l("All scores")), ("detractor", _l("Detractors / low")), ("passive", _l("Passives / middle")),
        ("promoter", _l("Promoters / high"))]))
    status = SelectField(_l("Status"), default="", choices=options([
        ("", _l("Any status")), ("open", _l("Open")), ("in_progress", _l("In progress")), ("resolved", _l("Resolved")),
        ("dismissed", _l("Dismissed"))]))
    period = SelectField(_l("Created"), default="", choices=options([
        ("", _l("Any time")), ("7d", _l("Last 7 days")), ("30d", _l("Last 30 days")), ("90d", _l("Last 90 days"))]))


class ImprovementForm(FlaskForm):
    title = StringField(_l("What changed, in a line"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("The story, for your customers"), validators=[DataRequired(), Length(max=10_000)])
    category_ids = SelectMultipleField(_l("Tell those who commented on"), coerce=int, widget=ListWidget(prefix_label=False),
                                       option_widget=CheckboxInput())
    touchpoint_ids = SelectMultipleField(_l("Only at these touchpoints (none: all)"), coerce=int,
                                         widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    since = DateField(_l("Only feedback since (optional)"), validators=[Optional()])
    published = BooleanField(_l("Also show it on our public changes page"))


class LoopSettingsForm(FlaskForm):
    root_causes = TextAreaField(_l("Root causes (one per line)"), validators=[Length(max=2000)])
    replies_en = TextAreaField(_l("Saved replies in English (Title: the reply, one per line)"), validators=[Length(max=20_000)])
    replies_ru = TextAreaField(_l("Saved replies in Russian"), validators=[Length(max=20_000)])
    replies_uk = TextAreaField(_l("Saved replies in Ukrainian"), validators=[Length(max=20_000)])


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo (PNG or JPEG, up to 60 KB)"))
    remove = BooleanField(_l("Remove the logo"))
