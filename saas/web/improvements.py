"""Improvements (owners and admins): write, see the reach, preview, send; the public page; the form."""
from datetime import datetime, timezone

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from saas.core.extensions import db
from saas.core.outbox import render_email
from saas.core.scoping import tenant_scope
from saas.core.urls import absolute_url
from saas.feedback import improvements as service
from saas.feedback import touchpoints
from saas.feedback.categories import categories as tenant_categories
from saas.web.actions import apply_change, redirect_to, status_of, submit
from saas.web.context import current_tenant, tenant_route
from saas.web.forms import ActionForm, options
from tenants.models import Role, Tenant
from worker.jobs import send_improvement
from worker.queue import enqueue

bp = Blueprint("improvements", __name__)


class ImprovementForm(FlaskForm):
    title = StringField(_l("What changed, in a line"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("The story, for your customers"), validators=[DataRequired(), Length(max=10_000)])
    category_ids = SelectMultipleField(_l("Tell those who commented on"), coerce=int, widget=ListWidget(prefix_label=False),
                                       option_widget=CheckboxInput())
    touchpoint_ids = SelectMultipleField(_l("Only at these touchpoints (none: all)"), coerce=int,
                                         widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    since = DateField(_l("Only feedback since (optional)"), validators=[Optional()])
    published = BooleanField(_l("Also show it on our public changes page"))

    def since_moment(self) -> datetime | None:
        """The start of the chosen day (UTC)."""
        return datetime.combine(self.since.data, datetime.min.time(), timezone.utc) if self.since.data else None


def _form() -> ImprovementForm:
    tenant = current_tenant()
    form = ImprovementForm()
    form.category_ids.choices = options((c.id, c.name) for c in tenant_categories(tenant))
    form.touchpoint_ids.choices = options((tp.id, tp.name) for tp in touchpoints.touchpoints(tenant))
    return form


@bp.route("/improvements/", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def index():
    form = _form()
    return submit(
        form, lambda: service.create_improvement(
            current_tenant(), form.title.data, form.body.data, form.category_ids.data, form.touchpoint_ids.data,
            form.since_moment(), form.published.data,
        ),
        done=lambda improvement: redirect_to("improvements.show", improvement_id=improvement.id),
        again=lambda: (render_template(
            "improvements/index.html", form=form, items=service.improvements(current_tenant())
        ), status_of(form)),
    )


@bp.route("/improvements/<int:improvement_id>")
@tenant_route(Role.ADMIN)
def show(improvement_id):
    tenant = current_tenant()
    improvement = service.get_improvement(tenant, improvement_id)
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
    improvement = service.get_improvement(current_tenant(), improvement_id)
    return apply_change(
        lambda: service.request_sending(improvement), _("Sending: each customer gets it once, in batches."),
        "improvements.show", then=lambda: enqueue(send_improvement, improvement.tenant_id, improvement.id),
        improvement_id=improvement.id,
    )


@bp.route("/<slug>/changes")
def public(slug):
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None or not tenant.is_active:
        abort(404)
    with tenant_scope(tenant.id):
        items = service.published(tenant)
        return render_template("improvements/public.html", tenant=tenant, items=items)
