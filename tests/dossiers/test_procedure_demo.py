"""Acceptance: a demo commune's NTM dossier walks from registration to recognition, before the reform
through huyện Thạch An (seed-004 departments each approving exactly their indicators), and after it
through the provincial departments of the no-district Cao Bằng."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.demo import DemoData, department_officer, load_demo, slug
from dossiers.handlers import handle, replayed_state, supplement_requests
from dossiers.models import Dossier, Ownership, Recognition, Unit, User
from dossiers.procedure_facts import tasks_of
from workflow.errors import NotPermitted
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import RecognitionLevel

#: 09:00 in Vietnam
MARCH = dt.datetime(2025, 3, 10, 2, 0, tzinfo=dt.UTC)
SEPTEMBER = dt.datetime(2025, 9, 1, 2, 0, tzinfo=dt.UTC)

#: seed 004 section VI.2, as the plan states it for the commune NTM set (plus every indicator of criterion 3)
SEED_NN_PTNT = {"13.2", "13.3", "13.4", "13.5", "17.1", "17.4", "17.9", "17.10", "18.6"}
#: seed 004 section VI.6, VI.12, VI.13
SEED_TN_MT = {"17.2", "17.3", "17.6", "17.7", "17.8", "17.11", "17.12"}
SEED_CONG_AN = {"19.2"}
SEED_QUAN_SU = {"19.1"}


def at(now: dt.datetime, days: int) -> dt.datetime:
    return now + dt.timedelta(days=days)


def ownership_table(session: Session, dossier: Dossier) -> dict[str, set[str]]:
    """department code → indicator codes, straight from the Ownership rows of the dossier's authority."""
    codes = {i.id: i.code for i in dossier.criteria_set.indicators()}
    table: dict[str, set[str]] = {}
    for row in session.scalars(
        select(Ownership).where(
            Ownership.authority_unit_id == dossier.authority_unit_id,
            Ownership.year == dossier.year,
            Ownership.indicator_id.in_(list(codes)),
        )
    ):
        table.setdefault(row.department.code, set()).add(codes[row.indicator_id])
    return table


def task_table(session: Session, dossier: Dossier) -> dict[str | None, set[str]]:
    return {
        (t.department.code if t.department else None): {i.indicator.code for i in t.items}
        for t in tasks_of(session, dossier)
    }


def prepare_and_submit(
    session: Session,
    users: dict[str, User],
    unit: Unit,
    officer: str,
    front: str,
    coordinator: str,
    set_code: str,
    demo: DemoData,
    now: dt.datetime,
) -> Dossier:
    dossier = handle(
        session,
        users[officer],
        now,
        c.Register(
            unit_id=unit.id, level=RecognitionLevel.COMMUNE_NTM, year=2025, criteria_set_id=demo.sets[set_code].id
        ),
    ).opened()
    handle(session, users[coordinator], at(now, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    for indicator in dossier.criteria_set.indicators():
        entry = c.AssessmentEntry(indicator.code, met=True)
        handle(session, users[officer], at(now, 2), c.RecordAssessments(dossier_id=dossier.id, entries=(entry,)))
    handle(session, users[officer], at(now, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    day = at(now, 4).date()
    handle(
        session,
        users[officer],
        at(now, 4),
        c.RecordPosting(dossier_id=dossier.id, start=day, end=day + dt.timedelta(days=14), announcements=5),
    )
    handle(
        session,
        users[front],
        at(now, 10),
        c.RecordSurvey(dossier_id=dossier.id, households_total=1200, households_reached=900, households_satisfied=860),
    )
    handle(
        session, users[officer], at(now, 19), c.RecordVote(dossier_id=dossier.id, votes_total=35, votes_in_favour=33)
    )
    handle(session, users[officer], at(now, 20), c.Submit(dossier_id=dossier.id))
    return dossier


def test_thach_an_commune_from_registration_to_recognition(session: Session) -> None:
    demo = load_demo(session, MARCH)
    users, commune = demo.users, demo.communes["Lê Lai"]
    dossier = prepare_and_submit(
        session, users, commune, "xa.lelai", "mttq.lelai", "dieuphoi.thachan", "xa-ntm-2021", demo, MARCH
    )
    assert (dossier.authority_unit_id, dossier.decider_unit_id) == (demo.district.id, demo.province.id)
    assert dossier.state == "under_appraisal"

    owners = ownership_table(session, dossier)
    tasks = task_table(session, dossier)
    criterion_3 = {i.code for cr in dossier.criteria_set.criteria if cr.number == 3 for i in cr.indicators}
    assert tasks["nn-ptnt"] == SEED_NN_PTNT | criterion_3
    assert tasks["tn-mt"] >= SEED_TN_MT and tasks["cong-an"] == SEED_CONG_AN and tasks["quan-su"] == SEED_QUAN_SU
    assert {code: codes for code, codes in tasks.items() if code is not None} == owners
    unowned = {i.code for i in dossier.criteria_set.indicators()} - set().union(*owners.values())
    assert tasks.get(None, set()) == unowned  # e.g. criterion 10 (Thu nhập): no department in seed 004

    now = at(MARCH, 30)
    # a department acting on another department's indicator is refused
    with pytest.raises(NotPermitted, match=r"17\.3"):
        handle(session, users["phong.vh-tt"], now, c.ApproveIndicators(dossier_id=dossier.id, codes=("17.3",)))

    # one department returns one indicator; everyone else approves exactly their own indicators
    returned = sorted(tasks["tn-mt"])[0]
    handle(
        session,
        users["phong.tn-mt"],
        now,
        c.ReturnIndicators(dossier_id=dossier.id, reasons={returned: "Thiếu hồ sơ minh chứng"}),
    )
    handle(
        session,
        users["phong.tn-mt"],
        now,
        c.ApproveIndicators(dossier_id=dossier.id, codes=tuple(sorted(tasks["tn-mt"] - {returned}))),
    )
    for code in sorted(code for code in tasks if code not in (None, "tn-mt")):
        event = handle(
            session,
            users[f"phong.{code}"],
            now,
            c.ApproveIndicators(dossier_id=dossier.id, codes=tuple(sorted(tasks[code]))),
        ).event
        assert event is not None
        assert set(event.payload["indicators"]) == tasks[code] and event.payload["department"] == code
    if None in tasks:
        handle(
            session,
            users["dieuphoi.thachan"],
            now,
            c.ApproveIndicators(dossier_id=dossier.id, codes=tuple(sorted(tasks[None]))),
        )
    assert dossier.state == "returned"
    (request,) = supplement_requests(session, dossier)
    assert [(i.indicator.code, i.department.code if i.department else None) for i in request.items] == [
        (returned, "tn-mt")
    ]

    event = handle(session, users["xa.lelai"], at(now, 5), c.Resubmit(dossier_id=dossier.id)).event
    assert event is not None
    assert event.payload["reopened"] == {demo.departments["tn-mt"].name: [returned]}
    reopened = [t for t in tasks_of(session, dossier) if t.answered_at is None]
    assert [t.department.code for t in reopened if t.department] == ["tn-mt"]
    handle(session, users["phong.tn-mt"], at(now, 6), c.ApproveIndicators(dossier_id=dossier.id, codes=(returned,)))
    assert dossier.state == "appraised"

    with_conditions = at(now, 7)
    handle(
        session,
        users["phong.tc-kh"],
        with_conditions,
        c.ConfirmCondition(dossier_id=dossier.id, condition=NO_CONSTRUCTION_DEBT, holds=True),
    )
    handle(
        session,
        users["phong.cong-an"],
        with_conditions,
        c.ConfirmCondition(dossier_id=dossier.id, condition=NOT_COMPLEX_SECURITY, holds=True),
    )
    handle(session, users["dieuphoi.thachan"], at(now, 8), c.Forward(dossier_id=dossier.id))
    with pytest.raises(NotPermitted):  # the district chairman does not recognise communes
        handle(session, users["chutich.thachan"], at(now, 9), c.Recognise(dossier_id=dossier.id))
    handle(
        session,
        users["chutich.caobang"],
        at(now, 9),
        c.Recognise(dossier_id=dossier.id, decision_number="1234/QĐ-UBND"),
    )
    assert dossier.state == "recognised"
    assert replayed_state(session, dossier) == "recognised"
    assert session.scalars(select(Recognition).where(Recognition.dossier_id == dossier.id)).one().unit_id == commune.id


def test_no_district_commune_is_appraised_by_provincial_departments(session: Session) -> None:
    demo = load_demo(session, SEPTEMBER)
    name = next(iter(demo.new_communes))
    commune = demo.new_communes[name]
    users = demo.users
    officer, front = f"xa2025.{slug(name)}", f"mttq2025.{slug(name)}"
    # the officer of a merged commune holds nothing after the reform
    with pytest.raises(NotPermitted, match="đăng ký hồ sơ"):
        handle(
            session,
            users["xa.lelai"],
            SEPTEMBER,
            c.Register(
                unit_id=demo.communes["Lê Lai"].id,
                level=RecognitionLevel.COMMUNE_NTM,
                year=2025,
                criteria_set_id=demo.sets["xa-ntm-2021"].id,
            ),
        )

    dossier = prepare_and_submit(
        session, users, commune, officer, front, "dieuphoi.caobang", "xa-ntm-2021", demo, SEPTEMBER
    )
    assert (dossier.authority_unit_id, dossier.decider_unit_id, dossier.route) == (
        demo.province.id,
        demo.province.id,
        "commune-to-province",
    )
    owners = ownership_table(session, dossier)
    tasks = task_table(session, dossier)
    assert {code: codes for code, codes in tasks.items() if code is not None} == owners
    assert all(demo.province_departments[code].unit_id == demo.province.id for code in owners)

    now = at(SEPTEMBER, 30)
    with pytest.raises(NotPermitted):  # a department of the abolished district
        handle(session, users["phong.nn-ptnt"], now, c.ApproveIndicators(dossier_id=dossier.id))
    for code in sorted(code for code in tasks if code is not None):
        handle(
            session,
            department_officer(session, demo.province_departments[code].id),
            now,
            c.ApproveIndicators(dossier_id=dossier.id, codes=tuple(sorted(tasks[code]))),
        )
    if None in tasks:
        handle(
            session,
            users["dieuphoi.caobang"],
            now,
            c.ApproveIndicators(dossier_id=dossier.id, codes=tuple(sorted(tasks[None]))),
        )
    assert dossier.state == "appraised"
    handle(
        session,
        users["so.so-tc"],
        now,
        c.ConfirmCondition(dossier_id=dossier.id, condition=NO_CONSTRUCTION_DEBT, holds=True),
    )
    handle(
        session,
        users["so.so-ca"],
        now,
        c.ConfirmCondition(dossier_id=dossier.id, condition=NOT_COMPLEX_SECURITY, holds=True),
    )
    handle(session, users["dieuphoi.caobang"], at(now, 1), c.Forward(dossier_id=dossier.id))
    handle(session, users["chutich.caobang"], at(now, 2), c.Recognise(dossier_id=dossier.id))
    assert dossier.state == "recognised" and replayed_state(session, dossier) == "recognised"
