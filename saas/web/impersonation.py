"""A platform admin sees the app as one member of a business sees it: read-only, for at most 30 minutes,
with a banner on every page and a button to stop. Started and ended in the audit log (saas.web.admin).

The mark lives in the admin's browser session and names the admin and that session, so it ends with either.
While it holds, every page except the admin pages runs as the member; anything but a GET is refused, and
nothing is written to the database (a flush raises ReadOnlyView), so no email can be queued either."""
from __future__ import annotations

import time

from flask import Flask, flash, g, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from saas.core.extensions import db
from saas.core.scoping import unscoped
from saas.web.context import TENANT_SESSION_KEY, load_tenant_context
from saas.web.errors import render_error
from tenants import admin_actions
from tenants.models import Membership, Tenant

KEY = "impersonation"
MAX_SECONDS = 30 * 60
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ReadOnlyView(Exception):
    """Something tried to write while an admin was viewing as a member."""


def start(membership: Membership) -> None:
    """The admin's browser now views as this member (the caller audited it and committed)."""
    session[KEY] = {"admin": current_user.id, "session": current_user.session_key, "membership": membership.id,
                    "started": time.time()}


def stop(reason: str) -> Tenant | None:
    """End the admin's viewing-as, audited (the caller commits); the business it was in."""
    mark = session.pop(KEY, None)
    if not _is_mine(mark):
        return None
    with unscoped():
        membership = db.session.get(Membership, mark["membership"])
        if membership is None:
            return None
        admin_actions.record(current_user, membership.tenant, "stop_impersonating", reason,
                             {"as": membership.user.email}, {})
        return membership.tenant


def _is_mine(mark) -> bool:
    return bool(mark) and current_user.is_authenticated and mark.get("admin") == current_user.id and \
        mark.get("session") == current_user.session_key and current_user.is_platform_admin


def viewing_as():
    """Before each request: swap in the member (their membership, for the tenant context), refuse what is
    not a GET, or end a viewing-as that ran out (a redirect to answer with)."""
    mark = session.get(KEY)
    if not mark or request.blueprint == "admin" or request.endpoint == "static":
        return None
    if not _is_mine(mark):
        session.pop(KEY, None)
        return None
    if time.time() - mark["started"] > MAX_SECONDS:
        tenant = stop("30 minutes passed")
        db.session.commit()
        flash(_("Viewing as a member ended after 30 minutes."), "info")
        return redirect(url_for("admin.tenant", tenant_id=tenant.id) if tenant else url_for("admin.index"))
    with unscoped():
        membership = db.session.get(Membership, mark["membership"])
    if membership is None:
        session.pop(KEY, None)
        return None
    session[TENANT_SESSION_KEY] = membership.tenant_id
    g.impersonator = current_user._get_current_object()
    g.impersonated = membership
    g._login_user = membership.user  # Flask-Login's current user for the rest of this request
    if request.method not in SAFE_METHODS:
        raise ReadOnlyView(request.endpoint)
    return None


@event.listens_for(Session, "before_flush")
def _refuse_writes(session_, flush_context, instances) -> None:
    if has_request_context() and g.get("impersonated") is not None and (session_.new or session_.dirty or session_.deleted):
        raise ReadOnlyView("flush")


def install(app: Flask) -> None:
    """Before the tenant context is loaded (saas.web.context), so that it loads the member's."""
    app.before_request(viewing_as)

    @app.errorhandler(ReadOnlyView)
    def read_only(_error):
        db.session.rollback()
        if "membership" not in g:  # refused before the page's business was loaded: the page shows the member's menu
            load_tenant_context()
        return render_error(403, _("You are viewing as a member: nothing can be changed from here."))

    @app.context_processor
    def banner():
        return {"impersonated": g.get("impersonated"), "impersonator": g.get("impersonator")}
