"""Ownership tables for the district-level sets (huyện NTM / nâng cao, QĐ 320) as data, with their source and a
low confidence (reconstructed: no seed gives one), used by a district dossier's appraisal: the provincial
departments (Sở) each get the criteria of their field, two or three of them together where a criterion spans fields."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.criteria_loader import find_criteria_set
from dossiers.demo import DemoData, department_officer
from dossiers.handlers import handle
from dossiers.models import CriteriaSet, Ownership, Recognition, RoleAssignment, User
from dossiers.ownership import check_ownership
from tests.dossiers.test_procedure_demo import MARCH, at, task_table
from workflow.errors import NotPermitted
from workflow.measures import value_meeting
from workflow.vocabulary import RecognitionLevel, Role

#: the reconstructed table (dossiers/data/ownership/cao-bang-2025-huyen.yaml): Sở → criteria of huyện NTM
EXPECTED = {
    "so-xd": {"1", "2"},
    "so-nn-mt": {"3", "6", "7", "8"},
    "so-ct": {"4"},
    "so-yt": {"5"},
    "so-vhttdl": {"5"},
    "so-gddt": {"5"},
    "so-nv": {"9"},
    "so-ca": {"9"},
}


@pytest.mark.parametrize("set_code", ["huyen-ntm-2021", "huyen-ntm-nang-cao-2021"])
def test_the_district_sets_have_a_table_with_source_and_confidence(
    session: Session, demo: DemoData, runner: FlaskCliRunner, set_code: str
) -> None:
    criteria_set = demo.sets.get(set_code) or _set(session, set_code)
    rows = session.scalars(
        select(Ownership).where(
            Ownership.authority_unit_id == demo.province.id,
            Ownership.year == 2025,
            Ownership.indicator_id.in_([i.id for i in criteria_set.indicators()]),
        )
    ).all()
    assert {row.confidence for row in rows} == {"low"}
    assert all(row.source and row.source.startswith("Tái dựng") for row in rows)
    report = check_ownership(session, demo.province, 2025, criteria_set)
    assert report.unowned == []  # every criterion has its Sở
    assert {i.code for i, _ in report.shared} == {"5", "9"}
    assert any("(độ tin cậy: low)" in line for line in report.lines())

    shown = runner.invoke(args=["ownership", "show", "--province", "Cao Bằng", "--set", set_code])
    assert shown.exit_code == 0, shown.output
    assert "Sở Xây dựng: tiêu chí 1, 2 · tin cậy thấp" in shown.output.splitlines()


def _set(session: Session, code: str) -> CriteriaSet:
    found = find_criteria_set(session, code)
    assert found is not None
    return found


def test_a_district_dossier_is_appraised_by_the_provincial_departments(session: Session, demo: DemoData) -> None:
    district = demo.district
    officer = User(username="huyen.thachan", full_name="Cán bộ NTM huyện", email="h@test.vn", password_hash="x")
    front = User(username="mttq.huyen", full_name="Ủy ban MTTQ huyện", email="m@test.vn", password_hash="x")
    officer.roles.append(RoleAssignment(role=Role.UNIT_OFFICER, unit=district))
    front.roles.append(RoleAssignment(role=Role.FRONT_OFFICER, unit=district))
    session.add_all([officer, front])
    for commune in demo.communes.values():  # QĐ 320: every commune of the district NTM
        if not session.scalars(select(Recognition).where(Recognition.unit_id == commune.id)).first():
            session.add(
                Recognition(
                    unit_id=commune.id, level="commune-ntm", year=2024, decided_on=dt.date(2024, 12, 1),
                    recorded_at=MARCH,
                )
            )  # fmt: skip
    session.flush()
    criteria_set = _set(session, "huyen-ntm-2021")
    dossier = handle(
        session,
        officer,
        MARCH,
        c.Register(
            unit_id=district.id, level=RecognitionLevel.DISTRICT_NTM, year=2025, criteria_set_id=criteria_set.id
        ),
    ).opened()
    assert dossier.authority_unit_id == demo.province.id
    handle(session, demo.users["dieuphoi.caobang"], at(MARCH, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    entries = tuple(
        c.AssessmentEntry(i.code, met=True, value=value_meeting(i.measure, i.threshold_for(), i.answers or ()))
        for i in criteria_set.indicators()
    )
    handle(session, officer, at(MARCH, 2), c.RecordAssessments(dossier_id=dossier.id, entries=entries))
    handle(session, officer, at(MARCH, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    day = at(MARCH, 4).date()
    handle(
        session,
        officer,
        at(MARCH, 4),
        c.RecordPosting(dossier_id=dossier.id, start=day, end=day + dt.timedelta(days=14), announcements=5),
    )
    handle(
        session,
        front,
        at(MARCH, 10),
        c.RecordSurvey(
            dossier_id=dossier.id, households_total=9000, households_reached=8000, households_satisfied=7800
        ),
    )
    handle(session, officer, at(MARCH, 20), c.Submit(dossier_id=dossier.id))
    assert dossier.state == "under_appraisal"
    tasks = task_table(session, dossier)
    assert {code: codes for code, codes in tasks.items() if code is not None} == EXPECTED
    assert None not in tasks  # nothing left to the coordinator's fallback seat

    now = at(MARCH, 30)
    with pytest.raises(NotPermitted):  # a department of the (then existing) district appraises no district set
        handle(session, demo.users["phong.nn-ptnt"], now, c.ApproveIndicators(dossier_id=dossier.id))
    for code in sorted(EXPECTED):
        handle(
            session,
            department_officer(session, demo.province_departments[code].id),
            now,
            c.ApproveIndicators(dossier_id=dossier.id),
        )
    assert dossier.state == "appraised"
