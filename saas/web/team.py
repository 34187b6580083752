"""The team: members, roles, invitations, accepting an invitation, switching tenants; with their forms."""
from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from saas.core.errors import Refusal
from saas.web.actions import apply_change, redirect_to, status_of, submit
from saas.web.context import TENANT_SESSION_KEY, current_membership, current_tenant, sign_in, tenant_route
from saas.web.forms import PASSWORD_HELP, ActionForm, options
from tenants import services
from tenants.models import Role
from tenants.tokens import InvalidToken

bp = Blueprint("team", __name__)

ROLE_CHOICES = options(Role.choices())


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.STAFF.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(), Length(max=200)], description=PASSWORD_HELP)


def _team_page(invite_form=None, status=200):
    tenant = current_tenant()
    return render_template(
        "team/team.html",
        members=services.team_members(tenant),
        invitations=services.pending_invitations(tenant),
        invite_form=invite_form or InviteForm(),
        role_form=RoleForm(),
        action_form=ActionForm(),
    ), status


@bp.route("/team")
@tenant_route(Role.ADMIN)
def index():
    return _team_page()


@bp.route("/team/invite", methods=["POST"])
@tenant_route(Role.ADMIN)
def invite():
    form = InviteForm()
    return submit(
        form, lambda: services.invite(current_membership(), form.email.data, Role(form.role.data)),
        done=lambda invitation: redirect_to("team.index", _("Invitation sent to %(email)s.", email=invitation.email)),
        again=lambda: _team_page(invite_form=form, status=422),
    )


@bp.route("/team/members/<int:membership_id>/role", methods=["POST"])
@tenant_route(Role.OWNER)
def change_role(membership_id):
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the roles."), "error")
        return redirect(url_for("team.index"))
    return _apply(lambda actor: services.change_role(actor, membership_id, Role(form.role.data)), _l("Role changed."))


@bp.route("/team/members/<int:membership_id>/remove", methods=["POST"])
@tenant_route(Role.OWNER)
def remove_member(membership_id):
    return _apply(lambda actor: services.remove_member(actor, membership_id), _l("Member removed."))


@bp.route("/team/invitations/<int:invitation_id>/revoke", methods=["POST"])
@tenant_route(Role.ADMIN)
def revoke_invitation(invitation_id):
    return _apply(lambda actor: services.revoke_invitation(actor, invitation_id), _l("Invitation revoked."))


def _apply(change, success_message):
    return apply_change(lambda: change(current_membership()), success_message, "team.index")


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    try:
        invitation = services.invitation_for_token(token)
    except InvalidToken:
        return render_template("auth/link_invalid.html", what="invitation"), 404
    user = current_user if current_user.is_authenticated else None
    has_account = user is not None or services.find_user_by_email(invitation.email) is not None
    form = ActionForm() if has_account else AcceptInvitationForm()
    return submit(
        form, lambda: _join(token, user, form),
        done=lambda membership: _joined(membership, invitation, log_in=user is None),
        again=lambda: (render_template(
            "team/accept.html", invitation=invitation, form=form, has_account=has_account, user=user
        ), status_of(form)),
    )


def _join(token, user, form):
    try:
        return services.accept_invitation(token, user, name=form.data.get("name", ""), password=form.data.get("password", ""))
    except InvalidToken:
        raise Refusal(_l("This invitation is no longer valid.")) from None


def _joined(membership, invitation, log_in: bool):
    if log_in:
        sign_in(membership.user)
    session[TENANT_SESSION_KEY] = membership.tenant_id
    return redirect_to("main.dashboard", _("Welcome to %(business)s!", business=invitation.tenant.name))


@bp.route("/switch/<int:tenant_id>", methods=["POST"])
def switch_tenant(tenant_id):
    if not current_user.is_authenticated:
        abort(404)
    if not any(m.tenant_id == tenant_id for m in services.memberships_of(current_user)):
        abort(404)
    session[TENANT_SESSION_KEY] = tenant_id
    return redirect(url_for("main.dashboard"))
