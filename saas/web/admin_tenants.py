"""The platform admins' business pages (on saas.web.admin's blueprint, behind its gate): the list, one
business's numbers, and the actions on it, each audited (tenants.admin_actions)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timezone

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, Form, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from billing import entitlement
from billing.plans import PLANS
from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.core.timeutil import utcnow
from saas.feedback import platform
from saas.web import impersonation
from saas.web.actions import redirect_to, submit
from saas.web.admin import ReasonForm, bp, fresh_code_or_ask, query_args
from saas.web.forms import options
from tenants import admin_actions, deletion
from tenants.models import Role, Tenant, TenantStatus
from worker import jobs
from worker.queue import enqueue

# Stripe's subscription statuses, as the admin pages say them (any other is shown as Stripe names it).
SUBSCRIPTION_LABELS = {"active": _l("paying"), "trialing": _l("trial"), "past_due": _l("past due"),
                       "canceled": _l("cancelled"), "incomplete": _l("incomplete"), "unpaid": _l("unpaid")}


class TenantSearchForm(Form):
    q = StringField(_l("Name, slug or owner's email"), validators=[Optional(), Length(max=200)])
    plan = SelectField(_l("Plan"), choices=options([("", _l("All plans")), *((key, p.name) for key, p in PLANS.items())]),
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=options([("", _l("Any status")), *(
        (status.value, label) for status, label in admin_actions.STATUS_LABELS.items())]), validators=[Optional()])
    subscription = SelectField(_l("Subscription"), choices=options([
        ("", _l("Any subscription")), *SUBSCRIPTION_LABELS.items(), ("none", _l("none"))]), validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=options([("signup", _l("newest")), ("usage", _l("answers this month")),
                                                       ("revenue", _l("revenue"))]), validators=[Optional()])


class CompForm(ReasonForm):
    plan = SelectField(_l("Plan"), choices=options([(key, p.name) for key, p in PLANS.items()]))
    until = DateField(_l("Until (leave empty for no end)"), validators=[Optional()])


class GraceForm(ReasonForm):
    days = IntegerField(_l("More days"), default=7, validators=[InputRequired(), NumberRange(1, 60)])


class TransferForm(ReasonForm):
    member = SelectField(_l("New owner"), coerce=int, validate_choice=False)


class DeleteForm(ReasonForm):
    slug = StringField(_l("Type the business's slug to confirm"), validators=[DataRequired(), Length(max=80)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})


class ImpersonateForm(ReasonForm):
    member = SelectField(_l("View as"), coerce=int, validate_choice=False)


def _comp(form, tenant) -> None:
    until = datetime.combine(form.until.data, time.max, timezone.utc) if form.until.data else None
    admin_actions.comp_plan(current_user, tenant, form.plan.data, until, form.reason.data)


def _unlock_answers(tenant_id: int, _result) -> None:
    """A bigger plan has room for answers locked over the old one's quota (a no-op otherwise)."""
    enqueue(jobs.unlock_responses, tenant_id)


def _export(_tenant_id: int, tenant: Tenant):
    archive = deletion.write_export(tenant)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"{tenant.slug}-{utcnow():%Y-%m-%d}.zip")


def _view_as(_tenant_id: int, membership):
    impersonation.start(membership)
    return redirect(url_for("main.dashboard"))


@dataclass(frozen=True)
class TenantAction:
    form: type[FlaskForm]
    change: Callable  # (form, tenant)
    said: object
    after_commit: Callable | None = None  # (tenant id, what change returned): a response to answer with, or None


TENANT_ACTIONS = {
    "suspend": TenantAction(ReasonForm, lambda form, tenant: admin_actions.set_status(
        current_user, tenant, TenantStatus.SUSPENDED, form.reason.data), _l("The business is suspended.")),
    "reactivate": TenantAction(ReasonForm, lambda form, tenant: admin_actions.set_status(
        current_user, tenant, TenantStatus.ACTIVE, form.reason.data), _l("The business is active again.")),
    "comp": TenantAction(CompForm, _comp, _l("The plan is comped."), _unlock_answers),
    "end_comp": TenantAction(ReasonForm, lambda form, tenant: admin_actions.end_comp(
        current_user, tenant, form.reason.data), _l("The comp has ended: the plan is what Stripe says again.")),
    "extend_grace": TenantAction(GraceForm, lambda form, tenant: admin_actions.extend_grace(
        current_user, tenant, form.days.data, form.reason.data), _l("The grace period is extended.")),
    "resend_verification": TenantAction(ReasonForm, lambda form, tenant: admin_actions.resend_verification(
        current_user, tenant, form.reason.data), _l("The verification email is on its way.")),
    "impersonate": TenantAction(ImpersonateForm, lambda form, tenant: admin_actions.impersonation_started(
        current_user, tenant, form.member.data, form.reason.data), None, _view_as),
    "export": TenantAction(ReasonForm, lambda form, tenant: admin_actions.exported(
        current_user, tenant, form.reason.data), None, _export),
    "delete": TenantAction(DeleteForm, lambda form, tenant: admin_actions.delete_business(
        current_user, tenant, form.slug.data, form.reason.data),
        _l("The business is deleted: closed now, its data purged in 30 days unless the deletion is cancelled.")),
    "cancel_deletion": TenantAction(ReasonForm, lambda form, tenant: admin_actions.cancel_deletion(
        current_user, tenant, form.reason.data), _l("The deletion is cancelled: the business is open again.")),
    "transfer_ownership": TenantAction(TransferForm, lambda form, tenant: admin_actions.transfer_ownership(
        current_user, tenant, form.member.data, form.reason.data), _l("Ownership is transferred.")),
}


@bp.route("/tenants/")
def tenants():
    form = TenantSearchForm(request.args)
    form.validate()
    with unscoped():
        page = platform.tenants(form.q.data or "", form.plan.data or "", form.status.data or "",
                                form.subscription.data or "", form.sort.data or "signup",
                                request.args.get("page", 1, type=int))
        rows = platform.rows_for(page.items)
    return render_template("admin/tenants.html", form=form, page=page, rows=rows, query_args=query_args(),
                           subscription_labels=SUBSCRIPTION_LABELS, status_labels=admin_actions.STATUS_LABELS)


@bp.route("/tenants/<int:tenant_id>")
def tenant(tenant_id):
    with unscoped():
        return _tenant_page(db.session.get(Tenant, tenant_id) or abort(404))


def _tenant_page(found: Tenant, failed: tuple[str, FlaskForm] | None = None):
    """The business's page with a form for each action (`failed`: the one shown again with its errors)."""
    forms = {name: action.form(prefix=name) for name, action in TENANT_ACTIONS.items()}
    if failed:
        forms[failed[0]] = failed[1]
    members = platform.members_of(found)
    forms["transfer_ownership"].member.choices = [(m.id, f"{m.user.email} ({m.role.label})")
                                                  for m in members if m.role != Role.OWNER]
    forms["impersonate"].member.choices = [(m.id, f"{m.user.email} ({m.role.label})") for m in members]
    numbers = platform.numbers_of(found)
    page = render_template("admin/tenant.html", tenant=found, members=members, numbers=numbers, forms=forms,
                           rows=deletion.row_counts(found), status_labels=admin_actions.STATUS_LABELS,
                           plans=PLANS, grace_ends=entitlement.grace_ends(numbers.account) if numbers.account else None,
                           stripe_link=_stripe_link(numbers.account), subscription_labels=SUBSCRIPTION_LABELS)
    return page, 422 if failed else 200


def _stripe_link(account) -> str | None:
    if account is None or not account.stripe_customer_id:
        return None
    return f"{current_app.config['STRIPE_DASHBOARD_URL'].rstrip('/')}/customers/{account.stripe_customer_id}"


@bp.route("/tenants/<int:tenant_id>/<action>", methods=["POST"])
def tenant_action(tenant_id, action):
    if action not in TENANT_ACTIONS:
        abort(404)
    back = url_for("admin.tenant", tenant_id=tenant_id)
    if (asked := fresh_code_or_ask(back)) is not None:
        return asked
    chosen = TENANT_ACTIONS[action]
    form = chosen.form(prefix=action)
    with unscoped():
        found = db.session.get(Tenant, tenant_id) or abort(404)
        return submit(form, lambda: chosen.change(form, found), done=lambda result: _done(chosen, tenant_id, result),
                      again=lambda: _tenant_page(found, (action, form)))


def _done(action: TenantAction, tenant_id: int, result):
    answer = action.after_commit(tenant_id, result) if action.after_commit is not None else None
    return answer or redirect_to("admin.tenant", action.said, tenant_id=tenant_id)


@bp.route("/stop-viewing-as", methods=["POST"])
def stop_impersonating():
    tenant = impersonation.stop("stopped by the admin")
    db.session.commit()
    if tenant is None:
        return redirect(url_for("admin.index"))
    return redirect_to("admin.tenant", _("You are back in the admin pages."), tenant_id=tenant.id)
