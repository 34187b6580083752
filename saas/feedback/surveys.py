"""The public survey: finding a touchpoint by its token, and recording what a customer said.

record_response() is the one way a response gets stored: the response and this month's
usage count change in one transaction (the caller commits); over the plan's quota the
response is stored locked, never dropped; the same submission key twice (double click,
refresh, back button) stores one response; more answers from one source in a day than a
customer could give are stored held (suspected spam: not counted, not processed) until the
business releases them."""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, and_, bindparam, func, select, update
from sqlalchemy.orm import joinedload

from billing import plans, usage
from saas.core.extensions import db
from saas.core.i18n import LOCALES
from saas.core.scoping import tenant_scope
from saas.core.sql import execute_built, insert_for, owned
from saas.core.timeutil import as_utc, utcnow
from saas.feedback import quota, recent_touchpoints
from saas.feedback.metrics import metric
from saas.feedback.models import Channel, Response, ResponseState, Touchpoint

MAX_COMMENT = 5000
MAX_HIDDEN_VALUE = 100
# How long after a one-click score the customer may still add or change their answer.
EDIT_WINDOW = timedelta(hours=1)
SUBMISSION_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CHANNELS = {"qr": Channel.QR, "email": Channel.EMAIL, "link": Channel.LINK}
# Answers one source (a client address) gives one touchpoint in a day before the next are held. A family
# or a shop's Wi-Fi shares an address; a script filling a month's quota does too. Held answers are kept
# and shown to the business, which releases the real ones.
ANSWERS_PER_SOURCE_PER_DAY = 10


class InvalidSubmission(ValueError):
    """Input the survey cannot store; `field` names the form field. The message is a lazy
    string: it is shown in the customer's language."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Answer:
    score: int
    submission_key: str
    comment: str = ""
    contact_email: str | None = None
    consent: bool = False
    locale: str = "en"
    channel: Channel = Channel.LINK
    hidden: dict = field(default_factory=dict)
    source: str | None = None  # where it came from: source_of() the client's address


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def touchpoint_for_token(token: str) -> Touchpoint | None:
    """Public lookup by the unguessable token (no tenant is known yet); kept for a few seconds
    (saas.feedback.recent_touchpoints)."""
    if not token or len(token) > 64:
        return None
    return recent_touchpoints.touchpoint(token, _BY_TOKEN)


# Every survey request starts here; built once, the statement skips its construction and
# cache-key computation on each call.
_BY_TOKEN = select(Touchpoint).where(Touchpoint.token == bindparam("token")).options(joinedload(Touchpoint.tenant))


def is_collecting(touchpoint: Touchpoint) -> bool:
    return touchpoint.active and touchpoint.tenant.is_active


def survey_locale(requested: str | None, accepted, tenant_locale: str) -> str:
    """?lang= first, then the browser's Accept-Language, then the business's language."""
    if requested in LOCALES:
        return requested
    from_browser = accepted.best_match(LOCALES) if accepted else None
    return from_browser or tenant_locale


def channel_from(value: str | None) -> Channel:
    return CHANNELS.get((value or "").lower(), Channel.LINK)


def hidden_values(touchpoint: Touchpoint, params) -> dict:
    """The hidden fields this touchpoint accepts, from the query string; others are ignored."""
    values = {}
    for name in touchpoint.hidden_field_names:
        value = params.get(name)
        if value:
            values[name] = str(value)[:MAX_HIDDEN_VALUE]
    return values


def parse_score(touchpoint: Touchpoint, raw) -> int:
    scale = metric(touchpoint.tenant.metric)
    try:
        score = int(str(raw).strip())
    except (TypeError, ValueError):
        raise InvalidSubmission(_l("Choose a score."), field="score") from None
    if not scale.accepts(score):
        raise InvalidSubmission(_l("Choose a score from %(low)s to %(high)s.", low=scale.low, high=scale.high), field="score")
    return score


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Comments are kept as the customer wrote them, minus invisible control characters."""
    return _CONTROL_CHARACTERS.sub("", value.replace("\r\n", "\n")).strip()


def _check(answer: Answer) -> None:
    if not SUBMISSION_KEY_PATTERN.match(answer.submission_key or ""):
        raise InvalidSubmission(_l("This form has expired. Please reload the page."))
    if len(answer.comment) > MAX_COMMENT:
        raise InvalidSubmission(_l("Please keep your comment under %(max)s characters.", max=MAX_COMMENT), field="comment")
    if answer.contact_email and not answer.consent:
        raise InvalidSubmission(_l("Tick the box if we may contact you, or leave the email empty."), field="consent")
    if answer.consent and not answer.contact_email:
        raise InvalidSubmission(_l("Enter the email address we may contact you at."), field="email")


def record_response(touchpoint: Touchpoint, answer: Answer) -> tuple[int, bool]:
    """Store the answer; returns (response id, whether it is waiting for processing).
    The caller commits, then enqueues process_response when asked to.

    The common case costs two statements: the response is inserted unless its
    submission key is already there (ON CONFLICT DO NOTHING, so concurrent double
    submits are safe too), then this month's usage is counted. A known key amends the
    answer it stored."""
    with tenant_scope(touchpoint.tenant_id):
        response_id, waiting = _insert(touchpoint, answer)
        if response_id is None:
            existing = find_submission(touchpoint, answer.submission_key)
            _amend(existing, answer)
            return existing.id, existing.state == ResponseState.RECEIVED
        return response_id, waiting


def _insert(touchpoint: Touchpoint, answer: Answer) -> tuple[int | None, bool]:
    """The new response's id and whether it waits for processing; None when the answer is one stored
    already: its key is known, or the same source sent the same words and score within the edit window
    (a page fetched again by the back button, with a new key). Then `answer.submission_key` names it."""
    scale = metric(touchpoint.tenant.metric)
    if not scale.accepts(answer.score):
        raise InvalidSubmission(_l("Choose a score from %(low)s to %(high)s.", low=scale.low, high=scale.high), field="score")
    answer.comment = clean_text(answer.comment)
    _check(answer)
    today, same_key = _earlier_from_source(touchpoint, answer)
    if same_key is not None:
        answer.submission_key = same_key
        return None, False
    held = today >= ANSWERS_PER_SOURCE_PER_DAY
    response_id = _insert_unless_known(touchpoint, answer, scale.key, ResponseState.HELD if held else ResponseState.RECEIVED)
    if response_id is None:
        return None, False
    return response_id, not held and count_against_quota(touchpoint.tenant, response_id)


def record_unless_answered(touchpoint: Touchpoint, answer: Answer) -> tuple[int, bool]:
    """record_response() for a settled one-click score: if the customer has sent the form with its key
    meanwhile, what they sent stands and the click changes nothing."""
    with tenant_scope(touchpoint.tenant_id):
        response_id, waiting = _insert(touchpoint, answer)
        if response_id is None:
            return find_submission(touchpoint, answer.submission_key).id, False
        return response_id, waiting


def count_against_quota(tenant, response_id: int) -> bool:
    """Count the response in this month's usage; over the plan's quota it is locked. Whether it now
    waits for processing."""
    count = usage.count_response(tenant.id)
    quota.warn_if_crossing(tenant, count)
    if plans.is_over_response_quota(tenant, count):
        db.session.execute(update(Response).where(Response.id == response_id).values(state=ResponseState.LOCKED))
        return False
    return True


def release(tenant, response_id: int) -> bool:
    """The business says a held answer is real: it counts, and is processed (or locked, over quota).
    Whether it now waits for processing."""
    response = owned(Response, tenant.id, response_id)
    if response.state != ResponseState.HELD:
        return False  # released already (a second click)
    response.state = ResponseState.RECEIVED
    db.session.flush()
    return count_against_quota(tenant, response.id)


def source_of(touchpoint: Touchpoint, address: str | None) -> str | None:
    """A keyed hash of the client's address, per touchpoint: it tells answers from one source apart
    without keeping the address, and means nothing anywhere else."""
    if not address:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{touchpoint.id}:{address}".encode(), hashlib.sha256).hexdigest()[:32]


def _earlier_from_source(touchpoint: Touchpoint, answer: Answer) -> tuple[int, str | None]:
    """How many answers the answer's source gave the touchpoint in the last day, and the key of one with
    the same score and the same words within the edit window, if any (one query: both are read from
    the same rows). Only words identify a person: two customers on a shop's Wi-Fi may well give the same
    score without a comment, and are two answers."""
    if answer.source is None:
        return 0, None
    now = utcnow()
    today, same_key = execute_built(_earlier_statement, {
        "touchpoint_id": touchpoint.id, "source": answer.source, "day_start": now - timedelta(days=1),
        "score": answer.score, "comment": answer.comment, "words_given": bool(answer.comment),
        "window_start": now - EDIT_WINDOW,
    }).one()
    return today, same_key


@functools.cache
def _earlier_statement(dialect: str):
    table = Response.__table__
    same_answer = and_(bindparam("words_given", type_=Boolean), table.c.score == bindparam("score"),
                       table.c.comment == bindparam("comment"), table.c.created_at > bindparam("window_start"))
    return select(func.count(table.c.id), func.max(table.c.submission_key).filter(same_answer)).where(
        table.c.touchpoint_id == bindparam("touchpoint_id"), table.c.source == bindparam("source"),
        table.c.created_at > bindparam("day_start"),
    )


def find_submission(touchpoint: Touchpoint, submission_key: str) -> Response | None:
    return db.session.scalar(
        select(Response).where(Response.touchpoint_id == touchpoint.id, Response.submission_key == submission_key)
    )


def _insert_unless_known(touchpoint: Touchpoint, answer: Answer, metric_key: str, state: ResponseState) -> int | None:
    now = utcnow()
    params = {
        "tenant_id": touchpoint.tenant_id,
        "touchpoint_id": touchpoint.id,
        "metric": metric_key,
        "score": answer.score,
        "comment": answer.comment,
        "contact_email": answer.contact_email if answer.consent else None,
        "consent": answer.consent,
        "locale": answer.locale,
        "channel": answer.channel,
        "hidden": answer.hidden,
        "state": state,
        "submission_key": answer.submission_key,
        "source": answer.source,
        "created_at": now,
        "updated_at": now,
    }
    return execute_built(_insert_statement, params).scalar_one_or_none()


@functools.cache
def _insert_statement(dialect: str):
    table = Response.__table__
    return (
        insert_for(dialect)(table)
        .on_conflict_do_nothing(index_elements=[table.c.touchpoint_id, table.c.submission_key])
        .returning(table.c.id)
    )


def _amend(response: Response, answer: Answer) -> None:
    """A later submission with the same key: the comment after a one-click score, or a
    resubmit. Within the edit window the customer's latest answer wins; after it, the
    score stands and a new comment is added to the old one, so nothing said is lost."""
    comment = answer.comment.strip()
    before = (response.score, response.comment)
    if can_still_edit(response):
        response.score = answer.score
        if comment:
            response.comment = comment
    elif comment and comment not in response.comment:
        response.comment = f"{response.comment}\n\n{comment}".strip()
    if answer.consent and answer.contact_email:
        response.contact_email = answer.contact_email
        response.consent = True
    response.hidden = {**response.hidden, **answer.hidden}
    if (response.score, response.comment) != before and response.state == ResponseState.CATEGORISED:
        response.state = ResponseState.RECEIVED  # read it again: the pipeline keeps manual categories


def can_still_edit(response: Response) -> bool:
    return utcnow() - as_utc(response.created_at) <= EDIT_WINDOW
