"""The demo's periodic reports and watched values of 2026, written by the communes' officers through the services.

ILLUSTRATIVE DEMO DATA: the merged communes of Cao Bằng report in 2026 as a real year would look, so the pages
show something true to life — on time, late (the February report, due in Tết, sent after it), missing — and
the monthly values of the watched indicators, with xã Thạch An's online payments falling below 25 % in
September (an open episode: the scheduler's first scan alerts its department and the commune once) and xã
Đức Long's health-insurance coverage dipping below in March and recovering in April (closed: no alert).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import PeriodicReport, Unit, User
from dossiers.planning.reports import open_report, save_report, submit_report
from dossiers.planning.watch import watch_list
from dossiers.territory import load_territory
from workflow.calendar import local_time

YEAR = 2026


@dataclass(frozen=True)
class Plan:
    """One commune's reporting in 2026: the day of the month it sends its monthly report (None: never), the
    months it sends late (on the 25th) or not at all, and its quarterly habits."""

    commune: str
    monthly_day: int | None
    late_months: tuple[int, ...] = ()
    missing_months: tuple[int, ...] = ()
    quarters: tuple[int, ...] = (1, 2, 3)
    late_quarters: tuple[int, ...] = ()
    half_year: bool = True


PLANS = (
    Plan("Đức Long", 15, late_months=(2,)),
    Plan("Thạch An", 18, late_months=(2, 9), missing_months=(10,), late_quarters=(3,)),
    Plan("Đông Khê", 12, missing_months=(7, 8, 9, 10), quarters=(1, 2), half_year=False),
    Plan("Canh Tân", None, quarters=(1, 2, 3)),
    Plan("Kim Đồng", None, quarters=(1, 2), late_quarters=(2,), half_year=False),
)

#: watched indicator code → monthly values, January to October (the months a monthly report carries)
VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "Đức Long": {
        "bhyt": ("91", "90,5", "84", "88", "90", "91", "92", "92", "93", "93,5"),
        "so-hoa-tthc": ("76", "77", "78", "78", "80", "81", "81", "82", "83", "84"),
        "ho-so-truc-tuyen": ("52", "53", "55", "55", "56", "58", "60", "61", "61", "62"),
        "thanh-toan-truc-tuyen": ("27", "28", "28", "29", "30", "31", "31", "32", "33", "33"),
        "nuoc-sach": ("66", "66", "67", "67", "67", "68", "68", "69", "69", "70"),
    },
    "Thạch An": {
        "bhyt": ("89", "89", "88", "89", "90", "90", "90", "91", "91", "91"),
        "so-hoa-tthc": ("75", "76", "76", "77", "77", "78", "78", "79", "79", "80"),
        "ho-so-truc-tuyen": ("50", "51", "51", "52", "53", "53", "54", "54", "55", "55"),
        "thanh-toan-truc-tuyen": ("26", "26", "27", "27", "26", "26", "25", "25", "22,5", "21"),
        "nuoc-sach": ("65", "65", "65", "66", "66", "66", "67", "67", "67", "68"),
    },
}

RESULTS = (
    "Duy trì các tiêu chí đã đạt; tiếp tục vận động Nhân dân hiến đất làm đường, chỉnh trang nhà ở, "
    "tham gia bảo hiểm y tế; đẩy mạnh nộp hồ sơ và thanh toán trực tuyến."
)
DIFFICULTIES = "Nguồn vốn đối ứng của xã còn hạn chế; một số thôn xa, địa hình chia cắt, khó triển khai công trình."
PROPOSALS = "Đề nghị tỉnh bố trí sớm vốn sự nghiệp năm sau và hướng dẫn tiêu chí theo bộ tiêu chí 2026-2030."


def _submit(
    session: Session, officer: User, unit: Unit, code: str, period: str, when: dt.datetime, figures: dict[int, str]
) -> None:
    report = open_report(session, officer, when, code=code, period=period, unit=unit)
    sections = {
        "results": f"{RESULTS} ({unit.name}, kỳ {period})",
        "difficulties": DIFFICULTIES,
        "proposals": PROPOSALS,
    }
    save_report(session, officer, when, report, expected_version=report.version, sections=sections, figures=figures)
    submit_report(
        session, officer, when, report, expected_version=report.version, document_ref=f"Báo cáo kỳ {period} của UBND xã"
    )


def load_demo_reports(session: Session, communes: dict[str, Unit], users: dict[str, User]) -> int:
    """Write the demo's 2026 reports and values (once: nothing when a report of 2026 exists); flushes."""
    exists = session.scalars(select(PeriodicReport.id).where(PeriodicReport.period.like(f"{YEAR}%")).limit(1)).first()
    if exists is not None:
        return 0
    written = 0
    for plan in PLANS:
        unit = communes[plan.commune]
        officer = next(u for u in users.values() if u.username.startswith("xa2025.") and _holds(u, unit))
        indicators = {i.code: i for i in watch_list(session, load_territory(session, [unit.id]), unit.id, YEAR)}
        values = VALUES.get(plan.commune, {})
        for month in range(1, 11):
            if plan.monthly_day is None or month in plan.missing_months:
                continue
            day = 25 if month in plan.late_months else plan.monthly_day
            when = local_time(
                dt.date(YEAR, 2, 23) if month == 2 and month in plan.late_months else dt.date(YEAR, month, day),
                dt.time(9),
            )
            figures = {indicators[code].id: series[month - 1] for code, series in values.items() if code in indicators}
            _submit(session, officer, unit, "report-monthly", f"{YEAR}-{month:02d}", when, figures)
            written += 1
        for quarter in plan.quarters:
            day = 22 if quarter in plan.late_quarters else 17
            when = local_time(dt.date(YEAR, 3 * quarter, day), dt.time(10))
            _submit(session, officer, unit, "report-quarterly", f"{YEAR}-Q{quarter}", when, {})
            written += 1
        if plan.half_year:
            _submit(
                session,
                officer,
                unit,
                "report-half-year",
                f"{YEAR}-H1",
                local_time(dt.date(YEAR, 6, 8), dt.time(10)),
                {},
            )
            written += 1
    session.flush()
    return written


def _holds(user: User, unit: Unit) -> bool:
    return any(a.unit_id == unit.id for a in user.roles)
