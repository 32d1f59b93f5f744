"""`ntm demo`: load the demo province and district (idempotent) and print who can sign in."""

from __future__ import annotations

import datetime as dt

import click

from dossiers.demo import DEMO_PASSWORD, load_demo
from dossiers.demo_dossiers import load_demo_story
from web.session import session_scope
from workflow.vocabulary import ROLE_LABELS


@click.command("demo")
def demo() -> None:
    """Nạp dữ liệu mẫu: huyện Thạch An năm 2025 (seed 004), sắp xếp 1/7/2025, chu kỳ 2026 (idempotent)."""
    with session_scope() as session:
        data = load_demo(session, dt.datetime.now(dt.UTC), reform=False)
        story = load_demo_story(session, data)
        moved = len((data.reorganisation.changes.get("transferred") or []) if data.reorganisation else [])
        click.echo(
            f"Đã nạp: tỉnh {data.province.name}, huyện {data.district.name} ({len(data.communes)} xã, đến 30/06/2025), "
            f"sắp xếp 01/07/2025 ({len(data.new_communes)} xã mới, {moved} hồ sơ chuyển giao), "
            f"{len(data.users)} người dùng, {len(story)} hồ sơ."
        )
        click.echo(f"Mật khẩu của mọi tài khoản mẫu: {DEMO_PASSWORD}")
        click.echo("Một số tài khoản (mỗi xã, phòng, ban có tài khoản riêng):")
        for username in SHOWCASE:
            user = data.users[username]
            click.echo(f"  {username:<22} {ROLE_LABELS[user.roles[0].role]:<28} {user.full_name}")


#: accounts with something to do today (the province's route after 1/7/2025); the README says what
SHOWCASE = (
    "xa2025.canhtan",
    "mttq2025.duclong",
    "xa2025.duclong",
    "xa2025.thachan",
    "so.so-nn-mt",
    "so.so-yt",
    "dieuphoi.caobang",
    "chutich.caobang",
    "admin",
    "xa.lelai",
)


COMMANDS = [demo]
