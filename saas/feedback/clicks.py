"""One-click scores, and the mail scanners that open every link.

A business puts score links in its own emails (`/s/<token>?score=N`). Mail security scanners (Microsoft
Defender Safe Links, Mimecast, Proofpoint, Barracuda…) open every link of an incoming email, some in a
browser that runs scripts, within seconds of its arrival and before the person sees it. What they never
do is choose: they open all the score links of the email, in a burst, from one data centre. A person opens
one, and may change their mind once.

So opening a score link records a click, not an answer, and a click becomes an answer only once it has
settled (SETTLE) and was not part of a burst: SCANNER_SCORES different scores or more within BURST of it,
from the same network (a /24 or /48), carrying the same hidden values (one email's links), or from one
browser that kept its cookie. A person who
clicks one score and closes the tab is counted at the next sweep; a person who sends the form on the page
is counted at once, with what they sent. Requests that are not a top-level visit (an image or a frame on
another site, a fetch, a prefetch) record nothing at all: saas.web.survey checks that."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from datetime import datetime, timedelta
from itertools import groupby

from flask import current_app
from sqlalchemy import and_, case, delete, select

from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.core.sql import insert
from saas.core.timeutil import as_utc, utcnow
from saas.feedback import surveys
from saas.feedback.models import Channel, ClickOutcome, ScoreClick, Touchpoint
from saas.feedback.surveys import Answer

log = logging.getLogger(__name__)

SETTLE = timedelta(seconds=30)  # longer than BURST: every click of a burst is in before one is judged
BURST = timedelta(seconds=10)
SCANNER_SCORES = 3  # a person changes their mind once; a scanner opens the 5, 7 or 11 links of the scale
KEEP_DECIDED = timedelta(days=1)
BATCH = 500


def network_of(touchpoint: Touchpoint, address: str | None) -> str | None:
    """A keyed hash of the client's network (IPv4 /24, IPv6 /48): a scanner's fetches come from one."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    network = ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False)
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"net:{touchpoint.id}:{network}".encode(), hashlib.sha256).hexdigest()[:32]


def record_click(touchpoint: Touchpoint, score: int, submission_key: str, *, locale: str, channel: Channel,
                 hidden: dict, address: str | None) -> None:
    """A score link opened. The same browser (the same key, from its cookie) clicking again changes the
    score it chose, and within BURST of its first click counts as a change. The caller commits."""
    now = utcnow()
    values = {
        "tenant_id": touchpoint.tenant_id, "touchpoint_id": touchpoint.id, "submission_key": submission_key,
        "score": score, "changes": 0, "locale": locale, "channel": channel, "hidden": hidden,
        "source": surveys.source_of(touchpoint, address), "network": network_of(touchpoint, address),
        "created_at": now,
    }
    soon_after = and_(ScoreClick.score != score, ScoreClick.created_at >= now - BURST)
    db.session.execute(insert(ScoreClick).values(**values).on_conflict_do_update(
        index_elements=[ScoreClick.touchpoint_id, ScoreClick.submission_key],
        set_={"score": score, "changes": case((soon_after, ScoreClick.changes + 1), else_=ScoreClick.changes)},
    ))


def pending_click(touchpoint: Touchpoint, submission_key: str) -> ScoreClick | None:
    return db.session.scalar(select(ScoreClick).where(
        ScoreClick.touchpoint_id == touchpoint.id, ScoreClick.submission_key == submission_key,
        ScoreClick.outcome.is_(None),
    ))


def settle_clicks(now: datetime | None = None) -> tuple[list[int], int]:
    """Judge the clicks that have settled: a person's becomes a response, a scanner's is dropped.
    Returns (ids of responses now waiting for processing, clicks dropped). Run unscoped; the caller
    commits, then enqueues the processing."""
    now = now or utcnow()
    due = list(db.session.scalars(
        select(ScoreClick).where(ScoreClick.outcome.is_(None), ScoreClick.created_at <= now - SETTLE)
        .order_by(ScoreClick.touchpoint_id, ScoreClick.created_at).limit(BATCH).with_for_update(skip_locked=True)
    ))
    waiting, dropped = [], 0
    for touchpoint_id, clicks in groupby(due, key=lambda click: click.touchpoint_id):
        clicks = list(clicks)
        touchpoint = db.session.get(Touchpoint, touchpoint_id)
        neighbours = _clicks_around(touchpoint_id, clicks[0].created_at, clicks[-1].created_at)
        with tenant_scope(touchpoint.tenant_id):
            for click in clicks:
                if _in_burst(click, neighbours):
                    click.outcome = ClickOutcome.SCANNER
                    dropped += 1
                    continue
                click.outcome = ClickOutcome.ANSWER
                response_id, waits = surveys.record_unless_answered(touchpoint, _answer(click))
                if waits:
                    waiting.append(response_id)
    if dropped:
        log.info("dropped %s one-click scores opened in bursts (mail scanners)", dropped)
    db.session.execute(
        delete(ScoreClick).where(ScoreClick.outcome.is_not(None), ScoreClick.created_at < now - KEEP_DECIDED)
        .execution_options(synchronize_session=False)
    )
    return waiting, dropped


def _clicks_around(touchpoint_id: int, first: datetime, last: datetime) -> list[ScoreClick]:
    """Every click on the touchpoint near these, decided or not: a burst is judged whole."""
    return list(db.session.scalars(select(ScoreClick).where(
        ScoreClick.touchpoint_id == touchpoint_id,
        ScoreClick.created_at.between(first - BURST, last + BURST),
    )))


def _in_burst(click: ScoreClick, neighbours: list[ScoreClick]) -> bool:
    if click.changes + 1 >= SCANNER_SCORES:  # one browser, cookies kept, going through the links
        return True

    def related(other: ScoreClick) -> bool:
        close = abs(as_utc(other.created_at) - as_utc(click.created_at)) <= BURST
        same_place = (click.network is not None and other.network == click.network) or (
            bool(click.hidden) and other.hidden == click.hidden)
        return close and same_place

    return len({other.score for other in neighbours if related(other)}) >= SCANNER_SCORES


def _answer(click: ScoreClick) -> Answer:
    return Answer(score=click.score, submission_key=click.submission_key, locale=click.locale,
                  channel=click.channel, hidden=click.hidden, source=click.source)
