"""Template filters: dates as people read them in Vietnam (dd/mm/yyyy, Asia/Ho_Chi_Minh)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask

from workflow.vocabulary import RECOGNITION_LEVEL_LABELS, UNIT_KIND_LABELS, RecognitionLevel, UnitKind

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(LOCAL_TZ) if value.tzinfo else value
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def unit_kind_label(kind: str) -> str:
    try:
        return UNIT_KIND_LABELS[UnitKind(kind)]
    except ValueError:
        return kind


def level_label(level: str) -> str:
    try:
        return RECOGNITION_LEVEL_LABELS[RecognitionLevel(level)]
    except ValueError:
        return level


def init_app(app: Flask) -> None:
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(unit_kind_label, "unit_kind")
    app.add_template_filter(level_label, "level_label")
