"""Regimes on the command path: registration refuses what the regime in force does not allow, a dossier pins
its regime, a 2026 commune dossier under QĐ 51/2025 goes through the provincial route with its commune group
deciding its thresholds, and a hamlet of Cao Bằng needs the construction-debt confirmation (seed 004 VI.3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.handlers import handle, replayed_state
from dossiers.models import (
    AuditEvent,
    CriteriaSet,
    Criterion,
    Department,
    Dossier,
    Indicator,
    Ownership,
    Recognition,
    RoleAssignment,
    User,
)
from dossiers.regimes import (
    RegimeDataError,
    load_commune_groups,
    parse_figures,
    province_figures,
    rules_for_many,
)
from tests.dossiers.procedure_world import AFTER, BEFORE, World, assess_all, build_world, consult, later
from workflow.errors import GuardFailed
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import Confidence, Measure, RecognitionLevel, Role

#: 09:00 in Vietnam on 2/3/2026: QĐ 51/2025 is in force
IN_2026 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
GROUPS = [{"code": f"nhom-{n}", "name": f"Nhóm {n}", "description": "thử"} for n in (1, 2, 3)]


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, BEFORE)


def _set_2026(session: Session, world: World) -> CriteriaSet:
    """A 2026-2030 commune set of the test world whose indicator 6.1 (a poverty rate) has a threshold per
    commune group; the figures are the test's own, not QĐ 51/2025's (its 47 indicators are not collected)."""
    criteria_set = CriteriaSet(
        code="thu-xa-ntm-2026", version=1, name="Bộ tiêu chí thử 2026-2030", levels=["commune-ntm"],
        legal_source="thử nghiệm", period_start=2026, period_end=2030, effective_from=dt.date(2026, 2, 15),
        commune_groups=GROUPS, confidence=Confidence.HIGH, source_file="tests", content_sha256="0" * 64,
        loaded_at=IN_2026,
        criteria=[
            Criterion(number=1, name="Quy hoạch", confidence=Confidence.HIGH, indicators=[
                Indicator(code="1", position=0, name="Quy hoạch", measure=Measure.YES_NO, confidence=Confidence.HIGH,
                          thresholds={"default": "Đạt"}),
            ]),
            Criterion(number=6, name="Giảm nghèo", confidence=Confidence.HIGH, indicators=[
                Indicator(code="6.1", position=0, name="Tỷ lệ hộ nghèo", measure=Measure.PERCENTAGE,
                          confidence=Confidence.HIGH,
                          thresholds={"default": "≤ 2%", "by_group": {"nhom-1": "≤ 1%", "nhom-3": "≤ 4%"}}),
            ]),
        ],
    )  # fmt: skip
    session.add(criteria_set)
    session.flush()
    owners = {"1": "so-nn-mt", "6.1": "so-cong-an"}
    for indicator in criteria_set.indicators():
        session.add(
            Ownership(
                authority_unit_id=world.province.id,
                year=2026,
                indicator_id=indicator.id,
                department_id=world.province_departments[owners[indicator.code]].id,
                source="tests",
            )
        )
    session.flush()
    return criteria_set


def _register_2026(session: Session, world: World, criteria_set: CriteriaSet) -> Dossier:
    command = c.Register(
        unit_id=world.new_commune.id, level=RecognitionLevel.COMMUNE_NTM, year=2026, criteria_set_id=criteria_set.id
    )
    return handle(session, world.user("xa.moi"), IN_2026, command).opened()


def _to_submission(session: Session, world: World, dossier: Dossier, poverty_rate: str) -> None:
    """Confirmed, self-assessed (6.1 recorded as met with `poverty_rate`), consulted: ready to submit."""
    handle(session, world.user("dieuphoi.tinh"), later(IN_2026, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    entries = (c.AssessmentEntry("1", met=True), c.AssessmentEntry("6.1", met=True, value=poverty_rate))
    handle(
        session, world.user("xa.moi"), later(IN_2026, 2), c.RecordAssessments(dossier_id=dossier.id, entries=entries)
    )
    handle(session, world.user("xa.moi"), later(IN_2026, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    consult(session, world, dossier, later(IN_2026, 30), officer="xa.moi", front="mttq.moi")


def test_registration_refuses_a_set_outside_the_regime_naming_the_set_and_the_dates(
    session: Session, world: World
) -> None:
    new_set = _set_2026(session, world)
    world.new_commune.commune_group = "nhom-3"
    # on 1/9/2025 the 2021-2025 regime applies: the 2026 set is not in force yet, 2026 is not its year
    with pytest.raises(GuardFailed) as early:
        handle(
            session,
            world.user("xa.moi"),
            AFTER,
            c.Register(unit_id=world.new_commune.id, level="commune-ntm", year=2025, criteria_set_id=new_set.id),
        )
    assert "bộ tiêu chí thu-xa-ntm-2026 v1 thuộc giai đoạn 2026-2030, không dùng được trong giai đoạn 2021-2025" in str(
        early.value
    )
    assert "có hiệu lực từ ngày 15/02/2026, chưa áp dụng vào ngày 01/09/2025" in str(early.value)
    # in 2026 the 2021-2025 sets and levels are refused
    with pytest.raises(
        GuardFailed, match="thu-xa-ntm v1 thuộc giai đoạn 2021-2025, không dùng được trong giai đoạn 2026"
    ):
        handle(
            session,
            world.user("xa.moi"),
            IN_2026,
            c.Register(
                unit_id=world.new_commune.id, level="commune-ntm", year=2026, criteria_set_id=world.commune_set.id
            ),
        )
    with pytest.raises(GuardFailed, match="không xét công nhận «Xã đạt chuẩn nông thôn mới nâng cao»"):
        handle(
            session,
            world.user("xa.moi"),
            IN_2026,
            c.Register(
                unit_id=world.new_commune.id, level="commune-advanced", year=2026, criteria_set_id=world.advanced_set.id
            ),
        )
    world.new_commune.commune_group = None
    with pytest.raises(GuardFailed, match="xã chưa được xếp nhóm"):
        _register_2026(session, world, new_set)
    assert session.scalars(select(Dossier)).all() == []


@pytest.mark.parametrize(("group", "threshold"), [("nhom-3", "≤ 4%"), ("nhom-1", "≤ 1%")])
def test_a_2026_commune_dossier_goes_through_the_provincial_route_with_its_group_deciding_its_thresholds(
    session: Session, world: World, group: str, threshold: str
) -> None:
    criteria_set = _set_2026(session, world)
    world.new_commune.commune_group = group
    dossier = _register_2026(session, world, criteria_set)
    assert (dossier.regime, dossier.route) == ("2026-2030", "commune-to-province")
    assert dossier.authority_unit_id == dossier.decider_unit_id == world.province.id
    opened = session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier.id)).one()
    assert opened.payload["regime"] == "2026-2030"

    _to_submission(session, world, dossier, "3,5 %")
    if group == "nhom-1":
        # the same 3.5 % a group-3 commune may have is over the group-1 threshold: declared met or not
        with pytest.raises(GuardFailed, match=f"chỉ tiêu 6.1: giá trị 3,5 % chưa đạt ngưỡng «{threshold}»"):
            handle(session, world.user("xa.moi"), later(IN_2026, 31), c.Submit(dossier_id=dossier.id))
        entry = c.AssessmentEntry("6.1", met=True, value="0,8 %")
        handle(
            session,
            world.user("xa.moi"),
            later(IN_2026, 31),
            c.RecordAssessments(dossier_id=dossier.id, entries=(entry,)),
        )
    handle(session, world.user("xa.moi"), later(IN_2026, 31), c.Submit(dossier_id=dossier.id))
    assert dossier.state == "under_appraisal"

    handle(session, world.user("so.so-nn-mt"), later(IN_2026, 35), c.ApproveIndicators(dossier_id=dossier.id))
    handle(session, world.user("so.so-cong-an"), later(IN_2026, 36), c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"
    for user, condition in (("so.so-tc-kh", NO_CONSTRUCTION_DEBT), ("so.so-cong-an", NOT_COMPLEX_SECURITY)):
        handle(
            session,
            world.user(user),
            later(IN_2026, 37),
            c.ConfirmCondition(dossier_id=dossier.id, condition=condition, holds=True),
        )
    handle(session, world.user("dieuphoi.tinh"), later(IN_2026, 38), c.Forward(dossier_id=dossier.id))
    handle(session, world.user("chutich.tinh"), later(IN_2026, 40), c.Recognise(dossier_id=dossier.id))
    assert dossier.state == "recognised" and replayed_state(session, dossier) == "recognised"
    recognition = session.scalars(select(Recognition).where(Recognition.unit_id == world.new_commune.id)).one()
    assert (recognition.level, recognition.year) == ("commune-ntm", 2026)


def _cao_bang(world: World) -> None:
    world.province.name, world.province.code = "Cao Bằng", "04"


def _hamlet_appraised(
    session: Session, world: World, now: dt.datetime, hamlet: str, officer: str, team: str
) -> Dossier:
    dossier = handle(
        session,
        world.user(officer),
        now,
        c.Register(
            unit_id=getattr(world, hamlet).id, level="hamlet-ntm", year=2025, criteria_set_id=world.hamlet_set.id
        ),
    ).opened()
    assess_all(session, world, dossier, later(now, 1), officer=officer)
    handle(session, world.user(officer), later(now, 2), c.Submit(dossier_id=dossier.id))
    handle(session, world.user(team), later(now, 5), c.ApproveIndicators(dossier_id=dossier.id))
    start = later(now, 6).date()
    return dossier, start


def test_a_hamlet_of_cao_bang_is_not_recognised_without_the_debt_confirmation(session: Session, world: World) -> None:
    _cao_bang(world)
    dossier, start = _hamlet_appraised(session, world, BEFORE, "hamlet", "thon", "to.thamdinh")
    assert dossier.state == "appraised"
    handle(
        session,
        world.user("xa"),
        later(BEFORE, 6),
        c.RecordAnnouncement(dossier_id=dossier.id, start=start, end=start + dt.timedelta(days=9)),
    )
    handle(
        session,
        world.user("xa"),
        later(BEFORE, 20),
        c.RecordVote(dossier_id=dossier.id, votes_total=20, votes_in_favour=19),
    )
    with pytest.raises(GuardFailed, match="chưa có xác nhận «không có nợ đọng xây dựng cơ bản»"):
        handle(session, world.user("xa"), later(BEFORE, 20), c.Forward(dossier_id=dossier.id))
    # security is not asked of a hamlet, even in Cao Bằng
    with pytest.raises(GuardFailed, match="không cần xác nhận «không phải địa bàn phức tạp"):
        handle(
            session,
            world.user("phong.cong-an"),
            later(BEFORE, 20),
            c.ConfirmCondition(dossier_id=dossier.id, condition=NOT_COMPLEX_SECURITY, holds=True),
        )
    # the district's finance office (seed 004 VI.3) finds a debt: still not recognised
    confirm = c.ConfirmCondition(dossier_id=dossier.id, condition=NO_CONSTRUCTION_DEBT, holds=False, note="còn nợ")
    outcome = handle(session, world.user("phong.tc-kh"), later(BEFORE, 21), confirm)
    assert outcome.event is not None and outcome.event.payload["department"] == "tc-kh"
    with pytest.raises(GuardFailed, match="không đáp ứng điều kiện «không có nợ đọng xây dựng cơ bản»"):
        handle(session, world.user("xa"), later(BEFORE, 21), c.Forward(dossier_id=dossier.id))
    confirm = c.ConfirmCondition(dossier_id=dossier.id, condition=NO_CONSTRUCTION_DEBT, holds=True)
    handle(session, world.user("phong.tc-kh"), later(BEFORE, 22), confirm)
    handle(session, world.user("xa"), later(BEFORE, 22), c.Forward(dossier_id=dossier.id))
    handle(session, world.user("chutich.huyen"), later(BEFORE, 23), c.Recognise(dossier_id=dossier.id))
    assert dossier.state == "recognised"


def test_after_the_reform_the_communes_economic_office_confirms_a_hamlets_debt(session: Session, world: World) -> None:
    _cao_bang(world)
    office = Department(unit=world.new_commune, code="kinh-te", name="Phòng Kinh tế xã Mới")
    officer = User(username="kinhte.moi", full_name="Cán bộ Phòng Kinh tế", email="kt@test.vn", password_hash="x")
    officer.roles.append(RoleAssignment(role=Role.DEPARTMENT_OFFICER, department=office))
    session.add_all([office, officer])
    session.flush()
    dossier, start = _hamlet_appraised(session, world, AFTER, "new_hamlet", "thon.moi", "to.thamdinh.moi")
    handle(
        session,
        world.user("xa.moi"),
        later(AFTER, 6),
        c.RecordAnnouncement(dossier_id=dossier.id, start=start, end=start + dt.timedelta(days=9)),
    )
    handle(
        session,
        world.user("xa.moi"),
        later(AFTER, 20),
        c.RecordVote(dossier_id=dossier.id, votes_total=20, votes_in_favour=19),
    )
    with pytest.raises(GuardFailed, match="nợ đọng"):
        handle(session, world.user("xa.moi"), later(AFTER, 20), c.Forward(dossier_id=dossier.id))
    confirm = c.ConfirmCondition(dossier_id=dossier.id, condition=NO_CONSTRUCTION_DEBT, holds=True)
    handle(session, officer, later(AFTER, 21), confirm)
    handle(session, world.user("xa.moi"), later(AFTER, 21), c.Forward(dossier_id=dossier.id))
    handle(session, world.user("chutich.xamoi"), later(AFTER, 22), c.Recognise(dossier_id=dossier.id))
    assert dossier.state == "recognised"
    assert rules_for_many(session, [dossier])[dossier.id].conditions_for("hamlet-ntm") == (NO_CONSTRUCTION_DEBT,)


def test_the_province_files_are_data_checked_on_reading(tmp_path: Path) -> None:
    # other provinces' files (Hải Dương, Nam Định: their procedure models) sit beside Cao Bằng's
    (cao_bang,) = [f for f in province_figures() if f.province == "Cao Bằng"]
    assert cao_bang.province == "Cao Bằng" and cao_bang.first_year == cao_bang.last_year == 2025
    assert "seed 004" in cao_bang.source.lower() and "VI.3" in cao_bang.source
    with pytest.raises(RegimeDataError, match="không có điều kiện no_debt"):
        parse_figures(
            "province: X\nfigures:\n  - {regime: '2021-2025', first_year: 2025, last_year: 2025, source: s, "
            "confidence: low, required_conditions: {hamlet-ntm: [no_debt]}}\n",
            "x.yaml",
        )
    with pytest.raises(RegimeDataError, match="thiếu «source»"):
        parse_figures(
            "province: X\nfigures:\n  - {regime: '2026-2030', first_year: 2026, last_year: 2026, confidence: low}\n",
            "x.yaml",
        )
    with pytest.raises(RegimeDataError, match="không có giai đoạn"):
        parse_figures(
            "province: X\nfigures:\n  - {regime: '2031-2035', first_year: 2031, last_year: 2031, source: s, "
            "confidence: low}\n",
            "x.yaml",
        )


def test_commune_groups_are_loaded_from_data_once(session: Session, world: World, tmp_path: Path) -> None:
    _set_2026(session, world)
    world.new_commune.code = "09999"
    path = tmp_path / "groups.yaml"
    path.write_text(
        "province: Tỉnh Thử\ncriteria_set: thu-xa-ntm-2026\nvalid_on: 2026-02-15\nsource: thử\nconfidence: low\n"
        "communes:\n  - {code: '09999', name: Xã Mới, group: nhom-2}\n",
        encoding="utf-8",
    )
    changes = load_commune_groups(session, path)
    assert [(ch.unit.name, ch.before, ch.after) for ch in changes] == [("Xã Mới", None, "nhom-2")]
    assert world.new_commune.commune_group == "nhom-2"
    assert load_commune_groups(session, path) == []  # run twice, nothing changes
    path.write_text(path.read_text(encoding="utf-8").replace("nhom-2", "nhom-7"), encoding="utf-8")
    with pytest.raises(RegimeDataError, match="nhóm «nhom-7» không có"):
        load_commune_groups(session, path)
    assert world.new_commune.commune_group == "nhom-2"
