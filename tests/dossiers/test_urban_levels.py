"""Issue 10 §3, the levels and units the seeds name, each carried through its procedure on the command path:
a thị trấn to "đô thị văn minh" (seed 000, QĐ 04/2022/QĐ-TTg), a tổ dân phố (a hamlet under the thị trấn)
to hamlet NTM then kiểu mẫu with its town appraising (seed 000), and a thị xã "hoàn thành nhiệm vụ xây dựng
NTM" (seed 003, QĐ 320/QĐ-TTg) after its commune, appraised by the thị xã, is recognised."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.handlers import handle, replayed_state
from dossiers.models import Dossier, Recognition, Unit
from tests.dossiers.procedure_world import (
    AFTER,
    BEFORE,
    UrbanWorld,
    World,
    assess_all,
    build_urban_world,
    build_world,
    confirm_conditions,
    consult,
    later,
)
from workflow.errors import GuardFailed, NotPermitted
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import RecognitionLevel


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, BEFORE)


@pytest.fixture
def urban(session: Session, world: World) -> UrbanWorld:
    return build_urban_world(session, world, BEFORE)


def _register(
    session: Session, w: World, username: str, now: dt.datetime, unit: Unit, level: RecognitionLevel, set_id: int
) -> Dossier:
    command = c.Register(unit_id=unit.id, level=level, year=2025, criteria_set_id=set_id)
    return handle(session, w.user(username), now, command).opened()


def _recognition(session: Session, dossier: Dossier) -> Recognition:
    return session.scalars(select(Recognition).where(Recognition.dossier_id == dossier.id)).one()


def test_a_town_is_carried_to_civilized_town(session: Session, world: World, urban: UrbanWorld) -> None:
    dossier = _register(
        session, world, "thitran", BEFORE, urban.town, RecognitionLevel.TOWN_CIVILIZED, urban.town_set.id
    )
    # QĐ 04/2022 (route of low confidence): the district appraises, the provincial chairman decides
    assert (dossier.route, dossier.authority_unit_id, dossier.decider_unit_id) == (
        "town-via-district",
        world.district.id,
        world.province.id,
    )
    assert dossier.state == "registered"
    handle(session, world.user("dieuphoi"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    assess_all(session, world, dossier, later(BEFORE, 2), officer="thitran")
    assert {i.code for i in dossier.criteria_set.indicators()} == {"1", "2", "3", "4", "5"}
    handle(session, world.user("thitran"), later(BEFORE, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    consult(session, world, dossier, later(BEFORE, 30), officer="thitran", front="mttq.thitran")
    handle(session, world.user("thitran"), later(BEFORE, 31), c.Submit(dossier_id=dossier.id))
    assert dossier.state == "under_appraisal"
    now = later(BEFORE, 35)
    handle(session, world.user("phong.nn-ptnt"), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "under_appraisal"  # the coordinator still holds the indicators no department owns
    handle(session, world.user("dieuphoi"), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"
    confirm_conditions(session, world, dossier, later(now, 1))
    handle(session, world.user("dieuphoi"), later(now, 2), c.Forward(dossier_id=dossier.id))
    handle(
        session, world.user("chutich.tinh"), later(now, 3), c.Recognise(dossier_id=dossier.id, decision_number="15/QĐ")
    )
    assert dossier.state == "recognised" and replayed_state(session, dossier) == "recognised"
    recognition = _recognition(session, dossier)
    assert (recognition.unit_id, recognition.level) == (urban.town.id, "town-civilized")


def test_a_town_needs_its_own_level_and_no_town_registers_after_the_reform(
    session: Session, world: World, urban: UrbanWorld
) -> None:
    # a commune cannot take the town's level, nor a town the commune's
    with pytest.raises(GuardFailed, match="dành cho thị trấn"):
        _register(session, world, "xa", BEFORE, world.commune, RecognitionLevel.TOWN_CIVILIZED, urban.town_set.id)
    with pytest.raises(GuardFailed, match="không áp dụng"):
        _register(session, world, "thitran", BEFORE, urban.town, RecognitionLevel.TOWN_CIVILIZED, world.commune_set.id)
    with pytest.raises(GuardFailed, match="không còn thị trấn từ ngày 01/07/2025"):
        _register(session, world, "thitran", AFTER, urban.town, RecognitionLevel.TOWN_CIVILIZED, urban.town_set.id)


def _hamlet_walk(session: Session, world: World, dossier: Dossier, now: dt.datetime) -> None:
    """A tổ dân phố's submitted dossier to recognition: the town's team appraises, the town announces,
    votes and forwards, the district chairman recognises."""
    handle(session, world.user("to.thamdinh.thitran"), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"
    start = later(now, 1).date()
    handle(
        session,
        world.user("thitran"),
        later(now, 1),
        c.RecordAnnouncement(dossier_id=dossier.id, start=start, end=start + dt.timedelta(days=9)),
    )
    handle(
        session,
        world.user("thitran"),
        later(now, 12),
        c.RecordVote(dossier_id=dossier.id, votes_total=20, votes_in_favour=19),
    )
    handle(session, world.user("thitran"), later(now, 12), c.Forward(dossier_id=dossier.id))
    handle(session, world.user("chutich.huyen"), later(now, 13), c.Recognise(dossier_id=dossier.id))
    assert dossier.state == "recognised" and replayed_state(session, dossier) == "recognised"


def test_a_residential_group_is_carried_to_hamlet_model_with_its_town_appraising(
    session: Session, world: World, urban: UrbanWorld
) -> None:
    group = urban.residential_group
    model = _register(session, world, "tdp", BEFORE, group, RecognitionLevel.HAMLET_MODEL, urban.hamlet_model_set.id)
    assess_all(session, world, model, later(BEFORE, 1), officer="tdp")
    with pytest.raises(GuardFailed, match="điều kiện tiên quyết"):
        handle(session, world.user("tdp"), later(BEFORE, 1), c.Submit(dossier_id=model.id))

    ntm = _register(session, world, "tdp", BEFORE, group, RecognitionLevel.HAMLET_NTM, world.hamlet_set.id)
    # the town appraises its tổ dân phố as a commune does its hamlets; the district chairman decides
    for dossier in (ntm, model):
        assert (dossier.route, dossier.authority_unit_id, dossier.decider_unit_id) == (
            "hamlet-to-district",
            urban.town.id,
            world.district.id,
        )
    assess_all(session, world, ntm, later(BEFORE, 2), officer="tdp")
    handle(session, world.user("tdp"), later(BEFORE, 2), c.Submit(dossier_id=ntm.id))
    _hamlet_walk(session, world, ntm, later(BEFORE, 3))
    assert _recognition(session, ntm).level == "hamlet-ntm"

    # now NTM, the tổ dân phố submits its kiểu mẫu dossier and is carried through it
    handle(session, world.user("tdp"), later(BEFORE, 20), c.Submit(dossier_id=model.id))
    _hamlet_walk(session, world, model, later(BEFORE, 21))
    recognition = _recognition(session, model)
    assert (recognition.unit_id, recognition.level) == (group.id, "hamlet-model")


def test_a_district_town_completes_the_ntm_task_after_its_communes(
    session: Session, world: World, urban: UrbanWorld
) -> None:
    # the thị xã appraises its commune as a district does, the provincial chairman recognises the commune
    commune = _register(
        session, world, "xa.ba", BEFORE, urban.district_town_commune, RecognitionLevel.COMMUNE_NTM, world.commune_set.id
    )
    assert (commune.route, commune.authority_unit_id, commune.decider_unit_id) == (
        "commune-via-district",
        urban.district_town.id,
        world.province.id,
    )
    # the thị xã cannot register before its commune is NTM (its wards do not count)
    dossier = _register(
        session,
        world,
        "thixa",
        BEFORE,
        urban.district_town,
        RecognitionLevel.DISTRICT_TOWN_COMPLETED,
        urban.district_town_set.id,
    )
    assert (dossier.route, dossier.authority_unit_id, dossier.decider_unit_id) == (
        "district-town-to-prime-minister",
        world.province.id,
        world.province.id,
    )

    handle(session, world.user("dieuphoi.thixa"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=commune.id))
    assess_all(session, world, commune, later(BEFORE, 2), officer="xa.ba")
    handle(session, world.user("xa.ba"), later(BEFORE, 3), c.FinishSelfAssessment(dossier_id=commune.id))
    consult(session, world, commune, later(BEFORE, 30), officer="xa.ba", front="mttq.xaba")
    handle(session, world.user("xa.ba"), later(BEFORE, 31), c.Submit(dossier_id=commune.id))
    handle(session, world.user("dieuphoi.thixa"), later(BEFORE, 32), c.ApproveIndicators(dossier_id=commune.id))
    assert commune.state == "appraised"
    confirm_conditions(session, world, commune, later(BEFORE, 33), finance="thixa.tc-kh", police="thixa.cong-an")
    handle(session, world.user("dieuphoi.thixa"), later(BEFORE, 33), c.Forward(dossier_id=commune.id))

    # meanwhile the thị xã assesses itself and consults (no meeting vote at the district tier)
    handle(session, world.user("dieuphoi.tinh"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    assess_all(session, world, dossier, later(BEFORE, 2), officer="thixa")
    handle(session, world.user("thixa"), later(BEFORE, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    today = later(BEFORE, 30).date()
    handle(
        session,
        world.user("thixa"),
        later(BEFORE, 30),
        c.RecordPosting(
            dossier_id=dossier.id,
            start=today - dt.timedelta(days=20),
            end=today - dt.timedelta(days=6),
            announcements=5,
        ),
    )
    handle(
        session,
        world.user("mttq.thixa"),
        later(BEFORE, 30),
        c.RecordSurvey(
            dossier_id=dossier.id, households_total=5000, households_reached=3200, households_satisfied=3000
        ),
    )
    with pytest.raises(GuardFailed, match="mới có 0/1 xã đạt chuẩn nông thôn mới"):
        handle(session, world.user("thixa"), later(BEFORE, 34), c.Submit(dossier_id=dossier.id))

    handle(
        session,
        world.user("chutich.tinh"),
        later(BEFORE, 35),
        c.Recognise(dossier_id=commune.id, decision_number="7/QĐ"),
    )
    assert commune.state == "recognised"

    handle(session, world.user("thixa"), later(BEFORE, 36), c.Submit(dossier_id=dossier.id))
    now = later(BEFORE, 40)
    handle(session, world.user("dieuphoi.tinh"), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"
    for user, condition in (("so.so-tc-kh", NO_CONSTRUCTION_DEBT), ("so.so-cong-an", NOT_COMPLEX_SECURITY)):
        handle(
            session,
            world.user(user),
            later(now, 1),
            c.ConfirmCondition(dossier_id=dossier.id, condition=condition, holds=True),
        )
    handle(session, world.user("dieuphoi.tinh"), later(now, 2), c.Forward(dossier_id=dossier.id))
    # the Prime Minister decides; the province's coordinator records it, not its chairman
    with pytest.raises(NotPermitted, match="điều phối"):
        handle(session, world.user("chutich.tinh"), later(now, 3), c.Recognise(dossier_id=dossier.id))
    handle(
        session,
        world.user("dieuphoi.tinh"),
        later(now, 3),
        c.Recognise(dossier_id=dossier.id, decision_number="668/QĐ-TTg"),
    )
    assert dossier.state == "recognised" and replayed_state(session, dossier) == "recognised"
    recognition = _recognition(session, dossier)
    assert (recognition.unit_id, recognition.level, recognition.decision_number) == (
        urban.district_town.id,
        "district-town-completed",
        "668/QĐ-TTg",
    )
    with pytest.raises(GuardFailed, match="không còn thị xã, thành phố thuộc tỉnh"):
        _register(
            session,
            world,
            "thixa",
            AFTER,
            urban.district_town,
            RecognitionLevel.DISTRICT_TOWN_COMPLETED,
            urban.district_town_set.id,
        )
