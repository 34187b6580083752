"""Who is asking and for which tenant: the current membership, the tenant scope, and
the one place where roles are checked (`tenant_route`)."""
from __future__ import annotations

import functools

from flask import Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from jinja2 import pass_context

from billing import plans, usage
from saas.core import observability
from saas.core.extensions import db
from saas.core.i18n import LOCALES
from saas.core.scoping import enter_tenant_scope, leave_scope
from saas.core.timeutil import local_time
from saas.web.extensions import login_manager
from tenants import billing as tenants_billing
from tenants import services, sessions
from tenants.models import Role, User

TENANT_SESSION_KEY = "tenant_id"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Only while the browser's session is open: not after log-out, a password change or a reset."""
    return sessions.user_for(session_id)


def sign_in(user: User, remember: bool = False) -> None:
    """A new browser session for the user, committed, then Flask-Login's cookie(s) naming it."""
    sessions.open_session(user)
    db.session.commit()
    login_user(user, remember=remember)


def sign_out() -> None:
    """This browser's session ends for good: its cookies, copied or not, open nothing any more."""
    if current_user.is_authenticated:
        sessions.end_session(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()


def current_membership():
    return g.get("membership")


def current_tenant():
    """The tenant the page is for (None outside a tenant: tenant_route pages always have one)."""
    membership = g.get("membership")
    return membership.tenant if membership is not None else None


def load_tenant_context() -> None:
    """Before each request: the signed-in user's membership of the business the session names, and its scope."""
    g.membership = None
    g.scope_token = None
    if not current_user.is_authenticated:
        return
    g.locale_user = current_user._get_current_object()  # the user, not the proxy: still them after log-out
    membership = services.membership_in(current_user, session.get(TENANT_SESSION_KEY))
    g.membership = membership
    if membership is not None:
        session[TENANT_SESSION_KEY] = membership.tenant_id
        g.scope_token = enter_tenant_scope(membership.tenant_id)
        observability.tag_tenant(membership.tenant)


def _leave_tenant_context(exc=None) -> None:
    token = g.pop("scope_token", None)
    if token is not None:
        leave_scope(token)


def install_request_context(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.localize_callback = str  # the session keeps the flashed text, not a lazy string
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(load_tenant_context)
    app.teardown_request(_leave_tenant_context)

    @app.template_filter("local")
    @pass_context
    def local(context, moment, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
        """`{{ task.due_at|local }}`: a moment in the time zone of the page's business."""
        return local_time(moment, context.get("tenant"), fmt) if moment is not None else ""

    @app.context_processor
    def inject_tenant():
        return {
            "quota_used": _quota_used,
            "payment_failing_until": _payment_failing_until,
            "membership": current_membership(),
            "tenant": current_tenant(),
            "Role": Role,
            "page_locale": str(get_locale()),
        }


def _quota_used() -> tuple[int, int] | None:
    """(answers this month, the plan's quota) once past 80% of it, for the owners' banner; else None."""
    tenant = current_tenant()
    limit = plans.plan_for(tenant).responses_per_month if tenant is not None else None
    if limit is None:
        return None
    used = usage.this_month(tenant.id)
    return (used, limit) if used >= 0.8 * limit else None


def _payment_failing_until():
    """The end of the grace period while the tenant's subscription is past due, for the banner; else None."""
    tenant = current_tenant()
    return tenants_billing.payment_failing_until(tenant) if tenant is not None else None


def tenant_route(min_role: Role = Role.STAFF):
    """Every page of the tenant app declares the least role it needs; this is the only check.

    Anonymous → login page; logged in without a tenant → 404; role too low → 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            membership = current_membership()
            if membership is None:
                return render_template("main/no_tenant.html"), 404
            if not membership.tenant.is_active:
                return render_template("main/suspended.html", tenant=membership.tenant,
                                       support=current_app.config["SUPPORT_EMAIL"]), 403
            if not membership.has_role(min_role):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_role = min_role
        return wrapper

    return decorator


def safe_next(default_endpoint: str = "main.dashboard") -> str:
    """Only same-site relative paths are followed after login: no open redirects."""
    target = request.values.get("next", "")
    # Browsers drop tabs and newlines inside URLs ("/\t/evil.com" is "//evil.com"), and
    # CR/LF cannot go in a Location header: refuse any control character.
    clean = not any(ord(ch) < 32 or ord(ch) == 127 for ch in target)
    if clean and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for(default_endpoint)


def redirect_next(default_endpoint: str = "main.dashboard"):
    return redirect(safe_next(default_endpoint))


def select_locale() -> str:
    """The page's language: a public survey speaks the customer's, the app its user's, else the browser's."""
    survey_locale = g.get("survey_locale")
    if survey_locale:
        return survey_locale
    user = getattr(g, "locale_user", None)
    if user is not None and user.locale in LOCALES:
        return user.locale
    return request.accept_languages.best_match(LOCALES) or "en"
