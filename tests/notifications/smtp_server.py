"""A real SMTP server on localhost for the tests (aiosmtpd), whose answers a test can script.

`Mailbox` counts what it accepted: a message counts only when the server answers 250 to its DATA.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    peer: Any


@dataclass
class Mailbox:
    """The handler: accepts mail, or answers what the test scripted for a recipient."""

    received: list[Received] = field(default_factory=list)
    #: recipient → replies to give to RCPT TO, one per attempt (then accept)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    #: recipient → replies to give to DATA, one per attempt (then accept)
    data_replies: dict[str, list[str]] = field(default_factory=dict)
    #: called (in a worker thread) before the n-th accepted DATA; returning a reply refuses the message
    before_accept: Callable[[int], str | None] | None = None
    peers: set[Any] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self.lock:
            self.peers.add(session.peer)
            scripted = self.rcpt_replies.get(address)
            if scripted:
                return scripted.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            for address in envelope.rcpt_tos:
                scripted = self.data_replies.get(address)
                if scripted:
                    return scripted.pop(0)
            number = len(self.received) + 1
        if self.before_accept is not None:
            refusal = await asyncio.get_running_loop().run_in_executor(None, self.before_accept, number)
            if refusal is not None:
                return refusal
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, session.peer))
        return "250 2.0.0 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


class PasswordCheck:
    """An aiosmtpd authenticator accepting one login."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.logins: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if (login, password) == (self.username, self.password):
                self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp(mailbox: Mailbox, **smtp_options: Any) -> Iterator[Controller]:
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost, made with the openssl command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def client_tls_context(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))
