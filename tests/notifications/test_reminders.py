"""Reminders over a whole year with frozen time (every job takes `now`), and the outbox's guarantees."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage, Message

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import AppraisalItem, AppraisalTask, Dossier, RoleAssignment
from dossiers.planning.rules import load_calendar, set_deadline_override
from dossiers.reports import record_report_submission
from notifications.jobs import compose_messages, deliver_outbox, plan_reminders
from notifications.models import ItemStatus, MessageStatus, OutboxItem, OutboxMessage
from tests.notifications.world import World, at
from workflow.calendar import local_date
from workflow.deadlines import DEADLINE_RULES, ObligorKind, ReminderPolicy
from workflow.vocabulary import RecognitionLevel

D = dt.date
SENDER = "NTM Dossiers <no-reply@ntm.local>"


class RecordingTransport:
    """Keeps what it is given, as a receiver would parse it; the SMTP tests use a real server."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: Message) -> None:
        parsed = message_from_bytes(message.as_bytes(), policy=email_policy.default)
        assert isinstance(parsed, EmailMessage)
        self.sent.append(parsed)

    def close(self) -> None:
        return None


def run(
    session: Session, now: dt.datetime, policy: ReminderPolicy, transport: RecordingTransport, base_url: str
) -> None:
    """What one scheduler tick does, at `now`."""
    calendar = load_calendar(session)
    plan_reminders(session, now, policy=policy, base_url=base_url, calendar=calendar)
    compose_messages(session, now, digest=policy.digest, sender=SENDER)
    deliver_outbox(session, transport, now, sender=SENDER, max_attempts=5)


def sent_items(session: Session) -> dict[tuple[str, str], list[tuple[int, dt.date]]]:
    """(obligation key, recipient username) → [(offset, day it went out)], in order."""
    found: dict[tuple[str, str], list[tuple[int, dt.date]]] = defaultdict(list)
    rows = session.execute(
        select(OutboxItem, OutboxMessage)
        .join(OutboxMessage, OutboxItem.message_id == OutboxMessage.id)
        .where(OutboxItem.status == ItemStatus.SENT)
        .order_by(OutboxMessage.sent_at, OutboxItem.id)
    ).all()
    for item, message in rows:
        assert message.sent_at is not None
        found[item.obligation_key, item.recipient.username].append((item.offset_days, local_date(message.sent_at)))
    return found


def test_a_whole_year_of_reminders(session: Session, world: World, now: dt.datetime, base_url: str) -> None:
    policy = ReminderPolicy()  # the defaults: 7, 3, 1 days before, on the day, escalation the day after; digest
    transport = RecordingTransport()
    le_lai, duc_long, lone = world.communes["Lê Lai"], world.communes["Đức Long"], world.lone_commune
    ntm_le_lai, ntm_duc_long = world.dossiers["Lê Lai"], world.dossiers["Đức Long"]
    # a nâng cao dossier of Lê Lai under appraisal since Monday 20/1/2025: the department has 15 working days
    advanced = Dossier(
        unit=le_lai, authority_unit=world.district, level=RecognitionLevel.COMMUNE_ADVANCED, year=2025,
        criteria_set=ntm_le_lai.criteria_set, state="under_appraisal", created_at=now, updated_at=now,
    )  # fmt: skip
    (indicator,) = ntm_le_lai.criteria_set.indicators()
    task = AppraisalTask(
        dossier=advanced, department=world.department, round=1, opened_at=at(D(2025, 1, 20), 10),
        items=[AppraisalItem(indicator=indicator)],
    )  # fmt: skip
    session.add_all([advanced, task])
    session.flush()

    def q1_report_of_duc_long() -> None:
        record_report_submission(
            session, world.users["xa1.0"], at(D(2025, 3, 13), 9), code="report-quarterly", period="2025-Q1",
            unit=duc_long,
        )  # fmt: skip

    def submit_le_lai() -> None:
        ntm_le_lai.state = "under_appraisal"

    def le_lai_appraised() -> None:
        ntm_le_lai.state = "appraised"

    def task_answered() -> None:
        task.answered_at = at(D(2025, 3, 3), 9)

    events: dict[dt.date, Callable[[], None]] = {
        D(2025, 3, 13): q1_report_of_duc_long,
        D(2025, 9, 17): submit_le_lai,
        D(2025, 10, 15): le_lai_appraised,
        D(2025, 3, 3): task_answered,
    }
    day = D(2025, 1, 1)
    while day <= D(2026, 2, 28):
        if day in events:
            events[day]()
            session.flush()
        run(session, at(day, 8), policy, transport, base_url)
        day += dt.timedelta(days=1)

    sent = sent_items(session)

    def of(key: str, username: str) -> list[tuple[int, dt.date]]:
        return sent.get((key, username), [])

    # seed 001: commune plan before 20/2 — in 2025 an ordinary week, in 2026 the last day is mùng 3 Tết
    assert of(f"commune-plan:2025:unit:{le_lai.id}", "xa0.0") == [
        (7, D(2025, 2, 12)), (3, D(2025, 2, 14)), (1, D(2025, 2, 18)), (0, D(2025, 2, 19)),
    ]  # fmt: skip
    assert of(f"commune-plan:2025:unit:{le_lai.id}", "dieuphoi.huyen") == [(-1, D(2025, 2, 20))]
    assert of(f"commune-plan:2026:unit:{le_lai.id}", "xa0.0") == [(7, D(2026, 2, 12)), (0, D(2026, 2, 13))]
    assert of(f"commune-plan:2026:unit:{le_lai.id}", "dieuphoi.huyen") == [(-1, D(2026, 2, 23))]
    # seed 004: monthly report of January 2025 (last day Sunday 19/1)
    assert of(f"report-monthly:2025-01:unit:{le_lai.id}", "xa0.0") == [
        (7, D(2025, 1, 10)), (3, D(2025, 1, 16)), (0, D(2025, 1, 17)),
    ]  # fmt: skip
    # seed 004: quarterly before 20/3; Đức Long reported on 13/3 and heard nothing more
    assert of(f"report-quarterly:2025-Q1:unit:{le_lai.id}", "xa0.0") == [
        (7, D(2025, 3, 12)), (3, D(2025, 3, 14)), (1, D(2025, 3, 18)), (0, D(2025, 3, 19)),
    ]  # fmt: skip
    assert of(f"report-quarterly:2025-Q1:unit:{le_lai.id}", "dieuphoi.huyen") == [(-1, D(2025, 3, 20))]
    assert of(f"report-quarterly:2025-Q1:unit:{duc_long.id}", "xa1.0") == [(7, D(2025, 3, 12))]
    assert of(f"report-quarterly:2025-Q1:unit:{duc_long.id}", "dieuphoi.huyen") == []
    # seed 004: half-year before 10/6 (1 day before is a Sunday: merged into Friday 6/6)
    assert of(f"report-half-year:2025-H1:unit:{le_lai.id}", "xa0.0") == [
        (7, D(2025, 6, 2)), (1, D(2025, 6, 6)), (0, D(2025, 6, 9)),
    ]  # fmt: skip
    # seed 004: yearly before 10/12
    assert of(f"report-yearly:2025:unit:{le_lai.id}", "xa0.0") == [
        (7, D(2025, 12, 2)), (3, D(2025, 12, 5)), (1, D(2025, 12, 8)), (0, D(2025, 12, 9)),
    ]  # fmt: skip
    assert of(f"report-yearly:2025:unit:{le_lai.id}", "dieuphoi.huyen") == [(-1, D(2025, 12, 10))]
    # seed 004: dossiers to the district before 20/9; Lê Lai submitted on 17/9, Đức Long never did
    assert of(f"dossier-submission:2025:dossier:{ntm_le_lai.id}", "xa0.0") == [(7, D(2025, 9, 12)), (3, D(2025, 9, 16))]
    assert of(f"dossier-submission:2025:dossier:{ntm_le_lai.id}", "dieuphoi.huyen") == []
    assert of(f"dossier-submission:2025:dossier:{ntm_duc_long.id}", "xa1.0") == [
        (7, D(2025, 9, 12)), (3, D(2025, 9, 16)), (1, D(2025, 9, 18)), (0, D(2025, 9, 19)),
    ]  # fmt: skip
    assert of(f"dossier-submission:2025:dossier:{ntm_duc_long.id}", "dieuphoi.huyen") == [(-1, D(2025, 9, 22))]
    # seed 004: complete dossiers before 20/10 (last day Sunday 19/10); Lê Lai's was appraised on 15/10
    assert of(f"dossier-completion:2025:dossier:{ntm_le_lai.id}", "xa0.0") == [(7, D(2025, 10, 10))]
    assert of(f"dossier-completion:2025:dossier:{ntm_duc_long.id}", "xa1.0") == [
        (7, D(2025, 10, 10)), (3, D(2025, 10, 16)), (0, D(2025, 10, 17)),
    ]  # fmt: skip
    assert of(f"dossier-completion:2025:dossier:{ntm_duc_long.id}", "dieuphoi.huyen") == [(-1, D(2025, 10, 20))]
    # the commune without a district: Q3 report escalates to the province
    assert of(f"report-quarterly:2025-Q3:unit:{lone.id}", "xa.dongkhe") == [
        (7, D(2025, 9, 12)), (3, D(2025, 9, 16)), (1, D(2025, 9, 18)), (0, D(2025, 9, 19)),
    ]  # fmt: skip
    assert of(f"report-quarterly:2025-Q3:unit:{lone.id}", "dieuphoi.tinh") == [(-1, D(2025, 9, 22))]
    # seed 000: district departments' difficulties before 31/3 (last day Sunday 30/3)
    assert of(f"department-difficulties:2025:department:{world.department.id}", "phong.tckh") == [
        (7, D(2025, 3, 21)), (3, D(2025, 3, 27)), (0, D(2025, 3, 28)),
    ]  # fmt: skip
    assert of(f"department-difficulties:2025:department:{world.department.id}", "dieuphoi.huyen") == [
        (-1, D(2025, 3, 31))
    ]
    # seed 003: provincial departments report before 10/12
    assert of(f"department-yearly-report:2025:department:{world.province_department.id}", "so.tc") == [
        (7, D(2025, 12, 2)), (3, D(2025, 12, 5)), (1, D(2025, 12, 8)), (0, D(2025, 12, 9)),
    ]  # fmt: skip
    # an appraisal of 15 working days opened 20/1/2025 crosses Tết: last day 17/2, escalated 18/2, answered 3/3
    assert of(f"appraisal:task:{task.id}:r1", "phong.tckh") == [
        (7, D(2025, 2, 10)), (1, D(2025, 2, 14)), (0, D(2025, 2, 17)),
    ]  # fmt: skip
    assert of(f"appraisal:task:{task.id}:r1", "dieuphoi.huyen") == [(-1, D(2025, 2, 18))]

    # every rule of the seeds produced reminders (the steps' own limits, registration confirmation and
    # decision, have their year in tests/dossiers/planning/test_obligations.py: this world has no such step)
    produced = {key.split(":")[0] for key, _ in sent}
    assert produced == {rule.code for rule in DEADLINE_RULES if rule.obligor != ObligorKind.STEP}
    # nothing twice, nothing on a day off, nothing late (the scheduler ran every day)
    calendar = load_calendar(session)
    everything = [(key, who, offset) for (key, who), sends in sent.items() for offset, _ in sends]
    assert len(everything) == len(set(everything))
    items = session.scalars(select(OutboxItem).where(OutboxItem.status == ItemStatus.SENT)).all()
    for item in items:
        assert item.message is not None and item.message.sent_at is not None
        assert local_date(item.message.sent_at) == item.send_on
        assert calendar.is_working_day(item.send_on)
    # digest: one e-mail per person per day, listing all their items
    per_person_day = Counter((m["To"], m["Date"]) for m in transport.sent)
    assert max(per_person_day.values()) == 1
    assert len(transport.sent) == session.query(OutboxMessage).filter_by(status=MessageStatus.SENT).count()
    busy_day = [m for m in transport.sent if "xa1.0@" in str(m["To"]) and "12 Sep 2025" in str(m["Date"])]
    assert len(busy_day) == 1
    body = busy_day[0].get_body(("plain",))
    assert body is not None
    text = body.get_content()
    # the dossier, the Q3 report and the September report are all due before 20/9
    assert "3 việc" in str(busy_day[0]["Subject"]) and text.count("Hạn cuối: hết ngày 19/09/2025") == 3


def test_meeting_an_obligation_cancels_its_pending_reminders(
    session: Session, world: World, policy: ReminderPolicy, base_url: str
) -> None:
    transport = RecordingTransport()
    dossier = world.dossiers["Đức Long"]
    key = f"dossier-submission:2025:dossier:{dossier.id}"
    calendar = load_calendar(session)
    # 06:00 on 18/9: the "1 day before" reminder is planned for 07:00
    plan_reminders(session, at(D(2025, 9, 18), 6), policy=policy, base_url=base_url, calendar=calendar)
    item = session.scalars(
        select(OutboxItem).where(OutboxItem.obligation_key == key, OutboxItem.status == ItemStatus.PENDING)
    ).one()
    assert item.offset_days == 1
    # 06:30: the commune submits
    dossier.state = "under_appraisal"
    session.flush()
    report = plan_reminders(session, at(D(2025, 9, 18), 6, 45), policy=policy, base_url=base_url, calendar=calendar)
    assert report.cancelled >= 1
    session.refresh(item)
    assert item.status == ItemStatus.CANCELLED and "đáp ứng" in (item.reason or "")
    compose_messages(session, at(D(2025, 9, 18), 7, 30), digest=False, sender=SENDER)
    deliver_outbox(session, transport, at(D(2025, 9, 18), 7, 30), sender=SENDER, max_attempts=5)
    assert not [m for m in transport.sent if "hồ sơ xã NTM" in str(m["Subject"]) and "Đức Long" in str(m["Subject"])]
    # and no escalation later
    run(session, at(D(2025, 9, 22)), policy, transport, base_url)
    offsets = session.scalars(select(OutboxItem.offset_days).where(OutboxItem.obligation_key == key)).all()
    assert -1 not in offsets
    sent = select(OutboxItem).where(OutboxItem.obligation_key == key, OutboxItem.status == ItemStatus.SENT)
    assert session.scalars(sent).all() == []


def test_a_queued_message_waiting_for_a_retry_is_cancelled_too(
    session: Session, world: World, policy: ReminderPolicy, base_url: str
) -> None:
    dossier = world.dossiers["Đức Long"]
    now = at(D(2025, 9, 18))
    plan_reminders(session, now, policy=policy, base_url=base_url)
    compose_messages(session, now, digest=False, sender=SENDER)
    message = session.scalars(
        select(OutboxMessage).join(OutboxItem).where(OutboxItem.obligation_key.contains(f"dossier:{dossier.id}"))
    ).one()
    dossier.state = "under_appraisal"
    session.flush()
    plan_reminders(session, now + dt.timedelta(minutes=5), policy=policy, base_url=base_url)
    session.refresh(message)
    assert message.status == MessageStatus.CANCELLED


def test_catch_up_after_downtime_sends_the_latest_missed_reminder_once(
    session: Session, world: World, policy: ReminderPolicy, base_url: str
) -> None:
    transport = RecordingTransport()
    key = f"dossier-submission:2025:dossier:{world.dossiers['Đức Long'].id}"
    run(session, at(D(2025, 9, 11)), policy, transport, base_url)
    # the scheduler is down from Thursday 11/9 to Wednesday 17/9, 10:00
    run(session, at(D(2025, 9, 17), 10), policy, transport, base_url)
    run(session, at(D(2025, 9, 17), 10, 5), policy, transport, base_url)  # a second tick changes nothing
    items = {i.offset_days: i for i in session.scalars(select(OutboxItem).where(OutboxItem.obligation_key == key))}
    assert items[7].status == ItemStatus.SKIPPED
    assert items[3].status == ItemStatus.SENT and items[3].send_on == D(2025, 9, 16)
    run(session, at(D(2025, 9, 18)), policy, transport, base_url)
    assert session.scalars(
        select(OutboxItem.offset_days).where(OutboxItem.obligation_key == key, OutboxItem.status == ItemStatus.SENT)
    ).all() == [3, 1]
    # down again from 19/9 to 3/10: the escalation due on 22/9 is too old to be sent now
    run(session, at(D(2025, 10, 3)), policy, transport, base_url)
    old = session.scalars(select(OutboxItem).where(OutboxItem.obligation_key == key, OutboxItem.offset_days == -1))
    assert [i.status for i in old] == [ItemStatus.SKIPPED]


def test_reruns_send_nothing_twice(session: Session, world: World, policy: ReminderPolicy, base_url: str) -> None:
    transport = RecordingTransport()
    for minutes in (0, 0, 1, 30, 120):
        run(session, at(D(2025, 9, 12), 8) + dt.timedelta(minutes=minutes), policy, transport, base_url)
    subjects = Counter((str(m["To"]), str(m["Subject"])) for m in transport.sent)
    assert subjects and max(subjects.values()) == 1
    # 2 communes x (dossier, Q3, September) + the lone commune's Q3 and September report
    assert len(transport.sent) == 2 * 3 + 2


def test_someone_who_no_longer_owes_it_is_not_reminded(
    session: Session, world: World, policy: ReminderPolicy, base_url: str
) -> None:
    now = at(D(2025, 9, 12), 6)
    plan_reminders(session, now, policy=policy, base_url=base_url)
    officer = world.users["xa0.0"]
    pending = session.scalars(
        select(OutboxItem).where(OutboxItem.recipient_id == officer.id, OutboxItem.status == ItemStatus.PENDING)
    ).all()
    assert len(pending) == 3  # the dossier, the Q3 report, the September report
    session.delete(session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == officer.id)).one())
    session.flush()
    plan_reminders(session, now + dt.timedelta(minutes=10), policy=policy, base_url=base_url)
    for item in pending:
        session.refresh(item)
        assert item.status == ItemStatus.CANCELLED and "không còn phụ trách" in (item.reason or "")


def test_a_newer_reminder_supersedes_one_not_yet_sent(
    session: Session, world: World, policy: ReminderPolicy, base_url: str
) -> None:
    key = f"dossier-submission:2025:dossier:{world.dossiers['Đức Long'].id}"
    # planned on 16/9 before 07:00, then the process stops until 18/9: "3 days" never went out
    plan_reminders(session, at(D(2025, 9, 16), 6), policy=policy, base_url=base_url)
    plan_reminders(session, at(D(2025, 9, 18), 6), policy=policy, base_url=base_url)
    items = session.scalars(select(OutboxItem).where(OutboxItem.obligation_key == key)).all()
    statuses = {i.offset_days: i.status for i in items}
    assert statuses == {7: ItemStatus.SKIPPED, 3: ItemStatus.SUPERSEDED, 1: ItemStatus.PENDING}


@pytest.mark.parametrize("digest", [True, False])
def test_digest_or_one_e_mail_per_item(session: Session, world: World, base_url: str, digest: bool) -> None:
    transport = RecordingTransport()
    run(session, at(D(2025, 9, 12)), ReminderPolicy(digest=digest), transport, base_url)
    to_officer = [m for m in transport.sent if "xa0.0@" in str(m["To"])]
    assert len(to_officer) == (1 if digest else 3)


def test_a_reminder_not_out_by_the_last_day_gives_way_to_the_escalation(
    session: Session, world: World, policy: ReminderPolicy, base_url: str
) -> None:
    key = f"dossier-submission:2025:dossier:{world.dossiers['Đức Long'].id}"
    plan_reminders(session, at(D(2025, 9, 19), 6), policy=policy, base_url=base_url)  # "on the day", for 07:00
    # nothing ran again until Monday 22/9 (mail server down, say)
    transport = RecordingTransport()
    run(session, at(D(2025, 9, 22)), policy, transport, base_url)
    items = {i.offset_days: i for i in session.scalars(select(OutboxItem).where(OutboxItem.obligation_key == key))}
    assert items[0].status == ItemStatus.SKIPPED and "vượt cấp" in (items[0].reason or "")
    assert items[-1].status == ItemStatus.SENT and items[-1].recipient.username == "dieuphoi.huyen"
    assert not [m for m in transport.sent if "xa1.0@" in str(m["To"])]


def test_a_district_can_remind_a_month_ahead(
    session: Session, world: World, policy: ReminderPolicy, base_url: str, now: dt.datetime
) -> None:
    set_deadline_override(
        session, world.users["dieuphoi.huyen"], now, authority=world.district, year=2025, code="report-yearly",
        reminder_offsets=[30, 0], source="KH 30/KH-UBND huyện Thạch An",
    )  # fmt: skip
    transport = RecordingTransport()
    # last day Tuesday 9/12/2025: 30 days before is Sunday 9/11 → Friday 7/11
    run(session, at(D(2025, 11, 7)), policy, transport, base_url)
    key = f"report-yearly:2025:unit:{world.communes['Lê Lai'].id}"
    sent = session.scalars(select(OutboxItem).where(OutboxItem.obligation_key == key)).all()
    assert [(i.offset_days, i.status) for i in sent] == [(30, ItemStatus.SENT)]
    lone = f"report-yearly:2025:unit:{world.lone_commune.id}"  # the province's commune keeps 7, 3, 1, 0
    assert session.scalars(select(OutboxItem).where(OutboxItem.obligation_key == lone)).all() == []
