"""`ntm tokens`: personal access tokens of the API, made, listed and revoked by the server's operator."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from dossiers import tokens
from dossiers.accounts import find_user
from dossiers.models import User
from web.clock import utc_now
from web.session import session_scope
from workflow.errors import WorkflowError


@click.group("tokens")
def tokens_group() -> None:
    """Khóa API: tạo, liệt kê, thu hồi."""


def _user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise click.ClickException(f"Không có tài khoản {username}.")
    return user


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", required=True, help="what the token is for, e.g. “Cổng dịch vụ công”")
@click.option("--days", type=click.IntRange(1, tokens.MAX_DAYS), default=tokens.DEFAULT_DAYS, show_default=True)
def create(username: str, name: str, days: int) -> None:
    """Tạo khóa cho một tài khoản; khóa chỉ in ra một lần."""
    with session_scope() as session:
        try:
            issued = tokens.issue_token(session, None, _user(session, username), utc_now(), name=name, days=days)
        except WorkflowError as exc:
            raise click.ClickException(exc.message) from exc
        token_id, expires = issued.token.id, issued.token.expires_at
        secret = issued.secret
    click.echo(f"Khóa số {token_id} của {username}, hết hạn {expires:%d/%m/%Y %H:%M} UTC:")
    click.echo(secret)


@tokens_group.command("list")
@click.argument("username", required=False)
def list_tokens(username: str | None) -> None:
    """Các khóa (của một tài khoản, hoặc của mọi người): không bao giờ in khóa gốc."""
    now = utc_now()
    with session_scope() as session:
        owner = _user(session, username) if username else None
        for token in tokens.tokens_of(session, owner):
            if token.revoked_at is not None:
                state = f"thu hồi {token.revoked_at:%d/%m/%Y}"
            elif token.expires_at <= now:
                state = "hết hạn"
            else:
                state = f"đến {token.expires_at:%d/%m/%Y}"
            click.echo(f"{token.id:>5} {token.user.username:<20} {token.prefix}…  {state:<22} {token.name}")


@tokens_group.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
def revoke(token_id: int) -> None:
    """Thu hồi một khóa ngay lập tức."""
    with session_scope() as session:
        try:
            token = tokens.revoke_token(session, None, token_id, utc_now())
        except WorkflowError as exc:
            raise click.ClickException(exc.message) from exc
        name = token.name
    click.echo(f"Đã thu hồi khóa số {token_id} ({name}).")


COMMANDS = [tokens_group]
