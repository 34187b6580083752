"""The platform admins' pages under /admin/. Anyone else, and a platform admin without two-factor log-in,
meets a 404 on every one of them: the pages do not exist for them. A platform admin with two-factor gives
a current code once per browser session (saas.web.admin_access) before the pages open.

Queries here look across tenants on purpose (unscoped) and show numbers, never a business's customers."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, Form, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from billing import usage
from billing.plans import PLANS
from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.web.actions import redirect_to, submit
from saas.web.admin_access import mark_verified, verified_recently
from saas.web.context import safe_next
from saas.web.extensions import csrf, limiter
from saas.web.forms import options
from tenants import admin_actions, admin_numbers, two_factor
from tenants.models import Tenant, TenantStatus

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
    """Back to the admin page that asked for the code; never off the admin pages."""
    target = safe_next("admin.index")
    return target if target.startswith("/admin/") else url_for("admin.index")


@bp.route("/")
def index():
    with unscoped():
        numbers = admin_numbers.tenants_by_plan_and_status()
    return render_template("admin/index.html", numbers=numbers)


# --- businesses -------------------------------------------------------------------------------------------

REAUTH_SECONDS = 600  # a destructive action needs a code given within the last ten minutes


class TenantSearchForm(Form):
    q = StringField(_l("Name, slug or owner's email"), validators=[Optional(), Length(max=200)])
    plan = SelectField(_l("Plan"), choices=options([("", _l("All plans")), *((key, p.name) for key, p in PLANS.items())]),
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=options([("", _l("Any status")), ("active", _l("active")),
                                                        ("suspended", _l("suspended"))]), validators=[Optional()])


class StatusForm(FlaskForm):
    reason = TextAreaField(_l("Reason (for the audit log)"), validators=[DataRequired(), Length(max=500)])


@bp.route("/tenants/")
def tenants():
    form = TenantSearchForm(request.args)
    form.validate()
    with unscoped():
        page = admin_actions.tenants(form.q.data or "", form.plan.data or "", form.status.data or "",
                                     request.args.get("page", 1, type=int))
        rows = admin_actions.rows_for(page.items)
    return render_template("admin/tenants.html", form=form, page=page, rows=rows, query_args=_query_args(),
                           plans=PLANS)


@bp.route("/tenants/<int:tenant_id>")
def tenant(tenant_id):
    with unscoped():
        return _tenant_page(db.session.get(Tenant, tenant_id) or abort(404), StatusForm())


def _tenant_page(found: Tenant, form: StatusForm, status: int = 200):
    return render_template("admin/tenant.html", tenant=found, members=admin_actions.members_of(found),
                           used=usage.this_month(found.id), form=form, plans=PLANS), status


@bp.route("/tenants/<int:tenant_id>/<any(suspend, reactivate):action>", methods=["POST"])
def change_status(tenant_id, action):
    back = url_for("admin.tenant", tenant_id=tenant_id)
    if not verified_recently(REAUTH_SECONDS):
        flash(_("Enter a current code again: it has been more than ten minutes since the last one."), "info")
        return redirect(url_for("admin.verify", next=back))
    form = StatusForm()
    status = TenantStatus.SUSPENDED if action == "suspend" else TenantStatus.ACTIVE
    with unscoped():
        found = db.session.get(Tenant, tenant_id) or abort(404)
        return submit(form, lambda: admin_actions.set_status(current_user, found, status, form.reason.data),
                      done=lambda _nothing: redirect_to("admin.tenant", _("Done, and written to the audit log."),
                                                        tenant_id=tenant_id),
                      again=lambda: _tenant_page(found, form, 422))


# --- the audit log ------------------------------------------------------------------------------------------


class AuditSearchForm(Form):
    admin = StringField(_l("Admin's email"), validators=[Optional(), Length(max=254)])
    tenant = StringField(_l("Business (slug)"), validators=[Optional(), Length(max=80)])
    action = SelectField(_l("Action"), choices=options([("", _l("Any action")), *admin_actions.ACTIONS.items()]),
                         validators=[Optional()])
    first = DateField(_l("From"), validators=[Optional()])
    last = DateField(_l("To"), validators=[Optional()])


@bp.route("/audit/")
def audit():
    form = AuditSearchForm(request.args)
    form.validate()  # a field that cannot be read is shown with its error and left out
    with unscoped():
        page = admin_actions.audit_log(form.admin.data or "", form.tenant.data or "", form.action.data or "",
                                       form.first.data if not form.first.errors else None,
                                       form.last.data if not form.last.errors else None,
                                       request.args.get("page", 1, type=int))
    return render_template("admin/audit.html", form=form, page=page, query_args=_query_args())


def _query_args() -> dict:
    """The page's filters, for the links to the next and previous pages."""
    return {key: value for key, value in request.args.items() if key != "page"}
