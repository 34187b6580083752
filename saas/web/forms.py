"""WTForms for the account and team pages. Flask-WTF adds the CSRF token to each."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from tenants.models import Role

PASSWORD_HELP = "At least 10 characters; not your email, not a common password."


class ActionForm(FlaskForm):
    """A button that changes something: it only carries the CSRF token."""


class SignupForm(FlaskForm):
    business_name = StringField("Business name", validators=[DataRequired(), Length(max=120)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)
    confirm = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("password", message="The passwords differ.")]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)


class ChangeEmailForm(FlaskForm):
    new_email = EmailField("New email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=200)])


ROLE_CHOICES = [(role.value, role.label) for role in Role]


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.STAFF.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    password = PasswordField("Choose a password", validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)


def attach_error(form: FlaskForm, error) -> None:
    """Show a service's AccountError next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
