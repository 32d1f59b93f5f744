"""The 1/7/2025 reorganisation of Cao Bằng replayed on the demo's dossiers of huyện Thạch An, as a province
would run it: dry run first, then apply; and the Official Letter 267 rule on recognitions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.access import load_actor
from dossiers.demo import REFORM_PLAN, DemoData, apply_demo_reform
from dossiers.handlers import handle
from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    AuditEvent,
    CriteriaSet,
    Department,
    Dossier,
    Indicator,
    Ownership,
    Recognition,
    Reorganisation,
    RoleAssignment,
    Unit,
    User,
)
from dossiers.planning.obligations import reconcile
from dossiers.procedure_facts import tasks_of
from dossiers.reorganisation import (
    TRANSFER_ACTION,
    ReorganisationError,
    apply,
    builtin_plan_path,
    load_plan,
    plan_from_dict,
    preview,
)
from notifications.obligations import open_obligations
from tests.demo_database import CHEAP_HASH_METHOD, DemoWorld
from workflow.calendar import WorkingCalendar, local_midnight
from workflow.errors import NotPermitted
from workflow.rules import NO_CONSTRUCTION_DEBT
from workflow.vocabulary import RecognitionLevel, Role

EFFECTIVE = dt.date(2025, 7, 1)
AFTER = dt.datetime(2025, 7, 15, 2, 0, tzinfo=dt.UTC)  # 09:00 on a Tuesday in Hanoi


def _items(session: Session, dossier: Dossier) -> dict[str, tuple[str | None, int | None, str | None]]:
    """indicator code → (decision, who decided, the department holding it)."""
    rows = session.execute(
        select(Indicator.code, AppraisalItem.decision, AppraisalItem.decided_by_id, Department.code)
        .join(AppraisalItem, AppraisalItem.indicator_id == Indicator.id)
        .join(AppraisalTask, AppraisalTask.id == AppraisalItem.task_id)
        .outerjoin(Department, Department.id == AppraisalTask.department_id)
        .where(AppraisalTask.dossier_id == dossier.id)
    ).all()
    return {code: (decision, by, department) for code, decision, by, department in rows}


def test_the_real_case_moves_thach_ans_dossiers_to_the_province(
    session: Session, demo: DemoData, demo_world: DemoWorld
) -> None:
    dossiers = {name: session.get(Dossier, i) for name, i in demo_world.dossiers.items()}
    assert all(d is not None for d in dossiers.values())
    states = {name: d.state for name, d in dossiers.items() if d}
    duc_xuan = dossiers["Đức Xuân"]
    assert duc_xuan is not None
    before = _items(session, duc_xuan)
    answered = {code: v for code, v in before.items() if v[0] is not None}
    waiting = {code for code, v in before.items() if v[0] is None}
    assert answered and waiting and all(v[2] in demo.departments or v[2] is None for v in before.values())
    events_before = {d.id: len(d.events) for d in dossiers.values() if d}

    # the dry run shows exactly what applying does, and changes nothing
    plan = load_plan(builtin_plan_path(REFORM_PLAN))
    dry = preview(session, plan, local_midnight(EFFECTIVE))
    assert session.scalar(select(Reorganisation.id)) is None
    assert session.get(Dossier, duc_xuan.id).unit_id == demo.communes["Đức Xuân"].id  # type: ignore[union-attr]
    assert len(dry["dossiers"]) == 5

    record = apply_demo_reform(session, demo, hash_method=CHEAP_HASH_METHOD)
    session.expire_all()
    for key in ("units", "departments", "recognitions", "dossiers"):
        assert record.changes[key] == dry[key], key
    assert record.effective_on == EFFECTIVE and record.applied_by_id == demo.users["admin"].id

    # states unchanged; units are the merged communes; the province appraises and decides
    province = demo.province
    moved = {name: session.get(Dossier, i) for name, i in demo_world.dossiers.items()}
    assert {name: d.state for name, d in moved.items() if d} == states
    assert {name: d.unit.name for name, d in moved.items() if d} == {
        "Đức Xuân": "Đông Khê",
        "Lê Lợi": "Đức Long",
        "Vân Trình": "Thạch An",
        "Lê Lai": "Thạch An",
        "Đức Long": "Đức Long",
    }
    for d in moved.values():
        assert d is not None
        assert (d.authority_unit_id, d.decider_unit_id, d.route) == (province.id, province.id, "commune-to-province")
        assert d.unit.valid_from == EFFECTIVE and d.unit.parent_id == province.id

    # tasks: answered items keep their answer, who gave it and their department; open ones go to the Sở that
    # owns the indicator in the province's table, their time counted again from 1/7/2025
    duc_xuan = moved["Đức Xuân"]
    assert duc_xuan is not None
    after = _items(session, duc_xuan)
    assert {code: v for code, v in after.items() if code in answered} == answered
    owners: dict[str, set[str]] = {}
    for code, department in session.execute(
        select(Indicator.code, Department.code)
        .join(Ownership, Ownership.indicator_id == Indicator.id)
        .join(Department, Department.id == Ownership.department_id)
        .where(Ownership.authority_unit_id == province.id, Ownership.year == 2025)
    ):
        owners.setdefault(code, set()).add(department)
    for code in waiting:
        decision, _, department = after[code]
        assert decision is None and department in demo.province_departments, code
        assert department in owners.get(code, {department}), code
    open_tasks = [t for t in tasks_of(session, duc_xuan) if t.answered_at is None]
    assert open_tasks and all(t.opened_at == local_midnight(EFFECTIVE) for t in open_tasks)
    assert all(t.department is not None and t.department.unit_id == province.id for t in open_tasks)
    assert all(
        t.department is None or t.department.unit_id == demo.district.id
        for t in tasks_of(session, duc_xuan)
        if t.answered_at is not None
    )

    # deadlines: the obligations of the moved tasks fall on the Sở, counted from 1/7/2025 (once the scan reconciled)
    reconcile(session, AFTER, years=[2025], calendar=WorkingCalendar())
    obligations = [
        o
        for o in open_obligations(session, years=[2025], today=AFTER.date())
        if o.dossier_id == duc_xuan.id and o.key.startswith("appraisal:")
    ]
    assert len(obligations) == len(open_tasks)
    calendar = WorkingCalendar()
    assert {o.last_day for o in obligations} == {calendar.add_working_days(EFFECTIVE, 20)}
    assert all(any(p.name.startswith("Cán bộ Sở") or "tỉnh" in p.name for p in o.remind) for o in obligations)
    assert not any("huyện" in o.obligor_name for o in obligations)

    # recognitions: no merged commune carries one (Official Letter 267: not every predecessor was NTM)
    assert session.scalars(select(Recognition).where(Recognition.reorganisation_id.is_not(None))).all() == []
    reasons = " ".join(record.changes["recognitions"])
    assert "xã Thạch An: không kế thừa công nhận — xã Vân Trình chưa đạt chuẩn" in reasons
    assert "xã Đức Long: không kế thừa công nhận" in reasons and "267/BNN-VPĐP" in reasons

    # one audit event per dossier moved, naming the reorganisation and what changed
    for d in moved.values():
        assert d is not None
        transfers = [e for e in d.events if e.action == TRANSFER_ACTION]
        assert len(d.events) == events_before[d.id] + 1 and len(transfers) == 1
        assert transfers[0].payload["reorganisation_id"] == record.id
        assert transfers[0].payload["after"]["authority_unit_id"] == province.id
    assert "Sở Nông nghiệp và Môi trường" in "".join(
        e.comment or "" for e in duc_xuan.events if e.action == TRANSFER_ACTION
    )

    # everyone affected is told once: one notice per person
    notices = record.changes["notices"]
    names = [n["username"] for n in notices]
    assert len(names) == len(set(names))
    assert {"phong.tn-mt", "xa.ducxuan", "so.so-nn-mt", "dieuphoi.caobang", "dieuphoi.thachan"} <= set(names)

    # after the effective day nobody acts for a dissolved unit or department; the successors do
    users = demo.users
    tn_mt = [code for code in waiting if after[code][2] == "so-nn-mt"]
    assert tn_mt
    with pytest.raises(NotPermitted):
        handle(session, users["phong.tn-mt"], AFTER, c.ApproveIndicators(dossier_id=duc_xuan.id, codes=(tn_mt[0],)))
    with pytest.raises(NotPermitted):
        condition = c.ConfirmCondition(dossier_id=duc_xuan.id, condition=NO_CONSTRUCTION_DEBT, holds=True)
        handle(session, users["phong.tc-kh"], AFTER, condition)
    assert load_actor(session, users["dieuphoi.thachan"], AFTER).user.holdings == ()
    assert load_actor(
        session, users["dieuphoi.thachan"], local_midnight(EFFECTIVE) - dt.timedelta(seconds=1)
    ).user.holdings
    le_loi = moved["Lê Lợi"]
    assert le_loi is not None
    with pytest.raises(NotPermitted):
        handle(
            session, users["xa.leloi"], AFTER, c.RecordVote(dossier_id=le_loi.id, votes_total=30, votes_in_favour=29)
        )
    handle(session, users["so.so-nn-mt"], AFTER, c.ApproveIndicators(dossier_id=duc_xuan.id, codes=(tn_mt[0],)))
    assert _items(session, duc_xuan)[tn_mt[0]][0] == "approved"
    handle(
        session, users["xa2025.duclong"], AFTER, c.RecordVote(dossier_id=le_loi.id, votes_total=30, votes_in_favour=29)
    )

    # applying twice is refused, nothing changes
    with pytest.raises(ReorganisationError, match="đã được áp dụng"):
        apply(session, plan, users["admin"], local_midnight(EFFECTIVE))


def test_recognitions_are_carried_at_the_lowest_common_level(
    session: Session, demo: DemoData, now: dt.datetime
) -> None:
    """Official Letter 267/BNN-VPDP: every predecessor recognised → the merged commune at their lowest level."""
    admin = demo.users["admin"]
    prior = dt.date(2020, 12, 31)
    for name, level in (("Minh Khai", "commune-ntm"), ("Canh Tân", "commune-ntm"), ("Canh Tân", "commune-advanced")):
        unit = demo.new_communes[name]
        handle(session, admin, now, c.RecordPriorRecognition(unit_id=unit.id, level=level, year=2020, decided_on=prior))  # type: ignore[arg-type]
    raw = {
        "code": "thu-nghiem",
        "name": "Thử nghiệm",
        "basis": "thử nghiệm",
        "province": "04",
        "effective_on": "2027-01-01",
        "merges": [{"name": "Canh Tân Mới", "code": "99001", "from": [demo.new_communes["Canh Tân"].code, "01645"]}],
    }
    with pytest.raises(ReorganisationError, match="01645"):
        preview(session, plan_from_dict(raw), now)
    raw["merges"] = [
        {"name": "Canh Tân Mới", "code": "99001", "from": [demo.new_communes["Canh Tân"].code, "01795"]},
        {"name": "Kim Minh", "code": "99002", "from": [demo.new_communes["Kim Đồng"].code, "01786"]},
    ]
    record = apply(session, plan_from_dict(raw), admin, now)
    carried = session.scalars(select(Recognition).where(Recognition.reorganisation_id == record.id)).all()
    assert [(r.unit.name, r.level) for r in carried] == [("Canh Tân Mới", RecognitionLevel.COMMUNE_NTM)]
    assert carried[0].note and "mức thấp nhất chung" in carried[0].note and "267/BNN-VPĐP" in carried[0].note
    assert any("Kim Minh: không kế thừa" in line for line in record.changes["recognitions"])
    new = session.scalars(select(Unit).where(Unit.code == "99001")).one()
    assert {p.name for p in new.predecessors} == {"Canh Tân", "Minh Khai"}


def test_a_plan_that_does_not_fit_is_refused_with_what_to_fix(
    session: Session, demo: DemoData, now: dt.datetime
) -> None:
    with pytest.raises(ReorganisationError, match="thiếu mục «effective_on»"):
        plan_from_dict({"code": "x", "name": "x", "basis": "x", "province": "04"})
    with pytest.raises(ReorganisationError, match="không hợp lệ"):
        plan_from_dict({"code": "x", "name": "x", "basis": "x", "province": "04", "effective_on": "1/7/2025"})
    plan = plan_from_dict(
        {
            "code": "x",
            "name": "x",
            "basis": "x",
            "province": "04",
            "effective_on": "2027-01-01",
            "dissolved": [demo.new_communes["Minh Khai"].code],
            "departments": [{"unit": "04", "code": "khong-co", "to": None}],
        }
    )
    with pytest.raises(ReorganisationError, match="khong-co"):
        preview(session, plan, now)
    assert session.scalar(select(Reorganisation.id).where(Reorganisation.code == "x")) is None
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == TRANSFER_ACTION)).all() == []


def test_a_hamlet_dossier_goes_from_the_district_chairman_to_the_merged_commune(
    session: Session, demo: DemoData, demo_world: DemoWorld
) -> None:
    hamlet = demo.hamlets["Đức Xuân"][0]
    hamlet_set = session.scalars(select(CriteriaSet).where(CriteriaSet.code == "thon-ntm-cao-bang")).first()
    assert hamlet_set is not None
    officer = User(username="thon.bantan", full_name="Trưởng thôn Bản Tấn", email="t@demo.ntm.vn", password_hash="x")
    officer.roles.append(RoleAssignment(role=Role.UNIT_OFFICER, unit=hamlet))
    session.add(officer)
    session.flush()
    opened = handle(
        session,
        officer,
        dt.datetime(2025, 6, 2, 2, 0, tzinfo=dt.UTC),
        c.Register(unit_id=hamlet.id, level=RecognitionLevel.HAMLET_NTM, year=2025, criteria_set_id=hamlet_set.id),
    ).opened()
    assert (opened.authority_unit_id, opened.decider_unit_id) == (demo.communes["Đức Xuân"].id, demo.district.id)
    apply_demo_reform(session, demo, hash_method=CHEAP_HASH_METHOD)
    session.expire_all()
    moved = session.get(Dossier, opened.id)
    dong_khe = demo.new_communes["Đông Khê"]
    assert moved is not None and moved.unit_id == hamlet.id and moved.unit.parent_id == dong_khe.id
    assert (moved.authority_unit_id, moved.decider_unit_id, moved.route) == (
        dong_khe.id,
        dong_khe.id,
        "hamlet-to-commune",
    )
    assert [e.action for e in moved.events][-1] == TRANSFER_ACTION
