"""The plans (DESIGN §5) as data, and the questions the rest of the app asks about them.

Billing decides from what it is given (a tenant's plan, counts its callers made): it imports
nothing of the accounts or the product above it."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from saas.core.errors import Refusal

UNLIMITED = None


@dataclass(frozen=True)
class Plan:
    key: str
    name: object  # a lazy string: str() it, or let a template show it, in the reader's language
    responses_per_month: int | None
    touchpoints: int | None
    seats: int | None


PLANS: dict[str, Plan] = {
    plan.key: plan
    for plan in (
        Plan("free", _l("Free"), responses_per_month=100, touchpoints=2, seats=2),
        Plan("starter", _l("Starter"), responses_per_month=1_000, touchpoints=10, seats=5),
        Plan("pro", _l("Pro"), responses_per_month=10_000, touchpoints=UNLIMITED, seats=25),
    )
}
DEFAULT_PLAN = "free"

# What `flask billing setup` creates in a Stripe account: (amount in cents, currency) per paid plan and
# interval. The pages show the prices Stripe has, which an operator may change there.
LIST_PRICES: dict[str, dict[str, tuple[int, str]]] = {
    "starter": {"month": (1900, "eur"), "year": (19000, "eur")},
    "pro": {"month": (4900, "eur"), "year": (49000, "eur")},
}


def plan_for(tenant) -> Plan:
    return PLANS.get(tenant.plan, PLANS[DEFAULT_PLAN])


class LimitReached(Refusal):
    """One more would pass the plan's limit: refused with the plan named and a way out (upgrade)."""


# What a full limit says, and at which form field: formatted with the plan's name and the limit.
_FULL = {
    "seats": ("email", _l("Your %(plan)s plan includes %(seats)s seats and they are all taken. "
                          "Upgrade your plan or remove a member to invite someone new.")),
    "touchpoints": ("name", _l("Your %(plan)s plan includes %(count)s active touchpoints. "
                               "Upgrade your plan, or deactivate a touchpoint first.")),
}


def require_seat(tenant, seats_in_use: int) -> None:
    _require_room(tenant, "seats", seats_in_use)


def require_touchpoint(tenant, active_touchpoints: int) -> None:
    _require_room(tenant, "touchpoints", active_touchpoints)


def _require_room(tenant, limit_name: str, in_use: int) -> None:
    plan = plan_for(tenant)
    limit = getattr(plan, limit_name)
    if limit is not UNLIMITED and in_use >= limit:
        field, message = _FULL[limit_name]
        raise LimitReached(message % {"plan": plan.name, "seats": limit, "count": limit}, field=field)


def is_over_response_quota(tenant, responses_this_month: int) -> bool:
    """True for the response that made this month's count exceed the plan: it is kept, locked."""
    limit = plan_for(tenant).responses_per_month
    return limit is not UNLIMITED and responses_this_month > limit
