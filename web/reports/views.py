"""`/bao-cao`: a commune's (or department's) periodic reports — the periods it owes, writing and submitting;
`/bao-cao/tong-hop`: who has reported in an area, the consolidated report, its .xlsx and a printable page;
`/chi-tieu-theo-doi`: the watched indicators' monthly values, a chart each, and the form to record them.

Thin: parse, call one service of `dossiers.planning`, commit once, render. Rules in force come from the
stored overrides (`dossiers.planning.rules.RuleBook`), so a province's own dates count here as in reminders.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from dossiers.access import load_actor, overseen_area, person_of
from dossiers.dashboard import AREA_KINDS
from dossiers.models import Department, PeriodicReport, ReportState, Unit, User
from dossiers.planning.reports import (
    SECTIONS,
    UNIT_REPORT_CODES,
    ReportLine,
    RulesFor,
    consolidate,
    department_report_lines,
    open_report,
    report_month,
    report_occurrence,
    save_report,
    submit_report,
    unit_report_lines,
)
from dossiers.planning.rules import RuleBook, load_calendar
from dossiers.planning.watch import first_of_month, record_watched_values, series_of, watch_list
from dossiers.territory import load_territory, load_territory_below
from notifications.obligations import unit_label
from web.clock import request_now
from web.messages import _, describe
from web.reports.charts import STATUS_COLOURS, indicator_chart, status_chart
from web.reports.xlsx import workbook
from web.session import request_session
from web.workspace.views import signed_in_user
from workflow import permissions
from workflow.calendar import local_date
from workflow.deadlines import default_rule
from workflow.errors import NotFound, NotPermitted, WorkflowError
from workflow.reporting import REPORT_STATUS_LABELS, ReportStatus, working_days_late
from workflow.vocabulary import Role, UnitKind

bp = Blueprint("reports", __name__)

Page = str | tuple[str, int]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR, LAST_YEAR = 2000, 2100
_ID = re.compile(r"^\d{1,9}$")
_MONTH = re.compile(r"^(\d{1,2})/(\d{4})$")
REPORT_ROLES = permissions.REPORTING_ROLES


def _id(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if _ID.match(text) else None


def _year(now: dt.datetime) -> tuple[int, str | None]:
    year = local_date(now).year
    raw = request.args.get("nam", "").strip()
    if not raw:
        return year, None
    if raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR:
        return int(raw), None
    return year, _(
        "The year must be a number from %(first)s to %(last)s; showing %(year)s.",
        first=FIRST_YEAR,
        last=LAST_YEAR,
        year=year,
    )


def _rules(session: Session) -> RulesFor:
    return RuleBook.load(session).rules


def _reporting_units(user: User) -> list[Unit]:
    """The units whose reports the person writes (officer or chairman of the unit)."""
    found = {a.unit.id: a.unit for a in user.roles if a.role in REPORT_ROLES and a.unit is not None}
    return sorted(found.values(), key=lambda u: (u.name, u.id))


def _reporting_departments(user: User) -> list[Department]:
    found = {
        a.department.id: a.department
        for a in user.roles
        if a.role == Role.DEPARTMENT_OFFICER and a.department is not None
    }
    return sorted(found.values(), key=lambda d: (d.name, d.id))


# --- my reports ---------------------------------------------------------------------------------------------


@dataclass
class Obligor:
    name: str
    field: str
    ident: int
    lines: list[ReportLine]


def _my_reports(status: int = 200, error: str | None = None) -> Page:
    session, now, user = request_session(), request_now(), signed_in_user()
    year, year_error = _year(now)
    rules = _rules(session)
    obligors = [
        Obligor(unit_label(unit), "don-vi", unit.id, unit_report_lines(session, unit, year, now, rules))
        for unit in _reporting_units(user)
    ]
    obligors += [
        Obligor(d.name, "phong", d.id, department_report_lines(session, d, year, now, rules))
        for d in _reporting_departments(user)
    ]
    html = render_template(
        "reports_mine.html",
        obligors=[o for o in obligors if o.lines],
        year=year,
        error=error or year_error,
        status_labels=REPORT_STATUS_LABELS,
        today=local_date(now),
    )
    if year_error and status == 200:
        status = 422
    return (html, status) if status != 200 else html


@bp.get("/bao-cao")
@login_required
def my_reports() -> Page:
    return _my_reports()


@bp.post("/bao-cao/moi")
@login_required
def open_period() -> Page | Response:
    session, now, user = request_session(), request_now(), signed_in_user()
    code = request.form.get("code", "").strip()[:60]
    period = request.form.get("period", "").strip()[:20]
    unit_id, department_id = _id(request.form.get("don-vi")), _id(request.form.get("phong"))
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    department = session.get(Department, department_id) if department_id is not None else None
    if (unit is None) == (department is None):
        return _my_reports(422, _("Choose a report period from the list."))
    try:
        report = open_report(
            session, user, now, code=code, period=period, unit=unit, department=department, rules_for=_rules(session)
        )
    except WorkflowError as exc:
        session.rollback()
        return _my_reports(403 if isinstance(exc, NotPermitted) else 422, describe(exc))
    session.commit()
    return redirect(url_for(".report", report_id=report.id))


# --- one report ---------------------------------------------------------------------------------------------


def _load_report(report_id: int) -> tuple[PeriodicReport, bool]:
    """The report and whether the person may write it; 404 when they may not even read it."""
    session, now, user = request_session(), request_now(), signed_in_user()
    report = session.scalars(
        select(PeriodicReport)
        .options(selectinload(PeriodicReport.unit), selectinload(PeriodicReport.department))
        .where(PeriodicReport.id == report_id)
    ).first()
    if report is None:
        abort(404)
    writes = permissions.may_report(person_of(user), unit_id=report.unit_id, department_id=report.department_id)
    if writes:
        return report, True
    anchor = report.unit_id if report.unit_id is not None else report.department.unit_id if report.department else None
    if anchor is None:
        abort(404)
    actor = load_actor(session, user, now)
    if not permissions.may_oversee(actor, load_territory(session, [anchor]).scope_ids(anchor)):
        abort(404)  # a report outside what the person oversees: not found, so the URL tells nothing
    return report, False


def _report_page(
    report: PeriodicReport,
    writes: bool,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Page:
    session = request_session()
    rules = _rules(session)
    anchor = report.unit_id if report.unit_id is not None else report.department.unit_id if report.department else 0
    chain = load_territory(session, [anchor]).authority_chain(anchor)
    occurrence = report_occurrence(report, rules, chain)
    month = report_month(report, rules, chain)
    indicators, values = [], {}
    if report.unit is not None:
        territory = load_territory(session, [report.unit.id])
        indicators = watch_list(session, territory, report.unit.id, month.year)
        values = {
            indicator_id: by_month.get(month)
            for (indicator_id, _), by_month in series_of(session, indicators, [report.unit.id]).items()
        }
    html = render_template(
        "report.html",
        report=report,
        writes=writes and report.state == ReportState.DRAFT,
        rule=default_rule(report.obligation_code),
        occurrence=occurrence,
        month=month,
        sections=SECTIONS,
        indicators=indicators,
        values=values,
        error=error,
        form=form or {},
        obligor=unit_label(report.unit)
        if report.unit is not None
        else report.department.name
        if report.department
        else "",
    )
    return (html, status) if status != 200 else html


@bp.get("/bao-cao/<int:report_id>")
@login_required
def report(report_id: int) -> Page:
    found, writes = _load_report(report_id)
    return _report_page(found, writes)


def _form_version() -> int:
    raw = request.form.get("version", "").strip()
    return int(raw) if _ID.match(raw) else -1


@bp.post("/bao-cao/<int:report_id>/luu")
@login_required
def save(report_id: int) -> Page | Response:
    session, now, user = request_session(), request_now(), signed_in_user()
    found, writes = _load_report(report_id)
    form = {key: value[:30_000] for key, value in request.form.items()}
    if not writes:
        return _report_page(found, writes, 403, _("Only the officers of the unit write this report."), form)
    sections = {key: form.get(key, "") for key, _ in SECTIONS}
    figures: dict[int, str] = {}
    for key, value in form.items():
        if key.startswith("figure:"):
            indicator_id = _id(key.removeprefix("figure:"))
            if indicator_id is None:
                return _report_page(found, writes, 422, _("A figure was sent for no watched indicator."), form)
            figures[indicator_id] = value[:40]
    try:
        save_report(
            session, user, now, found, expected_version=_form_version(), sections=sections, figures=figures,
            rules_for=_rules(session),
        )  # fmt: skip
    except WorkflowError as exc:
        session.rollback()
        return _report_page(found, writes, 409 if exc.code == "stale_report" else 422, describe(exc), form)
    session.commit()
    flash("Đã lưu bản nháp báo cáo.", "success")
    return redirect(url_for(".report", report_id=found.id))


@bp.post("/bao-cao/<int:report_id>/nop")
@login_required
def submit(report_id: int) -> Page | Response:
    session, now, user = request_session(), request_now(), signed_in_user()
    found, writes = _load_report(report_id)
    if not writes:
        return _report_page(found, writes, 403, _("Only the officers of the unit submit this report."))
    if request.form.get("confirm") != "1":
        return _report_page(
            found, writes, 422, _("Tick the confirmation before submitting: a submitted report cannot be changed.")
        )
    try:
        submit_report(
            session, user, now, found, expected_version=_form_version(),
            document_ref=request.form.get("document_ref", "")[:300],
        )  # fmt: skip
    except WorkflowError as exc:
        session.rollback()
        return _report_page(found, writes, 409 if exc.code == "stale_report" else 422, describe(exc))
    session.commit()
    if found.late:
        flash("Đã nộp báo cáo. Báo cáo nộp sau hạn nên được ghi nhận là nộp muộn.", "warning")
    else:
        flash("Đã nộp báo cáo đúng hạn.", "success")
    return redirect(url_for(".report", report_id=found.id))


# --- the area's view ----------------------------------------------------------------------------------------


@dataclass
class OverviewChoice:
    area: Unit
    areas: list[Unit]
    code: str
    period: str
    periods: list[tuple[str, str]]
    errors: dict[str, str]


def _overview_choice() -> OverviewChoice:
    session, now = request_session(), request_now()
    actor = load_actor(session, signed_in_user(), now)
    raw_area = request.args.get("don-vi", "").strip()
    asked = (_id(raw_area) or 0) if raw_area else None
    try:
        area, areas = overseen_area(session, actor, asked, AREA_KINDS)
    except NotFound:
        abort(404)
    except NotPermitted:
        abort(403)
    errors: dict[str, str] = {}
    code = request.args.get("bao-cao", "report-monthly").strip()
    if code not in UNIT_REPORT_CODES:
        errors["bao-cao"] = _("The report type is not valid; showing the monthly report.")
        code = "report-monthly"
    today = local_date(now)
    year = today.year
    raw_period = request.args.get("ky", "").strip()
    if raw_period[:4].isdigit() and FIRST_YEAR <= int(raw_period[:4]) <= LAST_YEAR:
        year = int(raw_period[:4])
    occurrences = default_rule(code).occurrences(year)
    periods = [(o.period, o.label) for o in occurrences]
    past = [o for o in occurrences if o.last_day < today]
    period = (past[-1] if past else occurrences[0]).period
    if raw_period:
        if raw_period in {p for p, _ in periods}:
            period = raw_period
        else:
            errors["ky"] = _("The report period is not valid; showing period %(period)s.", period=period)
    return OverviewChoice(area, areas, code, period, periods, errors)


@bp.get("/bao-cao/tong-hop")
@login_required
def overview() -> Page:
    return _overview_page("reports_overview.html")


@bp.get("/bao-cao/tong-hop/in")
@login_required
def overview_print() -> Page:
    return _overview_page("reports_print.html")


def _overview_page(template: str) -> Page:
    session, now = request_session(), request_now()
    choice = _overview_choice()
    summary = consolidate(session, choice.area, choice.code, choice.period, now, _rules(session))
    calendar = load_calendar(session)
    late_days = {
        row.place.id: working_days_late(summary.overview.occurrence, row.submitted_at, calendar)
        for row in summary.overview.rows
        if row.status == ReportStatus.LATE and row.submitted_at is not None
    }
    html = render_template(
        template,
        late_days=late_days,
        choice=choice,
        summary=summary,
        overview=summary.overview,
        chart=status_chart(summary.overview.count, summary.overview.occurrence.label),
        status_labels=REPORT_STATUS_LABELS,
        status_colours=STATUS_COLOURS,
        sections=SECTIONS,
        area_name=unit_label(choice.area),
        codes=[(code, default_rule(code).title) for code in UNIT_REPORT_CODES],
        ReportStatus=ReportStatus,
    )
    return (html, 422) if choice.errors else html


@bp.get("/bao-cao/tong-hop/xuat.xlsx")
@login_required
def overview_xlsx() -> Response:
    session, now = request_session(), request_now()
    choice = _overview_choice()
    if choice.errors:
        abort(422)
    summary = consolidate(session, choice.area, choice.code, choice.period, now, _rules(session))
    name = f"bao-cao-tong-hop-{choice.area.code or choice.area.id}-{choice.code}-{choice.period}.xlsx"
    data = workbook(summary, unit_label(choice.area))
    return send_file(io.BytesIO(data), mimetype=XLSX_TYPE, as_attachment=True, download_name=name)


# --- watched indicators -------------------------------------------------------------------------------------


def _watch_page(status: int = 200, error: str | None = None, form: dict[str, str] | None = None) -> Page:
    session, now, user = request_session(), request_now(), signed_in_user()
    year, year_error = _year(now)
    own = _reporting_units(user)
    raw_unit = request.values.get("don-vi", "").strip()
    unit: Unit | None
    if raw_unit:
        unit_id = _id(raw_unit)
        unit = session.get(Unit, unit_id) if unit_id is not None else None
        if unit is None:
            abort(404)
    else:
        unit = next((u for u in own if u.kind == UnitKind.COMMUNE and u.is_valid_on(local_date(now))), None)
        unit = unit or next((u for u in own if u.kind == UnitKind.COMMUNE), None)
    charts, rows, area_rows, indicators = [], [], [], []
    writes = False
    if unit is not None and unit.kind in AREA_KINDS:
        # an area: the latest value of each of its communes, below the threshold marked
        territory = load_territory_below(session, unit.id)
        communes = sorted(
            (territory[i] for i in territory.descendant_ids(unit.id) if territory[i].kind == UnitKind.COMMUNE),
            key=lambda p: (p.name, p.id),
        )
        indicators = watch_list(session, territory, unit.id, year)
        series = series_of(session, indicators, [c.id for c in communes])
        for commune in communes:
            latest = []
            for indicator in indicators:
                by_month = {m: v for m, v in series.get((indicator.id, commune.id), {}).items() if m.year == year}
                latest.append(by_month[max(by_month)] if by_month else None)
            if any(value is not None for value in latest):
                area_rows.append((commune, latest))
    elif unit is not None:
        territory = load_territory(session, [unit.id])
        indicators = watch_list(session, territory, unit.id, year)
        series = series_of(session, indicators, [unit.id])
        writes = permissions.may_report(person_of(user), unit_id=unit.id, department_id=None)
        for indicator in indicators:
            by_month = {m: v for m, v in series.get((indicator.id, unit.id), {}).items() if m.year == year}
            charts.append(indicator_chart(indicator, by_month, year))
            rows.append((indicator, by_month))
    this_month = first_of_month(local_date(now))
    html = render_template(
        "watch.html",
        unit=unit,
        own=own,
        year=year,
        indicators=indicators,
        rows=rows,
        charts=charts,
        area_rows=area_rows,
        writes=writes and year <= this_month.year,
        months=[dt.date(year, m, 1) for m in range(1, 13)],
        default_month=this_month if this_month.year == year else dt.date(year, 12, 1),
        error=error or year_error,
        form=form or {},
        unit_label=unit_label,
    )
    if year_error and status == 200:
        status = 422
    return (html, status) if status != 200 else html


@bp.get("/chi-tieu-theo-doi")
@login_required
def watch() -> Page:
    return _watch_page()


@bp.post("/chi-tieu-theo-doi")
@login_required
def record_watch() -> Page | Response:
    session, now, user = request_session(), request_now(), signed_in_user()
    form = {key: value[:200] for key, value in request.form.items()}
    unit_id = _id(form.get("don-vi"))
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None:
        return _watch_page(422, _("Choose the commune whose figures are recorded."), form)
    found = _MONTH.match(form.get("thang", "").strip())
    if found is None or not 1 <= int(found.group(1)) <= 12 or not FIRST_YEAR <= int(found.group(2)) <= LAST_YEAR:
        return _watch_page(422, _("Write the month as mm/yyyy, for example 06/2025."), form)
    month = dt.date(int(found.group(2)), int(found.group(1)), 1)
    values: dict[int, str] = {}
    for key, value in form.items():
        if key.startswith("value:"):
            indicator_id = _id(key.removeprefix("value:"))
            if indicator_id is None:
                return _watch_page(422, _("A figure was sent for no watched indicator."), form)
            values[indicator_id] = value[:40]
    if not any(v.strip() for v in values.values()):
        return _watch_page(422, _("No figure was entered."), form)
    try:
        recorded = record_watched_values(session, user, now, unit=unit, month=month, values=values)
    except WorkflowError as exc:
        session.rollback()
        return _watch_page(403 if isinstance(exc, NotPermitted) else 422, describe(exc), form)
    session.commit()
    below = sum(1 for v in recorded if not v.met)
    message = f"Đã ghi {len(recorded)} số liệu tháng {month:%m/%Y}"
    flash(message + (f"; {below} chỉ tiêu dưới ngưỡng." if below else "."), "warning" if below else "success")
    return redirect(f"{url_for('.watch')}?don-vi={unit.id}&nam={month.year}")


@bp.app_template_global("writes_reports")
def writes_reports(user: User) -> bool:
    """Whether the menu offers "Báo cáo": someone who writes a unit's or a department's reports."""
    return any(a.role in (*REPORT_ROLES, Role.DEPARTMENT_OFFICER) for a in user.roles)
