"""Kiểu mẫu: the outstanding field (lĩnh vực nổi trội) is chosen from the set's list, which has "y tế" (seed
000); a field outside the list is refused at registration and when the conditions are recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.criteria_loader import load_builtin_criteria
from dossiers.handlers import handle
from dossiers.models import Dossier, Recognition
from tests.dossiers.procedure_world import BEFORE, World, build_world, later
from workflow.errors import GuardFailed
from workflow.vocabulary import RecognitionLevel

FIELDS = [{"code": "giao-duc", "name": "Giáo dục"}, {"code": "y-te", "name": "Y tế"}]


@pytest.fixture
def world(session: Session) -> World:
    world = build_world(session, BEFORE)
    world.advanced_set.outstanding_fields = FIELDS
    session.flush()
    return world


def test_the_shipped_model_commune_set_lists_y_te(session: Session) -> None:
    loaded = {result.criteria_set.code: result.criteria_set for result in load_builtin_criteria(session, BEFORE)}
    fields = {field["code"]: field["name"] for field in loaded["xa-ntm-kieu-mau-2021"].outstanding_fields}
    assert fields["y-te"] == "Y tế"
    assert {"san-xuat", "giao-duc", "van-hoa", "du-lich", "an-ninh-trat-tu"} <= fields.keys()


def _register(session: Session, world: World, field: str) -> Dossier:
    session.add(
        Recognition(
            unit_id=world.commune.id,
            level=RecognitionLevel.COMMUNE_ADVANCED,
            year=2024,
            decision_number="01/QĐ-UBND",
            decided_on=BEFORE.date(),
            recorded_at=BEFORE,
        )
    )
    session.flush()
    command = c.Register(
        unit_id=world.commune.id,
        level=RecognitionLevel.COMMUNE_MODEL,
        year=2025,
        criteria_set_id=world.advanced_set.id,
        outstanding_field=field,
    )
    return handle(session, world.user("xa"), BEFORE, command).opened()


def test_a_field_outside_the_list_is_refused_at_registration(session: Session, world: World) -> None:
    with pytest.raises(GuardFailed) as refused:
        _register(session, world, "y-te (not in list)")
    assert "lĩnh vực nổi trội “y-te (not in list)” không có trong danh sách của bộ thu-xa-nang-cao v1" in str(
        refused.value
    )
    assert "(Giáo dục, Y tế)" in str(refused.value)
    assert session.scalars(select(Dossier)).all() == []


def test_the_field_is_kept_by_its_code_and_checked_again_when_the_conditions_are_recorded(
    session: Session, world: World
) -> None:
    dossier = _register(session, world, "Y tế")
    assert dossier.outstanding_field == "y-te"
    handle(session, world.user("dieuphoi"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    conditions = {
        "income_per_capita": 80_000_000,
        "advanced_income_level": 70_000_000,
        # the model is named (hamlet, product sold online, where), not counted: see test_kieu_mau_details.py
        "smart_hamlets": (c.SmartHamlet(world.hamlet.id, "Chè Shan tuyết", "postmart.vn"),),
        "smart_hamlet_models": 1,
        "outstanding_field_met": True,
    }
    with pytest.raises(GuardFailed, match="lĩnh vực nổi trội “Du lịch” không có trong danh sách"):
        handle(
            session,
            world.user("xa"),
            later(BEFORE, 2),
            c.RecordModelConditions(dossier_id=dossier.id, outstanding_field="Du lịch", **conditions),
        )
    assert dossier.outstanding_field == "y-te"
    event = handle(
        session,
        world.user("xa"),
        later(BEFORE, 2),
        c.RecordModelConditions(dossier_id=dossier.id, outstanding_field="giao-duc", **conditions),
    ).event
    assert dossier.outstanding_field == "giao-duc"
    assert event is not None and event.payload["outstanding_field"] == "giao-duc"
