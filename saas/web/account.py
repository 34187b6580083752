"""The logged-in user's own account: password and email address, with their forms."""
import segno
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.feedback import digest
from saas.web.actions import redirect_to, submit
from saas.web.admin_access import mark_verified
from saas.web.context import sign_in
from saas.web.extensions import csrf
from saas.web.forms import LOCALE_CHOICES, PASSWORD_HELP
from tenants import services, two_factor
from tenants.tokens import InvalidToken

bp = Blueprint("account", __name__, url_prefix="/account")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(_l("New email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])


class DigestForm(FlaskForm):
    weekly_digest = BooleanField(_l("Send me the weekly digest"),
                                 description=_l("On Mondays, for each business you own or run: last week's score, "
                                                "what moved it and how your team kept up."))


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES,
                         description=_l("Of your pages and of the emails Loopline sends you."))


def _render(password_form=None, email_form=None, language_form=None, status=200):
    return render_template(
        "account/settings.html",
        digest_form=DigestForm(prefix="digest", weekly_digest=current_user.weekly_digest),
        reads_digest=digest.is_a_reader(current_user),
        password_form=password_form or ChangePasswordForm(prefix="pw"),
        email_form=email_form or ChangeEmailForm(prefix="em"),
        language_form=language_form or LanguageForm(prefix="lang", locale=current_user.locale),
    ), status


@bp.route("/")
@login_required
def settings():
    return _render()


@bp.route("/language", methods=["POST"])
@login_required
def change_language():
    form = LanguageForm(prefix="lang")
    return submit(
        form, lambda: services.set_language(current_user, form.locale.data),
        done=lambda _nothing: redirect_to("account.settings", _("Your language is saved.")),
        again=lambda: _render(language_form=form, status=422),
    )


@bp.route("/digest", methods=["POST"])
@login_required
def change_digest():
    form = DigestForm(prefix="digest")
    return submit(
        form, lambda: digest.set_wanted(current_user, form.weekly_digest.data),
        done=lambda _nothing: redirect_to("account.settings", _("Saved.")),
        again=lambda: _render(status=422),
    )


@bp.route("/digest/off/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: mail clients POST here, with no session of ours; the signed token is the key
def digest_off(token):
    """The link in a digest: GET shows one button (link scanners only GET); POST turns the digest off."""
    try:
        user = digest.reader_of(token)
    except InvalidToken:
        return render_template("auth/link_invalid.html", what="digest"), 404
    done = request.method == "POST"
    if done:
        digest.set_wanted(user, False)
        db.session.commit()
    g.survey_locale = user.locale  # the page speaks the reader's language, logged in or not
    return render_template("account/digest_off.html", email=user.email, done=done)


class TwoFactorForm(FlaskForm):
    code = StringField(_l("The six digits your app shows"), validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """Platform admins set up two-factor log-in here (the admin pages stay closed until they have); for
    everyone else the page does not exist."""
    if not current_user.is_platform_admin:
        abort(404)
    form = TwoFactorForm()
    if two_factor.is_enabled(current_user):
        return render_template("account/two_factor.html", form=None,
                               codes_left=two_factor.recovery_codes_left(current_user))
    secret = session.setdefault(PENDING_SECRET, two_factor.new_secret())

    def enable():
        codes = two_factor.enable(current_user, secret, form.code.data)
        session.pop(PENDING_SECRET, None)
        mark_verified()
        return codes

    def shown(codes):
        return render_template("account/two_factor.html", form=None, recovery_codes=codes)

    def setup_page():
        uri = two_factor.provisioning_uri(current_user, secret)
        qr = segno.make(uri, error="m").svg_inline(scale=5, border=2)
        return render_template("account/two_factor.html", form=form, qr=Markup(qr), secret=secret), \
            422 if form.errors else 200

    return submit(form, enable, done=shown, again=setup_page)


PENDING_SECRET = "pending_totp_secret"


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    return submit(
        form, lambda: services.change_password(current_user, form.current_password.data, form.new_password.data),
        done=_password_changed, again=lambda: _render(password_form=form, status=422),
    )


def _password_changed(_nothing):
    sign_in(current_user._get_current_object())  # a new session here; every other one has ended
    return redirect_to("account.settings", _("Your password is changed. Other devices have been logged out."))


@bp.route("/email", methods=["POST"])
@login_required
def change_email():
    form = ChangeEmailForm(prefix="em")
    return submit(
        form, lambda: services.request_email_change(current_user, form.new_email.data, form.password.data),
        done=lambda new_email: redirect_to(
            "account.settings", _("We sent a confirmation link to %(email)s. Your email changes when you open it.",
                                  email=new_email), category="info",
        ),
        again=lambda: _render(email_form=form, status=422),
    )


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email_change(token):
    """A link in an email: opening it shows a button; only the button changes the address."""
    try:
        if request.method == "GET":
            return render_template("account/confirm_email.html", change=services.email_change_target(token))
        user = services.confirm_email_change(token)
    except (InvalidToken, Refusal):
        db.session.rollback()
        return render_template("auth/link_invalid.html", what="email change"), 400
    db.session.commit()
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("account.settings") if current_user.is_authenticated else url_for("auth.login"))
