"""Touchpoints (owners and admins): create, edit, (de)activate, delete; links and QR codes; the form."""
from flask import Blueprint, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from saas.feedback import metrics, touchpoints
from saas.feedback.models import TouchpointKind
from saas.web.actions import apply_change, redirect_to, status_of, submit
from saas.web.context import current_tenant, tenant_route
from saas.web.forms import ActionForm, member_choices, options
from saas.web.survey import survey_link
from tenants.models import Role

bp = Blueprint("touchpoints", __name__, url_prefix="/touchpoints")


class TouchpointForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=options(TouchpointKind.choices()), default=TouchpointKind.WEBSITE.value)
    default_assignee_id = SelectField(_l("Who handles its feedback"), coerce=int, default=0)
    hidden_fields = StringField(
        _l("Hidden fields (optional)"), validators=[Length(max=200)],
        description=_l("Link parameters to keep with each response, e.g. order, store"),
    )

    def values(self) -> tuple:
        """What the touchpoint services take, in their order after the tenant."""
        return (self.name.data, self.kind.data, self.hidden_fields.data or "", self.default_assignee_id.data or None)


def _form(obj=None) -> TouchpointForm:
    form = TouchpointForm(obj=obj)
    form.default_assignee_id.choices = member_choices(current_tenant(), first=[(0, _l("The owners"))])
    return form


@bp.route("/")
@tenant_route(Role.ADMIN)
def index():
    return _index_page(_form())


def _index_page(form, status=200):
    items = touchpoints.touchpoints(current_tenant())
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
    return submit(
        form, lambda: touchpoints.create_touchpoint(current_tenant(), *form.values()),
        done=lambda touchpoint: redirect_to(
            "touchpoints.index", _("“%(name)s” is ready: share its link or print its QR code.", name=touchpoint.name)
        ),
        again=lambda: _index_page(form, status=422),
    )


@bp.route("/<int:touchpoint_id>", methods=["GET", "POST"])
@tenant_route(Role.ADMIN)
def edit(touchpoint_id):
    touchpoint = touchpoints.get_touchpoint(current_tenant(), touchpoint_id)
    form = _form(obj=touchpoint)
    if not form.is_submitted():
        form.default_assignee_id.data = touchpoint.default_assignee_id or 0
    return submit(
        form, lambda: touchpoints.update_touchpoint(current_tenant(), touchpoint_id, *form.values()),
        done=lambda _touchpoint: redirect_to("touchpoints.index", _("Touchpoint saved.")),
        again=lambda: (render_template(
            "touchpoints/edit.html", touchpoint=touchpoint, form=form, link=survey_link(touchpoint)
        ), status_of(form)),
    )


def _change(change, message):
    return apply_change(change, message, "touchpoints.index")


@bp.route("/<int:touchpoint_id>/deactivate", methods=["POST"])
@tenant_route(Role.ADMIN)
def deactivate(touchpoint_id):
    return _change(lambda: touchpoints.set_active(current_tenant(), touchpoint_id, False), _l("Touchpoint deactivated."))


@bp.route("/<int:touchpoint_id>/reactivate", methods=["POST"])
@tenant_route(Role.ADMIN)
def reactivate(touchpoint_id):
    return _change(lambda: touchpoints.set_active(current_tenant(), touchpoint_id, True), _l("Touchpoint reactivated."))


@bp.route("/<int:touchpoint_id>/delete", methods=["POST"])
@tenant_route(Role.ADMIN)
def delete(touchpoint_id):
    return _change(lambda: touchpoints.delete_touchpoint(current_tenant(), touchpoint_id), _l("Touchpoint deleted."))


@bp.route("/<int:touchpoint_id>/poster")
@tenant_route(Role.ADMIN)
def poster(touchpoint_id):
    """A printable A4/A5 poster: the question, the QR code and the short link."""
    touchpoint = touchpoints.get_touchpoint(current_tenant(), touchpoint_id)
    size = request.args.get("size", "a4")
    if size not in ("a4", "a5"):
        size = "a4"
    tenant = current_tenant()
    return render_template(
        "touchpoints/poster.html", touchpoint=touchpoint, tenant=tenant, size=size,
        question=touchpoints.question_for(tenant, tenant.locale), link=survey_link(touchpoint),
    )


@bp.route("/<int:touchpoint_id>/snippet")
@tenant_route(Role.ADMIN)
def snippet(touchpoint_id):
    """One-click score buttons for the business's own emails, with a copy button and a preview."""
    touchpoint = touchpoints.get_touchpoint(current_tenant(), touchpoint_id)
    return render_template("touchpoints/snippet.html", touchpoint=touchpoint, code=_snippet_html(touchpoint))


@bp.route("/<int:touchpoint_id>/snippet/preview")
@tenant_route(Role.ADMIN)
def snippet_preview(touchpoint_id):
    """The snippet alone, shown in a sandboxed frame. Email HTML needs inline styles, so
    this one response allows them (and nothing else: no scripts, no framing elsewhere)."""
    touchpoint = touchpoints.get_touchpoint(current_tenant(), touchpoint_id)
    response = make_response(_snippet_html(touchpoint))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _snippet_html(touchpoint) -> str:
    tenant = current_tenant()
    scale = metrics.metric(tenant.metric)
    placeholders = {name: name.upper() for name in touchpoint.hidden_field_names}
    return render_template(
        "touchpoints/snippet_email.html", tenant=tenant, scale=scale,
        question=touchpoints.question_for(tenant, tenant.locale),
        links={score: survey_link(touchpoint, score=score, c="email", **placeholders) for score in scale.scores},
    )
