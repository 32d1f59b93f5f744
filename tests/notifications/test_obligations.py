"""Who owes what by when: obligations from dossiers' states, registrations, report rules and appraisal tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from dossiers.models import AppraisalItem, AppraisalTask, Delegation, Department, Unit
from dossiers.planning.obligations import reconcile
from dossiers.planning.rules import load_calendar, set_calendar_day, set_deadline_override
from dossiers.reports import ReportAlreadySubmittedError, record_report_submission
from notifications.obligations import Obligation, open_obligations
from tests.notifications.world import World, at
from workflow.deadlines import RuleError
from workflow.errors import NotPermitted
from workflow.vocabulary import UnitKind

D = dt.date


def _open(session: Session, today: dt.date, year: int = 2025, within: Unit | None = None) -> dict[str, Obligation]:
    """The stored open obligations after a reconcile on `today` (as the scheduler's scan does)."""
    reconcile(session, at(today), years=[year], calendar=load_calendar(session))
    found = open_obligations(session, years=[year], today=today, within=within)
    return {o.key: o for o in found}


def _people(people: tuple[object, ...]) -> set[str]:
    return {getattr(p, "username") for p in people}  # noqa: B009 - Person and User alike


def test_dossier_obligations_follow_the_procedure_milestones(session: Session, world: World) -> None:
    le_lai, duc_long = world.dossiers["Lê Lai"], world.dossiers["Đức Long"]
    duc_long.state = "under_appraisal"  # submitted, not yet appraised
    session.flush()
    found = _open(session, D(2025, 9, 1))
    assert f"dossier-submission:2025:dossier:{le_lai.id}" in found
    assert f"dossier-submission:2025:dossier:{duc_long.id}" not in found
    assert f"dossier-completion:2025:dossier:{duc_long.id}" in found

    submission = found[f"dossier-submission:2025:dossier:{le_lai.id}"]
    assert submission.last_day == D(2025, 9, 19)
    assert submission.link_path == f"/ho-so/{le_lai.id}"
    assert _people(submission.remind) == {"xa0.0"}
    assert _people(submission.escalate_to) == {"dieuphoi.huyen"}

    for state, open_codes in [
        ("returned", {"dossier-completion"}),
        ("appraised", set()),
        ("recognised", set()),
        ("refused", set()),
        ("withdrawn", set()),
        ("registered", {"dossier-submission", "dossier-completion"}),
    ]:
        le_lai.state = state
        session.flush()
        codes = {o.rule.code for o in _open(session, D(2025, 9, 1)).values() if o.dossier_id == le_lai.id}
        assert codes == open_codes, state


def test_unit_reports_go_to_the_supervising_unit(session: Session, world: World) -> None:
    found = _open(session, D(2025, 3, 1))
    le_lai = world.communes["Lê Lai"]
    quarterly = found[f"report-quarterly:2025-Q1:unit:{le_lai.id}"]
    assert quarterly.last_day == D(2025, 3, 19)
    assert quarterly.link_path == f"/don-vi/{le_lai.id}"
    assert _people(quarterly.escalate_to) == {"dieuphoi.huyen"}
    assert quarterly.supervisor_name == "Huyện Thạch An"
    # a commune without a district reports to the province
    lone = found[f"report-quarterly:2025-Q1:unit:{world.lone_commune.id}"]
    assert _people(lone.remind) == {"xa.dongkhe"} and _people(lone.escalate_to) == {"dieuphoi.tinh"}
    codes = {o.rule.code for o in found.values() if o.unit_id == le_lai.id and o.dossier_id is None}
    assert codes == {
        "report-monthly", "report-quarterly", "report-half-year", "report-yearly", "commune-plan",
    }  # fmt: skip


def test_department_obligations_need_ownership_and_the_right_level(session: Session, world: World) -> None:
    found = _open(session, D(2025, 3, 1))
    difficulties = found[f"department-difficulties:2025:department:{world.department.id}"]
    assert difficulties.last_day == D(2025, 3, 30)
    assert _people(difficulties.remind) == {"phong.tckh"} and _people(difficulties.escalate_to) == {"dieuphoi.huyen"}
    assert difficulties.obligor_name == "Phòng Tài chính - Kế hoạch (huyện Thạch An)"
    assert f"department-difficulties:2025:department:{world.province_department.id}" not in found  # seed 000: districts
    yearly = found[f"department-yearly-report:2025:department:{world.province_department.id}"]
    assert _people(yearly.escalate_to) == {"dieuphoi.tinh"}
    assert f"department-yearly-report:2025:department:{world.department.id}" not in found  # seed 003: provinces
    # a department owning nothing that year owes nothing
    idle = Department(unit=world.district, code="noi-vu", name="Phòng Nội vụ")
    session.add(idle)
    session.flush()
    assert not [o for o in _open(session, D(2025, 3, 1)).values() if o.department_id == idle.id]


def test_a_submitted_report_meets_its_obligation(session: Session, world: World, now: dt.datetime) -> None:
    le_lai = world.communes["Lê Lai"]
    key = f"report-quarterly:2025-Q1:unit:{le_lai.id}"
    assert key in _open(session, D(2025, 3, 1))
    record_report_submission(
        session, world.users["xa0.0"], now, code="report-quarterly", period="2025-Q1", unit=le_lai,
        document_ref="Số 12/BC-UBND ngày 14/3/2025",
    )  # fmt: skip
    found = _open(session, D(2025, 3, 1))
    assert key not in found
    assert f"report-quarterly:2025-Q2:unit:{le_lai.id}" in found
    with pytest.raises(ReportAlreadySubmittedError):
        record_report_submission(
            session, world.users["xa0.0"], now, code="report-quarterly", period="2025-Q1", unit=le_lai
        )
    record_report_submission(
        session, world.users["phong.tckh"], now, code="department-difficulties", period="2025",
        department=world.department,
    )  # fmt: skip
    assert f"department-difficulties:2025:department:{world.department.id}" not in _open(session, D(2025, 3, 1))


def test_only_the_unit_records_its_reports(session: Session, world: World, now: dt.datetime) -> None:
    le_lai = world.communes["Lê Lai"]
    with pytest.raises(NotPermitted):
        record_report_submission(session, world.users["xa1.0"], now, code="report-yearly", period="2025", unit=le_lai)
    with pytest.raises(NotPermitted):
        record_report_submission(
            session, world.users["so.tc"], now, code="department-difficulties", period="2025",
            department=world.department,
        )  # fmt: skip
    with pytest.raises(RuleError):
        record_report_submission(session, world.users["xa0.0"], now, code="dossier-submission", period="2025",
                                 unit=le_lai)  # fmt: skip
    with pytest.raises(RuleError):
        record_report_submission(session, world.users["xa0.0"], now, code="report-yearly", period="2025-13",
                                 unit=le_lai)  # fmt: skip
    with pytest.raises(RuleError):
        record_report_submission(session, world.users["xa0.0"], now, code="department-difficulties",
                                 period="2025", unit=le_lai)  # fmt: skip
    admin_made = record_report_submission(
        session, world.users["admin"], now, code="report-yearly", period="2025", unit=le_lai
    )
    assert admin_made.submitted_by_id == world.users["admin"].id


def test_units_owe_nothing_outside_their_lifetime(session: Session, world: World) -> None:
    le_lai = world.communes["Lê Lai"]
    le_lai.valid_to = D(2025, 6, 30)  # merged on 1/7/2025
    session.flush()
    found = [o for o in _open(session, D(2025, 3, 1)).values() if o.unit_id == le_lai.id]
    assert found and max(o.last_day for o in found) <= D(2025, 6, 30)
    assert "report-half-year" in {o.rule.code for o in found}
    assert not {"report-yearly", "dossier-submission"} & {o.rule.code for o in found}


def test_a_district_plan_overrides_dates_for_its_communes_only(
    session: Session, world: World, now: dt.datetime
) -> None:
    set_deadline_override(
        session, world.users["dieuphoi.huyen"], now, authority=world.district, year=2025, code="report-quarterly",
        schedule={"every": "quarter", "day": 25}, reminder_offsets=[10, 1], source="KH 30/KH-UBND huyện Thạch An",
    )  # fmt: skip
    set_deadline_override(
        session, world.users["admin"], now, authority=world.province, year=2025, code="report-monthly",
        enabled=False, source="KH 28/KH-UBND tỉnh Cao Bằng",
    )  # fmt: skip
    found = _open(session, D(2025, 3, 1))
    district_q1 = found[f"report-quarterly:2025-Q1:unit:{world.communes['Lê Lai'].id}"]
    lone_q1 = found[f"report-quarterly:2025-Q1:unit:{world.lone_commune.id}"]
    assert district_q1.last_day == D(2025, 3, 24) and district_q1.rule.reminder_offsets == (10, 1)
    assert lone_q1.last_day == D(2025, 3, 19)  # the province's communes keep the default
    assert not [o for o in found.values() if o.rule.code == "report-monthly"]  # the province switched it off
    assert _open(session, D(2026, 3, 1), year=2026)  # other years untouched
    assert [o for o in _open(session, D(2026, 3, 1), year=2026).values() if o.rule.code == "report-monthly"]

    with pytest.raises(NotPermitted):  # a district's coordinator does not set the province's dates
        set_deadline_override(session, world.users["dieuphoi.huyen"], now, authority=world.province, year=2025,
                              code="report-yearly", enabled=False, source="x")  # fmt: skip
    with pytest.raises(RuleError):
        set_deadline_override(session, world.users["admin"], now, authority=world.district, year=2025,
                              code="report-yearly", schedule={"every": "year", "day": 31, "month": 2},
                              source="x")  # fmt: skip
    with pytest.raises(RuleError):
        set_deadline_override(session, world.users["admin"], now, authority=world.communes["Lê Lai"], year=2025,
                              code="report-yearly", enabled=False, source="x")  # fmt: skip


def test_substitutes_are_reminded_during_a_delegation(session: Session, world: World, now: dt.datetime) -> None:
    officer, substitute = world.users["xa0.0"], world.users["xa1.0"]
    session.add(Delegation(delegator=officer, substitute=substitute, starts_on=D(2025, 9, 10), ends_on=D(2025, 9, 20),
                           created_at=now))  # fmt: skip
    session.flush()
    key = f"dossier-submission:2025:dossier:{world.dossiers['Lê Lai'].id}"
    assert _people(_open(session, D(2025, 9, 12))[key].remind) == {"xa0.0", "xa1.0"}
    assert _people(_open(session, D(2025, 9, 22))[key].remind) == {"xa0.0"}


def test_inactive_users_are_not_reminded(session: Session, world: World) -> None:
    world.users["xa0.0"].active = False
    session.flush()
    key = f"dossier-submission:2025:dossier:{world.dossiers['Lê Lai'].id}"
    assert _open(session, D(2025, 9, 1))[key].remind == ()


def test_appraisal_tasks_are_due_in_working_days_across_tet(session: Session, world: World) -> None:
    dossier = world.dossiers["Lê Lai"]
    dossier.state = "under_appraisal"
    opened = dt.datetime(2025, 1, 20, 3, 0, tzinfo=dt.UTC)  # Monday 20/1/2025, 10:00 in Hanoi
    (indicator,) = dossier.criteria_set.indicators()
    task = AppraisalTask(dossier=dossier, department=world.department, round=1, opened_at=opened,
                         items=[AppraisalItem(indicator=indicator)])  # fmt: skip
    fallback = AppraisalTask(dossier=dossier, fallback_role="coordinator", round=1, opened_at=opened,
                             items=[AppraisalItem(indicator=indicator)])  # fmt: skip
    session.add_all([task, fallback])
    session.flush()
    found = _open(session, D(2025, 2, 1))
    appraisal = found[f"appraisal:task:{task.id}:r1"]
    # district: 15 working days (workflow.rules); Tết 27/1-2/2/2025 does not count
    assert appraisal.last_day == D(2025, 2, 17)
    assert appraisal.has_plan_date is False
    assert _people(appraisal.remind) == {"phong.tckh"} and _people(appraisal.escalate_to) == {"dieuphoi.huyen"}
    assert appraisal.period_label == "lần 1, giao ngày 20/01/2025, 15 ngày làm việc, 1 chỉ tiêu chờ thẩm tra"
    seat = found[f"appraisal:task:{fallback.id}:r1"]
    assert _people(seat.remind) == {"dieuphoi.huyen"}  # indicators nobody owns: the coordinator appraises
    assert seat.obligor_name.startswith("Cán bộ điều phối (huyện Thạch An)")

    # an admin-recorded day off moves it by one working day
    set_calendar_day(session, world.users["admin"], opened, D(2025, 2, 10), working=False, note="Nghỉ bù (thử)")
    assert _open(session, D(2025, 2, 1))[f"appraisal:task:{task.id}:r1"].last_day == D(2025, 2, 18)
    # answered: no longer owed
    task.answered_at = opened + dt.timedelta(days=10)
    session.flush()
    assert f"appraisal:task:{task.id}:r1" not in _open(session, D(2025, 2, 1))
    # and nothing is owed for a dossier no longer under appraisal
    dossier.state = "returned"
    session.flush()
    assert f"appraisal:task:{fallback.id}:r1" not in _open(session, D(2025, 2, 1))


def test_listing_within_a_unit(session: Session, world: World) -> None:
    le_lai = world.communes["Lê Lai"]
    mine = _open(session, D(2025, 9, 1), within=le_lai)
    assert mine and all(o.unit_id == le_lai.id for o in mine.values())
    district = _open(session, D(2025, 9, 1), within=world.district)
    # its communes' obligations, and the district's own quarterly report to the province (seed 004)
    assert {o.unit_id for o in district.values() if o.unit_id} == {c.id for c in world.communes.values()} | {
        world.district.id
    }
    own = [o for o in district.values() if o.unit_id == world.district.id]
    assert {o.rule.code for o in own} == {"district-report-quarterly"}
    assert _people(own[0].remind) == {"dieuphoi.huyen"} and _people(own[0].escalate_to) == {"dieuphoi.tinh"}
    assert any(o.department_id == world.department.id for o in district.values())
    assert world.district.kind == UnitKind.DISTRICT
