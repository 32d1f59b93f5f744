"""An indicator's value in its measure's type, and whether it meets the unit's threshold.

The commune enters a value as text (a form field, the CLI); `read_value` checks it against the
indicator's measure (yes/no, percentage 0-100, a whole count, an amount of money, one of the set's
allowed answers) and refuses anything else with a Vietnamese message. `measured_met` is the engine's
verdict from that value and the threshold `workflow.thresholds.threshold_of` picked for the unit:
True / False, or None when the threshold is not known or not one the engine can compare with (the
indicator then stays the commune's own judgement, checked by the owning department).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow.thresholds import parse_threshold, threshold_of
from workflow.vocabulary import Measure

MEASURE_LABELS: dict[Measure, str] = {
    Measure.YES_NO: "Có/Không",
    Measure.PERCENTAGE: "Tỷ lệ (%)",
    Measure.NUMBER: "Số lượng",
    Measure.MONEY: "Số tiền",
    Measure.TEXT: "Câu trả lời theo danh sách",
}

#: how a yes/no value may be written, folded to lower case without diacritics
_YES = frozenset({"co", "dat", "yes", "true", "1"})
_NO = frozenset({"khong", "chua dat", "chua", "no", "false", "0"})
#: thresholds of a yes/no indicator that mean "yes is required"
_YES_THRESHOLDS = frozenset({"co", "dat"})
_NUMBER = re.compile(r"^\s*(-?\d{1,3}(?:\.\d{3})+|-?\d+)(?:,(\d+))?\s*(%?)\s*$")
_DOT_DECIMAL = re.compile(r"^\s*(-?\d+)\.(\d{1,2})\s*(%?)\s*$")


class InvalidValue(ValueError):  # noqa: N818 - a message for the commune, not a crash
    """A value that is not one the indicator's measure accepts; the message says why in Vietnamese."""


@dataclass(frozen=True)
class Reading:
    """A value read in its measure's type: a number, a yes/no, or one allowed answer."""

    measure: Measure
    text: str
    number: float | None = None
    yes: bool | None = None
    answer: str | None = None


def fold(text: str) -> str:
    """Lower case without diacritics ("Chưa đạt" → "chua dat"), to compare what people type."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _parse_number(text: str) -> tuple[float, bool] | None:
    """A number written the Vietnamese way ("1.250.000", "62,5", "62,5 %") or with a decimal point ("62.5")."""
    found = _DOT_DECIMAL.match(text)
    if found is not None and len(found.group(2)) != 3:
        whole, decimals, percent = found.groups()
        return float(f"{whole}.{decimals}"), percent == "%"
    found = _NUMBER.match(text)
    if found is None:
        return None
    whole, decimals, percent = found.groups()
    number = float(whole.replace(".", "") + (f".{decimals}" if decimals else ""))
    return number, percent == "%"


def read_value(measure: Measure, text: str, answers: Sequence[str] = (), *, code: str = "") -> Reading:
    """`text` read as `measure`; raises `InvalidValue` with a message naming the indicator when it is not one."""
    where = f"Chỉ tiêu {code}: " if code else ""
    value = text.strip()
    if not value:
        raise InvalidValue(f"{where}chưa nhập giá trị")
    if measure is Measure.YES_NO:
        folded = fold(value)
        if folded in _YES:
            return Reading(measure, value, yes=True)
        if folded in _NO:
            return Reading(measure, value, yes=False)
        raise InvalidValue(f"{where}“{value}” không phải Có/Không; nhập “Có” hoặc “Không”")
    if measure is Measure.TEXT:
        if not answers:
            return Reading(measure, value, answer=value)
        for answer in answers:
            if fold(answer) == fold(value):
                return Reading(measure, value, answer=answer)
        listed = ", ".join(f"“{answer}”" for answer in answers)
        raise InvalidValue(f"{where}“{value}” không nằm trong các câu trả lời được phép: {listed}")
    parsed = _parse_number(value)
    if parsed is None:
        raise InvalidValue(f"{where}“{value}” không phải một số (ví dụ 62 hoặc 62,5)")
    number, percent = parsed
    if measure is Measure.PERCENTAGE:
        if not 0 <= number <= 100:
            raise InvalidValue(f"{where}tỷ lệ phải từ 0 đến 100 %, không phải {value}")
        return Reading(measure, value, number=number)
    if percent:
        raise InvalidValue(f"{where}chỉ tiêu này không đo bằng %, nhập {MEASURE_LABELS[measure].lower()}")
    if number < 0:
        raise InvalidValue(f"{where}{MEASURE_LABELS[measure].lower()} không được âm ({value})")
    if measure is Measure.NUMBER and number != int(number):
        raise InvalidValue(f"{where}số lượng phải là số nguyên, không phải {value}")
    return Reading(measure, value, number=number)


def measured_met(reading: Reading, threshold: object) -> bool | None:
    """Whether the value meets the threshold; None when the threshold is unknown or not comparable."""
    if threshold is None or isinstance(threshold, bool):
        return None
    if reading.number is not None:
        parsed = parse_threshold(threshold)
        return None if parsed is None else parsed.reached_by(reading.number)
    if reading.yes is not None:
        if isinstance(threshold, str) and fold(threshold) in _YES_THRESHOLDS:
            return reading.yes
        if isinstance(threshold, str) and fold(threshold) == "khong":  # "Không" (no violation, no case)
            return not reading.yes
        return None
    if reading.answer is not None and isinstance(threshold, str):
        return fold(reading.answer) == fold(threshold)
    return None


def met_label(met: bool | None) -> str:
    """ "đạt", "chưa đạt" or the judgement left to the department."""
    if met is None:
        return "chưa có ngưỡng để tính — do phòng phụ trách đánh giá"
    return "đạt" if met else "chưa đạt"


def verdict(
    measure: Measure | str,
    thresholds: Mapping[str, Any],
    value: str | None,
    *,
    answers: Sequence[str] = (),
    region: str | None = None,
    commune_group: str | None = None,
    year: int | None = None,
) -> bool | None:
    """The engine's "met" for a recorded value: its unit's threshold (group, region, year) applied to the
    value read in the indicator's measure; None when there is no value, the value cannot be read (a
    record made before values were checked), or no comparable threshold is known."""
    if value is None:
        return None
    try:
        reading = read_value(Measure(measure), value, answers)
    except InvalidValue:
        return None
    return measured_met(reading, threshold_of(thresholds, region, commune_group, year))


def value_meeting(measure: Measure | str, threshold: object, answers: Sequence[str] = ()) -> str | None:
    """A value that meets `threshold` in the measure's type (demo and load data); None when none is known."""
    measure = Measure(measure)
    if measure is Measure.YES_NO:
        return "Không" if isinstance(threshold, str) and fold(threshold) == "khong" else "Có"
    if measure is Measure.TEXT:
        return threshold if isinstance(threshold, str) else (answers[0] if answers else None)
    parsed = parse_threshold(threshold)
    if parsed is None:
        return None
    number = parsed.number
    if parsed.comparison == ">":
        number = number + 1
    elif parsed.comparison == "<":
        number = number / 2 if number > 0 else number - 1
    if measure is Measure.NUMBER:  # a count is whole
        number = float(math.floor(number) if parsed.comparison in ("<", "≤", "<=") else math.ceil(number))
    text = f"{number:g}".replace(".", ",")
    return f"{text} %" if measure is Measure.PERCENTAGE else text
