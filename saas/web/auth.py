"""Sign-up, log-in/out, email verification and password reset."""
from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.feedback import onboarding
from saas.web.context import TENANT_SESSION_KEY, redirect_next
from saas.web.extensions import limiter
from saas.web.forms import ForgotPasswordForm, LoginForm, NewPasswordForm, SignupForm, attach_error
from tenants import services
from tenants.tokens import InvalidToken

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit():
    return current_app.config["RESET_RATE_LIMIT"]


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            membership = onboarding.sign_up(form.business_name.data, form.name.data, form.email.data, form.password.data)
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            login_user(membership.user)
            session[TENANT_SESSION_KEY] = membership.tenant_id
            flash(_("Welcome! We sent a link to %(email)s to verify your address.", email=membership.user.email), "success")
            return redirect(url_for("onboarding.metric"))
    return render_template("auth/signup.html", form=form), 200 if not form.errors else 422


def _failed(response) -> bool:
    return response.status_code != 302  # a successful log-in redirects; only failures count


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect_next()
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append("That email and password do not match an account.")
        else:
            login_user(user, remember=form.remember.data)
            return redirect_next()
    return render_template("auth/login.html", form=form), 200 if not form.errors and not form.form_errors else 422


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/verify/<token>")
def verify_email(token):
    try:
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
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token):
    try:
        user = services.user_for_password_token(token)
    except InvalidToken:
        return render_template("auth/link_invalid.html", what="password"), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            logout_user()
            flash(_("Your password is set. Log in with it now."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)
