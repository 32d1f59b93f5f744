"""Getting an e-mail out: over SMTP (STARTTLS or SSL, login, one connection reused for a batch), or,
without SMTP settings, into `.eml` files under the instance folder so the demo works offline.

Failures are sorted the way SMTP sorts them: a 4xx reply or a lost connection is temporary
(`TemporaryDeliveryError`: try again later), a 5xx reply is permanent (`PermanentDeliveryError`:
the message is marked failed for an administrator to see).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Protocol

from dossiers.settings import Settings

log = logging.getLogger("ntm.notifications.transport")


class DeliveryError(Exception):
    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class TemporaryDeliveryError(DeliveryError):
    """Try again later. `connection` is True when the server could not be used at all (stop the batch)."""

    def __init__(self, message: str, *, code: int | None = None, connection: bool = False) -> None:
        super().__init__(message, code=code)
        self.connection = connection


class PermanentDeliveryError(DeliveryError):
    """The server refused the message for good (5xx)."""


class Transport(Protocol):
    def send(self, message: Message) -> None:
        """Hand `message` over; raise TemporaryDeliveryError or PermanentDeliveryError when it was not accepted."""

    def close(self) -> None:
        """Release the connection, if any."""


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _classified(code: int, reply: bytes | str, what: str) -> DeliveryError:
    text = f"{code} {_reply_text(reply)} ({what})"
    if 400 <= code < 500:
        return TemporaryDeliveryError(text, code=code, connection=code == 421)
    return PermanentDeliveryError(text, code=code)


class SmtpTransport:
    """SMTP with STARTTLS (`use_tls`) or implicit TLS (`use_ssl`), optional login; the connection
    stays open across `send` calls until `close` (one batch = one connection)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        use_tls: bool = False,
        use_ssl: bool = False,
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if use_tls and use_ssl:
            raise ValueError("MAIL_USE_TLS (STARTTLS) và MAIL_USE_SSL không dùng cùng lúc")
        self.host, self.port = host, port
        self.use_tls, self.use_ssl = use_tls, use_ssl
        self.username, self.password = username, password
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._connection: smtplib.SMTP | None = None
        #: how many connections were opened (tests check that a batch reuses one)
        self.connections_opened = 0

    @classmethod
    def from_settings(cls, settings: Settings, ssl_context: ssl.SSLContext | None = None) -> SmtpTransport:
        return cls(
            settings.mail_server,
            settings.mail_port,
            use_tls=settings.mail_use_tls,
            use_ssl=settings.mail_use_ssl,
            username=settings.mail_username,
            password=settings.mail_password,
            timeout=settings.mail_timeout,
            ssl_context=ssl_context,
        )

    def _connect(self) -> smtplib.SMTP:
        connection: smtplib.SMTP | None = None
        try:
            if self.use_ssl:
                connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            connection.ehlo()
            if self.use_tls:
                connection.starttls(context=self.ssl_context)
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password)
        except (OSError, smtplib.SMTPException) as exc:
            if connection is not None:
                connection.close()
            raise self._connection_failure(exc) from exc
        self.connections_opened += 1
        return connection

    def _connection_failure(self, exc: BaseException) -> TemporaryDeliveryError:
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            # a wrong password is the administrator's to fix; the messages themselves are fine
            reply = _classified(exc.smtp_code, exc.smtp_error, "AUTH").message
            return TemporaryDeliveryError(
                f"đăng nhập máy chủ thư thất bại: {reply}", code=exc.smtp_code, connection=True
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            return TemporaryDeliveryError(
                f"máy chủ thư từ chối kết nối: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
                code=exc.smtp_code,
                connection=True,
            )
        return TemporaryDeliveryError(f"không kết nối được máy chủ thư {self.host}:{self.port}: {exc}", connection=True)

    def send(self, message: Message) -> None:
        reused = self._connection is not None
        connection = self._connection or self._connect()
        self._connection = connection
        try:
            connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            replies = list(exc.recipients.values())
            self._reset(connection)
            if replies and all(400 <= code < 500 for code, _ in replies):
                code, reply = replies[0]
                raise TemporaryDeliveryError(f"{code} {_reply_text(reply)} (RCPT)", code=code) from exc
            code, reply = next(((c, r) for c, r in replies if c >= 500), replies[0] if replies else (550, b""))
            raise PermanentDeliveryError(f"{code} {_reply_text(reply)} (RCPT)", code=code) from exc
        except smtplib.SMTPSenderRefused as exc:
            self._reset(connection)
            raise _classified(exc.smtp_code, exc.smtp_error, "MAIL FROM") from exc
        except smtplib.SMTPDataError as exc:
            self._reset(connection)
            raise _classified(exc.smtp_code, exc.smtp_error, "DATA") from exc
        except smtplib.SMTPServerDisconnected as exc:
            self._connection = None
            if reused:
                # the server closed an idle reused connection: one fresh try
                self.send(message)
                return
            raise TemporaryDeliveryError(f"máy chủ thư ngắt kết nối: {exc}", connection=True) from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise _classified(exc.smtp_code, exc.smtp_error, "SMTP") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TemporaryDeliveryError(f"lỗi khi gửi thư: {exc}", connection=True) from exc

    def _reset(self, connection: smtplib.SMTP) -> None:
        """After a refusal the connection stays usable for the next message, unless the server hung up."""
        try:
            connection.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except OSError:
                log.debug("closing a broken SMTP connection failed", exc_info=True)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileSinkTransport:
    """Writes each message as an .eml file under `directory` and logs where; nothing leaves the machine."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: Message) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = _UNSAFE.sub("_", str(message["Message-ID"] or "message").strip("<>")) + ".eml"
        path = self.directory / name
        try:
            path.write_bytes(message.as_bytes())
        except OSError as exc:
            raise TemporaryDeliveryError(f"không ghi được tệp thư {path}: {exc}", connection=True) from exc
        to = str(make_header(decode_header(str(message["To"]))))
        log.info("e-mail to %s written to %s (no SMTP server configured)", to, path)

    def close(self) -> None:
        return None


def transport_from_settings(settings: Settings) -> Transport:
    """SMTP when MAIL_SERVER is set, else the .eml sink under the instance folder."""
    if settings.mail_server:
        return SmtpTransport.from_settings(settings)
    return FileSinkTransport(settings.mail_sink_path)
