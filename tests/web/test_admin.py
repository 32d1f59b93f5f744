"""The administrator sees e-mails that could not be delivered and can send them again."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from dossiers.demo import DEMO_PASSWORD, DemoData
from notifications.models import MessageStatus, OutboxMessage


def _failed_message(session: Session, demo: DemoData, now: dt.datetime) -> OutboxMessage:
    recipient = demo.users["xa.lelai"]
    message = OutboxMessage(
        recipient=recipient,
        to_address="khong-ton-tai@demo.ntm.vn",
        to_name=recipient.full_name,
        status=MessageStatus.FAILED.value,
        attempts=1,
        next_attempt_at=now,
        last_error="550 5.1.1 Người nhận không tồn tại",
        message_id_header="<test-failed@ntm.local>",
        subject="[NTM] Nhắc hạn: nộp hồ sơ trước ngày 20/09/2025",
        created_at=now,
        failed_at=now,
    )
    session.add(message)
    session.commit()
    return message


def _sign_in(client: FlaskClient, username: str) -> None:
    assert client.post("/dang-nhap", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302


def test_an_admin_sees_failed_e_mails_and_sends_one_again(
    client: FlaskClient, session: Session, demo: DemoData, now: dt.datetime
) -> None:
    message = _failed_message(session, demo, now)
    _sign_in(client, "admin")
    page = client.get("/quan-tri/thu-dien-tu").get_data(as_text=True)
    assert "Thư gửi lỗi (1)" in page
    assert "550 5.1.1 Người nhận không tồn tại" in page and "khong-ton-tai@demo.ntm.vn" in page

    response = client.post(f"/quan-tri/thu-dien-tu/{message.id}/gui-lai")
    assert response.status_code == 302
    session.expire_all()
    retried = session.get(OutboxMessage, message.id)
    assert retried is not None and retried.status == MessageStatus.PENDING
    assert retried.to_address == "xa.lelai@demo.ntm.vn"  # the recipient's current address
    assert "Không có thư nào gửi lỗi." in client.get("/quan-tri/thu-dien-tu").get_data(as_text=True)

    again = client.post(f"/quan-tri/thu-dien-tu/{message.id}/gui-lai")
    assert again.status_code == 409
    assert "không phải thư lỗi" in again.get_data(as_text=True)


def test_other_users_may_not_see_the_outbox(
    client: FlaskClient, session: Session, demo: DemoData, now: dt.datetime
) -> None:
    message = _failed_message(session, demo, now)
    assert client.get("/quan-tri/thu-dien-tu").status_code == 302  # to the sign-in page
    _sign_in(client, "phong.nn-ptnt")
    assert client.get("/quan-tri/thu-dien-tu").status_code == 403
    assert client.post(f"/quan-tri/thu-dien-tu/{message.id}/gui-lai").status_code == 403
