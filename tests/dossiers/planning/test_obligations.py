"""Obligations as domain data: met by the commands' events, reconciled by the scan, reminded for every
working-day limit of the procedure, dated per province, and read in a number of queries that does not
grow with the country."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.handlers import handle
from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    AuditEvent,
    Dossier,
    ObligationRecord,
    RoleAssignment,
    Unit,
    User,
)
from dossiers.planning.obligations import reconcile
from dossiers.planning.rules import RuleBook, load_calendar, plan_dates
from dossiers.reports import record_report_submission
from notifications.jobs import compose_messages, deliver_outbox, plan_reminders
from notifications.models import ItemStatus, OutboxItem
from notifications.obligations import open_obligations
from tests.dossiers.procedure_world import BEFORE, World, assess_all, build_world, confirm_conditions, consult, later
from tests.notifications.test_reminders import RecordingTransport
from workflow.calendar import local_date, local_time
from workflow.deadlines import ReminderPolicy
from workflow.vocabulary import Confidence, RecognitionLevel, Role, UnitKind

D = dt.date
BASE_URL = "https://ntm.example.vn"
SENDER = "NTM Dossiers <no-reply@ntm.local>"


def at(day: dt.date, hour: int = 8) -> dt.datetime:
    return local_time(day, dt.time(hour, 0))


@pytest.fixture
def world(session: Session) -> World:
    """The procedure world, its district and Xã Một living through 2025 (so they owe 20/9 and 20/10)."""
    w = build_world(session, BEFORE)
    w.district.valid_to = w.commune.valid_to = None
    session.flush()
    return w


def _rows(session: Session, dossier_id: int) -> dict[str, ObligationRecord]:
    session.expire_all()
    rows = session.scalars(select(ObligationRecord).where(ObligationRecord.dossier_id == dossier_id)).all()
    return {row.key: row for row in rows}


def _one(rows: dict[str, ObligationRecord], prefix: str) -> ObligationRecord:
    (found,) = [row for key, row in rows.items() if key.startswith(prefix)]
    return found


def _register(session: Session, w: World, now: dt.datetime) -> Dossier:
    command = c.Register(
        unit_id=w.commune.id, level=RecognitionLevel.COMMUNE_NTM, year=2025, criteria_set_id=w.commune_set.id
    )
    return handle(session, w.user("xa"), now, command).opened()


def _approvers(session: Session, dossier: Dossier) -> list[tuple[int, str]]:
    tasks = session.scalars(
        select(AppraisalTask).where(AppraisalTask.dossier_id == dossier.id).order_by(AppraisalTask.id)
    ).all()
    return [(t.id, f"phong.{t.department.code}" if t.department else "dieuphoi") for t in tasks]


def test_each_command_records_the_event_that_met_its_obligation(session: Session, world: World) -> None:
    w, start = world, BEFORE  # Monday 3/3/2025
    dossier = _register(session, w, start)
    reconcile(session, start, years=[2025])
    rows = _rows(session, dossier.id)
    registration = _one(rows, f"registration-confirmation:dossier:{dossier.id}:")
    assert registration.status == "open" and registration.seat == Role.COORDINATOR
    assert registration.last_day == load_calendar(session).add_working_days(local_date(start), 5)  # 10/3/2025
    assert registration.has_plan_date is False
    assert rows[f"dossier-submission:2025:dossier:{dossier.id}"].status == "open"

    handle(session, w.user("dieuphoi"), later(start, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    registration = _one(_rows(session, dossier.id), "registration-confirmation:")
    assert (registration.status, registration.met_by) == ("met", "dossier:confirm_registration")
    assert registration.met_at == later(start, 1)

    assess_all(session, w, dossier, later(start, 2))
    handle(session, w.user("xa"), later(start, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    consult(session, w, dossier, later(start, 30))
    handle(session, w.user("xa"), later(start, 31), c.Submit(dossier_id=dossier.id))
    submission = _rows(session, dossier.id)[f"dossier-submission:2025:dossier:{dossier.id}"]
    assert (submission.status, submission.met_by, submission.met_at) == ("met", "dossier:submit", later(start, 31))

    # the scan stores the appraisal tasks; an answer that leaves others open is recorded by the next scan
    reconcile(session, later(start, 32), years=[2025])
    approvers = _approvers(session, dossier)
    assert len(approvers) > 1
    assert {row.status for key, row in _rows(session, dossier.id).items() if key.startswith("appraisal:")} == {"open"}
    first_task, first = approvers[0]
    handle(session, w.user(first), later(start, 40), c.ApproveIndicators(dossier_id=dossier.id))
    reconcile(session, later(start, 41), years=[2025])
    answered = _rows(session, dossier.id)[f"appraisal:task:{first_task}:r1"]
    assert (answered.status, answered.met_by, answered.met_at) == (
        "met",
        f"task:{first_task} answered",
        later(start, 40),
    )
    # the last answer ends the appraisal: every task and the completion milestone, in the same transaction
    for _task, username in approvers[1:]:
        handle(session, w.user(username), later(start, 42), c.ApproveIndicators(dossier_id=dossier.id))
    rows = _rows(session, dossier.id)
    for task_id, _username in approvers[1:]:
        assert (rows[f"appraisal:task:{task_id}:r1"].met_by, rows[f"appraisal:task:{task_id}:r1"].met_at) == (
            f"task:{task_id} answered",
            later(start, 42),
        )
    completion = rows[f"dossier-completion:2025:dossier:{dossier.id}"]
    assert (completion.status, completion.met_by) == ("met", "dossier:complete_appraisal")

    confirm_conditions(session, w, dossier, later(start, 43))
    handle(session, w.user("dieuphoi"), later(start, 44), c.Forward(dossier_id=dossier.id))
    reconcile(session, later(start, 44), years=[2025])
    decision = _one(_rows(session, dossier.id), "decision:")
    assert decision.status == "open" and decision.seat == Role.APPROVER
    handle(session, w.user("chutich.tinh"), later(start, 45), c.Recognise(dossier_id=dossier.id, decision_number="9"))
    decision = _one(_rows(session, dossier.id), "decision:")
    assert (decision.status, decision.met_by) == ("met", "dossier:recognise")
    # a later scan keeps every event as the commands recorded it
    before = {k: (r.status, r.met_by, r.met_at) for k, r in _rows(session, dossier.id).items()}
    reconcile(session, later(start, 50), years=[2025])
    assert {k: (r.status, r.met_by, r.met_at) for k, r in _rows(session, dossier.id).items()} == before


def test_a_recorded_report_meets_its_period_and_a_withdrawal_voids_the_dossiers(session: Session, world: World) -> None:
    w = world
    dossier = _register(session, w, BEFORE)
    reconcile(session, BEFORE, years=[2025])
    key = f"report-quarterly:2025-Q1:unit:{w.commune.id}"
    submitted = record_report_submission(
        session, w.user("xa"), later(BEFORE, 5), code="report-quarterly", period="2025-Q1", unit=w.commune
    )
    session.expire_all()
    row = session.scalars(select(ObligationRecord).where(ObligationRecord.key == key)).one()
    assert (row.status, row.met_by, row.met_at) == ("met", f"report:{submitted.id}", later(BEFORE, 5))
    # a report recorded before any scan: the scan stores its obligation met, by that report
    other = record_report_submission(
        session, w.user("xa"), later(BEFORE, 5), code="report-half-year", period="2025-H1", unit=w.commune
    )
    reconcile(session, later(BEFORE, 6), years=[2025])
    half = session.scalars(
        select(ObligationRecord).where(ObligationRecord.key == f"report-half-year:2025-H1:unit:{w.commune.id}")
    ).one()
    assert (half.status, half.met_by) == ("met", f"report:{other.id}")

    handle(session, w.user("xa"), later(BEFORE, 7), c.Withdraw(dossier_id=dossier.id, comment="Chưa đủ điều kiện"))
    assert {r.status for r in _rows(session, dossier.id).values()} == {"void"}
    assert open_obligations(session, years=[2025], today=D(2025, 3, 12), within=w.commune)  # its reports still owed
    assert not [o for o in open_obligations(session, years=[2025], today=D(2025, 3, 12)) if o.dossier_id == dossier.id]


def _scan_days(session: Session, first: dt.date, last: dt.date) -> None:
    """The scheduler's scan every morning, its e-mails delivered."""
    transport = RecordingTransport()
    day = first
    while day <= last:
        plan_reminders(session, at(day), policy=ReminderPolicy(digest=False), base_url=BASE_URL)
        compose_messages(session, at(day), digest=False, sender=SENDER)
        deliver_outbox(session, transport, at(day), sender=SENDER, max_attempts=3)
        day += dt.timedelta(days=1)


def _told(session: Session, prefix: str) -> list[tuple[str, str, int, dt.date]]:
    items = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.obligation_key.like(f"{prefix}%"), OutboxItem.status == ItemStatus.SENT)
        .order_by(OutboxItem.send_on, OutboxItem.id)
    ).all()
    return [(item.recipient.username, item.kind, item.offset_days, item.send_on) for item in items]


def test_registration_confirmation_and_decision_limits_are_reminded_and_escalated(
    session: Session, world: World
) -> None:
    w = world
    dossier = _register(session, w, BEFORE)  # Monday 3/3/2025: 5 working days, last day Monday 10/3
    _scan_days(session, D(2025, 3, 4), D(2025, 3, 12))
    told = _told(session, f"registration-confirmation:dossier:{dossier.id}:")
    assert {(who, kind) for who, kind, _, _ in told} == {("dieuphoi", "reminder"), ("chutich.huyen", "escalation")}
    assert ("dieuphoi", "reminder", 0, D(2025, 3, 10)) in told
    assert ("chutich.huyen", "escalation", -1, D(2025, 3, 11)) in told
    (item,) = [i for i in session.scalars(select(OutboxItem)) if i.offset_days == 0 and "registration" in i.rule_code]
    assert item.before is None and item.obligor_name.startswith("Cán bộ điều phối (huyện Huyện Thử)")

    handle(session, w.user("dieuphoi"), at(D(2025, 3, 12), 10), c.ConfirmRegistration(dossier_id=dossier.id))
    count = len(_told(session, "registration-confirmation:"))
    _scan_days(session, D(2025, 3, 13), D(2025, 3, 14))
    assert len(_told(session, "registration-confirmation:")) == count  # met: nothing more

    assess_all(session, w, dossier, at(D(2025, 3, 13)))
    handle(session, w.user("xa"), at(D(2025, 3, 13)), c.FinishSelfAssessment(dossier_id=dossier.id))
    consult(session, w, dossier, at(D(2025, 4, 7)))
    handle(session, w.user("xa"), at(D(2025, 4, 7)), c.Submit(dossier_id=dossier.id))
    for _task, username in _approvers(session, dossier):
        handle(session, w.user(username), at(D(2025, 4, 8)), c.ApproveIndicators(dossier_id=dossier.id))
    confirm_conditions(session, w, dossier, at(D(2025, 4, 9)))
    # forwarded on Wednesday 9/4/2025: 10 working days (Giỗ Tổ 7/4 is behind, 30/4-1/5 ahead), last day 23/4
    handle(session, w.user("dieuphoi"), at(D(2025, 4, 9), 10), c.Forward(dossier_id=dossier.id))
    _scan_days(session, D(2025, 4, 10), D(2025, 4, 25))
    told = _told(session, f"decision:dossier:{dossier.id}:")
    # the province's chairman decides (commune NTM): reminded; the province's coordinators hear when it is late
    assert {(who, kind) for who, kind, _, _ in told} == {("chutich.tinh", "reminder"), ("dieuphoi.tinh", "escalation")}
    last_day = load_calendar(session).add_working_days(D(2025, 4, 9), 10)
    assert ("chutich.tinh", "reminder", 0, last_day) in told
    assert any(kind == "escalation" and sent > last_day for _, kind, _, sent in told)


def test_plan_dates_apply_in_the_province_whose_plan_set_them() -> None:
    by_code: dict[tuple[str, int], set[str]] = {}
    for plan in plan_dates():
        by_code.setdefault((plan.authority_code, plan.year), set()).update(o.code for o in plan.overrides)
    # Cao Bằng: seed 004's dates are the defaults; its plan adds only the districts' report to the province
    assert by_code["04", 2025] == {"district-report-quarterly"} and ("04", 2024) not in by_code
    assert by_code["36", 2024] == {"department-difficulties"}  # seed 000, Nam Định (Trực Ninh)
    assert by_code["24", 2024] == {"commune-plan"}  # seed 001, Bắc Giang (Xuân Lương)
    assert by_code["30", 2024] == {"department-yearly-report", "district-report-quarterly"}  # seed 003, Hải Dương


def test_cao_bang_gets_seed_004s_dates_and_not_nam_dinhs(session: Session, now: dt.datetime) -> None:
    cao_bang = Unit(name="Cao Bằng", kind=UnitKind.PROVINCE, code="04")
    thach_an = Unit(name="Thạch An", kind=UnitKind.DISTRICT, code="053", parent=cao_bang)
    le_lai = Unit(name="Lê Lai", kind=UnitKind.COMMUNE, parent=thach_an)
    nam_dinh = Unit(name="Nam Định", kind=UnitKind.PROVINCE, code="36")
    truc_ninh = Unit(name="Trực Ninh", kind=UnitKind.DISTRICT, code="365", parent=nam_dinh)
    bac_giang = Unit(name="Bắc Giang", kind=UnitKind.PROVINCE, code="24")
    xuan_luong = Unit(name="Xuân Lương", kind=UnitKind.COMMUNE, parent=bac_giang)
    session.add_all([cao_bang, thach_an, le_lai, nam_dinh, truc_ninh, bac_giang, xuan_luong])
    session.flush()
    book = RuleBook.load(session)
    cao_bang_rules = book.rules((cao_bang.id, thach_an.id), 2024)
    nam_dinh_rules = book.rules((nam_dinh.id, truc_ninh.id), 2024)
    assert not cao_bang_rules["department-difficulties"].enabled
    assert nam_dinh_rules["department-difficulties"].enabled
    assert nam_dinh_rules["department-difficulties"].source.startswith("Seed 000")
    assert nam_dinh_rules["department-difficulties"].confidence == Confidence.MEDIUM
    assert not book.rules((nam_dinh.id, truc_ninh.id), 2025)["department-difficulties"].enabled  # the 2024 plan only
    # the law's and the programme's dates hold everywhere
    for code in ("dossier-submission", "dossier-completion", "report-quarterly", "report-half-year", "report-yearly"):
        assert cao_bang_rules[code].enabled and nam_dinh_rules[code].enabled
        assert cao_bang_rules[code].occurrences(2024) == nam_dinh_rules[code].occurrences(2024)

    reconcile(session, now, years=[2024])
    keys = set(session.scalars(select(ObligationRecord.key)).all())
    assert f"commune-plan:2024:unit:{xuan_luong.id}" in keys  # seed 001: Bắc Giang's commune plan, before 20/02
    assert f"commune-plan:2024:unit:{le_lai.id}" not in keys
    assert f"report-half-year:2024-H1:unit:{le_lai.id}" in keys and f"report-yearly:2024:unit:{xuan_luong.id}" in keys

    # issue 10 §6: Cao Bằng's districts report to the province in 2025 (seed 004), while they exist
    thach_an.valid_to = D(2025, 6, 30)
    session.flush()
    reconcile(session, now, years=[2025])
    district_reports = set(
        session.scalars(select(ObligationRecord.period).where(ObligationRecord.unit_id == thach_an.id)).all()
    )
    assert district_reports == {"2025-Q1", "2025-Q2"}
    assert not session.scalars(select(ObligationRecord).where(ObligationRecord.unit_id == truc_ninh.id)).all()


# --- a fixed number of queries, whatever the number of units and dossiers --------------------------------


@pytest.fixture
def counted(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    yield statements
    event.remove(connection, "before_cursor_execute", count)


def _grow(session: Session, w: World, communes: int, now: dt.datetime) -> None:
    """`communes` more communes of the district, each with an officer and a 2025 dossier: registered,
    under appraisal (one open task of a department) or forwarded, with the events that put them there."""
    indicator = w.commune_set.indicators()[0]
    department = next(iter(w.departments.values()))
    states = ("registered", "under_appraisal", "forwarded")
    for index in range(communes):
        unit = Unit(
            name=f"Xã Thêm {communes}.{index}", kind=UnitKind.COMMUNE, parent=w.district, valid_to=D(2025, 6, 30)
        )
        name = f"{communes}.{index}"
        officer = User(username=f"xa.them{name}", full_name=f"Cán bộ {name}", email=f"xa{name}@t.vn",
                       password_hash="-", active=True)  # fmt: skip
        officer.roles.append(RoleAssignment(role=Role.UNIT_OFFICER, unit=unit))
        state = states[index % len(states)]
        dossier = Dossier(
            unit=unit, authority_unit=w.district, decider_unit=w.district, level=RecognitionLevel.COMMUNE_NTM,
            year=2025, criteria_set=w.commune_set, state=state, created_at=now, updated_at=now, version=1,
        )  # fmt: skip
        session.add_all([unit, officer, dossier])
        session.flush()
        session.add(AuditEvent(dossier_id=dossier.id, occurred_at=now, action="x", from_state=None, to_state=state,
                               payload={}))  # fmt: skip
        if state == "under_appraisal":
            session.add(
                AppraisalTask(dossier=dossier, department=department, round=1, opened_at=now,
                              items=[AppraisalItem(indicator=indicator)])
            )  # fmt: skip
    session.flush()


def _statements_of_a_scan_and_a_list(
    session: Session, counted: list[str], w: World, extra: int, hour: int
) -> tuple[list[int], int]:
    """Grow the world, then count the statements of a scan that stores what the growth owes, of the
    next scan (nothing new), and of the year's list."""
    _grow(session, w, extra, BEFORE)
    day = D(2025, 3, 12)
    policy = ReminderPolicy(digest=False)
    figures = []
    for minute_run in (0, 1):
        counted.clear()
        plan_reminders(session, at(day, hour) + dt.timedelta(minutes=minute_run), policy=policy, base_url=BASE_URL)
        figures.append(len(counted))
    session.expire_all()
    counted.clear()
    owed = open_obligations(session, years=[2025], today=day)
    figures.append(len(counted))
    return figures, len(owed)


def test_a_scan_and_the_list_issue_the_same_queries_at_two_sizes(
    session: Session, world: World, counted: list[str]
) -> None:
    small, owed_small = _statements_of_a_scan_and_a_list(session, counted, world, 3, hour=8)
    large, owed_large = _statements_of_a_scan_and_a_list(session, counted, world, 30, hour=10)
    # every new commune's reports until it merges on 1/7, and its dossier's step: the sizes differ for real
    assert owed_large >= owed_small + 10 * 30
    # [the scan that stores the new obligations, the next scan, the list]: the same at both sizes
    assert large == small
    assert small[1] <= 22 and small[2] <= 8, small
