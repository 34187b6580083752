"""The forms of the tasks pages: the inbox's filters, and what staff do on a task page."""
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from saas.feedback.models import TaskStatus
from saas.web.forms import ListFilterForm, options, period_choices


def capitalised(label) -> LazyString:
    """A label written to stand inside a sentence ("in progress") as a list item starts: "In progress"."""
    return LazyString(lambda: str(label)[:1].upper() + str(label)[1:])


class InboxFilterForm(ListFilterForm):
    category = SelectField(_l("Category"), coerce=int, default=0)
    status = SelectField(_l("Status"), default="", choices=options(
        [("", _l("Any status")), *((status.value, capitalised(status.label)) for status in TaskStatus)]
    ))
    period = SelectField(_l("Created"), default="", choices=period_choices(_l("Any time")))

    def chosen_status(self) -> TaskStatus | None:
        return TaskStatus(self.status.data) if self.status.data else None


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
