"""`ntm evidence prune`: remove stored files no evidence row refers to (after a rolled-back upload)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app

from dossiers.evidence import prune_unreferenced, unreferenced_files
from dossiers.settings import Settings
from web.session import session_scope


@click.group("evidence")
def evidence() -> None:
    """Tệp minh chứng lưu trên máy chủ."""


@evidence.command("prune")
@click.option("--dry-run", is_flag=True, help="only list what would be removed")
@click.option("--older-than-hours", default=24, show_default=True, help="leave younger files (uploads in progress)")
def prune(dry_run: bool, older_than_hours: int) -> None:
    """Xóa tệp không còn bản ghi minh chứng nào trỏ tới (và tệp tạm bị bỏ dở)."""
    settings: Settings = current_app.config["NTM_SETTINGS"]
    with session_scope() as session:
        found = unreferenced_files(
            session, settings.evidence_path, dt.datetime.now(dt.UTC), dt.timedelta(hours=older_than_hours)
        )
    for path in found:
        click.echo(str(path))
    if dry_run:
        click.echo(f"Sẽ xóa {len(found)} tệp (chạy lại không có --dry-run để xóa).")
    else:
        click.echo(f"Đã xóa {prune_unreferenced(found)} tệp.")


COMMANDS = [evidence]
