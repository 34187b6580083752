"""Improvements (owners and admins): write, see the reach, preview, send; the public page."""
from datetime import datetime, timezone

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.outbox import render_email
from saas.core.scoping import tenant_scope
from saas.core.urls import absolute_url
from saas.feedback import improvements as service
from saas.feedback import touchpoints
from saas.feedback.categories import categories as tenant_categories
from saas.web.context import current_membership, tenant_route
from saas.web.forms import ActionForm, ImprovementForm, attach_error, options
from tenants.models import Role, Tenant
from worker.jobs import send_improvement
from worker.queue import enqueue

bp = Blueprint("improvements", __name__)


def _tenant():
    return current_membership().tenant


def _form() -> ImprovementForm:
    form = ImprovementForm()
    form.category_ids.choices = options((c.id, c.name) for c in tenant_categories(_tenant()))
    form.touchpoint_ids.choices = options((tp.id, tp.name) for tp in touchpoints.touchpoints(_tenant()))
    return form


@bp.route("/improvements/", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def index():
    form = _form()
    if form.validate_on_submit():
        since = datetime.combine(form.since.data, datetime.min.time(), timezone.utc) if form.since.data else None
        try:
            improvement = service.create_improvement(
                _tenant(), form.title.data, form.body.data, form.category_ids.data, form.touchpoint_ids.data,
                since, form.published.data,
            )
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("improvements.show", improvement_id=improvement.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("improvements/index.html", form=form, items=service.improvements(_tenant())), status


def _improvement_or_404(improvement_id):
    try:
        return service.get_improvement(_tenant(), improvement_id)
    except LookupError:
        abort(404)


@bp.route("/improvements/<int:improvement_id>")
@tenant_route(Role.ADMIN)
def show(improvement_id):
    improvement = _improvement_or_404(improvement_id)
    tenant = _tenant()
    subject, text, _html = render_email(
        "improvement", tenant.locale, improvement=improvement, tenant=tenant, unsubscribe="#",
    )
    return render_template(
        "improvements/show.html", improvement=improvement, reach=service.reach(improvement), subject=subject,
        preview=text, action_form=ActionForm(), public_url=absolute_url("improvements.public", slug=tenant.slug),
    )


@bp.route("/improvements/<int:improvement_id>/send", methods=["POST"])
@tenant_route(Role.ADMIN)
def send(improvement_id):
    improvement = _improvement_or_404(improvement_id)
    enqueue(send_improvement, improvement.tenant_id, improvement.id)
    flash(_("Sending: each customer gets it once, in batches."), "success")
    return redirect(url_for("improvements.show", improvement_id=improvement.id))


@bp.route("/<slug>/changes")
def public(slug):
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None or not tenant.is_active:
        abort(404)
    with tenant_scope(tenant.id):
        items = service.published(tenant)
        return render_template("improvements/public.html", tenant=tenant, items=items)
