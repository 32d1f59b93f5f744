"""Hội LHPN (the Women's Union, a mass organisation) co-appraises indicator 17.8 in huyện Thạch An, as seed 004
mục VI.16 assigns it (QĐ 94/QĐ-ĐCT guides 17.8): a commune's appraisal of 17.8 is not complete until the union's
officer signs it off, nobody else can sign for it, and the 1/7/2025 transfer keeps both seats."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.demo import DemoData
from dossiers.handlers import handle
from dossiers.models import Dossier, User
from dossiers.procedure_facts import tasks_of
from tests.demo_database import DemoWorld
from tests.dossiers.test_procedure_demo import MARCH, at, prepare_and_submit, task_table
from workflow.errors import GuardFailed, NotPermitted


def test_the_unions_sign_off_completes_the_appraisal_of_17_8(session: Session, demo: DemoData) -> None:
    users = demo.users
    dossier = prepare_and_submit(
        session, users, demo.communes["Canh Tân"], "xa.canhtan", "mttq.canhtan", "dieuphoi.thachan", "xa-ntm-2021",
        demo, MARCH,
    )  # fmt: skip
    tasks = task_table(session, dossier)
    assert tasks["hoi-phu-nu"] == {"17.8"}
    assert "17.8" in tasks["tn-mt"]  # co-appraised with Phòng TN&MT (mục VI.6)

    now = at(MARCH, 30)
    for code in sorted(code for code in tasks if code not in (None, "hoi-phu-nu")):
        handle(session, users[f"phong.{code}"], now, c.ApproveIndicators(dossier_id=dossier.id))
    handle(session, users["dieuphoi.thachan"], now, c.ApproveIndicators(dossier_id=dossier.id))
    # every other seat approved, 17.8 by Phòng TN&MT too: the appraisal waits for the union
    assert dossier.state == "under_appraisal"
    (waiting,) = [t for t in tasks_of(session, dossier) if t.answered_at is None]
    assert waiting.department is not None and waiting.department.code == "hoi-phu-nu"

    union = demo.departments["hoi-phu-nu"]
    # another department cannot sign for the union: not as the union, not on 17.8 again, not on its own task
    with pytest.raises(NotPermitted, match="Hội Liên hiệp Phụ nữ huyện"):
        handle(
            session,
            users["phong.tn-mt"],
            now,
            c.ApproveIndicators(dossier_id=dossier.id, codes=("17.8",), department_id=union.id),
        )
    with pytest.raises(GuardFailed, match=r"17\.8"):
        handle(session, users["phong.tn-mt"], now, c.ApproveIndicators(dossier_id=dossier.id, codes=("17.8",)))
    with pytest.raises(NotPermitted):  # the coordinator answers only the indicators nobody owns
        handle(session, users["dieuphoi.thachan"], now, c.ApproveIndicators(dossier_id=dossier.id, codes=("17.8",)))
    assert dossier.state == "under_appraisal"

    event = handle(
        session, users["phong.hoi-phu-nu"], at(now, 1), c.ApproveIndicators(dossier_id=dossier.id, codes=("17.8",))
    ).event
    assert event is not None and event.payload["department"] == "hoi-phu-nu"
    assert dossier.state == "appraised"


def test_the_union_returning_17_8_returns_the_dossier(session: Session, demo: DemoData) -> None:
    users = demo.users
    dossier = prepare_and_submit(
        session, users, demo.communes["Kim Đồng"], "xa.kimdong", "mttq.kimdong", "dieuphoi.thachan", "xa-ntm-2021",
        demo, MARCH,
    )  # fmt: skip
    now = at(MARCH, 30)
    for code in sorted(code for code in task_table(session, dossier) if code not in (None, "hoi-phu-nu")):
        handle(session, users[f"phong.{code}"], now, c.ApproveIndicators(dossier_id=dossier.id))
    handle(session, users["dieuphoi.thachan"], now, c.ApproveIndicators(dossier_id=dossier.id))
    reason = "Nhiều hộ chưa có nhà tắm, thiết bị chứa nước hợp vệ sinh (biên bản kiểm tra của chi hội phụ nữ)."
    handle(session, users["phong.hoi-phu-nu"], now, c.ReturnIndicators(dossier_id=dossier.id, reasons={"17.8": reason}))
    assert dossier.state == "returned"


def test_the_transfer_keeps_the_union_beside_the_department(session: Session, demo_today: DemoWorld) -> None:
    """Đức Xuân's dossier was under appraisal on 1/7/2025, the district union's 17.8 still open: it went to the
    provincial union (which co-owns 17.8 in the province's table), not to Sở NN&MT, which holds 17.8 already."""
    dossier = session.get_one(Dossier, demo_today.dossiers["Đức Xuân"])
    holders = {
        (task.department.code if task.department else None): {item.indicator.code: item.decision for item in task.items}
        for task in tasks_of(session, dossier)
    }
    assert holders["hoi-lhpn"] == {"17.8": None}
    seats_of_17_8 = [code for code, items in holders.items() if "17.8" in items]
    assert sorted(seats_of_17_8, key=str) == ["hoi-lhpn", "so-nn-mt"]
    now = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)
    union = next(t.department for t in tasks_of(session, dossier) if t.department and t.department.code == "hoi-lhpn")
    with pytest.raises(NotPermitted):
        handle(
            session,
            account(session, "so.so-nn-mt"),
            now,
            c.ApproveIndicators(dossier_id=dossier.id, codes=("17.8",), department_id=union.id),
        )
    event = handle(
        session, account(session, "hoilhpn.caobang"), now, c.ApproveIndicators(dossier_id=dossier.id, codes=("17.8",))
    ).event
    assert event is not None and event.payload["department"] == "hoi-lhpn"


def account(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def test_a_dossier_nobody_answered_keeps_both_seats_of_17_8_across_the_reform(
    session: Session, demo: DemoData, demo_world: DemoWorld
) -> None:
    """Every task still open on 1/7/2025: Phòng NN&PTNT's and Phòng TN&MT's items both go to Sở NN&MT (one task,
    the second joining the first), the union's 17.8 to the provincial union; no task of an ended department is
    left behind, empty or not."""
    from dossiers.demo import apply_demo_reform
    from tests.demo_database import CHEAP_HASH_METHOD

    users = demo.users
    dossier = prepare_and_submit(
        session, users, demo.communes["Minh Khai"], "xa.minhkhai", "mttq.minhkhai", "dieuphoi.thachan", "xa-ntm-2021",
        demo, MARCH,
    )  # fmt: skip
    before = {code for codes in task_table(session, dossier).values() for code in codes}
    apply_demo_reform(session, demo, hash_method=CHEAP_HASH_METHOD)
    session.expire_all()
    tasks = tasks_of(session, dossier)
    assert all(task.items for task in tasks)  # no empty task
    departments = [task.department.code for task in tasks if task.department]
    assert len(departments) == len(set(departments))  # one task per department
    assert all(task.department is None or task.department.unit_id == demo.province.id for task in tasks)
    seats = task_table(session, dossier)
    assert {code for codes in seats.values() for code in codes} == before  # no item lost
    assert sorted(code for code, codes in seats.items() if "17.8" in codes) == ["hoi-lhpn", "so-nn-mt"]
    assert {"17.2", "17.3", "17.1", "13.2"} <= seats["so-nn-mt"]  # from Phòng TN&MT and Phòng NN&PTNT
