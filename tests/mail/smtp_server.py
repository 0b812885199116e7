"""An in-process SMTP server for tests: aiosmtpd on 127.0.0.1 and a free port."""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, _server, _session, envelope):
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


class _CountingController(Controller):
    """Counts the connections made to the server (start() makes one of its own)."""

    opened = 0

    def factory(self):
        self.opened += 1
        return super().factory()


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self._handler = _Collector()
        self._controller = _CountingController(self._handler, hostname="127.0.0.1", port=self.port)
        self._opened_at_start = 0

    @property
    def messages(self) -> list[EmailMessage]:
        return self._handler.messages

    @property
    def recipients(self) -> list[list[str]]:
        return self._handler.recipients

    @property
    def connections(self) -> int:
        """SMTP connections made by clients since start()."""
        return self._controller.opened - self._opened_at_start

    def config(self) -> dict:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_TIMEOUT": 5}

    def start(self) -> None:
        self._controller.start()
        self._opened_at_start = self._controller.opened

    def stop(self) -> None:
        self._controller.stop()
