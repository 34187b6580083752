"""A stateful fake of the parts of Stripe's API the app calls, run as a process of its own:

    python -m tests.support.fake_stripe --port 12111 --webhook-url http://127.0.0.1:5000/billing/webhook \
        --webhook-secret whsec_test

It speaks Stripe's wire format, so stripe-python's real client (pointed here with `base_addresses`) and its
real objects and errors are what the app meets: form-encoded requests with bracketed keys, JSON objects
with `id` and `object`, lists, `{"error": {...}}` with Stripe's status codes, Bearer keys. It keeps
products, prices (found by lookup key), customers, Checkout Sessions, subscriptions and Customer Portal
sessions in memory, and sends webhook events signed with Stripe's scheme (`Stripe-Signature: t=…,v1=…`, an
HMAC-SHA256 of "t.payload" with the endpoint secret).

A Checkout Session's `url` is a page of this server: pressing "Pay" there creates the subscription and
sends checkout.session.completed, customer.subscription.created and invoice.paid, then redirects to the
session's success_url, as Checkout does. What a test needs beyond Stripe's API is under /_test/:
  POST /_test/subscriptions/<id>   status=…, cancel_at_period_end=…: change it and send the event Stripe
                                   would (customer.subscription.updated or .deleted; invoice.payment_failed
                                   for past_due)
  POST /_test/outage               down=1|0: answer every API call with a 500 (Stripe unreachable)
  GET  /_test/events               every event sent, oldest first
  POST /_test/events/<id>/resend   send an event again (Stripe delivers at least once)
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

PERIOD = 30 * 24 * 3600


def decode_form(body: str) -> dict:
    """Stripe's form encoding (`a[b][0][c]=v`) as nested dicts; `[0]`-indexed levels become lists."""
    root: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = root
        for part, following in zip(parts, parts[1:]):
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        node = {key: _lists(value) for key, value in node.items()}
        if node and all(key.isdigit() for key in node):
            return [node[key] for key in sorted(node, key=int)]
    return node


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


class Stripe:
    """The fake's state and behaviour, apart from HTTP."""

    def __init__(self, base_url: str, webhook_url: str | None, webhook_secret: str):
        self.base_url, self.webhook_url, self.webhook_secret = base_url, webhook_url, webhook_secret
        self.objects: dict[str, dict] = {}
        self.events: list[dict] = []
        self.down = False
        self.lock = threading.RLock()
        self.counter = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self.counter):06d}{secrets.token_hex(4)}"

    def store(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def of_kind(self, kind: str) -> list[dict]:
        return [obj for obj in self.objects.values() if obj["object"] == kind]

    # --- the API -------------------------------------------------------------------------------

    def create_product(self, params: dict) -> dict:
        return self.store({"id": params.get("id") or self.new_id("prod"), "object": "product",
                           "name": params.get("name", ""), "active": True, "metadata": params.get("metadata", {}),
                           "created": int(time.time())})

    def create_price(self, params: dict) -> dict:
        lookup_key = params.get("lookup_key")
        if lookup_key and any(price["lookup_key"] == lookup_key for price in self.of_kind("price")):
            raise ApiError(400, "invalid_request_error", f"A price with lookup_key {lookup_key} already exists.")
        recurring = params.get("recurring") or {}
        return self.store({
            "id": self.new_id("price"), "object": "price", "active": True, "product": params["product"],
            "currency": params.get("currency", "eur"), "unit_amount": int(params.get("unit_amount", 0)),
            "lookup_key": lookup_key, "recurring": {"interval": recurring.get("interval", "month"),
                                                    "interval_count": 1},
            "type": "recurring", "metadata": params.get("metadata", {}), "created": int(time.time()),
        })

    def list_prices(self, query: dict) -> list[dict]:
        keys = query.get("lookup_keys")
        prices = self.of_kind("price")
        if keys:
            keys = keys if isinstance(keys, list) else [keys]
            prices = [price for price in prices if price["lookup_key"] in keys]
        return prices

    def create_customer(self, params: dict) -> dict:
        return self.store({"id": self.new_id("cus"), "object": "customer", "email": params.get("email"),
                           "name": params.get("name"), "metadata": params.get("metadata", {}),
                           "created": int(time.time())})

    def create_checkout_session(self, params: dict) -> dict:
        customer = params.get("customer")
        if customer not in self.objects:
            raise ApiError(400, "invalid_request_error", f"No such customer: '{customer}'", param="customer")
        items = params.get("line_items") or []
        if not items or items[0].get("price") not in self.objects:
            raise ApiError(400, "invalid_request_error", "No such price", param="line_items")
        session_id = self.new_id("cs_test")
        return self.store({
            "id": session_id, "object": "checkout.session", "mode": params.get("mode"), "customer": customer,
            "client_reference_id": params.get("client_reference_id"), "metadata": params.get("metadata", {}),
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "status": "open", "payment_status": "unpaid", "subscription": None,
            "url": f"{self.base_url}/checkout/{session_id}", "line_items_price": items[0]["price"],
            "allow_promotion_codes": params.get("allow_promotion_codes") == "true",
            "automatic_tax": {"enabled": (params.get("automatic_tax") or {}).get("enabled") == "true"},
            "created": int(time.time()),
        })

    def pay(self, session_id: str) -> dict:
        """What the customer's payment on the Checkout page causes."""
        session = self.objects[session_id]
        if session["status"] != "open":
            return session
        subscription = self.create_subscription(session["customer"], session["line_items_price"],
                                                session.get("metadata", {}))
        session.update(status="complete", payment_status="paid", subscription=subscription["id"])
        self.send("checkout.session.completed", session)
        self.send("customer.subscription.created", subscription)
        self.send("invoice.paid", self.invoice(subscription, "paid"))
        return session

    def create_subscription(self, customer: str, price_id: str, metadata: dict) -> dict:
        now = int(time.time())
        price = self.objects[price_id]
        item = {"id": self.new_id("si"), "object": "subscription_item", "price": price, "quantity": 1,
                "current_period_start": now, "current_period_end": now + PERIOD}
        return self.store({
            "id": self.new_id("sub"), "object": "subscription", "customer": customer, "status": "active",
            "items": {"object": "list", "data": [item], "has_more": False, "url": "/v1/subscription_items"},
            "cancel_at_period_end": False, "canceled_at": None, "trial_end": None, "metadata": metadata,
            "current_period_start": now, "current_period_end": now + PERIOD, "created": now,
            "latest_invoice": None,
        })

    def invoice(self, subscription: dict, status: str) -> dict:
        return self.store({"id": self.new_id("in"), "object": "invoice", "customer": subscription["customer"],
                           "subscription": subscription["id"], "status": status, "created": int(time.time())})

    def list_subscriptions(self, query: dict) -> list[dict]:
        customer, status = query.get("customer"), query.get("status", "active")
        found = [sub for sub in self.of_kind("subscription") if customer in (None, sub["customer"])]
        if status != "all":
            found = [sub for sub in found if sub["status"] == status]
        return sorted(found, key=lambda sub: sub["created"], reverse=True)

    def create_portal_session(self, params: dict) -> dict:
        if params.get("customer") not in self.objects:
            raise ApiError(400, "invalid_request_error", "No such customer", param="customer")
        session_id = self.new_id("bps")
        return self.store({"id": session_id, "object": "billing_portal.session", "customer": params["customer"],
                           "return_url": params.get("return_url"), "url": f"{self.base_url}/portal/{session_id}",
                           "created": int(time.time())})

    def change_subscription(self, subscription_id: str, params: dict) -> dict:
        subscription = self.objects[subscription_id]
        if "cancel_at_period_end" in params:
            subscription["cancel_at_period_end"] = params["cancel_at_period_end"] in ("true", "1")
        if "status" in params:
            subscription["status"] = params["status"]
        if subscription["status"] == "canceled":
            subscription["canceled_at"] = int(time.time())
            self.send("customer.subscription.deleted", subscription)
            return subscription
        if subscription["status"] == "past_due":
            self.send("invoice.payment_failed", self.invoice(subscription, "open"))
        self.send("customer.subscription.updated", subscription)
        return subscription

    # --- events ---------------------------------------------------------------------------------

    def send(self, kind: str, obj: dict) -> dict:
        event = {"id": self.new_id("evt"), "object": "event", "type": kind, "created": int(time.time()),
                 "api_version": "2024-06-20", "livemode": False, "pending_webhooks": 1,
                 "data": {"object": json.loads(json.dumps(obj))}}
        self.events.append(event)
        self.deliver(event)
        return event

    def deliver(self, event: dict) -> int | None:
        if not self.webhook_url:
            return None
        payload = json.dumps(event)
        request = urllib.request.Request(self.webhook_url, data=payload.encode(), method="POST", headers={
            "Content-Type": "application/json", "Stripe-Signature": sign(payload, self.webhook_secret)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str, param: str | None = None):
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": kind, "message": message, "param": param}}


def _list(url: str, data: list[dict]) -> dict:
    return {"object": "list", "data": data, "has_more": False, "url": url}


def make_handler(stripe: Stripe, api_key: str):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

        def do_DELETE(self):
            self._route("DELETE")

        def _route(self, method: str):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = decode_form(body if method in ("POST", "DELETE") else parts.query)
            try:
                with stripe.lock:
                    if parts.path.startswith("/v1/"):
                        self._json(200, self._api(method, parts.path, params))
                    else:
                        self._pages(method, parts.path, params)
            except ApiError as error:
                self._json(error.status, error.body)
            except KeyError as error:
                self._json(404, {"error": {"type": "invalid_request_error", "message": f"No such object: {error}"}})

        def _api(self, method: str, path: str, params: dict) -> dict:
            if stripe.down:
                raise ApiError(500, "api_error", "Stripe is down (the fake's outage switch).")
            if self.headers.get("Authorization") != f"Bearer {api_key}":
                raise ApiError(401, "invalid_request_error", "Invalid API Key provided.")
            route = (method, re.sub(r"/(prod|price|cus|cs_test|sub|bps|evt)_[A-Za-z0-9_]+", r"/{id}", path))
            object_id = path.rstrip("/").rsplit("/", 1)[-1]
            handlers = {
                ("POST", "/v1/products"): lambda: stripe.create_product(params),
                ("GET", "/v1/products/{id}"): lambda: stripe.objects[object_id],
                ("POST", "/v1/prices"): lambda: stripe.create_price(params),
                ("GET", "/v1/prices"): lambda: _list("/v1/prices", stripe.list_prices(params)),
                ("POST", "/v1/customers"): lambda: stripe.create_customer(params),
                ("GET", "/v1/customers/{id}"): lambda: stripe.objects[object_id],
                ("POST", "/v1/checkout/sessions"): lambda: stripe.create_checkout_session(params),
                ("GET", "/v1/checkout/sessions/{id}"): lambda: stripe.objects[object_id],
                ("GET", "/v1/subscriptions"): lambda: _list("/v1/subscriptions", stripe.list_subscriptions(params)),
                ("GET", "/v1/subscriptions/{id}"): lambda: stripe.objects[object_id],
                ("DELETE", "/v1/subscriptions/{id}"): lambda: stripe.change_subscription(object_id, {"status": "canceled"}),
                ("POST", "/v1/billing_portal/sessions"): lambda: stripe.create_portal_session(params),
            }
            if route not in handlers:
                raise ApiError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")
            return handlers[route]()

        def _pages(self, method: str, path: str, params: dict) -> None:
            if method == "GET" and path.startswith("/checkout/"):
                session = stripe.objects[path.rsplit("/", 1)[1]]
                return self._html(f'<h1>Pay Loopline</h1><p>Price {session["line_items_price"]}</p>'
                                  f'<form method="post"><button type="submit">Pay</button></form>')
            if method == "POST" and path.startswith("/checkout/"):
                session = stripe.pay(path.rsplit("/", 1)[1])
                url = (session["success_url"] or "").replace("{CHECKOUT_SESSION_ID}", session["id"])
                return self._redirect(url)
            if method == "GET" and path.startswith("/portal/"):
                session = stripe.objects[path.rsplit("/", 1)[1]]
                return self._html(f'<h1>Manage your subscription</h1><a href="{session["return_url"]}">Back</a>')
            if method == "POST" and path.startswith("/_test/subscriptions/"):
                return self._json(200, stripe.change_subscription(path.rsplit("/", 1)[1], params))
            if method == "POST" and path == "/_test/outage":
                stripe.down = params.get("down") == "1"
                return self._json(200, {"down": stripe.down})
            if method == "GET" and path == "/_test/events":
                return self._json(200, {"data": stripe.events})
            if method == "POST" and path.startswith("/_test/events/") and path.endswith("/resend"):
                event = next(e for e in stripe.events if e["id"] == path.split("/")[3])
                return self._json(200, {"status": stripe.deliver(event)})
            self._json(404, {"error": {"type": "invalid_request_error", "message": f"No page {path}"}})

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _html(self, html: str) -> None:
            data = f"<!doctype html><html><body>{html}</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, url: str) -> None:
            self.send_response(303)
            self.send_header("Location", url)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="A stateful fake Stripe API for tests.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", default="sk_test_fake")
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret", default="whsec_fake")
    args = parser.parse_args()
    base_url = f"http://127.0.0.1:{args.port}"
    stripe = Stripe(base_url, args.webhook_url, args.webhook_secret)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(stripe, args.api_key))
    server.serve_forever()


if __name__ == "__main__":
    main()


class FakeStripeProcess:
    """The fake as a process of its own, and what a test does with it: point an app at it, play Stripe's
    webhook deliveries to an app (signed as Stripe signs them), switch its outage on and off."""

    API_KEY = "sk_test_fake"
    WEBHOOK_SECRET = "whsec_fake_secret"

    def __init__(self, webhook_url: str | None = None):
        from tests.support.processes import BIN, PROJECT_ROOT, free_port, start_process

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [BIN / "python", "-m", "tests.support.fake_stripe", "--port", str(self.port),
                   "--api-key", self.API_KEY, "--webhook-secret", self.WEBHOOK_SECRET]
        if webhook_url:
            command += ["--webhook-url", webhook_url]
        self.process = start_process([str(part) for part in command], env=None, cwd=PROJECT_ROOT)
        self._wait()

    def _wait(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.events()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the fake Stripe did not start on {self.url}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def config(self) -> dict:
        return {"STRIPE_SECRET_KEY": self.API_KEY, "STRIPE_WEBHOOK_SECRET": self.WEBHOOK_SECRET,
                "STRIPE_API_BASE": self.url}

    def call(self, method: str, path: str, form: dict | None = None) -> dict:
        data = "&".join(f"{key}={value}" for key, value in (form or {}).items()).encode() if form is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def events(self) -> list[dict]:
        return self.call("GET", "/_test/events")["data"]

    def pay(self, checkout_url: str) -> str:
        """The customer presses Pay on the Checkout page; where Checkout sends them back to."""
        request = urllib.request.Request(checkout_url, data=b"", method="POST")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            urllib.request.build_opener(NoRedirect).open(request, timeout=10)
        except urllib.error.HTTPError as answer:
            if answer.code == 303:
                return answer.headers["Location"]
            raise
        raise AssertionError("Checkout did not redirect")

    def set_subscription(self, subscription_id: str, **changes) -> dict:
        return self.call("POST", f"/_test/subscriptions/{subscription_id}",
                         {key: str(value).lower() for key, value in changes.items()})

    def outage(self, down: bool) -> None:
        self.call("POST", "/_test/outage", {"down": "1" if down else "0"})

    @classmethod
    def signed(cls, event: dict, timestamp: int | None = None, secret: str | None = None) -> tuple[str, dict]:
        """The body and headers of Stripe delivering this event."""
        payload = json.dumps(event)
        return payload, {"Stripe-Signature": sign(payload, secret or cls.WEBHOOK_SECRET, timestamp),
                         "Content-Type": "application/json"}
