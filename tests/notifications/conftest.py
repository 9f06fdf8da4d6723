"""A real SMTP server on 127.0.0.1 that keeps what it receives."""

from aiosmtpd.controller import Controller
from dataclasses import dataclass
from email.message import EmailMessage

import email
import email.policy
import pytest
import socket


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        (address,) = self.rcpt_tos
        return address

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()


class Inbox:
    """The aiosmtpd handler: every message accepted, kept in arrival order."""

    def __init__(self, port: int):
        self.port = port
        self.received: list[Received] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        self.received.append(Received(envelope.mail_from, envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        self.received.clear()

    def by_address(self) -> dict[str, Received]:
        """The messages by recipient; fails if anyone got two."""
        addresses = [received.to for received in self.received]
        assert len(addresses) == len(set(addresses)), addresses
        return {received.to: received for received in self.received}


@pytest.fixture(scope="module")
def smtp_server():
    """One listening SMTP server per test module; tests clear its inbox."""
    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
