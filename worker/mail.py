"""Delivering outbox Messages: over SMTP (SMTP_URL) or into instance/outbox/ as .eml.

What goes on the wire: the business's name as a properly quoted display name of our own address
(never an address of its own), a Message-ID fixed for each row (a retry after a lost reply is the same
message, so the receiver can drop the copy), and List-Unsubscribe exactly as RFC 2369/8058 write it."""
from __future__ import annotations

import logging
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus

log = logging.getLogger(__name__)


# Headers whose value is a bare <URI> that receivers parse as it is: never folded or encoded.
VERBATIM_HEADERS = {"List-Unsubscribe", "List-Unsubscribe-Post"}


class VerbatimHeader(str):
    """A header value written on one line exactly as given (the email policy stores an object with a
    `name` as it is, and folds it by calling its `fold`)."""

    def __new__(cls, name: str, value: str):
        if any(char in value for char in "\r\n") or not value.isascii():
            raise ValueError(f"{name} must be one line of ASCII")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def sender_address(mail_from: str, sender_name: str | None) -> Address:
    """Our own address, in the business's name when it has one (so the email is delivered)."""
    default_name, address = parseaddr(mail_from)
    username, _, domain = address.partition("@")
    return Address(display_name=sender_name or default_name, username=username, domain=domain)


def message_id(message: Message, domain: str) -> str:
    stamp = int(message.created_at.timestamp()) if message.created_at else 0
    return f"<loopline.{message.id}.{stamp}@{domain or 'loopline.local'}>"


def build_email(message: Message, mail_from: str) -> EmailMessage:
    email = EmailMessage()
    sender = sender_address(mail_from, message.sender_name)
    email["From"] = sender
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message_id(message, sender.domain)
    for name, value in (message.headers or {}).items():
        email[name] = VerbatimHeader(name, value) if name in VERBATIM_HEADERS else value
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    email["Content-Language"] = message.locale  # after the content: set_content drops Content-* headers
    return email


class SmtpTransport:
    """smtp://user:pass@host:port (STARTTLS with ?starttls=1) or smtps://host:465."""

    def __init__(self, url: str, timeout: float):
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
    if url:
        return SmtpTransport(url, timeout=current_app.config["SMTP_TIMEOUT"])
    return FileTransport(current_app.config["OUTBOX_DIR"])


def deliver(message_id: int) -> MessageStatus | None:
    """Send one pending message and record the outcome. Safe to run twice and with
    several workers: the row is locked while it is sent and a sent row is skipped."""
    message = db.session.scalars(
        select(Message).where(Message.id == message_id).with_for_update(skip_locked=True)
    ).one_or_none()
    if message is None or message.status != MessageStatus.PENDING:
        db.session.rollback()
        return None
    _send(message)
    status = message.status  # read before the commit expires it (no reload)
    db.session.commit()
    return status


def _send(message: Message) -> None:
    """Record the outcome on the row: sent, a failed attempt to retry, or failed for good when the
    message cannot even be built (retrying would fail the same way forever)."""
    try:
        email = build_email(message, current_app.config["MAIL_FROM"])
    except Exception as error:  # noqa: BLE001 - whatever it is, it will not change on a retry
        message.record_failure(_describe(error), max_attempts=message.attempts + 1)
        log.error("message %s cannot be built, marked failed: %s", message.id, _describe(error))
        return
    try:
        transport().send(email)
    except Exception as error:  # noqa: BLE001 - a relay, a socket or TLS: each is an attempt to retry
        message.record_failure(_describe(error), current_app.config["MAIL_MAX_ATTEMPTS"])
        log.warning("delivery of message %s failed (attempt %s): %s", message.id, message.attempts, _describe(error))
    else:
        message.mark_sent()


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
