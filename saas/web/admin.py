"""The platform admins' pages under /admin/. Anyone else, and a platform admin without two-factor log-in,
meets a 404 on every one of them: the pages do not exist for them. A platform admin with two-factor gives
a current code once per browser session (saas.web.admin_access) before the pages open.

Queries here look across tenants on purpose (unscoped) and show numbers, never a business's customers."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from saas.core.scoping import unscoped
from saas.web.actions import submit
from saas.web.admin_access import mark_verified, verified_recently
from saas.web.extensions import csrf, limiter
from tenants import admin_numbers, two_factor

bp = Blueprint("admin", __name__, url_prefix="/admin")
csrf.exempt(bp)  # checked by the gate below instead
OPEN_BEFORE_CODE = {"admin.verify"}


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True})


@bp.before_request
def only_platform_admins_with_two_factor():
    user = current_user
    if not (user.is_authenticated and user.is_platform_admin and two_factor.is_enabled(user)):
        abort(404)
    if request.method == "POST":
        csrf.protect()  # here, after the 404: for anyone else even a form without a token finds nothing
    if request.endpoint not in OPEN_BEFORE_CODE and not verified_recently():
        return redirect(url_for("admin.verify", next=request.full_path))
    return None


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def verify():
    form = CodeForm()

    def check():
        two_factor.verify(current_user, form.code.data)
        mark_verified()

    return submit(form, check, done=lambda _nothing: redirect(_safe_next()),
                  again=lambda: (render_template("admin/verify.html", form=form), 422 if form.errors else 200))


def _safe_next() -> str:
    target = request.args.get("next", "")
    return target if target.startswith("/admin/") and not target.startswith("//") else url_for("admin.index")


@bp.route("/")
def index():
    with unscoped():
        numbers = admin_numbers.tenants_by_plan_and_status()
    return render_template("admin/index.html", numbers=numbers)
