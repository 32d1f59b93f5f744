"""`ntm units import`: the official list of provinces and commune-level units, idempotent."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.models import Unit
from workflow.routes import REFORM_DATE
from workflow.vocabulary import UnitKind

COMMUNE_LEVEL = [UnitKind.COMMUNE.value, UnitKind.WARD.value, UnitKind.SPECIAL_ZONE.value]


def _counts(session: Session) -> tuple[int, int, int]:
    provinces = session.scalar(select(func.count()).select_from(Unit).where(Unit.kind == UnitKind.PROVINCE))
    communes = session.scalar(select(func.count()).select_from(Unit).where(Unit.kind.in_(COMMUNE_LEVEL)))
    total = session.scalar(select(func.count()).select_from(Unit))
    return provinces or 0, communes or 0, total or 0


def test_import_on_an_empty_database_then_again_changes_nothing(runner: FlaskCliRunner, session: Session) -> None:
    assert _counts(session) == (0, 0, 0)
    first = runner.invoke(args=["units", "import"])
    assert first.exit_code == 0, first.output
    assert "34 mới" in first.output and "3321 mới" in first.output
    assert _counts(session) == (34, 3321, 34 + 3321)
    snapshot = session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id, Unit.valid_from).order_by(Unit.id)
    ).all()

    second = runner.invoke(args=["units", "import"])
    assert second.exit_code == 0, second.output
    assert "Không có thay đổi." in second.output
    assert "0 mới, 0 cập nhật, 34 giữ nguyên" in second.output
    assert "0 mới, 0 cập nhật, 3321 giữ nguyên" in second.output
    session.expire_all()
    again = session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id, Unit.valid_from).order_by(Unit.id)
    ).all()
    assert again == snapshot

    cao_bang = session.scalars(select(Unit).where(Unit.kind == UnitKind.PROVINCE, Unit.code == "04")).one()
    assert cao_bang.name == "Cao Bằng"
    thach_an = session.scalars(select(Unit).where(Unit.code == "01807")).one()
    assert (thach_an.name, thach_an.kind, thach_an.parent_id) == ("Thạch An", UnitKind.COMMUNE, cao_bang.id)
    assert thach_an.valid_from == REFORM_DATE and thach_an.source_note and "vietnam-provinces" in thach_an.source_note


def test_import_finds_the_demo_units_instead_of_duplicating_them(
    runner: FlaskCliRunner, session: Session, demo: object
) -> None:
    before = session.scalars(select(Unit).where(Unit.code == "01807", Unit.valid_to.is_(None))).one()
    result = runner.invoke(args=["units", "import"])
    assert result.exit_code == 0, result.output
    after = session.scalars(select(Unit).where(Unit.code == "01807", Unit.valid_to.is_(None))).one()
    assert after.id == before.id
    # the pre-2025 commune with the same code stays as history
    assert (
        session.scalars(select(Unit).where(Unit.code == "01807", Unit.valid_to.is_not(None))).one().name == "Vân Trình"
    )
    provinces = session.scalars(select(Unit).where(Unit.kind == UnitKind.PROVINCE)).all()
    assert len(provinces) == 34
