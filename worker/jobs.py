"""RQ job functions. Thin: take ids, run a service in an app context, commit."""
from __future__ import annotations

import functools

from flask import Flask, has_app_context

from saas import outbox
from tenants.scoping import unscoped
from worker import mail

_app: Flask | None = None


def _worker_app() -> Flask:
    global _app
    if _app is None:
        from saas import create_app

        _app = create_app()
    return _app


def in_app_context(func):
    """Jobs run with an app context (the worker's own, or the caller's when inline)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        with _worker_app().app_context():
            return func(*args, **kwargs)

    return wrapper


@in_app_context
def deliver_message(message_id: int):
    with unscoped():
        status = mail.deliver(message_id)
    return status.value if status else None


@in_app_context
def sweep_outbox() -> int:
    """Re-enqueue pending messages whose delivery time has come (first try lost, or retry due)."""
    from worker.queue import enqueue

    ids = outbox.due_message_ids()
    for message_id in ids:
        enqueue(deliver_message, message_id)
    return len(ids)
