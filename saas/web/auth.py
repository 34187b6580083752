"""Sign-up, log-in/out, email verification and password reset, with their forms."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.feedback import onboarding
from saas.web.actions import redirect_to, status_of, submit
from saas.web.context import TENANT_SESSION_KEY, redirect_next, sign_in, sign_out
from saas.web.extensions import limiter
from saas.web.forms import PASSWORD_HELP
from tenants import services
from tenants.tokens import InvalidToken

bp = Blueprint("auth", __name__)


class SignupForm(FlaskForm):
    business_name = StringField(_l("Business name"), validators=[DataRequired(), Length(max=120)])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class FinishSignupForm(FlaskForm):
    password = PasswordField(
        _l("Choose a password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP
    )


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


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit():
    return current_app.config["RESET_RATE_LIMIT"]


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def signup():
    """Step one: the same answer, an email on its way, whether or not the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = SignupForm()
    return submit(
        form, lambda: services.request_signup(form.business_name.data, form.name.data, form.email.data,
                                              locale=get_locale().language),
        done=lambda email: render_template("auth/signup_sent.html", email=email),
        again=lambda: (render_template("auth/signup.html", form=form), status_of(form)),
    )


@bp.route("/signup/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def finish_signup(token):
    """Step two, from the emailed link: the page shows what will be created; only its POST creates it."""
    try:
        details = services.signup_details(token)
    except InvalidToken:
        return render_template("auth/link_invalid.html", what="signup"), 400
    except services.AlreadyRegistered as taken:
        return render_template("auth/link_invalid.html", what="signed up", email=taken.email), 400
    form = FinishSignupForm()
    return submit(
        form, lambda: onboarding.sign_up(token, form.password.data), done=_signed_up,
        again=lambda: (render_template("auth/finish_signup.html", form=form, details=details), status_of(form)),
    )


def _signed_up(membership):
    sign_in(membership.user)
    session[TENANT_SESSION_KEY] = membership.tenant_id
    return redirect_to("onboarding.metric", _("Welcome to Loopline, %(name)s!", name=membership.user.display_name))


def _failed(response) -> bool:
    return response.status_code != 302  # a successful log-in redirects; only failures count


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect_next()
    form = LoginForm()
    return submit(
        form, lambda: _account(form.email.data, form.password.data),
        done=lambda user: _logged_in(user, form.remember.data),
        again=lambda: (render_template("auth/login.html", form=form), status_of(form)),
    )


def _account(email: str, password: str):
    user = services.authenticate(email, password)
    if user is None:  # the same words for an unknown email and a wrong password
        raise Refusal(_l("That email and password do not match an account."))
    if services.only_in_deleted_businesses(user):
        raise Refusal(_l("The business this account belongs to has been deleted. If that is a mistake, write to "
                         "%(support)s.", support=current_app.config["SUPPORT_EMAIL"]))
    return user


def _logged_in(user, remember: bool):
    sign_in(user, remember=remember)
    return redirect_next()


@bp.route("/logout", methods=["POST"])
def logout():
    sign_out()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token):
    """A link in an email: opening it (as mail scanners do) shows a button; only the button verifies."""
    try:
        if request.method == "GET":
            return render_template("auth/verify.html", user=services.verification_target(token))
        services.verify_email(token)
    except InvalidToken:
        db.session.rollback()
        return render_template("auth/link_invalid.html", what="verification"), 400
    db.session.commit()
    flash(_("Your email address is verified. Thank you!"), "success")
    return redirect(url_for("main.dashboard") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/verify/resend", methods=["POST"])
@login_required
@limiter.limit(_reset_limit)
def resend_verification():
    if not current_user.is_verified:
        services.send_verification(current_user)
        db.session.commit()
        flash(_("We sent a new verification link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("main.dashboard"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    """The same answer whether or not the address has an account (no account probing)."""
    form = ForgotPasswordForm()
    return submit(
        form, lambda: services.request_password_reset(form.email.data, locale=get_locale().language),
        done=lambda _nothing: render_template("auth/reset_sent.html", email=form.email.data),
        again=lambda: render_template("auth/forgot.html", form=form),
    )


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token):
    try:
        user = services.user_for_password_token(token)
    except InvalidToken:
        return render_template("auth/link_invalid.html", what="password"), 400
    form = NewPasswordForm()
    return submit(
        form, lambda: services.reset_password(token, form.password.data),
        done=_password_reset, again=lambda: render_template("auth/reset.html", form=form, user=user),
    )


def _password_reset(user):
    logout_user()  # the reset ended every session of the user; this browser's cookie goes too
    return redirect_to("auth.login", _("Your password is set. Log in with it now."))
