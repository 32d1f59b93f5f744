"""`ntm plans load | list | import | progress`: a district's or province's plan for a year and its targets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dossiers.models import Plan, Unit
from dossiers.planning.plans import (
    TARGET_STATUS_LABELS,
    PlanRejected,
    TargetScope,
    load_plan_path,
    plan_progress,
    replace_targets,
)
from dossiers.planning.plans_import import UnreadableTableError, check_against_plan, read_targets
from web.session import session_scope


@click.group("plans")
def plans() -> None:
    """Kế hoạch xây dựng nông thôn mới của huyện, tỉnh theo năm: nạp, liệt kê, nhập biểu chỉ tiêu, tiến độ."""


@plans.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_command(path: Path) -> None:
    """Nạp (hoặc thay) kế hoạch từ tệp YAML (như dossiers/data/plans/thach-an-2025.yaml)."""
    with session_scope() as session:
        try:
            plan = load_plan_path(session, path, dt.datetime.now(dt.UTC))
        except PlanRejected as error:
            raise click.ClickException("Kế hoạch không hợp lệ, không lưu gì: " + "; ".join(error.problems)) from error
        click.echo(
            f"Đã nạp: {plan.title} ({plan.reference}), {plan.unit.name} năm {plan.year}: {len(plan.targets)} chỉ tiêu."
        )


@plans.command("list")
@click.option("--year", type=int, help="Chỉ kế hoạch của năm này.")
def list_command(year: int | None) -> None:
    """Liệt kê các kế hoạch đã nạp."""
    with session_scope() as session:
        query = select(Plan).options(selectinload(Plan.unit), selectinload(Plan.targets)).order_by(Plan.year, Plan.id)
        if year is not None:
            query = query.where(Plan.year == year)
        found = session.scalars(query).all()
        if not found:
            click.echo("Chưa có kế hoạch nào.")
        for plan in found:
            total = f"{plan.resources_total:,.3f}".replace(",", " ") if plan.resources_total is not None else "—"
            click.echo(
                f"{plan.id:>4}  {plan.year}  {plan.unit.name:<20} {plan.reference:<36} "
                f"{len(plan.targets):>3} chỉ tiêu  nguồn lực {total} triệu đồng"
            )


def _plan(session: Session, unit: str, year: int) -> Plan:
    found = session.scalars(
        select(Plan).join(Unit, Unit.id == Plan.unit_id).where(Unit.name == unit, Plan.year == year)
    ).first()
    if found is None:
        raise click.ClickException(f"Không có kế hoạch năm {year} của {unit}.")
    return found


@plans.command("import")
@click.option("--unit", "unit_name", required=True, help="Tên huyện (tỉnh) ban hành kế hoạch, như «Thạch An».")
@click.option("--year", type=int, required=True)
@click.option("--dry-run", is_flag=True, help="Chỉ xem trước, không lưu.")
@click.option("--kind", help="Tệp là danh sách đơn vị của một chỉ tiêu: level, criterion, hamlets-ntm, …")
@click.option("--level", help="Với --kind level: commune-ntm, commune-advanced, commune-model.")
@click.option("--criterion", type=int, help="Với --kind criterion: số tiêu chí.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(
    unit_name: str,
    year: int,
    dry_run: bool,
    kind: str | None,
    level: str | None,
    criterion: int | None,
    path: Path,
) -> None:
    """Nhập biểu giao chỉ tiêu (.xlsx, .csv) thay cho các chỉ tiêu của kế hoạch — hoặc, với --kind, một danh
    sách đơn vị thay cho các đơn vị đang giao chỉ tiêu đó: có dòng sai thì không lưu gì."""
    scope = None
    if kind is not None:
        scope, problems = TargetScope.parse(kind, level, criterion)
        if scope is None:
            raise click.ClickException("Chỉ tiêu của danh sách: " + "; ".join(problems))
    with session_scope() as session:
        plan = _plan(session, unit_name, year)
        try:
            preview = check_against_plan(session, plan, read_targets(path.read_bytes(), path.name, scope))
        except UnreadableTableError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Đọc {len(preview.rows)} dòng ({preview.sheet}).")
        if preview.invalid:
            for row in preview.invalid:
                click.echo(f"  dòng {row.line}: {'; '.join(row.errors)}", err=True)
            raise click.ClickException(f"{len(preview.invalid)} dòng sai: không lưu gì.")
        if not preview.rows:
            raise click.ClickException("Bảng không có dòng chỉ tiêu nào: không lưu gì.")
        if dry_run:
            click.echo("Chạy thử: không lưu gì.")
            return
        replace_targets(session, plan, preview.targets, scope)
        what = f"chỉ tiêu «{scope.label}»" if scope is not None else "chỉ tiêu"
        click.echo(f"Đã lưu {len(preview.rows)} {what} vào kế hoạch năm {year} của {plan.unit.name}.")


@plans.command("progress")
@click.option("--unit", "unit_name", required=True)
@click.option("--year", type=int, required=True)
def progress_command(unit_name: str, year: int) -> None:
    """Tiến độ từng chỉ tiêu của kế hoạch hôm nay (cách tính: docs/planning.md)."""
    with session_scope() as session:
        progress = plan_progress(session, _plan(session, unit_name, year), dt.datetime.now(dt.UTC))
        for row in progress.rows:
            click.echo(f"{TARGET_STATUS_LABELS[row.status]:<22} {row.group} — {row.unit_name}: {row.reached}")


COMMANDS = [plans]
