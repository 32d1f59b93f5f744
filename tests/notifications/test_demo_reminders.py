"""The demo province (seed 004's huyện Thạch An until 30/6/2025, communes under the province after the
reform): who is reminded changes with the administrative map."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy.orm import Session

from dossiers.demo import DemoData
from notifications.jobs import compose_messages, deliver_outbox, plan_reminders
from tests.notifications.test_reminders import RecordingTransport
from tests.notifications.world import at
from workflow.deadlines import ReminderPolicy

D = dt.date
SENDER = "NTM Dossiers <no-reply@ntm.local>"


def _tick(session: Session, now: dt.datetime, transport: RecordingTransport) -> list[tuple[str, str]]:
    before = len(transport.sent)
    plan_reminders(session, now, policy=ReminderPolicy(), base_url="https://ntm.caobang.gov.vn")
    compose_messages(session, now, digest=True, sender=SENDER)
    deliver_outbox(session, transport, now, sender=SENDER, max_attempts=5)
    return [(str(m["To"].addresses[0].username), str(m["Subject"])) for m in transport.sent[before:]]


def test_reminders_follow_the_2025_reform(session: Session, demo: DemoData) -> None:
    transport = RecordingTransport()

    # 12/3: the 13 communes of huyện Thạch An owe the Q1 and March reports (before 20/3)
    march = _tick(session, at(D(2025, 3, 12)), transport)
    assert sorted(to for to, _ in march) == sorted(f"xa.{slug}" for slug in _slugs(demo.communes))
    assert {subject for _, subject in march} == {"[NTM] 2 việc cần xử lý: 2 việc sắp đến hạn (12/03/2025)"}
    body = transport.sent[-1].get_body(("plain",))
    assert body is not None and "kỳ quý I/2025" in body.get_content() and "kỳ tháng 03/2025" in body.get_content()

    # 21/3: the scheduler did not run on 20/3, so the district's coordinator hears today of the 26 reports
    # (Q1 and March, 13 communes) not sent by 19/3; the communes get no late "before the deadline" reminder.
    # The district's departments owe no "difficulties" report before 31/3: that date is huyện Trực Ninh's
    # (seed 000, tỉnh Nam Định), not Cao Bằng's (dossiers/data/deadlines/plan-dates.yaml)
    departments = _tick(session, at(D(2025, 3, 21)), transport)
    # every department owning an indicator, the women's union too (17.8, seed 004 mục VI.16)
    owners = {f"phong.{code}" for code in demo.departments}
    assert {to for to, _ in departments} == {"dieuphoi.thachan"}
    assert not owners & {to for to, _ in departments}
    # and is reminded of the district's own Q1 report to the province (seed 004: "báo cáo UBND tỉnh theo quy định")
    assert (
        "dieuphoi.thachan",
        "[NTM] 27 việc cần xử lý: 1 việc sắp đến hạn, 26 việc quá hạn cần đôn đốc (21/03/2025)",
    ) in departments

    # 12/9: the district is gone; the six merged communes owe the Q3 and September reports
    september = _tick(session, at(D(2025, 9, 12)), transport)
    assert sorted(to for to, _ in september) == sorted(f"xa2025.{slug}" for slug in _slugs(demo.new_communes))

    # 22/9: nobody reported; the province's coordinator hears of all twelve, in one e-mail
    escalations = _tick(session, at(D(2025, 9, 22)), transport)
    assert [to for to, _ in escalations] == ["dieuphoi.caobang"]
    assert escalations[0][1] == "[NTM] 12 việc cần xử lý: 12 việc quá hạn cần đôn đốc (22/09/2025)"
    links = Counter(
        line.split("Xem: ")[1]
        for line in (transport.sent[-1].get_body(("plain",)) or transport.sent[-1]).get_content().splitlines()
        if "Xem: " in line
    )
    assert set(links) == {f"https://ntm.caobang.gov.vn/don-vi/{u.id}" for u in demo.new_communes.values()}


def _slugs(units: dict[str, object]) -> list[str]:
    from dossiers.demo import slug

    return [slug(name) for name in units]
