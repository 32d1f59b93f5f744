"""A commune writes and submits its periodic report; the district sees who reported, who is late, who is missing,
and the consolidated report sums and averages the figures and gathers the narratives per commune."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.models import ReportSubmission, WatchedIndicator, WatchedValue
from dossiers.planning.reports import (
    ReportError,
    StaleReportError,
    consolidate,
    department_report_lines,
    open_report,
    period_overview,
    save_report,
    submit_report,
    unit_report_lines,
)
from dossiers.planning.rules import RuleBook
from dossiers.planning.watch import WatchError, builtin_watch_files, load_watch_file
from tests.notifications.world import World, at, build_world
from workflow.errors import NotPermitted
from workflow.reporting import ReportStatus, StatusCount

NOW = at(dt.date(2025, 9, 1))


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, NOW, communes=("Lê Lai", "Đức Long", "Kim Đồng"))


@pytest.fixture
def indicators(session: Session, world: World) -> list[WatchedIndicator]:
    rows = [
        WatchedIndicator(
            authority_unit_id=world.province.id, year=2025, code=code, name=name, measure="percentage",
            threshold=threshold, source="Seed 000", confidence="verified", position=i,
        )
        for i, (code, name, threshold) in enumerate(
            (("bhyt", "Bảo hiểm y tế", "≥ 85%"), ("nuoc-sach", "Nước sạch", "≥ 65%"))
        )
    ]  # fmt: skip
    session.add_all(rows)
    session.flush()
    return rows


def _write(
    session: Session, world: World, indicators: list[WatchedIndicator], who: str, commune: str, when: dt.datetime,
    figures: tuple[str, str], results: str,
) -> None:  # fmt: skip
    unit = world.communes[commune]
    report = open_report(session, world.users[who], when, code="report-quarterly", period="2025-Q3", unit=unit)
    save_report(
        session, world.users[who], when, report, expected_version=report.version,
        sections={"results": results, "difficulties": f"Khó khăn của {commune}", "proposals": ""},
        figures={indicators[0].id: figures[0], indicators[1].id: figures[1]},
    )  # fmt: skip
    submit_report(session, world.users[who], when, report, expected_version=report.version, document_ref="Số 1/BC")


def test_draft_then_submit_on_time_and_late(session: Session, world: World, indicators: list[WatchedIndicator]) -> None:
    le_lai = world.communes["Lê Lai"]
    officer = world.users["xa0.0"]
    report = open_report(session, officer, NOW, code="report-quarterly", period="2025-Q3", unit=le_lai)
    assert report.state == "draft" and report.due_at == at(dt.date(2025, 9, 20), 0)
    # opening again gives the same draft
    assert open_report(session, officer, NOW, code="report-quarterly", period="2025-Q3", unit=le_lai) is report
    with pytest.raises(ReportError, match="Kết quả thực hiện"):
        submit_report(session, officer, NOW, report, expected_version=report.version)
    save_report(
        session, officer, NOW, report, expected_version=report.version, sections={"results": "Đạt 15/19 tiêu chí"},
        figures={indicators[0].id: "90", indicators[1].id: "70"},
    )  # fmt: skip
    with pytest.raises(StaleReportError):
        save_report(session, officer, NOW, report, expected_version=report.version - 1, sections={"results": "x"})
    # the figures of a report are those of the month it falls due: September
    values = session.scalars(select(WatchedValue).order_by(WatchedValue.id)).all()
    assert [(v.month, v.text, v.met, v.report_id) for v in values] == [
        (dt.date(2025, 9, 1), "90", True, report.id),
        (dt.date(2025, 9, 1), "70", True, report.id),
    ]
    submit_report(session, officer, at(dt.date(2025, 9, 19), 23, 59), report, expected_version=report.version)
    assert report.state == "submitted" and report.late is False
    assert report.submission is not None and report.submission.obligation_code == "report-quarterly"
    with pytest.raises(ReportError, match="đã được nộp"):
        submit_report(session, officer, NOW, report, expected_version=report.version)
    with pytest.raises(ReportError, match="không sửa"):
        save_report(session, officer, NOW, report, expected_version=report.version, sections={"results": "khác"})

    late = open_report(session, officer, NOW, code="report-monthly", period="2025-08", unit=le_lai)
    save_report(session, officer, NOW, late, expected_version=late.version, sections={"results": "Tháng 8"})
    submit_report(session, officer, NOW, late, expected_version=late.version)
    assert late.late is True

    lines = {
        (line.rule.code, line.occurrence.period): line.status for line in unit_report_lines(session, le_lai, 2025, NOW)
    }
    assert lines["report-monthly", "2025-08"] == ReportStatus.LATE
    assert lines["report-monthly", "2025-07"] == ReportStatus.MISSING
    assert lines["report-quarterly", "2025-Q3"] == ReportStatus.NOT_DUE  # submitted on 19/09, after NOW (1/9)
    assert lines["report-half-year", "2025-H1"] == ReportStatus.MISSING
    assert lines["report-yearly", "2025"] == ReportStatus.NOT_DUE
    assert len(lines) == 12 + 4 + 1 + 1


def test_who_may_write_and_bad_input(session: Session, world: World, indicators: list[WatchedIndicator]) -> None:
    le_lai = world.communes["Lê Lai"]
    with pytest.raises(NotPermitted):
        open_report(session, world.users["xa1.0"], NOW, code="report-quarterly", period="2025-Q3", unit=le_lai)
    for code, period in (
        ("report-quarterly", "2025-Q5"), ("report-quarterly", "xx"), ("appraisal", "2025"), ("report-yearly", "0000"),
        ("report-yearly", "9999"),
    ):  # fmt: skip
        with pytest.raises(ReportError):
            open_report(session, world.users["xa0.0"], NOW, code=code, period=period, unit=le_lai)
    report = open_report(session, world.users["xa0.0"], NOW, code="report-quarterly", period="2025-Q3", unit=le_lai)
    with pytest.raises(WatchError):
        save_report(
            session, world.users["xa0.0"], NOW, report, expected_version=report.version,
            sections={"results": "ok"}, figures={indicators[0].id: "120"},
        )  # fmt: skip
    with pytest.raises(ReportError):
        save_report(session, world.users["xa0.0"], NOW, report, expected_version=report.version, sections={"x": "y"})
    assert session.scalar(select(func.count()).select_from(WatchedValue)) == 0
    assert report.sections == {}
    assert session.scalar(select(func.count()).select_from(ReportSubmission)) == 0


def test_the_district_sees_who_reported_and_the_consolidated_report(
    session: Session, world: World, indicators: list[WatchedIndicator]
) -> None:
    _write(session, world, indicators, "xa0.0", "Lê Lai", at(dt.date(2025, 9, 15)), ("90", "70"), "Lê Lai: 16 tiêu chí")
    _write(session, world, indicators, "xa1.0", "Đức Long", at(dt.date(2025, 9, 22)), ("80", "60"), "Đức Long: 14")
    after = at(dt.date(2025, 9, 25))
    overview = period_overview(session, world.district, "report-quarterly", "2025-Q3", after)
    assert [(row.place.name, row.status) for row in overview.rows] == [
        ("Kim Đồng", ReportStatus.MISSING),
        ("Lê Lai", ReportStatus.ON_TIME),
        ("Đức Long", ReportStatus.LATE),
    ]
    assert overview.count == StatusCount(on_time=1, late=1, missing=1)
    before = period_overview(session, world.district, "report-quarterly", "2025-Q3", at(dt.date(2025, 9, 16)))
    assert before.count == StatusCount(on_time=1, not_due=2)

    summary = consolidate(session, world.district, "report-quarterly", "2025-Q3", after)
    assert summary.month == dt.date(2025, 9, 1)
    by_code = {f.indicator.code: f for f in summary.figures}
    assert (by_code["bhyt"].reported, by_code["bhyt"].total, by_code["bhyt"].average) == (2, 170.0, 85.0)
    assert by_code["bhyt"].below == 1 and by_code["bhyt"].average_met is True
    assert (by_code["nuoc-sach"].average, by_code["nuoc-sach"].below, by_code["nuoc-sach"].average_met) == (
        65.0, 1, True,
    )  # fmt: skip
    assert summary.narratives["results"] == [("Lê Lai", "Lê Lai: 16 tiêu chí"), ("Đức Long", "Đức Long: 14")]
    assert summary.narratives["difficulties"] == [
        ("Lê Lai", "Khó khăn của Lê Lai"),
        ("Đức Long", "Khó khăn của Đức Long"),
    ]
    assert "proposals" not in summary.narratives
    # the province sees the same communes, and Đông Khê directly under it
    province = period_overview(session, world.province, "report-quarterly", "2025-Q3", after)
    assert [row.place.name for row in province.rows] == ["Kim Đồng", "Lê Lai", "Đông Khê", "Đức Long"]


def test_the_watch_list_loads_from_its_file_and_refuses_a_bad_one(
    session: Session, world: World, tmp_path: Path
) -> None:
    loaded = load_watch_file(session, builtin_watch_files()[0])
    assert {(row.year, row.code, row.threshold) for row in loaded} >= {
        (2025, "nuoc-sach", "≥ 65%"),
        (2026, "bhyt", "≥ 85%"),
    }
    assert len(loaded) == 10
    # loading again updates in place
    assert {row.id for row in load_watch_file(session, builtin_watch_files()[0])} == {row.id for row in loaded}
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'authority: {code: "04", kind: province}\nyears: [2025]\nindicators:\n'
        '  - {code: x, name: X, measure: percentage, threshold: "Đạt", source: s, confidence: low}\n',
        encoding="utf-8",
    )
    with pytest.raises(WatchError, match="không so sánh được"):
        load_watch_file(session, bad)


def test_a_department_writes_its_report(session: Session, world: World) -> None:
    officer, department = world.users["so.tc"], world.province_department
    # the 10/12 report is seed 003's (Hải Dương): the world's province adopted it as its own date (an override),
    # which only the stored rules know (the regime's defaults leave it off outside the plans that set it)
    rules = RuleBook.load(session).rules
    lines = department_report_lines(session, department, 2025, NOW, rules)
    assert [(line.rule.code, line.occurrence.period, line.status) for line in lines] == [
        ("department-yearly-report", "2025", ReportStatus.NOT_DUE)
    ]
    report = open_report(
        session, officer, NOW, code="department-yearly-report", period="2025", department=department, rules_for=rules
    )
    with pytest.raises(ReportError, match="Chỉ báo cáo của xã"):
        save_report(
            session, officer, NOW, report, expected_version=report.version, sections={"results": "x"},
            figures={1: "70"},
        )  # fmt: skip
    save_report(session, officer, NOW, report, expected_version=report.version, sections={"results": "Đã hướng dẫn"})
    submit_report(session, officer, at(dt.date(2025, 12, 12)), report, expected_version=report.version)
    assert report.late is True and report.submission is not None and report.submission.department_id == department.id
    # a commune officer may not write it; a department may not write a commune's report
    with pytest.raises(NotPermitted):
        open_report(session, world.users["xa0.0"], NOW, code="department-yearly-report", period="2025",
                    department=department)  # fmt: skip
    with pytest.raises(ReportError):
        open_report(session, officer, NOW, code="report-monthly", period="2025-08", department=department)
    district_lines = department_report_lines(session, world.department, 2025, NOW, rules)
    assert [(line.rule.code, line.status) for line in district_lines] == [
        ("department-difficulties", ReportStatus.MISSING)
    ]
