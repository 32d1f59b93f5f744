"""`ntm criteria`: load criteria-set files and show what is loaded."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import click
from flask.cli import AppGroup

from dossiers.criteria_loader import (
    CriteriaFileError,
    LoadResult,
    builtin_criteria_files,
    find_criteria_set,
    list_criteria_sets,
    load_criteria_files,
)
from dossiers.models import CriteriaSet, Indicator
from web.session import session_scope
from workflow.measures import MEASURE_LABELS
from workflow.vocabulary import RECOGNITION_LEVEL_LABELS, Confidence, Measure, RecognitionLevel

CONFIDENCE_LABELS: dict[str, str] = {
    Confidence.VERIFIED: "đã xác minh",
    Confidence.HIGH: "tin cậy cao",
    Confidence.MEDIUM: "tin cậy trung bình",
    Confidence.LOW: "tin cậy thấp",
}


# AppGroup runs every subcommand inside the app context, also when invoked through app.cli (tests)
@click.group(cls=AppGroup)
def criteria() -> None:
    """Bộ tiêu chí: nạp tệp YAML và xem các bộ đã nạp."""


@criteria.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(files: tuple[Path, ...]) -> None:
    """Nạp một hay nhiều tệp bộ tiêu chí (mỗi tệp là một phiên bản của một bộ).

    Tất cả các tệp được kiểm tra trước; có lỗi thì không nạp tệp nào.
    """
    _load(files)


@criteria.command("load-builtin")
def load_builtin() -> None:
    """Nạp các bộ tiêu chí có sẵn trong phần mềm (chạy lại không thay đổi gì)."""
    _load(builtin_criteria_files())


def _load(paths: Sequence[Path]) -> None:
    try:
        with session_scope() as session:
            results = load_criteria_files(session, paths, dt.datetime.now(dt.UTC))
            lines = [_result_line(result) for result in results]
    except CriteriaFileError as exc:
        count = len(exc.problems)
        raise click.ClickException(
            f"Không nạp tệp nào (đã hoàn tác) vì {count} lỗi trong {', '.join(exc.files)}:\n{exc}"
        ) from exc
    for line in lines:
        click.echo(line)


def _result_line(result: LoadResult) -> str:
    criteria_set = result.criteria_set
    counts = f"{len(criteria_set.criteria)} tiêu chí, {len(criteria_set.indicators())} chỉ tiêu"
    if result.created:
        return f"Đã nạp {criteria_set.label} ({counts}) từ {result.path}"
    return f"Không đổi: {criteria_set.label} đã có với cùng nội dung ({result.path})"


@criteria.command("list")
@click.option("--set", "set_code", help="Chỉ bộ có mã này, ví dụ xa-ntm-2021.")
@click.option("--version", type=int, help="Chỉ phiên bản này.")
def list_sets(set_code: str | None, version: int | None) -> None:
    """Liệt kê các bộ tiêu chí đã nạp: mỗi tiêu chí một dòng với mã các chỉ tiêu, rồi từng chỉ tiêu với cách đo,
    ngưỡng (theo vùng, nhóm xã, năm) và nguồn của ngưỡng."""
    with session_scope() as session:
        found = list_criteria_sets(session, set_code, version)
        if not found:
            raise click.ClickException(
                "Chưa có bộ tiêu chí nào khớp. Chạy `ntm criteria load-builtin` để nạp bộ có sẵn."
            )
        for index, criteria_set in enumerate(found):
            if index:
                click.echo("")
            for line in _summary(criteria_set):
                click.echo(line)
            for criterion in criteria_set.criteria:
                key = " [then chốt]" if criterion.is_key else ""
                codes = ", ".join(indicator.code for indicator in criterion.indicators)
                click.echo(f"  {criterion.number}. {criterion.name}{key}: {codes}")
                for indicator in criterion.indicators:
                    click.echo(f"     {indicator.code} · {_measure(indicator)} · {_threshold_line(indicator)}")


@criteria.command("show")
@click.argument("code")
@click.option("--version", type=int, help="Phiên bản (mặc định: mới nhất).")
def show(code: str, version: int | None) -> None:
    """In chi tiết một bộ tiêu chí: từng chỉ tiêu với cách đo, ngưỡng, nguồn và độ tin cậy."""
    with session_scope() as session:
        criteria_set = find_criteria_set(session, code, version)
        if criteria_set is None:
            raise click.ClickException(f"Không tìm thấy bộ tiêu chí “{code}”. Xem `ntm criteria list`.")
        for line in _summary(criteria_set):
            click.echo(line)
        click.echo(f"  Độ tin cậy: {_confidence(criteria_set.confidence)}")
        if criteria_set.prerequisite_code:
            click.echo(f"  Điều kiện tiên quyết: đạt bộ {criteria_set.prerequisite_code}")
        for label, entries in (("Vùng", criteria_set.regions), ("Nhóm xã", criteria_set.commune_groups)):
            if entries:
                click.echo(f"  {label}: " + "; ".join(f"{entry['code']} = {entry['name']}" for entry in entries))
        for condition in criteria_set.conditions:
            click.echo(f"  Điều kiện {condition['code']} ({_confidence(condition['confidence'])}): {condition['text']}")
        if criteria_set.outstanding_fields:
            names = ", ".join(field["name"] for field in criteria_set.outstanding_fields)
            click.echo(f"  Lĩnh vực nổi trội: {names}")
        if criteria_set.verification_note:
            click.echo(f"  Ghi chú xác minh: {criteria_set.verification_note}")
        click.echo(f"  Tệp: {criteria_set.source_file} (SHA-256 {criteria_set.content_sha256[:12]}…)")
        for criterion in criteria_set.criteria:
            key = " [then chốt]" if criterion.is_key else ""
            click.echo("")
            click.echo(f"{criterion.number}. {criterion.name}{key} — {_confidence(criterion.confidence)}")
            if criterion.note:
                click.echo(f"   Ghi chú: {criterion.note}")
            for indicator in criterion.indicators:
                flag = ", tái dựng" if indicator.reconstructed else ""
                click.echo(f"   {indicator.code}  {indicator.name}")
                unit = f" ({indicator.unit_of_measure})" if indicator.unit_of_measure else ""
                measure = MEASURE_LABELS[Measure(indicator.measure)]
                click.echo(
                    f"         đo: {measure}{unit} · ngưỡng: {_thresholds(indicator.thresholds)}"
                    f" · {_confidence(indicator.confidence)}{flag}"
                )
                if indicator.evidence:
                    click.echo(f"         minh chứng: {'; '.join(indicator.evidence)}")
                if indicator.source:
                    click.echo(f"         nguồn: {indicator.source}")
                if indicator.note:
                    click.echo(f"         ghi chú: {indicator.note}")


def _summary(criteria_set: CriteriaSet) -> list[str]:
    levels = ", ".join(_level(level) for level in criteria_set.levels)
    lines = [
        f"{criteria_set.label} — {criteria_set.name}",
        f"  Căn cứ: {criteria_set.legal_source} · giai đoạn {criteria_set.period_start}-{criteria_set.period_end}",
    ]
    if criteria_set.issued_by:
        # a province's own set, or its amendments to a national one (the note names the set amended)
        amended = re.match(r"Sửa đổi, bổ sung bộ \S+ v\d+", criteria_set.verification_note or "")
        lines.append(
            f"  Ban hành/sửa đổi bởi: {criteria_set.issued_by}"
            + (f" · {amended.group(0).lower()}" if amended else "")
            + f" · {_confidence(criteria_set.confidence)}"
        )
    lines += [
        f"  Áp dụng: {levels}",
        f"  {len(criteria_set.criteria)} tiêu chí, {len(criteria_set.indicators())} chỉ tiêu",
    ]
    return lines


def _level(value: str) -> str:
    try:
        return f"{value} ({RECOGNITION_LEVEL_LABELS[RecognitionLevel(value)]})"
    except ValueError:
        return value


def _confidence(value: str) -> str:
    return CONFIDENCE_LABELS.get(value, value)


def _thresholds(thresholds: dict[str, object]) -> str:
    parts = [str(thresholds["default"])] if thresholds.get("default") is not None else []
    for sub_key, prefix in (("by_region", ""), ("by_group", ""), ("by_year", "năm ")):
        values = thresholds.get(sub_key)
        if isinstance(values, dict):
            parts.extend(f"{prefix}{name}: {value}" for name, value in values.items() if value is not None)
    return "; ".join(parts) if parts else "chưa có"


def _measure(indicator: Indicator) -> str:
    measure = MEASURE_LABELS[Measure(indicator.measure)]
    unit = indicator.unit_of_measure
    text = f"{measure} ({unit})" if unit and unit != "%" else measure
    if indicator.answers:
        text += f" [{' / '.join(indicator.answers)}]"
    return text


def _threshold_line(indicator: Indicator) -> str:
    """Its thresholds with their source and confidence, or that it stays a judgement."""
    thresholds = indicator.thresholds or {}
    shown = _thresholds(thresholds)
    if shown == "chưa có":
        return "ngưỡng: chưa có — xã tự đánh giá, phòng phụ trách thẩm tra"
    source = indicator.threshold_source or indicator.source or indicator.criterion.criteria_set.legal_source
    confidence = _confidence(indicator.threshold_confidence or indicator.confidence)
    return f"ngưỡng: {shown} · nguồn: {source} · {confidence}"


COMMANDS = [criteria]
