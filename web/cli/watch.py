"""`ntm watch`: a province's (or district's) list of indicators watched month by month."""

from __future__ import annotations

from pathlib import Path

import click

from dossiers.planning.watch import WatchError, load_watch_file
from web.session import session_scope


@click.group()
def watch() -> None:
    """Chỉ tiêu theo dõi hằng tháng."""


@watch.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(files: tuple[Path, ...]) -> None:
    """Nạp (hoặc cập nhật) danh sách chỉ tiêu theo dõi từ tệp YAML (xem dossiers/data/watch/)."""
    try:
        with session_scope() as session:
            for path in files:
                rows = load_watch_file(session, path)
                years = sorted({row.year for row in rows})
                codes = sorted({row.code for row in rows})
                click.echo(f"{path}: {len(codes)} chỉ tiêu, năm {', '.join(map(str, years))}: {', '.join(codes)}")
    except WatchError as exc:
        raise click.ClickException(str(exc)) from exc


COMMANDS = [watch]
