"""Periodic reports written and submitted in the system, who has reported, and the consolidated report.

A commune (or a department) opens the report of a period as a draft, writes its sections and the
figures of the watched indicators, then submits it once (the page asks for a confirmation). Submitting
records the `ReportSubmission` that meets the deadline obligation (`dossiers.reports.record_report_submission`,
the same row the CLI records) and marks the report late when it was submitted at or after the moment it
fell due. Where each report stands — not yet due, on time, late, missing — is `workflow.reporting`'s rule.

The rules in force for a unit come from the caller (`RulesFor`, e.g. `dossiers.planning.rules.RuleBook.rules`,
which applies a province's own dates); by default the regime's rules without overrides.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.access import person_of
from dossiers.models import (
    Department,
    Ownership,
    PeriodicReport,
    ReportState,
    ReportSubmission,
    Unit,
    User,
    WatchedIndicator,
    WatchedValue,
)
from dossiers.planning.watch import record_watched_values, watch_list
from dossiers.reports import record_report_submission
from dossiers.territory import Place, Territory, load_territory, load_territory_below
from workflow import permissions
from workflow.deadlines import DeadlineRule, ObligorKind, Occurrence, RuleError, resolve_rules
from workflow.errors import NotPermitted, WorkflowError
from workflow.regimes import regime_for_year
from workflow.reporting import ReportStatus, StatusCount, classify_report, reference_month
from workflow.thresholds import parse_threshold

#: the sections of a report, as the seed plans ask for them: results (seed 004, mục 19: "báo cáo kết quả
#: thực hiện chương trình"), difficulties (seed 000: "báo cáo khó khăn, vướng mắc để có giải pháp tháo gỡ")
#: and proposals (seed 002, mục IV "Đề xuất, kiến nghị")
SECTIONS: tuple[tuple[str, str], ...] = (
    ("results", "Kết quả thực hiện"),
    ("difficulties", "Khó khăn, vướng mắc"),
    ("proposals", "Đề xuất, kiến nghị"),
)
SECTION_MAX_CHARS = 20_000
#: the years a report may be for (the programme's, with room on both sides)
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: the reports a unit writes in the system: a commune's (or town's), and a district's own to the province
UNIT_REPORT_CODES = (
    "report-monthly",
    "report-quarterly",
    "report-half-year",
    "report-yearly",
    "district-report-quarterly",
)

RulesFor = Callable[[tuple[int, ...], int], Mapping[str, DeadlineRule]]


def regime_rules(chain: tuple[int, ...], year: int) -> Mapping[str, DeadlineRule]:
    """The regime's rules of `year`, without any province's override: callers that serve people pass
    `dossiers.planning.rules.RuleBook.load(session).rules`, which adds the dates a province's or district's own
    plan set (dossiers/data/deadlines/plan-dates.yaml)."""
    return resolve_rules((), regime_for_year(year).deadline_rules)


class ReportError(WorkflowError):
    """A report that cannot be opened, saved or submitted; the message says why, in Vietnamese."""

    code: ClassVar[str] = "report_invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)

    @property
    def params(self) -> dict[str, Any]:
        return {"field": self.field, "detail": self.message}


class StaleReportError(WorkflowError):
    """Someone changed the report since the page was read: nothing was recorded."""

    code: ClassVar[str] = "stale_report"

    def __init__(self, report_id: int) -> None:
        self.report_id = report_id
        super().__init__("Báo cáo vừa được người khác thay đổi; nội dung chưa được ghi nhận, vui lòng tải lại.")

    @property
    def params(self) -> dict[str, Any]:
        return {"report_id": self.report_id}


@dataclass(frozen=True)
class ReportLine:
    """One period a unit (or a department) owes a report for, and where it stands."""

    rule: DeadlineRule
    occurrence: Occurrence
    status: ReportStatus
    report: PeriodicReport | None
    submitted_at: dt.datetime | None
    unit_id: int | None = None
    department_id: int | None = None
    obligor_name: str = ""


def _period_year(period: str) -> int:
    if len(period) < 4 or not period[:4].isdigit() or not FIRST_YEAR <= int(period[:4]) <= LAST_YEAR:
        raise ReportError(
            f"Kỳ báo cáo «{period[:20]}» không hợp lệ (ví dụ: 2025-03, 2025-Q3, 2025-H1, 2025).", "period"
        )
    return int(period[:4])


def _occurrence(rule: DeadlineRule, period: str) -> Occurrence:
    for occurrence in rule.occurrences(_period_year(period)):
        if occurrence.period == period:
            return occurrence
    raise ReportError(f"{rule.title} không có kỳ «{period[:20]}».", "period")


# --- what a unit or a department owes ----------------------------------------------------------------------


def _applies_to_unit(rule: DeadlineRule, unit_kind: str) -> bool:
    return rule.obligor == ObligorKind.UNIT and rule.enabled and unit_kind in rule.unit_kinds


def unit_report_lines(
    session: Session, unit: Unit, year: int, now: dt.datetime, rules_for: RulesFor = regime_rules
) -> list[ReportLine]:
    """Every report period of `year` the unit owes (`UNIT_REPORT_CODES`), by due date, with its status."""
    territory = load_territory(session, [unit.id])
    rules = rules_for(territory.authority_chain(unit.id), year)
    reports = {
        (r.obligation_code, r.period): r
        for r in session.scalars(
            select(PeriodicReport).where(PeriodicReport.unit_id == unit.id, PeriodicReport.period.like(f"{year}%"))
        )
    }
    submitted = {
        (code, period): at
        for code, period, at in session.execute(
            select(ReportSubmission.obligation_code, ReportSubmission.period, ReportSubmission.submitted_at).where(
                ReportSubmission.unit_id == unit.id, ReportSubmission.period.like(f"{year}%")
            )
        )
    }
    lines: list[ReportLine] = []
    for code in UNIT_REPORT_CODES:
        rule = rules.get(code)
        if rule is None or not _applies_to_unit(rule, unit.kind):
            continue
        for occurrence in rule.occurrences(year):
            if not unit.is_valid_on(occurrence.last_day):
                continue
            at = submitted.get((code, occurrence.period))
            lines.append(
                ReportLine(
                    rule=rule,
                    occurrence=occurrence,
                    status=classify_report(occurrence, at, now),
                    report=reports.get((code, occurrence.period)),
                    submitted_at=at,
                    unit_id=unit.id,
                    obligor_name=unit.name,
                )
            )
    lines.sort(key=lambda line: (line.occurrence.before, line.rule.code))
    return lines


def department_report_lines(
    session: Session, department: Department, year: int, now: dt.datetime, rules_for: RulesFor = regime_rules
) -> list[ReportLine]:
    """The reports a department owes in `year` (rules whose obligor is a department), with their status."""
    territory = load_territory(session, [department.unit_id])
    rules = rules_for(territory.authority_chain(department.unit_id), year)
    owns = (
        session.scalars(
            select(Ownership.id).where(Ownership.department_id == department.id, Ownership.year == year).limit(1)
        ).first()
        is not None
    )
    reports = {
        (r.obligation_code, r.period): r
        for r in session.scalars(
            select(PeriodicReport).where(
                PeriodicReport.department_id == department.id, PeriodicReport.period.like(f"{year}%")
            )
        )
    }
    submitted = {
        (code, period): at
        for code, period, at in session.execute(
            select(ReportSubmission.obligation_code, ReportSubmission.period, ReportSubmission.submitted_at).where(
                ReportSubmission.department_id == department.id, ReportSubmission.period.like(f"{year}%")
            )
        )
    }
    unit = department.unit
    lines: list[ReportLine] = []
    for rule in rules.values():
        if rule.obligor != ObligorKind.DEPARTMENT or not rule.enabled or unit.kind not in rule.unit_kinds:
            continue
        if rule.requires_ownership and not owns:
            continue
        for occurrence in rule.occurrences(year):
            if not unit.is_valid_on(occurrence.last_day):
                continue
            at = submitted.get((rule.code, occurrence.period))
            lines.append(
                ReportLine(
                    rule=rule,
                    occurrence=occurrence,
                    status=classify_report(occurrence, at, now),
                    report=reports.get((rule.code, occurrence.period)),
                    submitted_at=at,
                    department_id=department.id,
                    obligor_name=department.name,
                )
            )
    lines.sort(key=lambda line: (line.occurrence.before, line.rule.code))
    return lines


# --- writing and submitting -------------------------------------------------------------------------------


def _check_may_report(actor: User, unit: Unit | None, department: Department | None, action: str) -> None:
    if not permissions.may_report(
        person_of(actor), unit_id=unit.id if unit else None, department_id=department.id if department else None
    ):
        owner = unit.name if unit is not None else department.name if department is not None else ""
        raise NotPermitted(action, f"{actor.full_name} không phụ trách báo cáo của {owner}")


def _rule_for(
    session: Session, code: str, period: str, unit: Unit | None, department: Department | None, rules_for: RulesFor
) -> DeadlineRule:
    anchor = unit.id if unit is not None else department.unit_id if department is not None else None
    if anchor is None or (unit is None) == (department is None):
        raise ReportError("Cần đúng một đơn vị hoặc một phòng, ban lập báo cáo.", "obligor")
    rules = rules_for(load_territory(session, [anchor]).authority_chain(anchor), _period_year(period))
    rule = rules.get(code)
    if rule is None or rule.obligor not in (ObligorKind.UNIT, ObligorKind.DEPARTMENT):
        raise ReportError(f"«{code[:60]}» không phải một loại báo cáo định kỳ.", "code")
    if not rule.enabled:
        raise ReportError(f"{rule.title}: kế hoạch năm {period[:4]} không yêu cầu báo cáo này.", "code")
    if unit is not None and not _applies_to_unit(rule, unit.kind):
        raise ReportError(f"{rule.title} không do {unit.name} lập.", "code")
    if department is not None and (
        rule.obligor != ObligorKind.DEPARTMENT or department.unit.kind not in rule.unit_kinds
    ):
        raise ReportError(f"{rule.title} không do {department.name} lập.", "code")
    return rule


def open_report(
    session: Session,
    actor: User,
    now: dt.datetime,
    *,
    code: str,
    period: str,
    unit: Unit | None = None,
    department: Department | None = None,
    rules_for: RulesFor = regime_rules,
) -> PeriodicReport:
    """The report of `period` for the unit (or department): the existing one, or a new draft; flushes.

    Its due instant is fixed now from the rule in force (the province's own date when it set one).
    """
    _check_may_report(actor, unit, department, "lập báo cáo định kỳ")
    rule = _rule_for(session, code, period, unit, department, rules_for)
    occurrence = _occurrence(rule, period)
    query = select(PeriodicReport).where(PeriodicReport.obligation_code == code, PeriodicReport.period == period)
    if unit is not None:
        query = query.where(PeriodicReport.unit_id == unit.id)
    elif department is not None:
        query = query.where(PeriodicReport.department_id == department.id)
    report = session.scalars(query).first()
    if report is not None:
        return report
    report = PeriodicReport(
        obligation_code=code,
        period=period,
        unit=unit,
        department=department,
        state=ReportState.DRAFT.value,
        sections={},
        due_at=occurrence.due_at,
        created_at=now,
        created_by_id=actor.id,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    return report


def report_occurrence(
    report: PeriodicReport, rules_for: RulesFor = regime_rules, chain: tuple[int, ...] = ()
) -> Occurrence:
    """The period's occurrence under the rules (its label and dates)."""
    rule = rules_for(chain, _period_year(report.period))[report.obligation_code]
    return _occurrence(rule, report.period)


def report_month(report: PeriodicReport, rules_for: RulesFor = regime_rules, chain: tuple[int, ...] = ()) -> dt.date:
    """The month whose watched figures the report carries (`workflow.reporting.reference_month`)."""
    year, month = reference_month(report_occurrence(report, rules_for, chain))
    return dt.date(year, month, 1)


def save_report(
    session: Session,
    actor: User,
    now: dt.datetime,
    report: PeriodicReport,
    *,
    expected_version: int,
    sections: Mapping[str, str],
    figures: Mapping[int, str] | None = None,
    rules_for: RulesFor = regime_rules,
) -> PeriodicReport:
    """Save a draft's sections and (for a unit) the watched figures of its month; flushes.

    Only a draft changes; `expected_version` must be the version the form was read at. A bad figure
    records nothing (neither the figures nor the sections).
    """
    _check_may_report(actor, report.unit, report.department, "lập báo cáo định kỳ")
    if report.state != ReportState.DRAFT:
        raise ReportError("Báo cáo đã nộp, không sửa được nữa.")
    if report.version != expected_version:
        raise StaleReportError(report.id)
    known = {key for key, _ in SECTIONS}
    unknown = set(sections) - known
    if unknown:
        raise ReportError(f"Mục không có trong báo cáo: {', '.join(sorted(unknown))[:100]}.", "sections")
    cleaned: dict[str, str] = {}
    for key, label in SECTIONS:
        text = (sections.get(key) or report.sections.get(key) or "").replace("\x00", "").strip()
        if len(text) > SECTION_MAX_CHARS:
            raise ReportError(f"Mục «{label}» dài quá {SECTION_MAX_CHARS:,} ký tự.".replace(",", "."), key)
        cleaned[key] = text
    if figures and any(text.strip() for text in figures.values()):
        if report.unit is None:
            raise ReportError("Chỉ báo cáo của xã mang số liệu chỉ tiêu theo dõi.", "figures")
        chain = load_territory(session, [report.unit.id]).authority_chain(report.unit.id)
        month = report_month(report, rules_for, chain)
        record_watched_values(session, actor, now, unit=report.unit, month=month, values=dict(figures), report=report)
    report.sections = cleaned
    report.updated_at = now
    session.flush()
    return report


def submit_report(
    session: Session,
    actor: User,
    now: dt.datetime,
    report: PeriodicReport,
    *,
    expected_version: int,
    document_ref: str | None = None,
) -> PeriodicReport:
    """Submit a draft, once: records the `ReportSubmission` meeting the obligation; marks it late when
    submitted at or after its due instant; flushes. A report with no result written is refused."""
    _check_may_report(actor, report.unit, report.department, "nộp báo cáo định kỳ")
    if report.state != ReportState.DRAFT:
        raise ReportError("Báo cáo đã được nộp.")
    if report.version != expected_version:
        raise StaleReportError(report.id)
    if not (report.sections.get("results") or "").strip():
        raise ReportError("Chưa viết mục «Kết quả thực hiện»: báo cáo chưa nộp được.", "results")
    ref = (document_ref or "").replace("\x00", "").strip() or None
    if ref is not None and len(ref) > 200:
        raise ReportError("Số, ngày văn bản báo cáo dài quá 200 ký tự.", "document_ref")
    try:
        submission = record_report_submission(
            session,
            actor,
            now,
            code=report.obligation_code,
            period=report.period,
            unit=report.unit,
            department=report.department,
            document_ref=ref,
            note=f"Báo cáo lập trên hệ thống (số {report.id})",
        )
    except RuleError as exc:
        raise ReportError(str(exc)) from None
    report.state = ReportState.SUBMITTED.value
    report.submitted_at = now
    report.submitted_by_id = actor.id
    report.submission = submission
    report.late = now >= report.due_at
    report.updated_at = now
    session.flush()
    return report


# --- the coordinator's view -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObligorRow:
    """One commune of the area for one period: its status and its report (if it wrote one here)."""

    place: Place
    status: ReportStatus
    submitted_at: dt.datetime | None
    report: PeriodicReport | None


@dataclass
class PeriodOverview:
    """Who has reported for one period of one report rule, in an area."""

    rule: DeadlineRule
    occurrence: Occurrence
    rows: list[ObligorRow]
    count: StatusCount = field(default_factory=StatusCount)


def _communes_of(territory: Territory, area_id: int, kinds: Sequence[str], day: dt.date) -> list[Place]:
    return sorted(
        (
            territory[uid]
            for uid in territory.descendant_ids(area_id)
            if territory[uid].kind in kinds and territory.is_valid_on(uid, day)
        ),
        key=lambda p: (p.name, p.id),
    )


def period_overview(
    session: Session, area: Unit, code: str, period: str, now: dt.datetime, rules_for: RulesFor = regime_rules
) -> PeriodOverview:
    """For the communes of `area` that owe report `code` for `period`: who reported on time, late, who is
    missing, who is not yet due. Queries: the area's tree (one per level), reports and submissions (one each)."""
    if code not in UNIT_REPORT_CODES:
        raise ReportError(f"«{code[:60]}» không phải báo cáo định kỳ của xã.", "code")
    territory = load_territory_below(session, area.id)
    year = _period_year(period)
    rule = rules_for(territory.authority_chain(area.id), year)[code]
    occurrence = _occurrence(rule, period)
    places = [
        p
        for p in _communes_of(territory, area.id, rule.unit_kinds, occurrence.last_day)
        if _applies_to_unit(rules_for(territory.authority_chain(p.id), year)[code], p.kind)
    ]
    ids = [p.id for p in places]
    reports = {
        r.unit_id: r
        for r in session.scalars(
            select(PeriodicReport).where(
                PeriodicReport.obligation_code == code, PeriodicReport.period == period, PeriodicReport.unit_id.in_(ids)
            )
        )
    }
    submitted = dict(
        session.execute(
            select(ReportSubmission.unit_id, ReportSubmission.submitted_at).where(
                ReportSubmission.obligation_code == code,
                ReportSubmission.period == period,
                ReportSubmission.unit_id.in_(ids),
            )
        ).all()
    )
    rows = []
    for place in places:
        at = submitted.get(place.id)
        unit_rule = rules_for(territory.authority_chain(place.id), year)[code]
        status = classify_report(_occurrence(unit_rule, period), at, now)
        rows.append(ObligorRow(place, status, at, reports.get(place.id)))
    return PeriodOverview(rule, occurrence, rows, StatusCount.of([row.status for row in rows]))


@dataclass(frozen=True)
class FigureSummary:
    """One watched indicator across the reports of a period: how many gave it, total, average, how many below."""

    indicator: WatchedIndicator
    reported: int
    total: float | None
    average: float | None
    below: int
    #: the threshold applied to the average
    average_met: bool | None


@dataclass
class Consolidated:
    """The consolidated report of a period: the overview, the figures summed / averaged, the narratives per unit."""

    overview: PeriodOverview
    month: dt.date
    figures: list[FigureSummary]
    #: section key → [(unit name, text)] from the submitted reports, in the overview's order
    narratives: dict[str, list[tuple[str, str]]]
    #: (unit id, indicator id) → the value
    values: dict[tuple[int, int], WatchedValue]
    indicators: list[WatchedIndicator]


def consolidate(
    session: Session, area: Unit, code: str, period: str, now: dt.datetime, rules_for: RulesFor = regime_rules
) -> Consolidated:
    """The period's consolidated report, from the reports submitted by `now` (drafts are left out)."""
    overview = period_overview(session, area, code, period, now, rules_for)
    year, month_number = reference_month(overview.occurrence)
    month = dt.date(year, month_number, 1)
    submitted_rows = [row for row in overview.rows if row.status in (ReportStatus.ON_TIME, ReportStatus.LATE)]
    territory = load_territory(session, [area.id])
    indicators = watch_list(session, territory, area.id, year) if overview.rows else []
    unit_ids = [row.place.id for row in submitted_rows]
    values: dict[tuple[int, int], WatchedValue] = {}
    if indicators and unit_ids:
        for value in session.scalars(
            select(WatchedValue).where(
                WatchedValue.unit_id.in_(unit_ids),
                WatchedValue.month == month,
                WatchedValue.watched_indicator_id.in_([i.id for i in indicators]),
            )
        ):
            values[value.unit_id, value.watched_indicator_id] = value
    figures = []
    for indicator in indicators:
        numbers = [values[uid, indicator.id] for uid in unit_ids if (uid, indicator.id) in values]
        total = sum(v.value for v in numbers) if numbers else None
        average = total / len(numbers) if total is not None and numbers else None
        threshold = parse_threshold(indicator.threshold)
        average_met = threshold.reached_by(average) if threshold is not None and average is not None else None
        figures.append(
            FigureSummary(
                indicator=indicator,
                reported=len(numbers),
                total=total,
                average=average,
                below=sum(1 for v in numbers if not v.met),
                average_met=average_met,
            )
        )
    narratives: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in submitted_rows:
        if row.report is None:
            continue
        for key, _ in SECTIONS:
            text = (row.report.sections.get(key) or "").strip()
            if text:
                narratives[key].append((row.place.name, text))
    return Consolidated(overview, month, figures, dict(narratives), values, indicators)
