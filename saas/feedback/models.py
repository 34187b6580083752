"""The feedback product's rows: touchpoints, responses (kept forever: locked when over quota, never
dropped), categories, tasks and their audit trail, unsubscribes and improvements."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.core.enums import LabelledEnum, enum_column
from saas.core.extensions import db
from saas.core.scoping import TenantScoped
from saas.core.timeutil import utcnow
from saas.feedback.metrics import Band, metric
from tenants.models import Membership, Tenant


class ResponseState(str, enum.Enum):
    RECEIVED = "received"
    LOCKED = "locked"  # over the plan's monthly quota: kept, processed once unlocked
    HELD = "held"  # suspected spam (too many from one source): kept, not counted, processed once released
    CATEGORISED = "categorised"
    DONE = "done"


# In the numbers and the exports: processed, and neither locked over the quota nor held as suspected spam.
COUNTED_STATES = (ResponseState.CATEGORISED, ResponseState.DONE)


class Channel(LabelledEnum):
    LINK = "link", _l("link")
    QR = "qr", _l("QR code")
    EMAIL = "email", _l("email")


class TouchpointKind(LabelledEnum):
    WEBSITE = "website", _l("Website")
    APP = "app", _l("App")
    STORE = "store", _l("Store")
    DELIVERY = "delivery", _l("Delivery")
    NEWSLETTER = "newsletter", _l("Newsletter")
    SUPPORT = "support", _l("Support")
    OTHER = "other", _l("Other")


class Touchpoint(TenantScoped, db.Model):
    """A place where customers meet the business; each has its own hosted survey link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[TouchpointKind] = mapped_column(enum_column(TouchpointKind, "touchpoint_kind"))
    # Unguessable: the only key to the public survey at /s/<token>.
    token: Mapped[str] = mapped_column(String(43), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    default_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id", ondelete="SET NULL"))
    # Query-string parameters stored with each response, comma-separated (e.g. "order,store").
    hidden_fields: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tenant: Mapped[Tenant] = relationship()
    default_assignee: Mapped[Membership | None] = relationship()

    @property
    def hidden_field_names(self) -> list[str]:
        return [name for name in self.hidden_fields.split(",") if name]


# The pipeline's reading of a comment (saas.feedback.categoriser), stored as the key.
SENTIMENT_LABELS = {"negative": _l("negative"), "neutral": _l("neutral"), "positive": _l("positive")}


class ClickOutcome(str, enum.Enum):
    ANSWER = "answer"  # a person's: it is (or became) a response
    SCANNER = "scanner"  # one of a burst of different scores: a machine opening every link, dropped


class ScoreClick(TenantScoped, db.Model):
    """A one-click score link opened (GET /s/<token>?score=N): not yet an answer. Mail scanners open
    every link of an email within seconds; a person opens one. Once a click has settled, a sweep makes it
    a response, unless it was one of a burst of different scores from one network or one email's links
    (saas.feedback.clicks)."""

    __table_args__ = (
        UniqueConstraint("touchpoint_id", "submission_key", name="uq_score_click_touchpoint_submission"),
        Index("ix_score_click_outcome_created", "outcome", "created_at"),
        Index("ix_score_click_touchpoint_created", "touchpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"))
    submission_key: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    # How often the same browser chose another score soon after its first click: a person changes their
    # mind once; a scanner keeping its cookies goes through every link.
    changes: Mapped[int] = mapped_column(Integer, default=0)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "response_channel"), default=Channel.EMAIL)
    hidden: Mapped[dict] = mapped_column(JSON, default=dict)
    # Keyed hashes, never the address: of the client's address (as Response.source), and of its network.
    source: Mapped[str | None] = mapped_column(String(32))
    network: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[ClickOutcome | None] = mapped_column(enum_column(ClickOutcome, "click_outcome"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Response(TenantScoped, db.Model):
    __table_args__ = (
        # The form's one-time key: a double click, a refresh or the back button store one response.
        UniqueConstraint("touchpoint_id", "submission_key", name="uq_response_touchpoint_submission"),
        Index("ix_response_tenant_created", "tenant_id", "created_at"),
        Index("ix_response_touchpoint_source_created", "touchpoint_id", "source", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="RESTRICT"), index=True)
    metric: Mapped[str] = mapped_column(String(4))  # the scale it was given on
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "response_channel"), default=Channel.LINK)
    hidden: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[ResponseState] = mapped_column(
        enum_column(ResponseState, "response_state"), default=ResponseState.RECEIVED, index=True
    )
    submission_key: Mapped[str] = mapped_column(String(64))
    # Where it came from, as a keyed hash of the client's address (never the address itself): how many
    # answers one source gives a touchpoint in a day is what tells a customer from a flood.
    source: Mapped[str | None] = mapped_column(String(32))
    # The score it is counted under in the dashboard's numbers (saas.feedback.stats); None: not counted.
    stats_score: Mapped[int | None] = mapped_column(Integer)
    stats_categories: Mapped[list | None] = mapped_column(JSON)  # and the categories (ids)
    stats_loop: Mapped[dict | None] = mapped_column(JSON)  # and what it adds to loop health (loop_stats)
    # Set by the pipeline (saas.feedback.pipeline); staff may override them later.
    sentiment: Mapped[str | None] = mapped_column(String(10))
    needs_reply: Mapped[bool | None] = mapped_column(Boolean)
    needs_action: Mapped[bool | None] = mapped_column(Boolean)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    touchpoint: Mapped[Touchpoint] = relationship()
    categories: Mapped[list[ResponseCategory]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="ResponseCategory.category_id"
    )
    task: Mapped[Task | None] = relationship(back_populates="response", uselist=False)

    @property
    def band(self) -> Band:
        return metric(self.metric).band(self.score)

    @property
    def is_locked(self) -> bool:
        return self.state == ResponseState.LOCKED

    @property
    def is_held(self) -> bool:
        return self.state == ResponseState.HELD

    @property
    def sentiment_label(self):
        return SENTIMENT_LABELS.get(self.sentiment, self.sentiment)


class Category(TenantScoped, db.Model):
    """A tenant's category: seeded from the default taxonomy (key set), or the owner's own."""

    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_category_tenant_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(30))  # default-taxonomy key, None for own categories
    name: Mapped[str] = mapped_column(String(80))
    keywords: Mapped[str] = mapped_column(Text, default="")  # comma-separated words or phrases; "word*" matches beginnings
    # Default keywords the owner took out of a default category's list: they match no more, in any language.
    dropped_keywords: Mapped[list | None] = mapped_column(JSON, default=list)
    # Who handles it: membership ids, taken in turn (round-robin); people who left are skipped.
    assignee_ids: Mapped[list] = mapped_column(JSON, default=list)
    next_assignee: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(",") if word.strip()]


class CategorySource(LabelledEnum):
    RULE = "rule", _l("rule")
    MANUAL = "manual", _l("manual")  # a person's correction: wins over rules and is kept for learning


class ResponseCategory(TenantScoped, db.Model):
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[CategorySource] = mapped_column(enum_column(CategorySource, "category_source"))

    response: Mapped[Response] = relationship(back_populates="categories")
    category: Mapped[Category] = relationship()


class Correction(TenantScoped, db.Model):
    """What a person said an answer is about (its categories) or needs (the two decisions), one row per
    answer, the latest word kept: the business's labelled examples, which its learned categoriser is
    trained on (saas.feedback.learned_models)."""

    __table_args__ = (UniqueConstraint("response_id", name="uq_correction_response"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    category_ids: Mapped[list | None] = mapped_column(JSON)  # None: the categories were not corrected
    needs_reply: Mapped[bool | None] = mapped_column(Boolean)  # None: the decisions were not corrected
    needs_action: Mapped[bool | None] = mapped_column(Boolean)
    corrected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class CategoryModel(TenantScoped, db.Model):
    """A version of a business's learned categoriser: the fitted model (a pickle this app wrote and only
    this app reads) and, per category, where its labels come from and how each source scored on the
    business's corrections by cross-validation."""

    __table_args__ = (UniqueConstraint("tenant_id", "version", name="uq_category_model_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    examples: Mapped[int] = mapped_column(Integer)
    corrections_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # newest one used
    seconds: Mapped[float] = mapped_column(Float)  # training time
    report: Mapped[dict] = mapped_column(JSON)  # {category id: {"source", "examples", "f1": {...}}}
    blob: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class AppCategoriser(db.Model):
    """The app's own model (learned_models.app_model) for one version of the categoriser (its digest: the
    code, the shipped comments and the libraries that made it), trained once, at release, for every worker
    on every machine to read rather than train at start. No business's data: the shipped comments only."""

    digest: Mapped[str] = mapped_column(String(16), primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    examples: Mapped[int] = mapped_column(Integer)  # the shipped comments it learned from
    # Its topic gate's threshold (0.0: none), for the Categories page to tell without loading the model;
    # None in rows stored before it was kept.
    topic_gate: Mapped[float | None] = mapped_column(Float)
    blob: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class TaskStatus(LabelledEnum):
    OPEN = "open", _l("open")
    IN_PROGRESS = "in_progress", _l("in progress")
    RESOLVED = "resolved", _l("resolved")
    DISMISSED = "dismissed", _l("dismissed")

OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class Task(TenantScoped, db.Model):
    """One per response that needs a reply or an action."""

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), unique=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id", ondelete="SET NULL"), index=True)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, "task_status"), default=TaskStatus.OPEN, index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    escalate_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # twice the SLA
    first_reply_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # The customer's answer to "Did this solve it?" (the recovery rate): True, False or not yet.
    customer_solved: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    response: Mapped[Response] = relationship(back_populates="task")
    assignee: Mapped[Membership | None] = relationship()
    events: Mapped[list[TaskEvent]] = relationship(back_populates="task", order_by="TaskEvent.id")


class TaskEvent(TenantScoped, db.Model):
    """Append-only audit trail of every change to a task."""

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id", ondelete="SET NULL"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    task: Mapped[Task] = relationship(back_populates="events")

    @property
    def label(self):
        if self.kind == "customer_said":
            solved = (self.detail or {}).get("solved")
            return _l("the customer says it is solved") if solved else _l("the customer says it is not solved")
        return EVENT_LABELS.get(self.kind, self.kind)


EVENT_LABELS = {
    "created": _l("created"), "assigned": _l("assigned"), "started": _l("started"), "note": _l("note"),
    "categories": _l("categories corrected"), "needs": _l("needs corrected"), "replied": _l("replied to the customer"),
    "resolved": _l("resolved"), "dismissed": _l("dismissed"), "told_customer": _l("told the customer"),
"reopened": _l("reopened"), "reminded": _l("reminder sent"),
    "escalated": _l("escalated"),
}


class Unsubscribe(TenantScoped, db.Model):
    """A customer address that asked for no more messages from this business: honoured forever,
    whatever the consent on later responses."""

    __table_args__ = (UniqueConstraint("tenant_id", "email", name="uq_unsubscribe_tenant_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Improvement(TenantScoped, db.Model):
    """"You said, we did": what changed, told to every consenting customer who commented on it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category_ids: Mapped[list] = mapped_column(JSON, default=list)
    touchpoint_ids: Mapped[list] = mapped_column(JSON, default=list)  # empty: every touchpoint
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # feedback from this date on
    published: Mapped[bool] = mapped_column(Boolean, default=False)  # on the public changes page
    # Asked to send (again) at; sent_at is when the last fan-out found no one left. A request later than
    # sent_at is a fan-out not finished, which the improvements sweep picks up again.
    send_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ImprovementDelivery(TenantScoped, db.Model):
    """One per customer address an improvement was sent to: re-running the fan-out sends nothing twice."""

    __table_args__ = (UniqueConstraint("improvement_id", "email", name="uq_improvement_delivery_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvement.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
