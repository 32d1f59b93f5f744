"""`ntm deadlines`: open obligations, the rules in force, the working-day calendar, overrides, reports."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import Department, Unit, User
from dossiers.planning.obligations import reconcile
from dossiers.planning.rules import (
    RuleBook,
    load_calendar,
    remove_calendar_day,
    set_calendar_day,
    set_deadline_override,
)
from dossiers.reports import record_report_submission
from dossiers.territory import load_territory
from notifications.obligations import Obligation, department_label, open_obligations, unit_label
from web.session import session_scope
from workflow.calendar import local_date
from workflow.deadlines import RuleError
from workflow.errors import WorkflowError


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _units(session: Session, name: str) -> list[Unit]:
    units = list(session.scalars(select(Unit).where(Unit.name == name).order_by(Unit.id)).all())
    if not units:
        raise click.ClickException(f"Không tìm thấy đơn vị “{name}”.")
    return units


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise click.ClickException(f"Không có người dùng “{username}”.")
    return user


def _date(text: str) -> dt.date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise click.BadParameter(f"“{text}” không phải ngày (dd/mm/yyyy hoặc yyyy-mm-dd)")


def _offsets(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(part) for part in text.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"“{text}” không phải danh sách số, ví dụ 7,3,1,0") from None


def _status(obligation: Obligation, today: dt.date) -> str:
    days = obligation.days_left(today)
    if days > 0:
        return f"còn {days} ngày"
    if days == 0:
        return "hạn cuối hôm nay"
    return f"QUÁ HẠN {-days} ngày"


def _names(people: tuple[Any, ...]) -> str:
    return ", ".join(person.username for person in people) or "—"


@click.group()
def deadlines() -> None:
    """Thời hạn: nghĩa vụ đang mở, quy tắc, lịch làm việc, điều chỉnh của tỉnh/huyện."""


@deadlines.command("list")
@click.option("--year", type=int, required=True, help="Năm kế hoạch, ví dụ 2025.")
@click.option("--unit", "unit_name", help="Chỉ đơn vị này (ví dụ “Thạch An”) và đơn vị, phòng, ban trực thuộc.")
@click.option("--overdue", is_flag=True, help="Chỉ các việc đã quá hạn.")
def list_command(year: int, unit_name: str | None, overdue: bool) -> None:
    """Các nghĩa vụ chưa hoàn thành của năm: ai phải làm gì, hạn nào, nhắc ai, báo cáo vượt cấp cho ai.

    Đọc các nghĩa vụ đã lưu (bộ lập lịch cập nhật ở mỗi lượt quét; `ntm deadlines reconcile` cập nhật ngay)."""
    now = _now()
    today = local_date(now)
    with session_scope() as session:
        scope = _units(session, unit_name) if unit_name else None
        found = open_obligations(session, years=[year], today=today, within=scope)
        obligations = sorted(found, key=lambda o: (o.last_day, o.obligor_name, o.rule.code))
        if overdue:
            obligations = [o for o in obligations if o.is_overdue(now)]
        if not obligations:
            click.echo("Không có nghĩa vụ nào đang mở.")
            return
        for o in obligations:
            plan = f"trước {o.occurrence.before:%d/%m/%Y}, " if o.has_plan_date else ""
            click.echo(f"{o.last_day:%d/%m/%Y}  {o.obligor_name}: {o.title} — kỳ {o.period_label}")
            click.echo(f"    {plan}hạn cuối hết ngày {o.last_day:%d/%m/%Y} ({_status(o, today)})")
            click.echo(f"    nhắc: {_names(o.remind)}; quá hạn báo: {_names(o.escalate_to)}")
        click.echo(f"{len(obligations)} nghĩa vụ.")


@deadlines.command("reconcile")
@click.option("--year", "years", type=int, multiple=True, required=True, help="Năm, ví dụ 2025 (lặp lại được).")
def reconcile_command(years: tuple[int, ...]) -> None:
    """Cập nhật các nghĩa vụ đã lưu theo dữ liệu hiện tại (bộ lập lịch làm việc này ở mỗi lượt quét)."""
    with session_scope() as session:
        done = reconcile(session, _now(), years=years)
    click.echo(
        f"{done.rows} nghĩa vụ của năm {', '.join(map(str, sorted(years)))}: {done.created} mới, "
        f"{done.closed} đã đóng, {done.reopened} mở lại, {done.moved} đổi hạn."
    )


@deadlines.command("rules")
@click.option("--year", type=int, required=True)
@click.option("--unit", "unit_name", help="Quy tắc áp dụng cho đơn vị này (có tính điều chỉnh của tỉnh, huyện).")
def rules_command(year: int, unit_name: str | None) -> None:
    """Các quy tắc thời hạn đang áp dụng, kèm căn cứ."""
    with session_scope() as session:
        chain: tuple[int, ...] = ()
        if unit_name:
            unit = _units(session, unit_name)[0]
            chain = load_territory(session, [unit.id]).authority_chain(unit.id)
        for rule in RuleBook.load(session).rules(chain, year).values():
            state = "" if rule.enabled else " [TẮT]"
            if rule.schedule is not None:
                when = ", ".join(f"trước {o.before:%d/%m}" for o in rule.occurrences(year))
            elif rule.working_days is not None:
                when = f"{rule.working_days} ngày làm việc kể từ ngày giao"
            elif rule.step_state is not None:
                when = (
                    f"theo thời hạn của bước '{rule.step_state}' trong quy trình, kể từ ngày hồ sơ chuyển sang bước đó"
                )
            else:
                when = "theo thời hạn bước thẩm tra của quy trình, kể từ ngày giao"
            click.echo(f"{rule.code}{state}: {rule.title}")
            click.echo(f"    {when}")
            click.echo(f"    căn cứ: {rule.source} (độ tin cậy: {rule.confidence})")
            for source in rule.overridden_by:
                click.echo(f"    điều chỉnh: {source}")


@deadlines.command("calendar")
@click.option("--year", type=int, required=True)
def calendar_command(year: int) -> None:
    """Các ngày nghỉ lễ, Tết và ngày nghỉ bù của năm (ngày làm bù thứ Bảy cũng được liệt kê)."""
    with session_scope() as session:
        calendar = load_calendar(session)
        for day, name in calendar.days_off_between(dt.date(year, 1, 1), dt.date(year, 12, 31)):
            click.echo(f"{day:%d/%m/%Y} ({day:%a})  nghỉ: {name}")
        day = dt.date(year, 1, 1)
        while day.year == year:
            if day.weekday() >= 5 and calendar.is_working_day(day):
                click.echo(f"{day:%d/%m/%Y} ({day:%a})  làm việc bù")
            day += dt.timedelta(days=1)


@deadlines.command("set-day")
@click.argument("day")
@click.option("--off", "kind", flag_value="off", help="Ngày nghỉ (nghỉ bù, nghỉ theo thông báo).")
@click.option("--working", "kind", flag_value="working", help="Ngày làm việc (làm bù thứ Bảy).")
@click.option("--note", required=True, help="Căn cứ, ví dụ “Thông báo 6150/TB-BNV: nghỉ Tết 2026”.")
@click.option("--by", "username", required=True, help="Tên đăng nhập của quản trị viên.")
def set_day(day: str, kind: str | None, note: str, username: str) -> None:
    """Ghi một ngày nghỉ bù hoặc ngày làm bù mà Chính phủ công bố."""
    if kind is None:
        raise click.UsageError("Chọn --off hoặc --working.")
    with session_scope() as session:
        try:
            entry = set_calendar_day(
                session, _user(session, username), _now(), _date(day), working=kind == "working", note=note
            )
        except (RuleError, WorkflowError) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{entry.day:%d/%m/%Y}: {'làm việc' if entry.working else 'nghỉ'} — {entry.note}")


@deadlines.command("forget-day")
@click.argument("day")
@click.option("--by", "username", required=True)
def forget_day(day: str, username: str) -> None:
    """Bỏ ghi chép của quản trị viên cho một ngày (trở lại lịch mặc định)."""
    with session_scope() as session:
        try:
            removed = remove_calendar_day(session, _user(session, username), _date(day))
        except WorkflowError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo("Đã bỏ." if removed else "Ngày này không có ghi chép riêng.")


@deadlines.command("override")
@click.option("--unit", "unit_name", required=True, help="Tỉnh hoặc huyện ban hành kế hoạch.")
@click.option("--year", type=int, required=True)
@click.option("--rule", "code", required=True, help="Mã quy tắc (xem `ntm deadlines rules`).")
@click.option("--schedule", help='Lịch mới, JSON: {"every": "quarter", "day": 25, "month_of_quarter": 3}.')
@click.option("--enable/--disable", "enabled", default=None, help="Bật / tắt quy tắc năm đó.")
@click.option("--working-days", type=int, help="Thời hạn mới, số ngày làm việc.")
@click.option("--offsets", help="Nhắc trước hạn bao nhiêu ngày, ví dụ 10,5,1,0.")
@click.option("--escalation", help="Báo vượt cấp sau hạn bao nhiêu ngày, ví dụ 1,5.")
@click.option("--source", required=True, help="Văn bản căn cứ (số, ngày kế hoạch).")
@click.option("--by", "username", required=True)
def override(
    unit_name: str,
    year: int,
    code: str,
    schedule: str | None,
    enabled: bool | None,
    working_days: int | None,
    offsets: str | None,
    escalation: str | None,
    source: str,
    username: str,
) -> None:
    """Tỉnh/huyện đặt thời hạn, kỳ báo cáo hoặc lịch nhắc riêng cho một năm."""
    with session_scope() as session:
        authorities = [u for u in _units(session, unit_name) if u.kind in ("province", "district")]
        if not authorities:
            raise click.ClickException(f"“{unit_name}” không phải tỉnh hoặc huyện.")
        try:
            parsed = json.loads(schedule) if schedule else None
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"--schedule không phải JSON hợp lệ: {exc}") from exc
        try:
            row = set_deadline_override(
                session,
                _user(session, username),
                _now(),
                authority=authorities[0],
                year=year,
                code=code,
                source=source,
                schedule=parsed,
                enabled=enabled,
                working_days=working_days,
                reminder_offsets=_offsets(offsets),
                escalation_offsets=_offsets(escalation),
            )
        except (RuleError, WorkflowError) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Đã ghi điều chỉnh {row.rule_code} năm {row.year} của {unit_label(authorities[0])}.")


@deadlines.command("report")
@click.option("--unit", "unit_name", help="Xã nộp báo cáo.")
@click.option("--department", "department_code", help="Mã phòng, ban nộp báo cáo (kèm --authority).")
@click.option("--authority", "authority_name", help="Huyện/tỉnh của phòng, ban.")
@click.option("--rule", "code", required=True, help="Mã quy tắc, ví dụ report-quarterly.")
@click.option("--period", required=True, help="Kỳ: 2025, 2025-H1, 2025-Q3, 2025-03.")
@click.option("--ref", "document_ref", help="Số, ngày văn bản báo cáo.")
@click.option("--by", "username", required=True)
def report(
    unit_name: str | None,
    department_code: str | None,
    authority_name: str | None,
    code: str,
    period: str,
    document_ref: str | None,
    username: str,
) -> None:
    """Ghi nhận một báo cáo định kỳ đã nộp (dừng nhắc hạn của kỳ đó)."""
    with session_scope() as session:
        unit: Unit | None = None
        department: Department | None = None
        if unit_name:
            candidates = _units(session, unit_name)
            unit = next((u for u in candidates if u.is_valid_on(local_date(_now()))), candidates[0])
        elif department_code and authority_name:
            department = session.scalars(
                select(Department).where(
                    Department.code == department_code,
                    Department.unit_id.in_([u.id for u in _units(session, authority_name)]),
                )
            ).first()
            if department is None:
                raise click.ClickException(f"Không có phòng, ban “{department_code}” của {authority_name}.")
        else:
            raise click.UsageError("Chọn --unit, hoặc --department cùng --authority.")
        try:
            submission = record_report_submission(
                session,
                _user(session, username),
                _now(),
                code=code,
                period=period,
                unit=unit,
                department=department,
                document_ref=document_ref,
            )
        except (RuleError, WorkflowError) as exc:
            raise click.ClickException(str(exc)) from exc
        who = unit_label(unit) if unit else department_label(department) if department else ""
        click.echo(f"Đã ghi nhận {submission.obligation_code} kỳ {submission.period} của {who}.")


COMMANDS = [deadlines]
