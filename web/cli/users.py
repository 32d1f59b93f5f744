"""`ntm users`: list accounts, set a password, lock or unlock an account (the server's operator acts)."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.accounts import PasswordRejectedError, find_user, reset_password, set_active
from dossiers.models import User
from web.session import session_scope


@click.group("users")
def users() -> None:
    """Tài khoản người dùng: liệt kê, đặt mật khẩu, khóa, mở khóa."""


@users.command("list")
def list_users() -> None:
    with session_scope() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            state = "hoạt động" if user.active else "đã khóa"
            click.echo(f"{user.username:<24} {state:<10} {user.full_name}")


def _user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise click.ClickException(f"Không có tài khoản {username}.")
    return user


@users.command("set-password")
@click.argument("username")
@click.password_option("--password", prompt="Mật khẩu mới", help="asked for when not given")
def set_password(username: str, password: str) -> None:
    """Đặt mật khẩu mới (theo quy tắc mật khẩu); mọi phiên đăng nhập của người này kết thúc."""
    with session_scope() as session:
        try:
            reset_password(session, None, _user(session, username), password)
        except PasswordRejectedError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Đã đặt mật khẩu mới cho {username}.")


@users.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Khóa tài khoản: không đăng nhập được nữa, các phiên đang mở kết thúc."""
    with session_scope() as session:
        set_active(session, None, _user(session, username), False)
    click.echo(f"Đã khóa tài khoản {username}.")


@users.command("activate")
@click.argument("username")
def activate(username: str) -> None:
    """Mở khóa tài khoản."""
    with session_scope() as session:
        set_active(session, None, _user(session, username), True)
    click.echo(f"Đã mở khóa tài khoản {username}.")


COMMANDS = [users]
