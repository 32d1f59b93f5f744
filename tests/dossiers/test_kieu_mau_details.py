"""Kiểu mẫu details (issue 10 §5): the outstanding field a commune chose is appraised by the department seed 004
assigns to it (huyện Thạch An, mục VI: sản xuất → Phòng NN&PTNT, cảnh quan môi trường → Phòng TN&MT, văn hóa and
du lịch → Phòng VH-TT, giáo dục → Phòng GD&ĐT, an ninh trật tự → Công an huyện); smart-hamlet models are named
as evidence (which hamlet, which product sold online, where), not a bare count."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.demo import DemoData
from dossiers.handlers import handle
from dossiers.models import Dossier, Recognition, SmartHamletModel
from dossiers.ownership import check_ownership, ownership_shares
from tests.dossiers.test_procedure_demo import MARCH, at, task_table
from workflow.errors import GuardFailed, NotPermitted
from workflow.measures import value_meeting
from workflow.vocabulary import RecognitionLevel

MODEL_SET = "xa-ntm-kieu-mau-2021"

#: huyện Thạch An before 1/7/2025 (its communes still hold their hamlets): the demo of the first half of 2025
pytestmark = pytest.mark.usefixtures("demo_world")


def conditions(demo: DemoData, commune: str, **overrides: object) -> dict[str, object]:
    hamlet = demo.hamlets[commune][0]
    values: dict[str, object] = {
        "income_per_capita": 80_000_000,
        "advanced_income_level": 70_000_000,
        "outstanding_field": "san-xuat",
        "outstanding_field_met": True,
        "smart_hamlets": (c.SmartHamlet(hamlet.id, "Mật ong bạc hà", "Sàn thương mại điện tử postmart.vn"),),
    }
    values.update(overrides)
    return values


def registered(session: Session, demo: DemoData, commune: str, field: str) -> Dossier:
    unit = demo.communes[commune]
    session.add(
        Recognition(
            unit_id=unit.id,
            level=RecognitionLevel.COMMUNE_ADVANCED,
            year=2024,
            decision_number="12/QĐ-UBND",
            decided_on=dt.date(2024, 12, 20),
            recorded_at=MARCH,
        )
    )
    session.flush()
    officer = demo.users[f"xa.{_slug(commune)}"]
    dossier = handle(
        session,
        officer,
        MARCH,
        c.Register(
            unit_id=unit.id,
            level=RecognitionLevel.COMMUNE_MODEL,
            year=2025,
            criteria_set_id=demo.sets[MODEL_SET].id,
            outstanding_field=field,
        ),
    ).opened()
    handle(session, demo.users["dieuphoi.thachan"], at(MARCH, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    return dossier


def submitted(session: Session, demo: DemoData, commune: str, field: str) -> Dossier:
    dossier = registered(session, demo, commune, field)
    officer = demo.users[f"xa.{_slug(commune)}"]
    unit = dossier.unit
    entries = tuple(
        c.AssessmentEntry(
            i.code,
            met=True,
            value=value_meeting(i.measure, i.threshold_for(unit.region, unit.commune_group, 2025), i.answers or ()),
        )
        for i in dossier.criteria_set.indicators()
    )
    handle(session, officer, at(MARCH, 2), c.RecordAssessments(dossier_id=dossier.id, entries=entries))
    handle(
        session,
        officer,
        at(MARCH, 2),
        c.RecordModelConditions(dossier_id=dossier.id, **conditions(demo, commune, outstanding_field=field)),  # type: ignore[arg-type]
    )
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
        demo.users[f"mttq.{_slug(commune)}"],
        at(MARCH, 10),
        c.RecordSurvey(dossier_id=dossier.id, households_total=900, households_reached=880, households_satisfied=860),
    )
    handle(session, officer, at(MARCH, 19), c.RecordVote(dossier_id=dossier.id, votes_total=35, votes_in_favour=34))
    handle(session, officer, at(MARCH, 20), c.Submit(dossier_id=dossier.id))
    return dossier


def _slug(name: str) -> str:
    from dossiers.demo import slug

    return slug(name)


@pytest.mark.parametrize(
    ("field", "department"),
    [
        ("san-xuat", "nn-ptnt"),
        ("canh-quan-moi-truong", "tn-mt"),
        ("du-lich", "vh-tt"),
        ("giao-duc", "gd-dt"),
        ("an-ninh-trat-tu", "cong-an"),
        ("y-te", None),  # seed 004 gives "y tế" to no department: the coordinator appraises it
    ],
)
def test_the_outstanding_field_goes_to_the_department_seed_004_assigns(
    session: Session, demo: DemoData, field: str, department: str | None
) -> None:
    dossier = submitted(session, demo, "Canh Tân", field)
    assert dossier.state == "under_appraisal"
    tasks = task_table(session, dossier)
    holders = [code for code, codes in tasks.items() if "4" in codes]
    assert holders == [department]  # criterion 4 (KM4, the outstanding field): one seat, the field's
    # the other departments of the table have nothing of this dossier
    assert set(tasks) <= {department, None}

    # that department signs the outstanding field off; no other department can
    now = at(MARCH, 30)
    if department is not None:
        other = "phong.vh-tt" if department != "vh-tt" else "phong.nn-ptnt"
        with pytest.raises(NotPermitted):  # another department holds no task of this dossier
            handle(session, demo.users[other], now, c.ApproveIndicators(dossier_id=dossier.id, codes=("4",)))
        handle(
            session, demo.users[f"phong.{department}"], now, c.ApproveIndicators(dossier_id=dossier.id, codes=("4",))
        )
    handle(session, demo.users["dieuphoi.thachan"], now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"


def test_the_table_shows_and_checks_the_fields(session: Session, demo: DemoData) -> None:
    model_set = demo.sets[MODEL_SET]
    lines = [share.line() for share in ownership_shares(session, demo.district, 2025, model_set)]
    assert "Phòng Văn hóa - Thông tin: lĩnh vực nổi trội Văn hóa, Du lịch" in lines
    assert "Phòng Nông nghiệp và PTNT: lĩnh vực nổi trội Sản xuất" in lines
    report = check_ownership(session, demo.district, 2025, model_set)
    assert report.fields_unowned == ["Y tế", "Chuyển đổi số", "Khác"]
    assert "4" not in [i.code for i in report.unowned] and report.shared == []


def test_smart_hamlet_models_are_named_not_counted(session: Session, demo: DemoData) -> None:
    dossier = registered(session, demo, "Kim Đồng", "san-xuat")
    officer = demo.users["xa.kimdong"]
    first, second = demo.hamlets["Kim Đồng"]
    named = (
        c.SmartHamlet(first.id, "Mật ong bạc hà", "postmart.vn"),
        c.SmartHamlet(first.id, "Miến dong", "Trang Facebook của HTX"),
        c.SmartHamlet(second.id, "Trà hoa vàng", "voso.vn"),
    )
    event = handle(
        session,
        officer,
        at(MARCH, 2),
        c.RecordModelConditions(dossier_id=dossier.id, **conditions(demo, "Kim Đồng", smart_hamlets=named)),  # type: ignore[arg-type]
    ).event
    assert event is not None
    assert [(s["hamlet"], s["product"], s["sold_on"]) for s in event.payload["smart_hamlets"]] == [
        (first.name, "Mật ong bạc hà", "postmart.vn"),
        (first.name, "Miến dong", "Trang Facebook của HTX"),
        (second.name, "Trà hoa vàng", "voso.vn"),
    ]
    assert event.payload["smart_hamlet_models"] == 2  # two hamlets, three products
    rows = session.scalars(select(SmartHamletModel).where(SmartHamletModel.dossier_id == dossier.id)).all()
    assert {(r.hamlet_unit_id, r.product) for r in rows} == {(s.hamlet_id, s.product) for s in named}

    def refused(**overrides: object) -> str:
        with pytest.raises(GuardFailed) as error:
            handle(
                session,
                officer,
                at(MARCH, 3),
                c.RecordModelConditions(dossier_id=dossier.id, **conditions(demo, "Kim Đồng", **overrides)),  # type: ignore[arg-type]
            )
        return str(error.value)

    elsewhere = demo.hamlets["Đức Long"][0]
    assert "không phải thôn của Kim Đồng" in refused(smart_hamlets=(c.SmartHamlet(elsewhere.id, "Chè", "web"),))
    assert "không phải thôn của Kim Đồng" in refused(smart_hamlets=(c.SmartHamlet(dossier.unit_id, "Chè", "web"),))
    assert "ghi sản phẩm và nơi bán trực tuyến" in refused(smart_hamlets=(c.SmartHamlet(first.id, "Chè", "  "),))
    twice = (c.SmartHamlet(first.id, "Chè", "a"), c.SmartHamlet(first.id, "chè", "b"))
    assert f"thôn {first.name} đã có sản phẩm «chè»" in refused(smart_hamlets=twice)
    # a bare count is not evidence
    assert "số mô hình thôn thông minh (3) khác số thôn đã nêu (0)" in refused(smart_hamlets=(), smart_hamlet_models=3)
    # nothing of the refused calls was kept
    kept = session.scalars(select(SmartHamletModel).where(SmartHamletModel.dossier_id == dossier.id)).all()
    assert len(kept) == 3

    # without a model the kiểu mẫu condition is not met: submission names it
    handle(
        session,
        officer,
        at(MARCH, 4),
        c.RecordModelConditions(dossier_id=dossier.id, **conditions(demo, "Kim Đồng", smart_hamlets=())),  # type: ignore[arg-type]
    )
    assert session.scalars(select(SmartHamletModel).where(SmartHamletModel.dossier_id == dossier.id)).all() == []


def test_a_returned_dossier_keeps_its_outstanding_field(session: Session, demo: DemoData) -> None:
    """The field's criterion went to its department at submission: changing the field while supplementing would
    leave it with nobody (or the wrong department) appraising it."""
    dossier = submitted(session, demo, "Canh Tân", "san-xuat")
    now = at(MARCH, 30)
    reason = {"4": "Chưa có hồ sơ chứng minh sản xuất nổi trội (chuỗi liên kết)."}
    handle(session, demo.users["phong.nn-ptnt"], now, c.ReturnIndicators(dossier_id=dossier.id, reasons=reason))
    handle(session, demo.users["dieuphoi.thachan"], now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "returned"
    officer = demo.users["xa.canhtan"]
    with pytest.raises(GuardFailed, match="đã nộp với lĩnh vực nổi trội «san-xuat»"):
        handle(
            session,
            officer,
            at(now, 1),
            c.RecordModelConditions(dossier_id=dossier.id, **conditions(demo, "Canh Tân", outstanding_field="du-lich")),  # type: ignore[arg-type]
        )
    handle(
        session,
        officer,
        at(now, 1),
        c.RecordModelConditions(dossier_id=dossier.id, **conditions(demo, "Canh Tân", outstanding_field="san-xuat")),  # type: ignore[arg-type]
    )
    assert dossier.outstanding_field == "san-xuat"
