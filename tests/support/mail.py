"""Where the app's emails land in tests: a real SMTP server (aiosmtpd), the outbox folder, and reading their bodies."""
from __future__ import annotations

import asyncio
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.support.http import link_in
from tests.support.processes import free_port


class RecordingHandler:
    """Keeps every message as received: its envelope, the raw bytes on the wire and the parsed email.
    `delays`: seconds to wait before answering each message in turn (a slow relay that keeps it)."""

    def __init__(self, delays=()):
        self.messages = []
        self.received = threading.Condition()
        self.delays = list(delays)

    async def handle_DATA(self, server, session, envelope):
        with self.received:
            self.messages.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "raw": envelope.original_content,
                    "email": message_from_bytes(envelope.content, policy=policy.default),
                }
            )
            self.received.notify_all()
        if self.delays:
            await asyncio.sleep(self.delays.pop(0))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 15) -> list:
        with self.received:
            self.received.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


class SmtpServer:
    def __init__(self, port: int | None = None, delays=()):
        self.port = port or free_port()
        self.handler = RecordingHandler(delays)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        return self.handler.messages

    def wait_for(self, count: int, timeout: float = 15) -> list:
        return self.handler.wait_for(count, timeout)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


def body_of(email) -> str:
    return email.get_body(preferencelist=("plain",)).get_content()


class Mailbox:
    """Where the app's emails land: the SMTP server, or the outbox folder."""

    def __init__(self, smtp: SmtpServer | None = None, folder: Path | None = None):
        self.smtp, self.folder = smtp, folder

    def bodies(self) -> list[tuple[str, str]]:
        if self.smtp:
            return [(m["email"]["To"], body_of(m["email"])) for m in self.smtp.messages]
        emails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(self.folder.glob("*.eml"))]
        return [(e["To"], body_of(e)) for e in emails]

    def link_for(self, recipient: str, path_fragment: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for to, body in reversed(self.bodies()):
                if to == recipient and path_fragment in body:
                    return link_in(body, path_fragment)
            time.sleep(0.2)
        raise AssertionError(f"no email to {recipient} with {path_fragment}; got {self.bodies()}")
