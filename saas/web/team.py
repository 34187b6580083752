"""The team: members, roles, invitations, accepting an invitation, switching tenants."""
from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.web.actions import apply_change
from saas.web.context import TENANT_SESSION_KEY, current_membership, tenant_route
from saas.web.forms import AcceptInvitationForm, ActionForm, InviteForm, RoleForm, attach_error
from tenants import services
from tenants.models import Role
from tenants.tokens import InvalidToken

bp = Blueprint("team", __name__)


def _team_page(invite_form=None, status=200):
    membership = current_membership()
    return render_template(
        "team/team.html",
        members=services.team_members(membership.tenant),
        invitations=services.pending_invitations(membership.tenant),
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
    if form.validate_on_submit():
        try:
            invitation = services.invite(current_membership(), form.email.data, Role(form.role.data))
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("team.index"))
    return _team_page(invite_form=form, status=422)


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
    status = 200
    if form.validate_on_submit():
        try:
            membership = services.accept_invitation(
                token, user, name=form.data.get("name", ""), password=form.data.get("password", "")
            )
        except (Refusal, InvalidToken) as error:
            db.session.rollback()
            attach_error(form, error if isinstance(error, Refusal) else Refusal(_l("This invitation is no longer valid.")))
            status = 422
        else:
            db.session.commit()
            if user is None:
                login_user(membership.user)
            session[TENANT_SESSION_KEY] = membership.tenant_id
            flash(_("Welcome to %(business)s!", business=invitation.tenant.name), "success")
            return redirect(url_for("main.dashboard"))
    return render_template(
        "team/accept.html", invitation=invitation, form=form, has_account=has_account, user=user
    ), status


@bp.route("/switch/<int:tenant_id>", methods=["POST"])
def switch_tenant(tenant_id):
    if not current_user.is_authenticated:
        abort(404)
    if not any(m.tenant_id == tenant_id for m in services.memberships_of(current_user)):
        abort(404)
    session[TENANT_SESSION_KEY] = tenant_id
    return redirect(url_for("main.dashboard"))
