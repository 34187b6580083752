"""Sentry without a network: a transport that keeps the events it is given, for tests to read."""
from __future__ import annotations

from sentry_sdk.transport import Transport


class MemoryTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def events(self) -> list[dict]:
        return [item.payload.json for envelope in self.envelopes for item in envelope.items if item.type == "event"]
