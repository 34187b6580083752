"""The logged-in user's own account: password and email address."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.web.forms import ChangeEmailForm, ChangePasswordForm, attach_error
from tenants import services
from tenants.tokens import InvalidToken

bp = Blueprint("account", __name__, url_prefix="/account")


def _render(password_form=None, email_form=None, status=200):
    return render_template(
        "account/settings.html",
        password_form=password_form or ChangePasswordForm(prefix="pw"),
        email_form=email_form or ChangeEmailForm(prefix="em"),
    ), status


@bp.route("/")
@login_required
def settings():
    return _render()


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this session; others are now invalid
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("account.settings"))
    return _render(password_form=form, status=422)


@bp.route("/email", methods=["POST"])
@login_required
def change_email():
    form = ChangeEmailForm(prefix="em")
    if form.validate_on_submit():
        try:
            new_email = services.request_email_change(current_user, form.new_email.data, form.password.data)
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("We sent a confirmation link to %(email)s. Your email changes when you open it.", email=new_email), "info")
            return redirect(url_for("account.settings"))
    return _render(email_form=form, status=422)


@bp.route("/email/<token>")
def confirm_email_change(token):
    try:
        user = services.confirm_email_change(token)
    except (InvalidToken, Refusal):
        db.session.rollback()
        return render_template("auth/link_invalid.html", what="email change"), 400
    db.session.commit()
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("account.settings") if current_user.is_authenticated else url_for("auth.login"))
