"""The billing page (owners act; admins read), Checkout and the Customer Portal, and Stripe's webhook."""
from urllib.parse import urlsplit

import stripe
from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request
from flask_login import current_user
from stripe import SignatureVerificationError

from billing import entitlement, stripe_api
from billing import sync as mirror
from billing.plans import PLANS
from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.urls import absolute_url
from saas.feedback.plan_usage import usage_summary
from saas.web.actions import redirect_to
from saas.web.context import current_membership, current_tenant, tenant_route
from saas.web.extensions import csrf, limiter
from saas.web.forms import ActionForm
from saas.web.security import CONTENT_SECURITY_POLICY
from tenants import billing
from tenants.models import Role
from worker.jobs import process_stripe_event, unlock_responses
from worker.queue import enqueue

bp = Blueprint("billing", __name__, url_prefix="/billing")
# Where the page's buttons lead (a POST answered with a redirect there, which form-action governs).
STRIPE_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com")
MAX_WEBHOOK_BODY = 256 * 1024  # Stripe's events are a few KB; anything this large is not one


@bp.route("/")
@tenant_route(Role.ADMIN)
def index():
    tenant = current_tenant()
    account = billing.current_account(tenant)
    prices, unavailable = {}, False
    if stripe_api.configured():
        try:
            prices = stripe_api.prices()
        except stripe.StripeError:  # the page still shows the plan and usage when Stripe is down
            unavailable = True
    return _allowing_stripe_pages(render_template(
        "billing/index.html", account=account, plans=PLANS, prices=prices, unavailable=unavailable,
        configured=stripe_api.configured(), usage=usage_summary(tenant), grace_ends=entitlement.grace_ends(account),
        live=billing.has_live_subscription(account), can_pay=current_membership().has_role(Role.OWNER),
        action_form=ActionForm(),
    ))


def _allowing_stripe_pages(page: str):
    """The page, with a Content-Security-Policy whose form-action lets its buttons lead to Stripe's pages
    (and to the API base's, when another Stripe-compatible API is configured)."""
    response = make_response(page)
    base = current_app.config.get("STRIPE_API_BASE")
    origins = [*STRIPE_PAGES, *([f"{urlsplit(base).scheme}://{urlsplit(base).netloc}"] if base else [])]
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", "form-action 'self' " + " ".join(origins))
    return response


@bp.route("/checkout", methods=["POST"])
@tenant_route(Role.OWNER)
def checkout():
    return _to_stripe(lambda: billing.start_checkout(
        current_tenant(), current_user, request.form.get("plan", ""), request.form.get("interval", ""),
        success_url=absolute_url("billing.success") + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=absolute_url("billing.index"),
    ))


def _to_stripe(page_url):
    """A button that leads to a page of Stripe's: there (what was made on the way, the Stripe customer, is
    kept), or back to the billing page with the refusal in words."""
    if not ActionForm().validate_on_submit() or not stripe_api.configured():
        abort(400)
    try:
        url = page_url()
    except Refusal as refusal:
        db.session.rollback()
        return redirect_to("billing.index", refusal.message, category="error")
    db.session.commit()
    return redirect(url, code=303)


@bp.route("/success")
@tenant_route(Role.OWNER)
def success():
    try:
        account, changed = billing.returned_from_checkout(current_tenant(), request.args.get("session_id", "")[:255])
    except Refusal as refusal:
        db.session.rollback()
        return redirect_to("billing.index", refusal.message, category="error")
    db.session.commit()
    if changed:
        enqueue(unlock_responses, current_tenant().id)
    return render_template("billing/success.html", account=account, plan=PLANS.get(current_tenant().plan))


@bp.route("/portal", methods=["POST"])
@tenant_route(Role.OWNER)
def portal():
    return _to_stripe(lambda: billing.portal(current_tenant(), absolute_url("billing.index")))


@bp.route("/webhook", methods=["POST"])
@csrf.exempt  # Stripe signs the body instead
@limiter.exempt
def webhook():
    """Verified, stored, and handed to a job: Stripe gets its 200 at once."""
    if request.content_length is None or request.content_length > MAX_WEBHOOK_BODY:
        return {"error": "too large"}, 413
    if not current_app.config.get("STRIPE_WEBHOOK_SECRET"):
        abort(404)
    try:
        event_id, new = mirror.record_event(request.get_data(cache=False),
                                            request.headers.get("Stripe-Signature", ""))
    except (SignatureVerificationError, ValueError, KeyError):
        db.session.rollback()
        return {"error": "invalid signature"}, 400
    db.session.commit()
    if new:
        enqueue(process_stripe_event, event_id)
    return {"received": True}
