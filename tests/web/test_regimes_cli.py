"""`ntm regimes list | groups`: the regimes with their sources, and the commune groups of the demo's communes."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.demo import DemoData
from dossiers.models import Unit
from dossiers.regimes import GROUPS_DIR


def test_regimes_list_shows_each_regime_and_the_one_of_the_day(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["regimes", "list", "--on", "02/03/2026"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2021-2025 — Chương trình MTQG xây dựng nông thôn mới giai đoạn 2021-2025" in out
    assert "    Xã đạt chuẩn nông thôn mới nâng cao: xa-ntm-nang-cao-2021" in out
    assert "    Xã nông thôn mới hiện đại (thí điểm): xa-ntm-hien-dai-2026 (thí điểm: tỉnh đăng ký mới áp dụng)" in out
    assert "không áp dụng: department-difficulties" in out
    assert "Ngày 02/03/2026: hồ sơ đăng ký theo giai đoạn 2026-2030." in out
    assert "Cao Bằng, giai đoạn 2021-2025, năm 2025: Thôn đạt chuẩn nông thôn mới cần xác nhận không có nợ đọng" in out
    assert runner.invoke(args=["regimes", "list", "--on", "01/09/2025"]).output.count("theo giai đoạn 2021-2025") == 1


def test_the_cao_bang_groups_file_matches_the_demo_and_loads_idempotently(
    runner: FlaskCliRunner, session: Session, demo: DemoData
) -> None:
    path = GROUPS_DIR / "cao-bang-2026.yaml"
    thach_an = demo.new_communes["Thạch An"]
    thach_an.commune_group = None
    session.flush()
    first = runner.invoke(args=["regimes", "groups", str(path)])
    assert first.exit_code == 0, first.output
    assert "Thạch An (01807): — → nhom-3" in first.output and "1 xã đổi nhóm" in first.output
    again = runner.invoke(args=["regimes", "groups", str(path)])
    assert "0 xã đổi nhóm" in again.output
    groups = dict(session.execute(select(Unit.name, Unit.commune_group).where(Unit.commune_group.is_not(None))).all())
    assert set(groups) == set(demo.new_communes) and set(groups.values()) == {"nhom-3"}


def test_a_groups_file_naming_an_unknown_commune_changes_nothing(
    runner: FlaskCliRunner, demo: DemoData, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "province: X\ncriteria_set: xa-ntm-2026\nvalid_on: 2026-02-15\ncommunes:\n  - {code: '99999', group: nhom-1}\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["regimes", "groups", str(path)])
    assert result.exit_code != 0 and "không có xã mã «99999»" in result.output


def test_the_town_and_district_town_levels_are_offered_in_2021_2025_only(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["regimes", "list", "--on", "01/03/2025"])
    assert result.exit_code == 0, result.output
    old, new = result.output.split("2026-2030 — ", 1)
    assert "    Thị trấn đạt chuẩn đô thị văn minh: thi-tran-van-minh-2022" in old
    assert (
        "    Thị xã, thành phố thuộc tỉnh hoàn thành nhiệm vụ xây dựng nông thôn mới: tx-tp-hoan-thanh-ntm-2021" in old
    )
    assert "hài lòng — Thị trấn đạt chuẩn đô thị văn minh: 0.9 — QĐ 04/2022/QĐ-TTg" in old
    assert "đô thị văn minh" not in new and "hoàn thành nhiệm vụ" not in new
