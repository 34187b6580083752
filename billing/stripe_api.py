"""Everything the app asks Stripe, through stripe-python's StripeClient: the catalogue (a product per paid
plan, a monthly and a yearly price found by lookup key), customers, Checkout and Customer Portal sessions,
the current subscription, and webhook verification. Stripe's errors (stripe.StripeError) reach the caller,
which says so in words or retries."""
from __future__ import annotations

import time
from dataclasses import dataclass

import stripe
from flask import current_app

from billing.plans import LIST_PRICES

INTERVALS = {"month": "monthly", "year": "yearly"}
PRICE_CACHE_SECONDS = 300
_price_cache: dict[str, tuple[float, dict]] = {}  # by account (API base and key)


@dataclass(frozen=True)
class Price:
    id: str
    plan: str
    interval: str
    amount: int  # in the currency's smallest unit
    currency: str


def configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def client() -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"], base_addresses={"api": base} if base else None, max_network_retries=1,
    )


def lookup_key(plan: str, interval: str) -> str:
    return f"loopline_{plan}_{INTERVALS[interval]}"


def plan_of(price_lookup_key: str | None) -> tuple[str, str] | None:
    """(plan, interval) of one of our prices' lookup keys."""
    for plan, by_interval in LIST_PRICES.items():
        for interval in by_interval:
            if lookup_key(plan, interval) == price_lookup_key:
                return plan, interval
    return None


def setup_catalogue() -> list[str]:
    """Create what is missing of the catalogue in the Stripe account; the lookup keys it created (none the
    second time)."""
    stripe_client, created = client(), []
    existing = {price.lookup_key for price in _our_prices(stripe_client)}
    for plan, by_interval in LIST_PRICES.items():
        product_id = f"loopline_{plan}"
        try:
            stripe_client.v1.products.retrieve(product_id)
        except stripe.InvalidRequestError:
            stripe_client.v1.products.create({"id": product_id, "name": f"Loopline {plan.capitalize()}",
                                              "metadata": {"plan": plan}})
        for interval, (amount, currency) in by_interval.items():
            key = lookup_key(plan, interval)
            if key in existing:
                continue
            stripe_client.v1.prices.create({
                "product": product_id, "currency": currency, "unit_amount": amount, "lookup_key": key,
                "recurring": {"interval": interval}, "metadata": {"plan": plan},
            })
            created.append(key)
    _price_cache.clear()
    return created


def prices() -> dict[tuple[str, str], Price]:
    """Our prices by (plan, interval), as Stripe has them, read at most every few minutes."""
    key = f'{current_app.config["STRIPE_API_BASE"]}|{current_app.config["STRIPE_SECRET_KEY"]}'
    cached = _price_cache.get(key)
    if cached and time.monotonic() - cached[0] < PRICE_CACHE_SECONDS:
        return cached[1]
    found = {}
    for price in _our_prices(client()):
        plan_interval = plan_of(price.lookup_key)
        if plan_interval and price.active:
            found[plan_interval] = Price(price.id, *plan_interval, price.unit_amount, price.currency)
    _price_cache[key] = (time.monotonic(), found)
    return found


def _our_prices(stripe_client: stripe.StripeClient) -> list:
    keys = [lookup_key(plan, interval) for plan, by_interval in LIST_PRICES.items() for interval in by_interval]
    return list(stripe_client.v1.prices.list({"lookup_keys": keys, "limit": 100}).data)


def create_customer(name: str, email: str, tenant_id: int) -> str:
    customer = client().v1.customers.create({"name": name, "email": email, "metadata": {"tenant_id": str(tenant_id)}})
    return customer.id


def checkout_url(customer_id: str, price: Price, tenant_id: int, success_url: str, cancel_url: str) -> str:
    session = client().v1.checkout.sessions.create({
        "mode": "subscription", "customer": customer_id, "client_reference_id": str(tenant_id),
        "metadata": {"tenant_id": str(tenant_id)}, "subscription_data": {"metadata": {"tenant_id": str(tenant_id)}},
        "line_items": [{"price": price.id, "quantity": 1}], "allow_promotion_codes": True,
        "billing_address_collection": "required", "tax_id_collection": {"enabled": True},
        "customer_update": {"address": "auto", "name": "auto"},
        "automatic_tax": {"enabled": bool(current_app.config["STRIPE_AUTOMATIC_TAX"])},
        "success_url": success_url, "cancel_url": cancel_url,
    })
    return session.url


def checkout_customer(session_id: str) -> str | None:
    """The customer of a Checkout Session (the success page's `session_id`)."""
    return client().v1.checkout.sessions.retrieve(session_id).customer


def portal_url(customer_id: str, return_url: str) -> str:
    return client().v1.billing_portal.sessions.create({"customer": customer_id, "return_url": return_url}).url


# The statuses that still bind a customer to a subscription; any other is over.
_LIVE = ("active", "trialing", "past_due", "unpaid", "incomplete", "paused")


def current_subscription(customer_id: str):
    """The customer's subscription as Stripe has it now: the newest live one, else the newest of any kind,
    else None."""
    subscriptions = list(client().v1.subscriptions.list({"customer": customer_id, "status": "all", "limit": 20}).data)
    subscriptions.sort(key=lambda subscription: subscription.created, reverse=True)
    live = [subscription for subscription in subscriptions if subscription.status in _LIVE]
    return (live or subscriptions or [None])[0]


def cancel_subscription(subscription_id: str) -> None:
    """End a subscription now (no refund, no further invoices)."""
    client().v1.subscriptions.cancel(subscription_id)


def construct_event(payload: bytes, signature: str) -> stripe.Event:
    """The event, if Stripe signed it with our endpoint's secret within the tolerance (300 s), else
    stripe.SignatureVerificationError (or ValueError for a body that is not an event)."""
    return stripe.Webhook.construct_event(payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"])
