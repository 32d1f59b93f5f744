"""Delivery against a real SMTP server on localhost: recipients, Vietnamese content, links, retries, failures."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import User
from dossiers.settings import Settings
from notifications.jobs import compose_messages, deliver_outbox, plan_reminders
from notifications.models import ItemStatus, MessageStatus, OutboxMessage
from notifications.transport import FileSinkTransport, SmtpTransport, transport_from_settings
from tests.notifications.smtp_server import (
    Mailbox,
    PasswordCheck,
    client_tls_context,
    running_smtp,
    self_signed_certificate,
    server_tls_context,
)
from tests.notifications.world import PASSWORD, World, at
from workflow.deadlines import ReminderPolicy

D = dt.date
SENDER = "Hệ thống NTM <nhac-han@ntm.local>"
NOW = at(D(2025, 9, 12), 8)  # 7 days before the last day of "before 20/9"


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp(mailbox: Mailbox) -> Iterator[SmtpTransport]:
    with running_smtp(mailbox) as controller:
        transport = SmtpTransport(controller.hostname, controller.port, timeout=10)
        yield transport
        transport.close()


def _queue(session: Session, now: dt.datetime, *, digest: bool = True, base_url: str = Settings.base_url) -> int:
    plan_reminders(session, now, policy=ReminderPolicy(digest=digest), base_url=base_url)
    return compose_messages(session, now, digest=digest, sender=SENDER)


def _deliver(session: Session, transport: SmtpTransport, now: dt.datetime, max_attempts: int = 5) -> None:
    deliver_outbox(session, transport, now, sender=SENDER, max_attempts=max_attempts)


def _message_to(session: Session, address: str) -> OutboxMessage:
    return session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)).one()


def test_reminders_arrive_in_vietnamese_with_a_working_link(
    session: Session, world: World, mailbox: Mailbox, smtp: SmtpTransport, client: FlaskClient
) -> None:
    assert _queue(session, NOW) == 3  # one digest for each officer of the three communes
    _deliver(session, smtp, NOW)

    assert sorted(r.rcpt_tos[0] for r in mailbox.received) == [
        "xa.dongkhe@thu.ntm.vn", "xa0.0@thu.ntm.vn", "xa1.0@thu.ntm.vn",
    ]  # fmt: skip
    assert all(len(r.rcpt_tos) == 1 and r.mail_from == "nhac-han@ntm.local" for r in mailbox.received)
    # one connection for the whole batch
    assert smtp.connections_opened == 1 and len(mailbox.peers) == 1

    received = next(r for r in mailbox.received if r.rcpt_tos == ["xa0.0@thu.ntm.vn"])
    email = received.message
    assert email["Subject"] == "[NTM] 3 việc cần xử lý: 3 việc sắp đến hạn (12/09/2025)"
    assert email["To"].addresses[0].display_name == "Cán bộ NTM xã Lê Lai số 1"
    assert email["Auto-Submitted"] == "auto-generated"
    text_part, html_part = email.get_body(("plain",)), email.get_body(("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    assert text.startswith("Kính gửi Cán bộ NTM xã Lê Lai số 1,")
    assert "Gửi hồ sơ, báo cáo đề nghị thẩm tra, xét công nhận lên cấp trên — Xã Lê Lai — hồ sơ xã NTM năm 2025" in text
    assert "   Hạn cuối: hết ngày 19/09/2025 (còn 7 ngày); theo kế hoạch: trước ngày 20/09/2025." in text
    assert "Báo cáo quý kết quả thực hiện Chương trình — Xã Lê Lai, kỳ quý III/2025." in text

    dossier = world.dossiers["Lê Lai"]
    links = re.findall(r"Xem và cập nhật: (\S+)", text)
    dossier_link = f"{Settings.base_url}/ho-so/{dossier.id}"
    assert dossier_link in links
    assert f'<a href="{dossier_link}">' in html

    # the link opens the dossier for the officer it was sent to
    officer = world.users["xa0.0"]
    officer.set_password(PASSWORD)
    session.flush()
    path = dossier_link.removeprefix(Settings.base_url)
    assert client.get(path).status_code in (302, 401)  # signed out: to the sign-in page
    response = client.post("/dang-nhap", data={"username": "xa0.0", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(path)
    assert page.status_code == 200 and "Lê Lai" in page.get_data(as_text=True)
    unit_link = next(link for link in links if "/don-vi/" in link)
    assert client.get(unit_link.removeprefix(Settings.base_url)).status_code == 200

    # the outbox knows what went out
    message = _message_to(session, "xa0.0@thu.ntm.vn")
    assert message.status == MessageStatus.SENT and message.attempts == 1 and message.sent_at == NOW
    assert email["Message-ID"] == message.message_id_header
    assert {item.status for item in message.items} == {ItemStatus.SENT}


def test_an_escalation_reaches_the_coordinator(
    session: Session, world: World, mailbox: Mailbox, smtp: SmtpTransport
) -> None:
    now = at(D(2025, 9, 22), 8)  # Monday after the last day 19/9; nobody submitted
    _queue(session, now)
    _deliver(session, smtp, now)
    to_district = [r for r in mailbox.received if r.rcpt_tos == ["dieuphoi.huyen@thu.ntm.vn"]]
    assert len(to_district) == 1
    email = to_district[0].message
    assert "việc quá hạn cần đôn đốc" in email["Subject"]
    body = email.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "đề nghị đồng chí đôn đốc" in text and "(đã quá hạn 3 ngày)" in text
    assert "Xã Đức Long — hồ sơ xã NTM năm 2025" in text and "Xã Lê Lai — hồ sơ xã NTM năm 2025" in text


@pytest.mark.parametrize(
    ("where", "reply"),
    [("rcpt", "450 4.2.1 Mailbox busy, try later"), ("data", "451 4.3.0 Temporary local problem")],
)
def test_a_temporary_refusal_is_retried_later(
    session: Session, world: World, mailbox: Mailbox, smtp: SmtpTransport, where: str, reply: str
) -> None:
    address = "xa0.0@thu.ntm.vn"
    (mailbox.rcpt_replies if where == "rcpt" else mailbox.data_replies)[address] = [reply]
    _queue(session, NOW)
    _deliver(session, smtp, NOW)
    message = _message_to(session, address)
    assert message.status == MessageStatus.PENDING and message.attempts == 1
    assert message.last_error is not None and reply.split()[0] in message.last_error
    assert message.next_attempt_at == NOW + dt.timedelta(minutes=2)
    assert mailbox.count() == 2  # the other two went out in the same batch

    _deliver(session, smtp, NOW + dt.timedelta(minutes=1))  # not yet
    assert mailbox.count() == 2
    _deliver(session, smtp, NOW + dt.timedelta(minutes=2))
    session.refresh(message)
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert [r.rcpt_tos for r in mailbox.received].count([address]) == 1


def test_too_many_temporary_refusals_end_as_a_failure(
    session: Session, world: World, mailbox: Mailbox, smtp: SmtpTransport
) -> None:
    address = "xa0.0@thu.ntm.vn"
    mailbox.data_replies[address] = ["451 4.3.0 Try later"] * 10
    _queue(session, NOW)
    now = NOW
    for _ in range(3):
        _deliver(session, smtp, now, max_attempts=3)
        now += dt.timedelta(hours=1)
    message = _message_to(session, address)
    assert message.status == MessageStatus.FAILED and message.attempts == 3
    assert message.last_error is not None and message.last_error.startswith("bỏ sau 3 lần thử: 451")


def test_a_permanent_refusal_is_marked_failed_and_shown_to_admins(
    session: Session, world: World, mailbox: Mailbox, smtp: SmtpTransport, runner: FlaskCliRunner
) -> None:
    address = "xa1.0@thu.ntm.vn"
    mailbox.rcpt_replies[address] = ["550 5.1.1 No such mailbox here"]
    _queue(session, NOW)
    _deliver(session, smtp, NOW)
    message = _message_to(session, address)
    assert message.status == MessageStatus.FAILED and message.failed_at == NOW and message.attempts == 1
    assert message.last_error == "550 5.1.1 No such mailbox here (RCPT)"
    assert {item.status for item in message.items} == {ItemStatus.FAILED}
    assert mailbox.count() == 2  # the batch went on
    _deliver(session, smtp, NOW + dt.timedelta(hours=1))  # never retried by itself
    assert mailbox.count() == 2

    listing = runner.invoke(args=["outbox", "failed"])
    assert listing.exit_code == 0, listing.output
    assert f"#{message.id}  failed" in listing.output
    assert "xa1.0@thu.ntm.vn" in listing.output and "lỗi: 550 5.1.1 No such mailbox here (RCPT)" in listing.output

    # the admin fixes the address and sends it again
    refused = runner.invoke(args=["outbox", "retry", str(message.id), "--by", "xa0.0"])
    assert refused.exit_code != 0 and "quản trị" in refused.output
    user = session.scalars(select(User).where(User.username == "xa1.0")).one()
    user.email = "xa1.0.moi@thu.ntm.vn"
    session.flush()
    retried = runner.invoke(args=["outbox", "retry", str(message.id), "--by", "admin"])
    assert retried.exit_code == 0, retried.output
    session.refresh(message)
    assert message.status == MessageStatus.PENDING and message.attempts == 0
    _deliver(session, smtp, message.next_attempt_at)  # the CLI queued it for "now" on the real clock
    session.refresh(message)
    assert message.status == MessageStatus.SENT
    assert mailbox.received[-1].rcpt_tos == ["xa1.0.moi@thu.ntm.vn"]
    assert runner.invoke(args=["outbox", "failed"]).output.strip() == "Không có thư nào gửi thất bại."


def test_an_unreachable_server_keeps_messages_for_later(session: Session, world: World) -> None:
    from tests.notifications.smtp_server import free_port

    _queue(session, NOW)
    transport = SmtpTransport("127.0.0.1", free_port(), timeout=2)
    report = deliver_outbox(session, transport, NOW, sender=SENDER, max_attempts=5)
    assert report.interrupted and report.retried == 1 and report.sent == 0
    statuses = session.scalars(select(OutboxMessage.status)).all()
    assert sorted(statuses) == [MessageStatus.PENDING] * 3
    assert session.scalars(select(OutboxMessage.attempts)).all().count(0) == 2  # untouched: the batch stopped


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def test_starttls_and_login(session: Session, world: World, mailbox: Mailbox, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    check = PasswordCheck("ntm", "mat-khau-smtp")
    with running_smtp(
        mailbox, tls_context=server_tls_context(cert, key), require_starttls=True, auth_required=True,
        authenticator=check,
    ) as controller:  # fmt: skip
        wrong = SmtpTransport(controller.hostname, controller.port, use_tls=True, username="ntm", password="sai",
                              ssl_context=client_tls_context(cert), timeout=10)  # fmt: skip
        _queue(session, NOW)
        report = deliver_outbox(session, wrong, NOW, sender=SENDER, max_attempts=5)
        assert report.interrupted and mailbox.count() == 0
        assert "đăng nhập máy chủ thư thất bại" in (_message_to(session, "xa.dongkhe@thu.ntm.vn").last_error or "")

        right = SmtpTransport(controller.hostname, controller.port, use_tls=True, username="ntm",
                              password="mat-khau-smtp", ssl_context=client_tls_context(cert), timeout=10)  # fmt: skip
        _deliver(session, right, NOW + dt.timedelta(minutes=5))
        right.close()
    assert mailbox.count() == 3 and check.logins == ["ntm"]


def test_implicit_tls(session: Session, world: World, mailbox: Mailbox, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with running_smtp(mailbox, ssl_context=server_tls_context(cert, key)) as controller:
        transport = SmtpTransport(
            controller.hostname, controller.port, use_ssl=True, ssl_context=client_tls_context(cert), timeout=10
        )
        _queue(session, NOW)
        _deliver(session, transport, NOW)
        transport.close()
    assert mailbox.count() == 3


def test_without_smtp_settings_e_mails_become_files(session: Session, world: World, tmp_path: Path) -> None:
    settings = Settings(instance_path=tmp_path / "instance", database_url="sqlite://")
    transport = transport_from_settings(settings)
    assert isinstance(transport, FileSinkTransport) and transport.directory == settings.mail_sink_path
    _queue(session, NOW)
    deliver_outbox(session, transport, NOW, sender=SENDER, max_attempts=5)
    files = sorted(settings.mail_sink_path.glob("*.eml"))
    assert len(files) == 3
    from email import message_from_bytes, policy

    email = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert str(email["Subject"]).startswith("[NTM] ")
    assert session.scalars(select(OutboxMessage.status)).all() == [MessageStatus.SENT] * 3
    assert isinstance(transport_from_settings(Settings(mail_server="smtp.example.vn", database_url="sqlite://")),
                      SmtpTransport)  # fmt: skip
