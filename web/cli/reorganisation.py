"""`ntm reorganisation preview | apply | list`: a reorganisation of the territory, dry run first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from flask import current_app
from sqlalchemy import select

from dossiers.access import is_admin
from dossiers.models import Reorganisation, User
from dossiers.reorganisation import ReorganisationError, apply, load_plan, preview
from dossiers.settings import Settings
from notifications.notices import queue_reorganisation_notices
from web.session import session_scope

SECTIONS = (
    ("units", "Đơn vị hành chính"),
    ("departments", "Phòng, ban, sở"),
    ("recognitions", "Công nhận (Công văn 267/BNN-VPĐP)"),
    ("dossiers", "Hồ sơ đang xử lý"),
)


def echo_changes(changes: dict[str, Any]) -> None:
    for key, title in SECTIONS:
        lines = changes.get(key) or []
        click.echo(f"{title} ({len(lines)}):")
        for line in lines:
            click.echo(f"  - {line}")
        if not lines:
            click.echo("  (không có)")
    notices = changes.get("notices") or []
    click.echo(f"Người được thông báo (mỗi người một lần): {len(notices)}")
    for notice in notices:
        click.echo(f"  {notice['username']}: {'; '.join(notice['lines'])}")


def _plan(path: Path) -> Any:
    try:
        return load_plan(path)
    except ReorganisationError as error:
        raise click.ClickException("Phương án không hợp lệ: " + "; ".join(error.problems)) from error


@click.group("reorganisation")
def reorganisation() -> None:
    """Sắp xếp đơn vị hành chính: xem trước, áp dụng, danh sách đã áp dụng."""


@reorganisation.command("preview")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def preview_command(path: Path) -> None:
    """Chạy thử: liệt kê mọi thay đổi mà không lưu gì."""
    plan = _plan(path)
    with session_scope() as session:
        try:
            changes = preview(session, plan, dt.datetime.now(dt.UTC))
        except ReorganisationError as error:
            raise click.ClickException("Không áp dụng được: " + "; ".join(error.problems)) from error
    click.echo(f"CHẠY THỬ — {plan.name}, hiệu lực {plan.effective_on:%d/%m/%Y}. Chưa lưu thay đổi nào.")
    echo_changes(changes)


@reorganisation.command("apply")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "username", required=True, help="Tài khoản quản trị chịu trách nhiệm (ghi vào nhật ký).")
@click.option("--yes", is_flag=True, help="Không hỏi lại.")
def apply_command(path: Path, username: str, yes: bool) -> None:
    """Áp dụng phương án (một lần), sau khi đã xem trước."""
    plan = _plan(path)
    with session_scope() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            raise click.ClickException(f"Không có tài khoản «{username}» đang hoạt động.")
        if not is_admin(user):
            raise click.ClickException(f"«{username}» không phải quản trị viên.")
        if not yes:
            click.confirm(f"Áp dụng «{plan.name}» (hiệu lực {plan.effective_on:%d/%m/%Y})?", abort=True)
        try:
            record = apply(session, plan, user, dt.datetime.now(dt.UTC))
        except ReorganisationError as error:
            raise click.ClickException("Không áp dụng được: " + "; ".join(error.problems)) from error
        settings: Settings = current_app.config["NTM_SETTINGS"]
        told = queue_reorganisation_notices(
            session, record, dt.datetime.now(dt.UTC), sender=settings.mail_sender, base_url=settings.base_url
        )
        click.echo(f"Đã áp dụng «{record.name}» (số {record.id}); {told} thư thông báo chờ gửi.")
        echo_changes(record.changes)


@reorganisation.command("list")
def list_command() -> None:
    """Các lần sắp xếp đã áp dụng."""
    with session_scope() as session:
        rows = session.scalars(select(Reorganisation).order_by(Reorganisation.effective_on)).all()
        for row in rows:
            moved = len(row.changes.get("transferred") or [])
            click.echo(f"{row.code}: {row.name} — hiệu lực {row.effective_on:%d/%m/%Y}, {moved} hồ sơ chuyển giao")
        if not rows:
            click.echo("Chưa có lần sắp xếp nào.")


COMMANDS = [reorganisation]
