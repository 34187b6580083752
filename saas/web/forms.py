"""What the pages' forms share: the choices of each vocabulary, written once (score bands, periods,
languages, the team), the password help, the button form, the lists' filters, and showing a refusal at
its field. Each page's own forms live beside its views (saas/web/<area>.py, or <area>_forms.py when that
grows long); Flask-WTF adds the CSRF token to each."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, SelectChoice, SelectField

from saas.core.i18n import LOCALES
from saas.feedback import touchpoints
from saas.feedback.metrics import Band
from saas.feedback.responses import PERIODS
from tenants import services as team_services

PASSWORD_HELP = _l("At least 10 characters; not your email, not a common password.")

# Each language in its own words, so that anyone finds theirs.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "uk": "Українська"}


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a SelectField."""
    return [SelectChoice(value, label) for value, label in pairs]


LOCALE_CHOICES = options((locale, LANGUAGE_NAMES[locale]) for locale in LOCALES)
BAND_CHOICES = options([("", _l("All scores")), *Band.choices()])


def period_choices(any_time) -> list[SelectChoice]:
    """The periods a list is filtered by, after `any_time`: the choice that filters nothing."""
    return options([("", any_time), *((key, period.label) for key, period in PERIODS.items())])


def member_choices(tenant, first=()) -> list[SelectChoice]:
    """The tenant's team by name (the membership id as the value), after the `first` pairs."""
    members = team_services.team_members(tenant)
    return options([*first, *((member.id, member.user.display_name) for member in members)])


class ActionForm(FlaskForm):
    """A button that changes something: it only carries the CSRF token."""


class ListFilterForm(Form):
    """The filters the responses and the tasks lists share. Read from the query string: no CSRF token."""

    touchpoint = SelectField(_l("Touchpoint"), coerce=int, default=0)
    band = SelectField(_l("Score"), default="", choices=BAND_CHOICES)

    def __init__(self, tenant, formdata):
        super().__init__(formdata)
        self.touchpoint.choices = options(
            [(0, _l("All touchpoints")), *((tp.id, tp.name) for tp in touchpoints.touchpoints(tenant))]
        )

    def chosen_band(self) -> Band | None:
        return Band(self.band.data) if self.band.data else None


def attach_error(form: Form, error) -> None:
    """Show a refusal (a Refusal, or anything with a `field`) next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))
