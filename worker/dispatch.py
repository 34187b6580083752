"""Enqueue the delivery of every Message once the transaction that wrote it commits."""
from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from saas.core.outbox import Message
from worker.jobs import deliver_message
from worker.queue import enqueue

log = logging.getLogger(__name__)
_KEY = "loopline_new_message_ids"


def _after_flush(session: Session, flush_context) -> None:
    ids = session.info.setdefault(_KEY, [])
    ids.extend(obj.id for obj in session.new if isinstance(obj, Message))


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_KEY, [])
    if not ids:
        return
    for message_id in ids:
        try:
            enqueue(deliver_message, message_id)
        except Exception:
            # The change is committed; a failure here must not turn it into an error page.
            # The Message row is still pending, so the outbox sweep delivers it later.
            log.exception("could not dispatch message %s", message_id)


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
