"""`ntm ownership`: load, show and check the department → indicator table."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.criteria_loader import find_criteria_set
from dossiers.models import CriteriaSet, Unit
from dossiers.ownership import (
    OwnershipFileError,
    check_ownership,
    load_ownership_file,
    ownership_shares,
)
from web.cli.criteria import CONFIDENCE_LABELS
from web.session import session_scope
from workflow.vocabulary import UnitKind


def _authority(session: Session, district: str | None, province: str | None) -> Unit:
    if bool(district) == bool(province):
        raise click.UsageError("Chọn đúng một trong --district hoặc --province.")
    kind, name = (UnitKind.DISTRICT, district) if district else (UnitKind.PROVINCE, province)
    unit = session.scalars(select(Unit).where(Unit.kind == kind, Unit.name == name).order_by(Unit.id)).first()
    if unit is None:
        raise click.ClickException(f"Không tìm thấy đơn vị {kind} “{name}”. Đã chạy `ntm demo` chưa?")
    return unit


def _set(session: Session, code: str, version: int | None) -> CriteriaSet:
    found = find_criteria_set(session, code, version)
    if found is None:
        raise click.ClickException(f"Không tìm thấy bộ tiêu chí “{code}”. Xem `ntm criteria list`.")
    return found


_AUTHORITY_OPTIONS = [
    click.option("--district", help="Tên huyện, ví dụ “Thạch An”."),
    click.option("--province", help="Tên tỉnh, khi không có cấp huyện (ví dụ “Cao Bằng”)."),
    click.option("--set", "set_code", required=True, help="Mã bộ tiêu chí, ví dụ xa-ntm-2021."),
    click.option("--version", type=int, help="Phiên bản bộ tiêu chí (mặc định: mới nhất)."),
    click.option("--year", type=int, default=2025, show_default=True),
]


def _authority_options(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_AUTHORITY_OPTIONS):
        func = option(func)
    return func


@click.group()
def ownership() -> None:
    """Bảng phân công phòng, ban phụ trách chỉ tiêu."""


@ownership.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(files: tuple[Path, ...]) -> None:
    """Nạp bảng phân công từ tệp YAML (thay thế bảng cũ của cùng năm và bộ tiêu chí)."""
    try:
        with session_scope() as session:
            for path in files:
                result = load_ownership_file(session, path)
                click.echo(f"{path}: {result.rows} dòng cho {result.authority.name}, năm {result.years}")
    except OwnershipFileError as exc:
        raise click.ClickException(str(exc)) from exc


@ownership.command("show")
@_authority_options
def show(district: str | None, province: str | None, set_code: str, version: int | None, year: int) -> None:
    """In bảng phân công: mỗi phòng, ban một dòng."""
    with session_scope() as session:
        authority = _authority(session, district, province)
        criteria_set = _set(session, set_code, version)
        shares = ownership_shares(session, authority, year, criteria_set)
        click.echo(f"# {authority.name} — {criteria_set.name} ({criteria_set.label}) — năm {year}")
        if not shares:
            raise click.ClickException("Chưa có bảng phân công cho đơn vị, năm và bộ tiêu chí này.")
        for share in shares:
            # a reconstructed table says how sure it is, line by line
            sure = f" · {CONFIDENCE_LABELS[share.confidence]}" if share.confidence else ""
            click.echo(share.line() + sure)


@ownership.command("check")
@_authority_options
def check(district: str | None, province: str | None, set_code: str, version: int | None, year: int) -> None:
    """Chỉ ra chỉ tiêu chưa có phòng, ban phụ trách, chỉ tiêu do hai phòng cùng thẩm tra, và ghi chú của nguồn."""
    with session_scope() as session:
        authority = _authority(session, district, province)
        criteria_set = _set(session, set_code, version)
        report = check_ownership(session, authority, year, criteria_set)
        click.echo(f"# {authority.name} — {criteria_set.label} — năm {year}")
        for line in report.lines():
            click.echo(line)


COMMANDS = [ownership]
