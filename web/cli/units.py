"""`ntm units import`: the official list of provinces and commune-level units."""

from __future__ import annotations

import click

from dossiers.units_import import import_units, package_source
from web.session import session_scope


@click.group("units")
def units() -> None:
    """Danh mục đơn vị hành chính."""


@units.command("import")
def import_command() -> None:
    """Nạp (hoặc cập nhật) 34 tỉnh, thành phố và các xã, phường, đặc khu từ gói vietnam-provinces."""
    with session_scope() as session:
        summary = import_units(session)
    click.echo(f"Nguồn: {package_source()}")
    click.echo(
        f"Tỉnh, thành phố: {summary.provinces_added} mới, {summary.provinces_updated} cập nhật, "
        f"{summary.provinces_unchanged} giữ nguyên."
    )
    click.echo(
        f"Xã, phường, đặc khu: {summary.units_added} mới, {summary.units_updated} cập nhật, "
        f"{summary.units_unchanged} giữ nguyên."
    )
    if not summary.changed:
        click.echo("Không có thay đổi.")


COMMANDS = [units]
