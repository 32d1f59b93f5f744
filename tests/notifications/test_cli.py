"""`ntm deadlines …` and `ntm scheduler --once` (offline: e-mails become .eml files)."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import time_machine
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.db import make_engine
from dossiers.models import CalendarDay
from dossiers.settings import Settings
from notifications.models import MessageStatus, OutboxMessage
from tests.notifications.world import World, at, build_world
from web import create_app

D = dt.date
START = at(D(2025, 9, 12), 8)


def test_deadlines_list_shows_who_owes_what(runner: FlaskCliRunner, world: World) -> None:
    with time_machine.travel(START, tick=False):
        reconciled = runner.invoke(args=["deadlines", "reconcile", "--year", "2025"])
        result = runner.invoke(args=["deadlines", "list", "--year", "2025", "--unit", "Lê Lai"])
        overdue = runner.invoke(args=["deadlines", "list", "--year", "2025", "--unit", "Thạch An", "--overdue"])
    assert reconciled.exit_code == 0 and " mới, " in reconciled.output, reconciled.output
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index(
        "19/09/2025  Xã Lê Lai — hồ sơ xã NTM năm 2025: "
        "Gửi hồ sơ, báo cáo đề nghị thẩm tra, xét công nhận lên cấp trên — kỳ năm 2025"
    )
    assert lines[start + 1] == "    trước 20/09/2025, hạn cuối hết ngày 19/09/2025 (còn 7 ngày)"
    assert lines[start + 2] == "    nhắc: xa0.0; quá hạn báo: dieuphoi.huyen"
    assert "Đức Long" not in result.output  # another commune
    assert "01/2025" in result.output and "QUÁ HẠN" in result.output  # January's report is still owed

    assert overdue.exit_code == 0 and "còn " not in overdue.output and "QUÁ HẠN" in overdue.output
    assert "Phòng Tài chính - Kế hoạch (huyện Thạch An)" in overdue.output  # departments of the district too

    missing = runner.invoke(args=["deadlines", "list", "--year", "2025", "--unit", "Không Có"])
    assert missing.exit_code != 0 and "Không tìm thấy đơn vị" in missing.output


def test_a_recorded_report_disappears_from_the_list(runner: FlaskCliRunner, world: World) -> None:
    args = ["deadlines", "list", "--year", "2025", "--unit", "Lê Lai"]
    assert runner.invoke(args=["deadlines", "reconcile", "--year", "2025"]).exit_code == 0
    assert "quý III/2025" in runner.invoke(args=args).output
    recorded = runner.invoke(
        args=["deadlines", "report", "--unit", "Lê Lai", "--rule", "report-quarterly", "--period", "2025-Q3",
              "--ref", "Số 45/BC-UBND", "--by", "xa0.0"]
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    assert "Đã ghi nhận report-quarterly kỳ 2025-Q3 của Xã Lê Lai." in recorded.output
    assert "quý III/2025" not in runner.invoke(args=args).output
    again = runner.invoke(
        args=["deadlines", "report", "--unit", "Lê Lai", "--rule", "report-quarterly", "--period", "2025-Q3",
              "--by", "xa0.0"]
    )  # fmt: skip
    assert again.exit_code != 0 and "đã được ghi nhận" in again.output


def test_rules_calendar_and_overrides(runner: FlaskCliRunner, session: Session, world: World) -> None:
    rules = runner.invoke(args=["deadlines", "rules", "--year", "2025"])
    assert rules.exit_code == 0, rules.output
    assert "report-quarterly: Báo cáo quý kết quả thực hiện Chương trình" in rules.output
    assert "trước 20/03, trước 20/06, trước 20/09, trước 20/12" in rules.output
    assert "căn cứ: Seed 004" in rules.output
    assert "theo thời hạn bước thẩm tra của quy trình" in rules.output

    changed = runner.invoke(
        args=["deadlines", "override", "--unit", "Thạch An", "--year", "2025", "--rule", "report-quarterly",
              "--schedule", '{"every": "quarter", "day": 25}', "--offsets", "10,1", "--source",
              "KH 30/KH-UBND ngày 10/01/2025 của UBND huyện Thạch An", "--by", "dieuphoi.huyen"]
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    for_commune = runner.invoke(args=["deadlines", "rules", "--year", "2025", "--unit", "Lê Lai"]).output
    assert "trước 25/03, trước 25/06, trước 25/09, trước 25/12" in for_commune
    assert "điều chỉnh: KH 30/KH-UBND ngày 10/01/2025 của UBND huyện Thạch An" in for_commune
    assert "trước 20/03" in runner.invoke(args=["deadlines", "rules", "--year", "2025", "--unit", "Đông Khê"]).output
    bad = runner.invoke(
        args=["deadlines", "override", "--unit", "Thạch An", "--year", "2025", "--rule", "report-quarterly",
              "--schedule", '{"every": "week"}', "--source", "x", "--by", "admin"]
    )  # fmt: skip
    assert bad.exit_code != 0 and "every" in bad.output

    calendar = runner.invoke(args=["deadlines", "calendar", "--year", "2026"])
    assert "17/02/2026 (Tue)  nghỉ: Tết Nguyên Đán" in calendar.output
    refused = runner.invoke(args=["deadlines", "set-day", "02/01/2026", "--off", "--note", "x", "--by", "xa0.0"])
    assert refused.exit_code != 0 and "quản trị" in refused.output
    added = runner.invoke(
        args=["deadlines", "set-day", "02/01/2026", "--off", "--note", "Nghỉ bù Tết Dương lịch 2026", "--by", "admin"]
    )
    assert added.exit_code == 0, added.output
    worked = runner.invoke(
        args=["deadlines", "set-day", "2026-01-10", "--working", "--note", "Làm bù cho 02/01/2026", "--by", "admin"]
    )
    assert worked.exit_code == 0, worked.output
    calendar = runner.invoke(args=["deadlines", "calendar", "--year", "2026"]).output
    assert "02/01/2026 (Fri)  nghỉ: Nghỉ bù Tết Dương lịch 2026" in calendar
    assert "10/01/2026 (Sat)  làm việc bù" in calendar
    assert session.scalars(select(CalendarDay.day)).all() == [D(2026, 1, 2), D(2026, 1, 10)]
    forgot = runner.invoke(args=["deadlines", "forget-day", "2026-01-10", "--by", "admin"])
    assert forgot.exit_code == 0 and "Đã bỏ." in forgot.output


def test_scheduler_once_writes_e_mails_to_files_without_smtp(isolated_database_url: str, tmp_path: Path) -> None:
    engine = make_engine(isolated_database_url)
    with Session(engine) as session:
        build_world(session, START)
        session.commit()
    settings = Settings(instance_path=tmp_path / "instance", database_url=isolated_database_url, secret_key="test")
    app = create_app(settings)
    try:
        with time_machine.travel(START, tick=False):
            result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
        assert result.exit_code == 0, result.output
        files = sorted(settings.mail_sink_path.glob("*.eml"))
        assert len(files) == 3  # one digest per commune officer
        with Session(engine) as session:
            sent = session.scalars(select(OutboxMessage).where(OutboxMessage.status == MessageStatus.SENT)).all()
            assert {m.to_address for m in sent} == {"xa0.0@thu.ntm.vn", "xa1.0@thu.ntm.vn", "xa.dongkhe@thu.ntm.vn"}
        email = message_from_bytes(files[0].read_bytes(), policy=email_policy.default)
        assert str(email["Subject"]).startswith("[NTM] ")
        # a second run at the same moment sends nothing more
        with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
            assert app.test_cli_runner().invoke(args=["scheduler", "--once"]).exit_code == 0
        assert len(list(settings.mail_sink_path.glob("*.eml"))) == 3
    finally:
        app.extensions["ntm_database"].engine.dispose()
        engine.dispose()
