"""`ntm reorganisation preview | apply | list` on the demo's first half of 2025."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.demo import REFORM_PLAN
from dossiers.models import Dossier, Reorganisation
from dossiers.reorganisation import builtin_plan_path
from tests.demo_database import DemoWorld


def test_preview_changes_nothing_then_apply_and_list(
    runner: FlaskCliRunner, session: Session, demo_world: DemoWorld, tmp_path: Path
) -> None:
    plan = str(builtin_plan_path(REFORM_PLAN))
    shown = runner.invoke(args=["reorganisation", "preview", plan])
    assert shown.exit_code == 0, shown.output
    assert "CHẠY THỬ" in shown.output and "Chưa lưu thay đổi nào." in shown.output
    assert "Hồ sơ đang xử lý (5):" in shown.output
    assert "Giải thể Hội Liên hiệp Phụ nữ huyện (huyện Thạch An)" in shown.output
    assert session.scalar(select(Reorganisation.id)) is None

    refused = runner.invoke(args=["reorganisation", "apply", plan, "--by", "xa.leloi", "--yes"])
    assert refused.exit_code != 0 and "không phải quản trị viên" in refused.output
    applied = runner.invoke(args=["reorganisation", "apply", plan, "--by", "admin", "--yes"])
    assert applied.exit_code == 0, applied.output
    assert "Đã áp dụng" in applied.output
    session.expire_all()
    moved = session.get(Dossier, demo_world.dossiers["Vân Trình"])
    assert moved is not None and moved.unit.name == "Thạch An"

    listed = runner.invoke(args=["reorganisation", "list"])
    assert "cao-bang-2025-07-01" in listed.output and "hiệu lực 01/07/2025, 5 hồ sơ chuyển giao" in listed.output
    twice = runner.invoke(args=["reorganisation", "apply", plan, "--by", "admin", "--yes"])
    assert twice.exit_code != 0 and "đã được áp dụng" in twice.output

    broken = tmp_path / "hong.yaml"
    broken.write_text("code: [", encoding="utf-8")
    bad = runner.invoke(args=["reorganisation", "preview", str(broken)])
    assert bad.exit_code != 0 and "YAML không hợp lệ" in bad.output
