"""Delivering outbox Messages: over SMTP (SMTP_URL) or into instance/outbox/ as .eml."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus

log = logging.getLogger(__name__)


def build_email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    if message.sender_name:  # in the business's name, from our address (so it is delivered)
        sender = formataddr((message.sender_name, parseaddr(sender)[1]))
    email["From"] = sender
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["To"] = message.recipient
    email["Subject"] = message.subject
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "loopline.local"
    email["Message-ID"] = make_msgid(idstring=f"m{message.id}", domain=domain)
    email["Content-Language"] = message.locale
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    return email


class SmtpTransport:
    """smtp://user:pass@host:port (STARTTLS with ?starttls=1) or smtps://host:465."""

    def __init__(self, url: str, timeout: float = 10):
        parts = urlsplit(url)
        self.ssl = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.ssl else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in {"1", "true", "yes"}
        self.timeout = timeout

    def send(self, email: EmailMessage) -> None:
        client_class = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with client_class(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls:
                client.starttls()
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(email)


class FileTransport:
    """The embedded default: one .eml file per message, listed on the dev outbox page."""

    def __init__(self, directory: str):
        self.directory = Path(directory)

    def send(self, email: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        message_id = email["Message-ID"].strip("<>").split("@")[0]
        (self.directory / f"{message_id}.eml").write_bytes(bytes(email))


def transport():
    url = current_app.config.get("SMTP_URL")
    return SmtpTransport(url) if url else FileTransport(current_app.config["OUTBOX_DIR"])


def deliver(message_id: int) -> MessageStatus | None:
    """Send one pending message and record the outcome. Safe to run twice and with
    several workers: the row is locked while it is sent and a sent row is skipped."""
    message = db.session.scalars(
        select(Message).where(Message.id == message_id).with_for_update(skip_locked=True)
    ).one_or_none()
    if message is None or message.status != MessageStatus.PENDING:
        db.session.rollback()
        return None
    try:
        transport().send(build_email(message, current_app.config["MAIL_FROM"]))
    except (OSError, smtplib.SMTPException) as error:
        message.record_failure(f"{type(error).__name__}: {error}", current_app.config["MAIL_MAX_ATTEMPTS"])
        log.warning("delivery of message %s failed (attempt %s): %s", message.id, message.attempts, error)
    else:
        message.mark_sent()
    status = message.status  # read before the commit expires it (no reload)
    db.session.commit()
    return status
