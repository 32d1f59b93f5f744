"""`ntm ownership show` against seed 004 section VI, read independently of our data file.

The parser below reads the plan's own sentences ("Tiêu chí số 3", "các chỉ tiêu 13.2, 13.3 …
thuộc tiêu chí số 13") so that a slip in dossiers/data/ownership/thach-an-2025.yaml shows up as a
differing line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from dossiers.demo import DemoData
from dossiers.ownership import check_ownership

SEED = Path(__file__).resolve().parent.parent / "data" / "seed-004-thach-an-2025.txt"
NTM, ADVANCED = "xa-ntm-2021", "xa-ntm-nang-cao-2021"


def _section_vi() -> str:
    text = SEED.read_text(encoding="utf-8")
    return text[text.index("VI. TỔ CHỨC THỰC HIỆN") : text.index("Nơi nhận:")]


def _departments(section: str) -> list[tuple[str, str]]:
    """(heading, body) per numbered department of section VI."""
    parts = re.split(r"^\s*(\d{1,2})\.\s+(.+?)\s*$", section, flags=re.MULTILINE)
    return [(parts[i + 1].strip(), parts[i + 2]) for i in range(1, len(parts) - 2, 3)]


def _owned(statement: str) -> tuple[list[int], list[str]]:
    """Whole criteria and single indicators named in one sentence of the plan."""
    flat = " ".join(statement.split())
    without_parents = re.sub(r"thuộc tiêu chí số \d+", "", flat, flags=re.IGNORECASE)
    criteria = sorted({int(n) for n in re.findall(r"tiêu chí số (\d+)", without_parents, flags=re.IGNORECASE)})
    indicators = list(dict.fromkeys(re.findall(r"\b\d{1,2}\.\d{1,2}\b", without_parents)))
    return criteria, indicators


def _sets_named(statement: str) -> set[str]:
    lowered = " ".join(statement.split()).lower()
    if "bộ tiêu chí xã nông thôn mới" not in lowered or "kiểu mẫu" in lowered.split("gồm")[0]:
        return set()
    if "xã nông thôn mới và xã nông thôn mới nâng cao" in lowered:
        return {NTM, ADVANCED}
    head = lowered.split("gồm")[0]
    return {ADVANCED} if "nâng cao" in head else {NTM}


def seed_table() -> dict[str, dict[str, tuple[list[int], list[str]]]]:
    """set code → department heading → (criteria, indicators), as the plan states it."""
    table: dict[str, dict[str, tuple[list[int], list[str]]]] = {NTM: {}, ADVANCED: {}}
    for heading, body in _departments(_section_vi()):
        flat = " ".join(body.split())
        marker = flat.find("Phụ trách hướng dẫn")
        if marker < 0:
            continue
        duty = flat[marker:]
        pieces = [piece for piece in duty.split(" + ") if "Bộ tiêu chí" in piece] or [duty]
        for piece in pieces:
            for set_code in _sets_named(piece):
                criteria, indicators = _owned(piece.split("gồm", 1)[-1])
                if criteria or indicators:
                    known = table[set_code].setdefault(heading, ([], []))
                    known[0].extend(c for c in criteria if c not in known[0])
                    known[1].extend(i for i in indicators if i not in known[1])
        # VI.16: the women's union carries out the national guide of one indicator of the xã NTM set (QĐ 94/QĐ-ĐCT,
        # "hướng dẫn thực hiện chỉ tiêu 17.8 trong bộ tiêu chí quốc gia về xã nông thôn mới"): it appraises it too
        for code in re.findall(
            r"hướng dẫn thực hiện chỉ tiêu (\d{1,2}\.\d{1,2}) trong bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn",
            flat,
            flags=re.IGNORECASE,
        ):
            guided = table[NTM].setdefault(heading, ([], []))
            guided[1].extend([code] if code not in guided[1] else [])
    return table


def expected_line(heading: str, criteria: list[int], indicators: list[str]) -> str:
    parts = []
    if criteria:
        parts.append("tiêu chí " + ", ".join(str(n) for n in sorted(criteria)))
    if indicators:
        ordered = sorted(indicators, key=lambda code: tuple(int(x) for x in code.split(".")))
        parts.append("chỉ tiêu " + ", ".join(ordered))
    return f"{heading}: {'; '.join(parts)}"


def test_the_seed_parser_reads_the_plan_as_written() -> None:
    table = seed_table()
    assert table[NTM]["Phòng Nông nghiệp và PTNT"] == (
        [3],
        ["13.2", "13.3", "13.4", "13.5", "17.1", "17.4", "17.9", "17.10", "18.6"],
    )
    assert table[ADVANCED]["Ban Chỉ huy Quân sự huyện"] == ([], ["19.1"])
    assert table[NTM]["Hội Liên hiệp Phụ nữ huyện"] == ([], ["17.8"])  # VI.16, by QĐ 94/QĐ-ĐCT
    assert len(table[NTM]) == 13  # every department of VI.2-VI.13, and the women's union (VI.16)
    assert len(table[ADVANCED]) == 11  # Phòng Nội vụ has no nâng cao indicator


@pytest.mark.parametrize("set_code", [NTM, ADVANCED])
@pytest.mark.usefixtures("demo")
def test_ownership_show_prints_the_seed_table_line_by_line(runner: FlaskCliRunner, set_code: str) -> None:
    result = runner.invoke(args=["ownership", "show", "--district", "Thạch An", "--set", set_code])
    assert result.exit_code == 0, result.output
    printed = result.output.splitlines()[1:]
    expected = [expected_line(heading, *owned) for heading, owned in seed_table()[set_code].items()]
    assert sorted(printed) == sorted(expected)
    assert printed == expected  # same order as the plan: department by department


def test_ownership_check_names_what_the_seed_leaves_unowned(
    session: Session, runner: FlaskCliRunner, demo: DemoData
) -> None:
    report = check_ownership(session, demo.district, 2025, demo.sets[NTM])
    assert [indicator.code for indicator in report.unowned] == ["10"]  # Thu nhập: no department named
    advanced = check_ownership(session, demo.district, 2025, demo.sets[ADVANCED])
    assert {indicator.code for indicator in advanced.unowned} == {"4", "10"}
    assert {indicator.code for indicator, _ in advanced.shared} >= {"6.1", "6.3", "8", "15.2"}

    result = runner.invoke(args=["ownership", "check", "--district", "Thạch An", "--set", NTM])
    assert result.exit_code == 0, result.output
    assert "Chưa có phòng, ban phụ trách (1 chỉ tiêu)" in result.output
    assert "5 không 3 sạch" in result.output
