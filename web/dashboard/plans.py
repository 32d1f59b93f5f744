"""`/bang-theo-doi/ke-hoach`: the plans of the overseen area for a year with each target's status (a chart
first, then the table), their .xlsx export in the layout of a "biểu giao chỉ tiêu", and the import of a
target table (preview, then confirm). Page, export and CLI read `dossiers.planning.plans.plan_progress`."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from werkzeug.wrappers import Response

from dossiers.access import load_actor, overseen_area
from dossiers.dashboard import AREA_KINDS
from dossiers.models import Plan, TargetKind
from dossiers.planning.plans import (
    RESOURCE_COLUMNS,
    STATUS_ORDER,
    TARGET_STATUS_LABELS,
    PlanProgress,
    PlanRejected,
    TargetScope,
    TargetStatus,
    plan_progress,
    plans_of_area,
    replace_targets,
)
from dossiers.planning.plans_import import UnreadableTableError, check_against_plan, read_targets
from notifications.obligations import unit_label, unit_label_in_text
from web.clock import request_now
from web.dashboard.chart import Bar, Segment
from web.dashboard.views import XLSX_TYPE, Choice, _choice
from web.session import request_session
from web.workspace.views import signed_in_user
from workflow.errors import NotFound, NotPermitted

bp = Blueprint("plans", __name__)

#: colours with a text contrast that holds on white; the table and the legend say the same in words
STATUS_COLOURS: dict[TargetStatus, str] = {
    TargetStatus.MET: "#2f6b2f",
    TargetStatus.ON_TRACK: "#1f5f99",
    TargetStatus.AT_RISK: "#8a5a00",
    TargetStatus.MISSED: "#b3261e",
}
RESOURCE_LABELS = {
    "total": "Tổng nguồn lực",
    "central_budget": "Ngân sách trung ương",
    "central_direct": "— vốn phân bổ trực tiếp Chương trình MTQG xây dựng NTM",
    "integrated_funds": "— vốn lồng ghép các Chương trình MTQG khác",
    "local_budget": "Ngân sách địa phương",
}
MAX_CONFIRM = 500_000

LABEL_WIDTH, PLOT_WIDTH, BAR_HEIGHT, GAP, TOP = 300, 380, 18, 6, 30


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    legend: tuple[tuple[float, str, str], ...]
    title: str
    description: str
    plot_left: int = LABEL_WIDTH


def status_chart(progress: PlanProgress) -> Chart:
    """One bar per group of targets (in the plan's order), split by status: the page's chart (SVG geometry,
    no script, colours as presentation attributes for the CSP)."""
    groups = progress.groups()
    widest = max([sum(c.values()) for _, c in groups] + [1])
    unit = PLOT_WIDTH / widest
    bars = []
    for index, (label, counter) in enumerate(groups):
        x = float(LABEL_WIDTH)
        segments = []
        for status in STATUS_ORDER:
            if counter[status]:
                width = counter[status] * unit
                title = f"{label}: {TARGET_STATUS_LABELS[status]} {counter[status]}"
                segments.append(Segment(x, width, STATUS_COLOURS[status], title))
                x += width
        done = counter[TargetStatus.MET] + counter[TargetStatus.ON_TRACK]
        bars.append(Bar(label, TOP + index * (BAR_HEIGHT + GAP), tuple(segments), f"{done}/{sum(counter.values())}"))
    legend = tuple((10.0 + i * 170, STATUS_COLOURS[s], TARGET_STATUS_LABELS[s]) for i, s in enumerate(STATUS_ORDER))
    counts = progress.counts
    description = (
        f"{len(progress.rows)} chỉ tiêu của kế hoạch năm {progress.plan.year}, ngày {progress.today:%d/%m/%Y}: "
        + ", ".join(f"{TARGET_STATUS_LABELS[s].lower()} {counts[s]}" for s in STATUS_ORDER)
        + ". Chi tiết từng chỉ tiêu ở bảng bên dưới."
    )
    return Chart(
        width=LABEL_WIDTH + PLOT_WIDTH + 60,
        height=TOP + max(len(bars), 1) * (BAR_HEIGHT + GAP) + 10,
        bars=tuple(bars),
        legend=legend,
        title=f"Tiến độ thực hiện chỉ tiêu kế hoạch năm {progress.plan.year}",
        description=description,
    )


def _area() -> tuple[Choice, list[PlanProgress]]:
    session, now = request_session(), request_now()
    actor = load_actor(session, signed_in_user(), now)
    choice = _choice(session, actor, now)
    return choice, [plan_progress(session, plan, now) for plan in plans_of_area(session, choice.area, choice.year)]


@bp.get("/bang-theo-doi/ke-hoach")
@login_required
def page() -> str | tuple[str, int]:
    choice, progresses = _area()
    other_years = sorted({p.year for p in plans_of_area(request_session(), choice.area)} - {choice.year})
    html = render_template(
        "plans.html",
        choice=choice,
        progresses=progresses,
        charts={p.plan.id: status_chart(p) for p in progresses},
        other_years=other_years,
        status_labels=TARGET_STATUS_LABELS,
        status_order=STATUS_ORDER,
        colours=STATUS_COLOURS,
        resources=_resources,
        area_label=unit_label,
        area_text=unit_label_in_text,
        scopes=SCOPE_CHOICES,
    )
    return (html, 422) if choice.errors else html


def resource_amounts(plan: Plan) -> list[tuple[str, Decimal]]:
    """The resources the plan gives, labelled, in million VND."""
    found = []
    for key, column in RESOURCE_COLUMNS.items():
        value = getattr(plan, column)
        if value is not None:
            found.append((RESOURCE_LABELS[key], value))
    return found


def _resources(plan: Plan) -> list[tuple[str, str]]:
    return [(label, money(value)) for label, value in resource_amounts(plan)]


def money(value: object) -> str:
    """80178.119 → "80.178,119" (Vietnamese digit grouping, million VND)."""
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


@bp.get("/bang-theo-doi/ke-hoach/xuat.xlsx")
@login_required
def export() -> Response:
    choice, progresses = _area()
    if choice.errors:
        abort(422)
    name = f"bieu-giao-chi-tieu-{choice.area.code or choice.area.id}-{choice.year}.xlsx"
    return send_file(io.BytesIO(workbook(progresses)), mimetype=XLSX_TYPE, as_attachment=True, download_name=name)


def workbook(progresses: list[PlanProgress]) -> bytes:
    """One sheet per plan, laid out as the "biểu giao chỉ tiêu" attached to a plan: the title, the plan's
    reference, then one row per target (STT, đơn vị, chỉ tiêu, kế hoạch giao, kết quả, đánh giá, ghi chú)
    and the resources; the figures are the page's (`plan_progress`)."""
    book = Workbook()
    book.remove(book.worksheets[0])
    if not progresses:
        sheet = book.create_sheet("Không có kế hoạch")
        sheet.append(["Không có kế hoạch nào của địa bàn trong năm đã chọn."])
    for progress in progresses:
        plan = progress.plan
        sheet = book.create_sheet(f"{plan.unit.name} {plan.year}"[:31])
        sheet.append([f"BIỂU GIAO CHỈ TIÊU KẾ HOẠCH XÂY DỰNG NÔNG THÔN MỚI NĂM {plan.year}"])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([f"(Kèm theo Kế hoạch {plan.reference} của UBND {unit_label_in_text(plan.unit)})"])
        sheet.append([f"Tình hình thực hiện đến ngày {progress.today:%d/%m/%Y}"])
        sheet.append([])
        header = ["STT", "Đơn vị", "Nội dung chỉ tiêu", "Kế hoạch giao", "Kết quả", "Đánh giá", "Ghi chú"]
        sheet.append(header)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for index, row in enumerate(progress.rows, start=1):
            note = row.reason + (f" (số liệu của {row.read_from})" if row.read_from else "")
            sheet.append(
                [index, row.unit_name, row.group, row.asked, row.reached, TARGET_STATUS_LABELS[row.status], note]
            )
        sheet.append([])
        sheet.append([None, "Tổng hợp", *(f"{TARGET_STATUS_LABELS[s]}: {progress.count(s)}" for s in STATUS_ORDER)])
        resources = resource_amounts(plan)
        if resources:
            sheet.append([])
            sheet.append([None, "Dự kiến nguồn lực (triệu đồng)"])
            for label, amount in resources:
                sheet.append([None, label, float(amount)])
                sheet.cell(row=sheet.max_row, column=3).number_format = "#,##0.000"
        sheet.append([])
        sheet.append([None, "Nguồn", plan.source])
        for column, width in enumerate([6, 18, 40, 26, 30, 22, 60], start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- importing a target table ---------------------------------------------------------------------------


def _plan_for_change(plan_id: int) -> Plan:
    """The plan, when the signed-in person oversees its area (404 / 403 otherwise)."""
    session, now = request_session(), request_now()
    plan = session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    actor = load_actor(session, signed_in_user(), now)
    try:
        overseen_area(session, actor, plan.unit_id, AREA_KINDS)
    except NotFound:
        abort(404)
    except NotPermitted:
        abort(403)
    return plan


def _render_preview(plan: Plan, preview: object, file_name: str, error: str | None = None) -> str:
    return render_template(
        "plans_import.html", plan=plan, preview=preview, file_name=file_name, error=error, scopes=SCOPE_CHOICES
    )


#: what a list of units (a file with only the units) may be imported for, as the upload form offers it
SCOPE_CHOICES = (
    ("", "Bảng đầy đủ (có cột «Loại chỉ tiêu»)"),
    (TargetKind.LEVEL.value, "Danh sách xã đạt chuẩn (chọn mức)"),
    (TargetKind.CRITERION.value, "Danh sách xã đạt tiêu chí (ghi số tiêu chí)"),
    (TargetKind.CRITERIA_ADDED.value, "Danh sách xã tăng thêm tiêu chí (cột «Số lượng»)"),
    (TargetKind.HAMLETS_NTM.value, "Danh sách xã giao xóm đạt chuẩn NTM (cột «Số lượng»)"),
    (TargetKind.HAMLETS_MODEL.value, "Danh sách xã giao xóm kiểu mẫu (cột «Số lượng»)"),
)


def _scope() -> tuple[TargetScope | None, str | None]:
    """The target a list of units is for, from the form's "loai", "muc", "tieu-chi" (none: a full table)."""
    kind = request.form.get("loai", "").strip()
    if not kind:
        return None, None
    scope, problems = TargetScope.parse(kind, request.form.get("muc") or None, request.form.get("tieu-chi") or None)
    if scope is None:
        return None, "Chỉ tiêu của danh sách: " + "; ".join(problems) + "."
    return scope, None


@bp.post("/bang-theo-doi/ke-hoach/<int:plan_id>/nhap")
@login_required
def preview_import(plan_id: int) -> str | tuple[str, int]:
    """Read the uploaded table and show every row with its reasons; nothing is saved."""
    plan = _plan_for_change(plan_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_preview(plan, None, "", "Chọn tệp biểu giao chỉ tiêu (.xlsx hoặc .csv)."), 422
    scope, problem = _scope()
    if problem is not None:
        return _render_preview(plan, None, upload.filename, problem), 422
    try:
        preview = check_against_plan(request_session(), plan, read_targets(upload.read(), upload.filename, scope))
    except UnreadableTableError as exc:
        return _render_preview(plan, None, upload.filename, str(exc)), 422
    html = _render_preview(plan, preview, upload.filename)
    return (html, 422) if preview.invalid or not preview.rows else html


@bp.post("/bang-theo-doi/ke-hoach/<int:plan_id>/nhap/luu")
@login_required
def confirm_import(plan_id: int) -> Response | tuple[str, int]:
    """Save the previewed rows (read again and checked again): all of them, or nothing."""
    plan = _plan_for_change(plan_id)
    session = request_session()
    content = request.form.get("noi-dung", "")
    if not content or len(content) > MAX_CONFIRM:
        return _render_preview(plan, None, "", "Không có bảng để lưu: tải tệp lên và xem trước trước khi lưu."), 422
    scope, problem = _scope()
    if problem is not None:
        return _render_preview(plan, None, "", problem), 422
    try:
        preview = check_against_plan(session, plan, read_targets(content.encode("utf-8"), "xac-nhan.csv", scope))
    except UnreadableTableError as exc:
        return _render_preview(plan, None, "", str(exc)), 422
    if preview.invalid or not preview.rows:
        return _render_preview(plan, preview, "", "Bảng có dòng sai: không lưu gì."), 422
    try:
        replace_targets(session, plan, preview.targets, scope)
    except PlanRejected as exc:
        session.rollback()
        return _render_preview(plan, preview, "", "; ".join(exc.problems)), 422
    session.commit()
    flash(f"Đã lưu {len(preview.rows)} chỉ tiêu vào kế hoạch năm {plan.year} của {plan.unit.name}.", "success")
    query: dict[str, Any] = {"don-vi": plan.unit_id, "nam": plan.year}
    return redirect(url_for(".page", **query))
