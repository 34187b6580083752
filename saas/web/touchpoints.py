"""Touchpoints (owners and admins): create, edit, (de)activate, delete; links and QR codes."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.feedback import metrics, touchpoints
from saas.web.actions import apply_change
from saas.web.context import current_membership, tenant_route
from saas.web.forms import ActionForm, TouchpointForm, attach_error, options
from saas.web.survey import survey_link
from tenants import services as team_services
from tenants.models import Role

bp = Blueprint("touchpoints", __name__, url_prefix="/touchpoints")


def _tenant():
    return current_membership().tenant


def _form(obj=None) -> TouchpointForm:
    form = TouchpointForm(obj=obj)
    form.default_assignee_id.choices = options([(0, "The owners")] + [
        (member.id, member.user.name or member.user.email) for member in team_services.team_members(_tenant())
    ])
    return form


@bp.route("/")
@tenant_route(Role.ADMIN)
def index():
    return _index_page(_form())


def _index_page(form, status=200):
    items = touchpoints.touchpoints(_tenant())
    return render_template(
        "touchpoints/index.html",
        touchpoints=items,
        links={tp.id: survey_link(tp) for tp in items},
        form=form,
        action_form=ActionForm(),
    ), status


@bp.route("/", methods=["POST"])
@tenant_route(Role.ADMIN)
def create():
    form = _form()
    if form.validate_on_submit():
        try:
            touchpoint = touchpoints.create_touchpoint(
                _tenant(), form.name.data, form.kind.data, form.hidden_fields.data or "",
                form.default_assignee_id.data or None,
            )
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("“%(name)s” is ready: share its link or print its QR code.", name=touchpoint.name), "success")
            return redirect(url_for("touchpoints.index"))
    return _index_page(form, status=422)


def _touchpoint_or_404(touchpoint_id):
    try:
        return touchpoints.get_touchpoint(_tenant(), touchpoint_id)
    except LookupError:
        abort(404)


@bp.route("/<int:touchpoint_id>", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def edit(touchpoint_id):
    touchpoint = _touchpoint_or_404(touchpoint_id)
    form = _form(obj=touchpoint)
    if not form.is_submitted():
        form.default_assignee_id.data = touchpoint.default_assignee_id or 0
    if form.validate_on_submit():
        try:
            touchpoints.update_touchpoint(
                _tenant(), touchpoint_id, form.name.data, form.kind.data, form.hidden_fields.data or "",
                form.default_assignee_id.data or None,
            )
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Touchpoint saved."), "success")
            return redirect(url_for("touchpoints.index"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "touchpoints/edit.html", touchpoint=touchpoint, form=form, link=survey_link(touchpoint)
    ), status


def _change(change, message):
    return apply_change(change, message, "touchpoints.index")


@bp.route("/<int:touchpoint_id>/deactivate", methods=["POST"])
@tenant_route(Role.ADMIN)
def deactivate(touchpoint_id):
    return _change(lambda: touchpoints.set_active(_tenant(), touchpoint_id, False), _l("Touchpoint deactivated."))


@bp.route("/<int:touchpoint_id>/reactivate", methods=["POST"])
@tenant_route(Role.ADMIN)
def reactivate(touchpoint_id):
    return _change(lambda: touchpoints.set_active(_tenant(), touchpoint_id, True), _l("Touchpoint reactivated."))


@bp.route("/<int:touchpoint_id>/delete", methods=["POST"])
@tenant_route(Role.ADMIN)
def delete(touchpoint_id):
    return _change(lambda: touchpoints.delete_touchpoint(_tenant(), touchpoint_id), _l("Touchpoint deleted."))


@bp.route("/<int:touchpoint_id>/poster")
@tenant_route(Role.ADMIN)
def poster(touchpoint_id):
    """A printable A4/A5 poster: the question, the QR code and the short link."""
    touchpoint = _touchpoint_or_404(touchpoint_id)
    size = request.args.get("size", "a4")
    if size not in ("a4", "a5"):
        size = "a4"
    tenant = _tenant()
    return render_template(
        "touchpoints/poster.html", touchpoint=touchpoint, tenant=tenant, size=size,
        question=touchpoints.question_for(tenant, tenant.locale), link=survey_link(touchpoint),
    )


@bp.route("/<int:touchpoint_id>/snippet")
@tenant_route(Role.ADMIN)
def snippet(touchpoint_id):
    """One-click score buttons for the business's own emails, with a copy button and a preview."""
    touchpoint = _touchpoint_or_404(touchpoint_id)
    return render_template("touchpoints/snippet.html", touchpoint=touchpoint, code=_snippet_html(touchpoint))


@bp.route("/<int:touchpoint_id>/snippet/preview")
@tenant_route(Role.ADMIN)
def snippet_preview(touchpoint_id):
    """The snippet alone, shown in a sandboxed frame. Email HTML needs inline styles, so
    this one response allows them (and nothing else: no scripts, no framing elsewhere)."""
    touchpoint = _touchpoint_or_404(touchpoint_id)
    response = make_response(_snippet_html(touchpoint))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _snippet_html(touchpoint) -> str:
    tenant = _tenant()
    scale = metrics.metric(tenant.metric)
    placeholders = {name: name.upper() for name in touchpoint.hidden_field_names}
    return render_template(
        "touchpoints/snippet_email.html", tenant=tenant, scale=scale,
        question=touchpoints.question_for(tenant, tenant.locale),
        links={score: survey_link(touchpoint, score=score, c="email", **placeholders) for score in scale.scores},
    )
