"""`ntm regimes`: the regimes (2021-2025, 2026-2030) with their sources, a province's figures, commune groups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from dossiers.regimes import RegimeDataError, load_commune_groups, province_figures
from web.session import session_scope
from workflow.deadlines import default_rule
from workflow.regimes import REGIMES, ProvinceFigures, Regime, regime_for
from workflow.routes import route_named
from workflow.rules import CONDITION_LABELS, Sourced
from workflow.vocabulary import RECOGNITION_LEVEL_LABELS, RecognitionLevel

_CONFIDENCE = {"verified": "đã xác minh", "high": "cao", "medium": "trung bình", "low": "thấp"}


def _sourced(name: str, value: Sourced[Any]) -> str:
    return f"    {name}: {value.value} — {value.source} [{_CONFIDENCE[value.confidence]}]"


def _regime_lines(regime: Regime) -> list[str]:
    until = f" đến {regime.valid_to:%d/%m/%Y}" if regime.valid_to else ""
    lines = [
        f"{regime.code} — {regime.name}",
        f"  Căn cứ: {regime.basis.value} ({regime.basis.source}) [{_CONFIDENCE[regime.basis.confidence]}]",
        f"  Đăng ký hồ sơ: {regime.title}{until}; các năm {regime.period}",
        "  Cấp công nhận và bộ tiêu chí:",
    ]
    for offer in regime.offers:
        sets = ", ".join(offer.criteria_sets) or "bộ tiêu chí do tỉnh ban hành"
        pilot = " (thí điểm: tỉnh đăng ký mới áp dụng)" if offer.pilot and offer.level not in regime.pilots_on else ""
        lines.append(f"    {RECOGNITION_LEVEL_LABELS[offer.level]}: {sets}{pilot}")
    rules = regime.rules
    lines.append("  Ngưỡng:")
    lines.append(_sourced("niêm yết (ngày)", rules.posting_days))
    lines.append(_sourced("đồng ý tại cuộc họp", rules.vote_share))
    for level, share in rules.satisfaction.items():
        lines.append(_sourced(f"hài lòng — {RECOGNITION_LEVEL_LABELS[level]}", share))
    lines.append("  Điều kiện phải xác nhận:")
    for level, conditions in rules.required_conditions.items():
        names = ", ".join(CONDITION_LABELS[c] for c in conditions.value)
        seat = "cấp công nhận" if rules.confirming_seat(level) == "decider" else "cơ quan thẩm tra"
        lines.append(f"    {RECOGNITION_LEVEL_LABELS[level]}: {names} (phòng, ban của {seat}) — {conditions.source}")
    for condition, codes in rules.condition_confirmers.items():
        lines.append(f"    {CONDITION_LABELS[condition]}: xác nhận bởi phòng, ban mã {', '.join(codes)}")
    enabled = [rule.code for rule in regime.deadline_rules if rule.enabled]
    # off by default: one locality's plan sets them (dossiers/data/deadlines); off by the regime: not in it
    local = [r.code for r in regime.deadline_rules if not r.enabled and r == default_rule(r.code)]
    disabled = [r.code for r in regime.deadline_rules if not r.enabled and r.code not in local]
    lines.append(
        f"  Quy tắc thời hạn: {', '.join(enabled)}"
        + (f"; theo kế hoạch của địa phương: {', '.join(local)}" if local else "")
        + (f"; không áp dụng: {', '.join(disabled)}" if disabled else "")
    )
    for source in regime.figures:
        lines.append(f"  Số liệu của tỉnh: {source}")
    return lines


def _figure_line(figure: ProvinceFigures) -> str:
    parts = []
    for level, conditions in figure.required_conditions.items():
        names = ", ".join(CONDITION_LABELS[c] for c in conditions)
        parts.append(f"{RECOGNITION_LEVEL_LABELS[RecognitionLevel(level)]} cần xác nhận {names}")
    parts += [f"thí điểm {RECOGNITION_LEVEL_LABELS[level]}" for level in figure.pilots]
    parts += [f"{name} = {value}" for name, value in figure.rule_values.items()]
    parts += [f"quy trình {code}: {route_named(code).basis.value}" for code in figure.routes]
    years = (
        f"{figure.first_year}" if figure.first_year == figure.last_year else f"{figure.first_year}-{figure.last_year}"
    )
    return f"  {figure.province}, giai đoạn {figure.regime}, năm {years}: {'; '.join(parts)} — {figure.source}"


@click.group()
def regimes() -> None:
    """Các giai đoạn (2021-2025, 2026-2030), số liệu riêng của tỉnh, nhóm xã."""


@regimes.command("list")
@click.option("--on", "day", type=click.DateTime(["%d/%m/%Y", "%Y-%m-%d"]), help="Ngày (mặc định: hôm nay).")
def list_regimes(day: dt.datetime | None) -> None:
    """Các giai đoạn với nguồn của từng ngưỡng, và giai đoạn áp dụng cho hồ sơ đăng ký vào ngày đã chọn."""
    on = day.date() if day else dt.date.today()
    for regime in REGIMES:
        for line in _regime_lines(regime):
            click.echo(line)
        click.echo("")
    click.echo(f"Ngày {on:%d/%m/%Y}: hồ sơ đăng ký theo giai đoạn {regime_for(on).code}.")
    figures = province_figures()
    if figures:
        click.echo("Số liệu riêng của tỉnh (dossiers/data/regimes/):")
        for figure in figures:
            click.echo(_figure_line(figure))


@regimes.command("groups")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_groups(files: tuple[Path, ...]) -> None:
    """Nạp nhóm xã (QĐ 51/2025: nhom-1, nhom-2, nhom-3) từ tệp YAML (xem dossiers/data/commune-groups/)."""
    try:
        with session_scope() as session:
            for path in files:
                changes = load_commune_groups(session, path)
                for change in changes:
                    click.echo(f"{change.unit.name} ({change.unit.code}): {change.before or '—'} → {change.after}")
                click.echo(f"{path}: {len(changes)} xã đổi nhóm")
    except RegimeDataError as exc:
        raise click.ClickException(str(exc)) from exc


COMMANDS = [regimes]
