"""`ntm scheduler` (the reminder process) and `ntm outbox` (what was sent, what failed)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from sqlalchemy import select

from dossiers.models import User
from dossiers.settings import Settings
from notifications.models import MessageStatus
from notifications.outbox import list_messages, retry_message
from notifications.scheduler import configure_logging, run_scheduler
from web.filters import vn_date
from web.session import session_scope
from workflow.errors import WorkflowError


@click.command("scheduler")
@click.option("--interval", type=float, help="Số giây giữa hai lần quét (mặc định NTM_SCHEDULER_INTERVAL, 300).")
@click.option("--once", is_flag=True, help="Quét một lần rồi thoát.")
def scheduler(interval: float | None, once: bool) -> None:
    """Tiến trình nhắc hạn và gửi thư: chạy riêng, bên cạnh máy chủ web."""
    settings: Settings = current_app.config["NTM_SETTINGS"]
    configure_logging()
    run_scheduler(settings, interval=interval, once=once)


@click.group()
def outbox() -> None:
    """Hộp thư đi: thư nhắc hạn đã gửi, đang chờ, bị lỗi."""


def _print_messages(status: MessageStatus | None, limit: int) -> int:
    with session_scope() as session:
        messages = list_messages(session, status=status, limit=limit)
        for message in messages:
            when = message.failed_at or message.sent_at or message.next_attempt_at
            click.echo(
                f"#{message.id}  {message.status:<9} {vn_date(when)}  lần thử: {message.attempts}  "
                f"{message.to_name} <{message.to_address}>"
            )
            click.echo(f"    {message.subject or '(chưa soạn)'}")
            if message.last_error:
                click.echo(f"    lỗi: {message.last_error}")
        return len(messages)


@outbox.command("failed")
@click.option("--limit", type=int, default=100, show_default=True)
def failed(limit: int) -> None:
    """Thư gửi thất bại (máy chủ từ chối hẳn, hoặc hết số lần thử)."""
    if _print_messages(MessageStatus.FAILED, limit) == 0:
        click.echo("Không có thư nào gửi thất bại.")


@outbox.command("list")
@click.option("--status", type=click.Choice([s.value for s in MessageStatus]), help="Chỉ thư ở trạng thái này.")
@click.option("--limit", type=int, default=50, show_default=True)
def list_command(status: str | None, limit: int) -> None:
    """Thư gần đây nhất."""
    if _print_messages(MessageStatus(status) if status else None, limit) == 0:
        click.echo("Hộp thư đi trống.")


@outbox.command("retry")
@click.argument("message_id", type=int)
@click.option("--by", "username", required=True, help="Tên đăng nhập của quản trị viên thực hiện.")
def retry(message_id: int, username: str) -> None:
    """Gửi lại một thư đã thất bại (sau khi đã sửa địa chỉ hoặc cấu hình thư)."""
    with session_scope() as session:
        actor = session.scalars(select(User).where(User.username == username)).first()
        if actor is None:
            raise click.ClickException(f"Không có người dùng “{username}”.")
        try:
            message = retry_message(session, actor, dt.datetime.now(dt.UTC), message_id)
        except WorkflowError as exc:  # not an admin, or not a failed e-mail
            raise click.ClickException(exc.message) from exc
        click.echo(f"Thư #{message.id} sẽ được gửi lại ở lần quét tới, tới {message.to_address}.")


COMMANDS = [scheduler, outbox]
