"""What the app keeps of billing: each tenant's billing account (its Stripe customer, the mirror of its
subscription as Stripe last said, a plan granted by a platform admin) and every webhook event received."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saas.core.enums import enum_column
from saas.core.extensions import db
from saas.core.scoping import TenantScoped
from saas.core.timeutil import utcnow


class BillingAccount(TenantScoped, db.Model):
    """One per tenant that has met billing. The subscription columns are a mirror: only
    billing.sync.sync_subscription writes them, from what Stripe says now, never from an event's payload."""

    __table_args__ = (UniqueConstraint("tenant_id", name="uq_billing_account_tenant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    subscription_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(30))  # Stripe's: active, trialing, past_due, canceled…
    price_id: Mapped[str | None] = mapped_column(String(255))
    plan: Mapped[str | None] = mapped_column(String(20))  # the plan the subscription's price is for
    interval: Mapped[str | None] = mapped_column(String(10))  # month | year
    amount: Mapped[int | None] = mapped_column(Integer)  # per interval, in the currency's smallest unit
    currency: Mapped[str | None] = mapped_column(String(3))
    current_period_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    trial_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    past_due_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    grace_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # a platform admin's extension
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # newest event applied
    # A plan a platform admin granted (a comp): it overrides Stripe until comp_until (or for good).
    comp_plan: Mapped[str | None] = mapped_column(String(20))
    comp_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanChange(TenantScoped, db.Model):
    """Each time a tenant's effective plan changed (written by billing.entitlement.apply, the one place that
    changes it): the platform admins' sign-ups-and-upgrades numbers read these."""

    id: Mapped[int] = mapped_column(primary_key=True)
    from_plan: Mapped[str] = mapped_column(String(20))
    to_plan: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class EventStatus(str, enum.Enum):
    PENDING = "pending"
    PROCESSED = "processed"
    IGNORED = "ignored"  # a type the app does not act on, or older than what was applied


class StripeEvent(db.Model):
    """A verified webhook event, stored before it is processed (unique by Stripe's id: Stripe delivers at
    least once). Not tenant-scoped: it arrives before anyone knows whose it is."""

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when Stripe made the event
    customer_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus, "stripe_event_status"),
                                                default=EventStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
