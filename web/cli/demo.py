"""`ntm demo`: load the demo province and district (idempotent) and print who can sign in."""

from __future__ import annotations

import datetime as dt

import click

from dossiers.demo import DEMO_PASSWORD, load_demo
from dossiers.demo_dossiers import load_demo_dossiers
from web.session import session_scope
from workflow.vocabulary import ROLE_LABELS


@click.command("demo")
def demo() -> None:
    """Nạp dữ liệu mẫu: tỉnh Cao Bằng, huyện Thạch An (13 xã), phòng ban, người dùng, hồ sơ 2025."""
    with session_scope() as session:
        data = load_demo(session, dt.datetime.now(dt.UTC))
        dossiers = load_demo_dossiers(session, data)
        click.echo(
            f"Đã nạp: tỉnh {data.province.name}, huyện {data.district.name} ({len(data.communes)} xã), "
            f"{len(data.new_communes)} xã sau sắp xếp 1/7/2025, {len(data.users)} người dùng, "
            f"{len(dossiers)} hồ sơ 2025."
        )
        click.echo(f"Mật khẩu của mọi tài khoản mẫu: {DEMO_PASSWORD}")
        click.echo("Một số tài khoản (mỗi xã, phòng, ban có tài khoản riêng):")
        for username in SHOWCASE:
            user = data.users[username]
            click.echo(f"  {username:<22} {ROLE_LABELS[user.roles[0].role]:<28} {user.full_name}")


#: one account per role, and both routes (with and without the district tier)
SHOWCASE = (
    "admin",
    "xa.lelai",
    "mttq.lelai",
    "phong.nn-ptnt",
    "phong.tn-mt",
    "dieuphoi.thachan",
    "chutich.thachan",
    "dieuphoi.caobang",
    "chutich.caobang",
    "xa2025.thachan",
    "so.so-nn-mt",
)


COMMANDS = [demo]
