"""Issue 10 acceptance: a commune entering 62 % where its commune group's threshold is 65 % sees "chưa đạt"
computed by the engine; its own "đạt" beside it is kept and the owning department sees the disagreement; a
value outside the measure's range is refused with a Vietnamese message and nothing is written."""

from __future__ import annotations

import datetime as dt
import html

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.handlers import handle
from dossiers.models import Assessment, AuditEvent, CriteriaSet, Criterion, Dossier, Indicator, Ownership
from tests.dossiers.procedure_world import BEFORE, World, build_world, later
from tests.web.accounts import _hash, sign_in
from tests.web.workspace_demo import version_in
from workflow.vocabulary import Confidence, Measure, RecognitionLevel

IN_2026 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
GROUPS = [{"code": f"nhom-{n}", "name": f"Nhóm {n}", "description": "thử"} for n in (1, 2, 3)]


def _dossier(session: Session, world: World) -> Dossier:
    """A 2026 commune dossier in self-assessment whose indicator 18.1 (piped clean water) has a threshold per
    commune group (the test's own figures); the commune is in group 2 (≥ 65 %)."""
    criteria_set = CriteriaSet(
        code="thu-do-luong", version=1, name="Bộ thử đo lường", levels=["commune-ntm"], legal_source="thử",
        period_start=2026, period_end=2030, effective_from=dt.date(2026, 2, 15), commune_groups=GROUPS,
        confidence=Confidence.HIGH, source_file="tests", content_sha256="1" * 64, loaded_at=IN_2026,
        criteria=[
            Criterion(number=18, name="Chất lượng môi trường sống", confidence=Confidence.HIGH, indicators=[
                Indicator(code="18.1", position=1, name="Tỷ lệ hộ dùng nước sạch từ công trình tập trung",
                          measure=Measure.PERCENTAGE, unit_of_measure="%", confidence=Confidence.HIGH,
                          thresholds={"default": "≥ 70%", "by_group": {"nhom-2": "≥ 65%"}, "source": "thử"}),
                Indicator(code="18.2", position=2, name="Có tổ tự quản vệ sinh", measure=Measure.YES_NO,
                          confidence=Confidence.HIGH, thresholds={"default": None}),
            ]),
        ],
    )  # fmt: skip
    session.add(criteria_set)
    session.flush()
    for indicator in criteria_set.indicators():
        session.add(
            Ownership(
                authority_unit_id=world.province.id,
                year=2026,
                indicator_id=indicator.id,
                department_id=world.province_departments["so-nn-mt"].id,
                source="tests",
            )
        )
    world.new_commune.commune_group = "nhom-2"
    register = c.Register(
        unit_id=world.new_commune.id, level=RecognitionLevel.COMMUNE_NTM, year=2026, criteria_set_id=criteria_set.id
    )
    dossier = handle(session, world.user("xa.moi"), IN_2026, register).opened()
    handle(session, world.user("dieuphoi.tinh"), later(IN_2026, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    for username in ("xa.moi", "so.so-nn-mt"):
        world.user(username).password_hash = _hash()
    session.commit()
    return dossier


def _save(client: FlaskClient, dossier_id: int, value: str, met: str = "1") -> tuple[int, str]:
    page = client.get(f"/ho-so/{dossier_id}").get_data(as_text=True)
    data = {
        "version": str(version_in(page, "form-criterion-18")),
        "criterion": "18",
        "met:18.1": met,
        "value:18.1": value,
        "note:18.1": "",
        "met:18.2": "1",
        "value:18.2": "Có",
        "note:18.2": "",
    }
    response = client.post(f"/ho-so/{dossier_id}/tu-danh-gia/bang", data=data, follow_redirects=True)
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_62_percent_against_the_groups_65_is_not_met_and_the_department_sees_the_disagreement(
    client: FlaskClient, session: Session
) -> None:
    world = build_world(session, BEFORE)
    dossier = _dossier(session, world)
    assert sign_in(client, "xa.moi") == 302

    # a percentage over 100 is refused, in Vietnamese, and nothing is written
    status, page = _save(client, dossier.id, "120 %")
    assert status == 422
    assert "Chỉ tiêu 18.1: tỷ lệ phải từ 0 đến 100 %, không phải 120 %" in page
    assert session.scalars(select(Assessment).where(Assessment.dossier_id == dossier.id)).all() == []

    # 62 % declared "đạt": the commune's judgement is kept, the engine computes "chưa đạt" beside it
    status, page = _save(client, dossier.id, "62 %")
    assert status == 200
    assert "Theo số liệu: chưa đạt" in page
    assert "≥ 65%" in page  # the group's threshold, not the default 70 %
    assessment = session.scalars(
        select(Assessment).join(Indicator).where(Assessment.dossier_id == dossier.id, Indicator.code == "18.1")
    ).one()
    assert (assessment.met, assessment.value) == (True, "62 %")
    # 18.2 has no known threshold: it stays the commune's judgement and says so
    assert "Chưa có ngưỡng: tự đánh giá" in page
    assert "chưa có ngưỡng để tính — do phòng phụ trách đánh giá" in page

    # the owning department opens the dossier and sees the disagreement
    client.post("/dang-xuat")
    assert sign_in(client, "so.so-nn-mt") == 302
    department_page = html.unescape(client.get(f"/ho-so/{dossier.id}").get_data(as_text=True))
    row = department_page[department_page.index('id="chi-tieu-18.1"') :]
    row = row[: row.index("</tr>")]
    assert "Theo số liệu: chưa đạt" in row
    assert "Tự đánh giá khác kết quả tính theo ngưỡng" in row

    # the audit log keeps what the commune entered
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.dossier_id == dossier.id, AuditEvent.action == "record_assessment")
    ).all()
    assert [event.payload["changes"][0]["new"]["value"] for event in events] == ["62 %"]


def test_reaching_the_groups_threshold_agrees_with_the_commune(client: FlaskClient, session: Session) -> None:
    world = build_world(session, BEFORE)
    dossier = _dossier(session, world)
    assert sign_in(client, "xa.moi") == 302
    status, page = _save(client, dossier.id, "66,5 %")
    assert status == 200
    row = page[page.index('id="chi-tieu-18.1"') :]
    row = row[: row.index("</tr>")]
    assert "Theo số liệu: đạt" in row
    assert "Tự đánh giá khác" not in row
