"""A province's amendments to a criteria set, as data.

A province rarely rewrites a national set: it issues a decision that raises a threshold here and adds an
indicator there (seed 002: Hải Dương's QĐ 2582/QĐ-UBND and QĐ 2583/QĐ-UBND of 26/9/2022 issue the province's
nâng cao and kiểu mẫu sets on QĐ 318 and QĐ 319). An amendment file names the set it amends and lists the
changes; loading it makes the province's set: the base set's content with the changes applied, under the
amendment's own code and version, `issued_by` the province. That document then goes through exactly the
checks and the loading of any criteria file (`dossiers.criteria_loader`), so a threshold the engine cannot
compare, a code outside its criterion or a year outside the period is refused, naming the amendment file.
A dossier registered on the province's set pins it like any other set; the engine measures values against
its thresholds. Format: docs/criteria-format.md, "A province's amendments".
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from dossiers.criteria_loader import (
    CriteriaFileError,
    CriteriaProblem,
    KeyPath,
    ParsedCriteriaFile,
    _problem,
    builtin_criteria_files,
    criteria_schema,
    parse_criteria_file,
)
from workflow.measures import fold

#: keys of an indicator an amendment may change (its code and place stay the base set's)
CHANGEABLE = (
    "name",
    "measure",
    "unit",
    "thresholds",
    "answers",
    "evidence",
    "source",
    "confidence",
    "reconstructed",
    "note",
)


@cache
def amendment_schema() -> dict[str, Any]:
    """The JSON Schema of an amendment file; the set-level keys are those of a criteria file."""
    criteria = criteria_schema()
    properties = criteria["properties"]
    indicator = criteria["$defs"]["indicator"] if "$defs" in criteria and "indicator" in criteria["$defs"] else {}
    change = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "indicator": {"type": "string", "minLength": 1},
            "set": {"type": "object", "minProperties": 1, "additionalProperties": False,
                    "properties": {key: {} for key in CHANGEABLE}},
            "add_to_criterion": {"type": "integer", "minimum": 1},
            "add": indicator or {"type": "object"},
            "source": {"type": "string", "minLength": 1, "maxLength": 300},
        },
        "required": ["source"],
        "oneOf": [{"required": ["indicator", "set"]}, {"required": ["add_to_criterion", "add"]}],
    }  # fmt: skip
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["amends", "code", "version", "name", "legal_source", "issued_by", "confidence", "changes"],
        "properties": {
            "amends": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "version"],
                "properties": {"code": properties["code"], "version": properties["version"]},
            },
            "code": properties["code"],
            "version": properties["version"],
            "name": properties["name"],
            "legal_source": properties["legal_source"],
            "effective_from": properties["effective_from"],
            "issued_by": {"type": "string", "minLength": 1, "maxLength": 200},
            "prerequisite": properties["prerequisite"],
            "confidence": properties["confidence"],
            "verification_note": properties["verification_note"],
            "changes": {"type": "array", "items": change},
        },
        "$defs": criteria.get("$defs", {}),
    }


def is_amendment(data: Any) -> bool:
    return isinstance(data, dict) and "amends" in data


def resolve_amendment(
    path: Path, data: dict[str, Any], positions: dict[KeyPath, tuple[int, int]]
) -> tuple[dict[str, Any], dict[KeyPath, tuple[int, int]]]:
    """The province's set as a criteria document: the base set with the changes applied, and where each part
    comes from in the amendment file (for the problems the criteria checks find in it)."""

    def problem(key_path: KeyPath, message: str) -> CriteriaProblem:
        return _problem(path, positions, key_path, message)

    errors = [
        problem(tuple(error.absolute_path), error.message)
        for error in Draft202012Validator(amendment_schema()).iter_errors(data)
    ]
    if errors:
        raise CriteriaFileError(errors)
    base = _base_document(data["amends"]["code"], int(data["amends"]["version"]))
    if base is None:
        raise CriteriaFileError(
            [problem(("amends",), f"no shipped criteria set {data['amends']['code']} v{data['amends']['version']}")]
        )
    merged = copy.deepcopy(base.data)
    merged_positions: dict[KeyPath, tuple[int, int]] = {(): positions.get(("amends",), (1, 1))}
    for key in ("code", "version", "name", "issued_by", "confidence"):
        merged[key] = data[key]
        merged_positions[(key,)] = positions.get((key,), (1, 1))
    merged["legal_source"] = data["legal_source"]
    merged_positions[("legal_source",)] = positions.get(("legal_source",), (1, 1))
    for key in ("effective_from", "prerequisite"):
        if key in data:
            merged[key] = data[key]
    note = f"Sửa đổi, bổ sung bộ {base.code} v{base.version} ({base.data['legal_source']})."
    merged["verification_note"] = f"{note} {data.get('verification_note') or ''}".strip()

    problems: list[CriteriaProblem] = []
    for index, change in enumerate(data["changes"]):
        where: KeyPath = ("changes", index)
        if "indicator" in change:
            found = _indicator_at(merged, str(change["indicator"]))
            if found is None:
                problems.append(problem((*where, "indicator"), f"{base.code} has no indicator {change['indicator']!r}"))
                continue
            c_index, i_index = found
            indicator = merged["criteria"][c_index]["indicators"][i_index]
            indicator.update(copy.deepcopy(change["set"]))
        else:
            number = int(change["add_to_criterion"])
            c_index = next((i for i, c in enumerate(merged["criteria"]) if int(c["number"]) == number), -1)
            if c_index < 0:
                problems.append(problem((*where, "add_to_criterion"), f"{base.code} has no criterion {number}"))
                continue
            merged["criteria"][c_index]["indicators"].append(copy.deepcopy(change["add"]))
            i_index = len(merged["criteria"][c_index]["indicators"]) - 1
            indicator = merged["criteria"][c_index]["indicators"][i_index]
        # the indicator says where the province's figure comes from, beside the national source
        indicator["source"] = str(change["source"])
        if isinstance(indicator.get("thresholds"), dict) and ("set" not in change or "thresholds" in change["set"]):
            indicator["thresholds"].setdefault("source", str(change["source"]))
        here: KeyPath = ("criteria", c_index, "indicators", i_index)
        merged_positions[here] = positions.get(where, (1, 1))
    if problems:
        raise CriteriaFileError(problems)
    return merged, merged_positions


def _indicator_at(data: dict[str, Any], code: str) -> tuple[int, int] | None:
    for c_index, criterion in enumerate(data["criteria"]):
        for i_index, indicator in enumerate(criterion["indicators"]):
            if indicator["code"] == code:
                return c_index, i_index
    return None


def _base_document(code: str, version: int) -> ParsedCriteriaFile | None:
    """The shipped set an amendment applies to."""
    for candidate in builtin_criteria_files():
        document = parse_criteria_file(candidate)
        if document.code == code and document.version == version:
            return document
    return None


def province_mismatch(issued_by: str | None, province_name: str | None) -> bool:
    """A province's own set is for that province's units only ("Hải Dương", "tỉnh Hải Dương" are the same)."""
    if not issued_by:
        return False
    if province_name is None:
        return True

    def bare(name: str) -> str:
        folded = fold(name)
        for prefix in ("tinh ", "thanh pho "):
            folded = folded.removeprefix(prefix)
        return folded

    return bare(issued_by) != bare(province_name)
