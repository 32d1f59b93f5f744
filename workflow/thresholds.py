"""Reading an indicator's threshold ("≥ 90%", "≤ 3 %", "> 45") and whether a recorded value reaches it.

Thresholds are what people read in the criteria set (`Indicator.thresholds`); only those that are a
comparison with a number can be checked by the engine. Anything else ("Đạt", a sentence, None) is left
to the appraising departments: `reaches` answers None.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "≥": operator.ge,
    ">=": operator.ge,
    "≤": operator.le,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "=": operator.eq,
}
_NUMBER = r"(-?\d+(?:[.,]\d+)?)"
#: a comparison with a number, maybe followed by its unit ("≥2 m²/người"); a bare "100%" means reaching it
_THRESHOLD = re.compile(rf"^\s*(≥|>=|≤|<=|>|<|=)?\s*{_NUMBER}\s*(?:(%)|\s*[^\d\s%][^\d%]*)?\s*$")
_VALUE = re.compile(rf"^\s*{_NUMBER}\s*(%?)\s*$")


@dataclass(frozen=True)
class Threshold:
    """A comparison with a number, as written in the criteria set."""

    comparison: str
    number: float
    percent: bool
    text: str

    def reached_by(self, value: float) -> bool:
        return _COMPARISONS[self.comparison](value, self.number)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_threshold(text: object) -> Threshold | None:
    """The comparison a threshold text states, or None when it is not one ("Đạt", a sentence, None)."""
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        return None
    found = _THRESHOLD.match(str(text))
    if found is None:
        return None
    comparison, number, percent = found.groups()
    return Threshold(comparison or "≥", _number(number), percent is not None, str(text).strip())


def parse_value(text: str | None) -> float | None:
    """A recorded value as a number ("92", "92,5 %"), or None when it is not one."""
    if text is None:
        return None
    found = _VALUE.match(text)
    return _number(found.group(1)) if found else None


def threshold_of(
    thresholds: Mapping[str, Any],
    region: str | None = None,
    commune_group: str | None = None,
    year: int | None = None,
) -> Any:
    """The threshold a unit must reach from an indicator's `{"default", "by_region", "by_group", "by_year"}`:
    its commune group's (2026-2030), else its region's (2021-2025), else the one of the dossier's year
    (a target that rises year by year: "Năm 2024 đạt ≥ 75%"), else the set's default."""
    by_group = thresholds.get("by_group") or {}
    if commune_group and commune_group in by_group:
        return by_group[commune_group]
    by_region = thresholds.get("by_region") or {}
    if region and region in by_region:
        return by_region[region]
    by_year = thresholds.get("by_year") or {}
    if year is not None and str(year) in by_year:
        return by_year[str(year)]
    return thresholds.get("default")


def reaches(value: str | None, threshold: object) -> bool | None:
    """Whether `value` reaches `threshold`; None when either cannot be read as a number comparison."""
    parsed = parse_threshold(threshold)
    number = parse_value(value)
    if parsed is None or number is None:
        return None
    return parsed.reached_by(number)
