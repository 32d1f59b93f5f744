"""Criteria sets as data files: the shipped sets, the schema, malformed files, versions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.criteria_loader import (
    CriteriaFileError,
    builtin_criteria_files,
    criteria_schema,
    find_criteria_set,
    load_builtin_criteria,
    load_criteria_file,
    load_criteria_files,
    parse_criteria_file,
)
from dossiers.models import CriteriaSet, Criterion, Indicator
from workflow.vocabulary import Confidence, Measure, RecognitionLevel

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "criteria.json"

#: every indicator code of QĐ 318 Phụ lục I, per criterion (shared/reference/criteria.json)
COMMUNE_NTM_CODES = {
    1: ["1.1", "1.2"],
    2: ["2.1", "2.2", "2.3", "2.4"],
    3: ["3.1", "3.2"],
    4: ["4.1", "4.2"],
    5: ["5"],
    6: ["6.1", "6.2", "6.3"],
    7: ["7"],
    8: ["8.1", "8.2", "8.3", "8.4"],
    9: ["9.1", "9.2"],
    10: ["10"],
    11: ["11"],
    12: ["12.1", "12.2", "12.3"],
    13: ["13.1", "13.2", "13.3", "13.4", "13.5"],
    14: ["14.1", "14.2", "14.3"],
    15: ["15.1", "15.2", "15.3", "15.4"],
    16: ["16"],
    17: [f"17.{n}" for n in range(1, 13)],
    18: [f"18.{n}" for n in range(1, 7)],
    19: ["19.1", "19.2"],
}

#: the indicator codes seed 004 mục VI names for the nâng cao set (plus 6.2, filling the gap)
SEED_004_ADVANCED_CODES = [
    "6.1", "6.2", "6.3", *(f"13.{n}" for n in range(1, 9)), "15.1", "15.2", "15.3",
    *(f"17.{n}" for n in range(1, 13)), *(f"18.{n}" for n in range(1, 9)), "19.1", "19.2",
]  # fmt: skip

MINIMAL = """\
code: test-xa
version: 1
name: "Bộ thử"
levels: [commune-ntm]
legal_source: "QĐ thử"
period: {start: 2021, end: 2025}
confidence: low
criteria:
  - number: 1
    name: "Quy hoạch"
    confidence: low
    indicators:
      - code: "1.1"
        name: "Chỉ tiêu 1.1"
        measure: yes_no
        confidence: low
        reconstructed: true
      - code: "1.2"
        name: "Chỉ tiêu 1.2"
        measure: percentage
        unit: "%"
        confidence: low
        reconstructed: true
  - number: 2
    name: "Giao thông"
    confidence: low
    indicators:
      - code: "2"
        name: "Giao thông"
        measure: yes_no
        confidence: low
        reconstructed: true
"""


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(CriteriaSet)) or 0,
        session.scalar(select(func.count()).select_from(Criterion)) or 0,
        session.scalar(select(func.count()).select_from(Indicator)) or 0,
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _codes(criteria_set: CriteriaSet) -> dict[int, list[str]]:
    return {criterion.number: [i.code for i in criterion.indicators] for criterion in criteria_set.criteria}


@pytest.fixture
def builtin(session: Session, now: dt.datetime) -> dict[str, CriteriaSet]:
    return {result.criteria_set.code: result.criteria_set for result in load_builtin_criteria(session, now)}


# --- the shipped sets -----------------------------------------------------------------------------


def test_every_shipped_file_loads(session: Session, now: dt.datetime) -> None:
    results = load_builtin_criteria(session, now)

    assert [result.created for result in results] == [True] * len(builtin_criteria_files())
    assert {result.criteria_set.code: result.criteria_set.levels for result in results} == {
        "xa-ntm-2021": ["commune-ntm"],
        "xa-ntm-nang-cao-2021": ["commune-advanced"],
        "xa-ntm-kieu-mau-2021": ["commune-model"],
        "xa-ntm-2026": ["commune-ntm"],
        "huyen-ntm-2021": ["district-ntm"],
        "huyen-ntm-nang-cao-2021": ["district-advanced"],
        "thon-ntm-cao-bang": ["hamlet-ntm"],
        "thon-ntm-kieu-mau-cao-bang": ["hamlet-model"],
        "thi-tran-van-minh-2022": ["town-civilized"],
        "tx-tp-hoan-thanh-ntm-2021": ["district-town-completed"],
    }
    loaded_codes = [result.criteria_set.code for result in results]
    for result in results:  # a prerequisite is always loaded before the set that needs it
        if result.criteria_set.prerequisite_code:
            assert loaded_codes.index(result.criteria_set.prerequisite_code) < loaded_codes.index(
                result.criteria_set.code
            )
    for result in results:
        assert result.criteria_set.source_file == f"dossiers/data/criteria/{result.path.name}"
        assert result.criteria_set.loaded_at == now


def test_shipped_sets_keep_the_indicator_convention(builtin: dict[str, CriteriaSet]) -> None:
    for criteria_set in builtin.values():
        for criterion in criteria_set.criteria:
            codes = [indicator.code for indicator in criterion.indicators]
            whole = str(criterion.number)
            assert codes == [whole] or all(code.startswith(f"{whole}.") for code in codes), (criteria_set.code, codes)
            for indicator in criterion.indicators:
                assert indicator.confidence in set(Confidence)
                assert indicator.measure in set(Measure)
                assert indicator.source, (criteria_set.code, indicator.code)
                # only verified wording may pass for the official text
                assert indicator.reconstructed or indicator.confidence == Confidence.VERIFIED, indicator.code
            assert criterion.source


def test_commune_ntm_set_has_every_indicator_code_of_qd_318(builtin: dict[str, CriteriaSet]) -> None:
    commune = builtin["xa-ntm-2021"]

    assert commune.legal_source.startswith("QĐ 318/QĐ-TTg")
    assert (commune.period_start, commune.period_end, commune.effective_from) == (2021, 2025, dt.date(2022, 3, 8))
    assert len(commune.criteria) == 19
    assert _codes(commune) == COMMUNE_NTM_CODES
    assert [criterion.number for criterion in commune.criteria if criterion.is_key] == [10, 17, 19]
    assert [region["code"] for region in commune.regions] == ["TDMNPB", "DBSH", "BTB", "DHNTB", "TN", "DNB", "DBSCL"]
    assert commune.applies_to(RecognitionLevel.COMMUNE_NTM)
    # nothing reconstructed from memory passes for the official wording
    assert all(indicator.reconstructed for indicator in commune.indicators())


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference is not beside the repository")
def test_commune_ntm_set_matches_the_reference_data(builtin: dict[str, CriteriaSet]) -> None:
    reference = {entry["code"]: entry for entry in json.loads(REFERENCE.read_text(encoding="utf-8"))["sets"]}
    for code in ("xa-ntm-2021", "xa-ntm-nang-cao-2021", "xa-ntm-2026", "huyen-ntm-2021", "huyen-ntm-nang-cao-2021"):
        expected = {c["number"]: c for c in reference[code]["criteria"]}
        loaded = builtin[code]
        assert {c.number: c.name for c in loaded.criteria} == {n: c["name_vi"] for n, c in expected.items()}, code
        assert {c.number for c in loaded.criteria if c.is_key} == {
            n for n, c in expected.items() if c.get("key_for_revocation")
        }, code
    for criterion in reference["xa-ntm-2021"]["criteria"]:
        for indicator in criterion["indicators"]:
            loaded_indicator = next(i for i in builtin["xa-ntm-2021"].indicators() if i.code == indicator["code"])
            assert loaded_indicator.name == indicator["name_vi"]
            assert loaded_indicator.confidence == indicator["confidence"]


def test_advanced_set_has_every_code_seed_004_names(builtin: dict[str, CriteriaSet]) -> None:
    advanced = builtin["xa-ntm-nang-cao-2021"]
    codes = _codes(advanced)

    assert len(advanced.criteria) == 19
    assert advanced.prerequisite_code == "xa-ntm-2021"
    assert [criterion.number for criterion in advanced.criteria if criterion.is_key] == [10, 17, 18, 19]
    all_codes = [code for numbers in codes.values() for code in numbers]
    assert set(SEED_004_ADVANCED_CODES) <= set(all_codes)
    assert codes[1] == ["1.1", "1.2"]
    assert codes[13] == [f"13.{n}" for n in range(1, 9)]
    assert codes[18] == [f"18.{n}" for n in range(1, 9)]
    for number in (2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14, 16):
        assert codes[number] == [str(number)]

    culture = next(criterion for criterion in advanced.criteria if criterion.number == 6)
    assert culture.name == "Văn hóa"
    assert culture.note is not None and "Kinh tế" in culture.note
    gap = next(indicator for indicator in culture.indicators if indicator.code == "6.2")
    assert (gap.confidence, gap.reconstructed) == (Confidence.LOW, True)


def test_model_commune_conditions_are_assessable_criteria(builtin: dict[str, CriteriaSet]) -> None:
    model = builtin["xa-ntm-kieu-mau-2021"]

    assert model.prerequisite_code == "xa-ntm-nang-cao-2021"
    assert _codes(model) == {1: ["1"], 2: ["2"], 3: ["3"], 4: ["4"]}
    assert [condition["code"] for condition in model.conditions] == ["KM1", "KM2", "KM3", "KM4"]
    assert "10%" in model.conditions[1]["text"]
    assert "thôn thông minh" in model.conditions[2]["text"]
    assert {field["code"] for field in model.outstanding_fields} >= {"san-xuat", "giao-duc", "van-hoa", "du-lich"}
    income = model.criteria[1].indicators[0]
    assert income.measure == Measure.MONEY
    assert not income.reconstructed


def test_2026_set_has_ten_criteria_three_groups_and_says_what_is_missing(builtin: dict[str, CriteriaSet]) -> None:
    new_set = builtin["xa-ntm-2026"]

    assert (new_set.period_start, new_set.period_end, new_set.effective_from) == (2026, 2030, dt.date(2026, 2, 15))
    assert len(new_set.criteria) == 10
    assert [group["code"] for group in new_set.commune_groups] == ["nhom-1", "nhom-2", "nhom-3"]
    assert new_set.verification_note is not None and "47" in new_set.verification_note
    assert all(i.reconstructed and i.confidence == Confidence.LOW for i in new_set.indicators())


def test_hamlet_sets_are_flagged_as_reconstructions(builtin: dict[str, CriteriaSet]) -> None:
    hamlet, model = builtin["thon-ntm-cao-bang"], builtin["thon-ntm-kieu-mau-cao-bang"]

    assert model.prerequisite_code == hamlet.code
    for criteria_set in (hamlet, model):
        assert criteria_set.issued_by == "Tỉnh Cao Bằng"
        assert criteria_set.confidence == Confidence.LOW
        assert all(i.reconstructed and i.confidence == Confidence.LOW for i in criteria_set.indicators())


def test_schema_is_valid_and_matches_the_vocabulary() -> None:
    schema = criteria_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["level"]["enum"] == [level.value for level in RecognitionLevel]
    assert schema["$defs"]["measure"]["enum"] == [measure.value for measure in Measure]
    assert schema["$defs"]["confidence"]["enum"] == [confidence.value for confidence in Confidence]


# --- malformed files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "        measure: percentage\n",
            "       measure: percentage\n",
            ":20:8: YAML syntax error: ",  # the wording differs between libyaml and pure PyYAML
            id="yaml-syntax",
        ),
        pytest.param(
            "measure: percentage",
            "measure: percent",
            ":20:9: criteria[0].indicators[1].measure: 'percent' is not one of ['yes_no', 'percentage',",
            id="schema-enum",
        ),
        pytest.param(
            'code: "1.2"',
            'code: "1.1"',
            ":18:9: criteria[0].indicators[1].code: duplicate indicator code '1.1' "
            "(first at criteria[0].indicators[0], line 13)",
            id="duplicate-code",
        ),
        pytest.param(
            'code: "2"',
            'code: "1.3"',
            ":28:9: criteria[1].indicators[0].code: indicator '1.3' is not under criterion 2",
            id="wrong-parent",
        ),
        pytest.param(
            "  - number: 2\n",
            "  - number: 1\n",
            ":24:5: criteria[1].number: duplicate criterion number 1",
            id="duplicate-number",
        ),
        pytest.param(
            '        measure: yes_no\n        confidence: low\n        reconstructed: true\n      - code: "1.2"',
            '        confidence: low\n        reconstructed: true\n      - code: "1.2"',
            ":13:9: criteria[0].indicators[0].measure: required key is missing",
            id="missing-key",
        ),
        pytest.param(
            "        unit:",
            "        units:",
            ":21:9: criteria[0].indicators[1].units: unknown key; allowed keys are: code, name, measure, unit,",
            id="unknown-key",
        ),
        pytest.param(
            'code: "1.2"',
            "code: 1.20",
            ':18:9: criteria[0].indicators[1].code: 1.2 is a number: write the code in quotes, e.g. "17.10"',
            id="unquoted-code",
        ),
        pytest.param(
            "levels: [commune-ntm]",
            "levels: [commune-ntm, commune-superb]",
            ":4:23: levels[1]: 'commune-superb' is not one of ['hamlet-ntm',",
            id="unknown-level",
        ),
        pytest.param(
            "version: 1\n",
            "version: 1\nversion: 2\n",
            ":3:1: version: duplicate key (first given on line 2)",
            id="duplicate-key",
        ),
        pytest.param(
            '        unit: "%"\n',
            '        unit: "%"\n        thresholds: {default: "≥ 90%", by_region: {TDMNPB: "≥ 80%"}}\n',
            ":22:52: criteria[0].indicators[1].thresholds.by_region.TDMNPB: 'TDMNPB' is not one of "
            "the set's regions (none)",
            id="undeclared-region",
        ),
        pytest.param(
            "confidence: low\ncriteria:",
            "confidence: low\nprerequisite: test-base\ncriteria:",
            ":8:1: prerequisite: prerequisite set 'test-base' is not loaded; load it first or in the same command",
            id="prerequisite-not-loaded",
        ),
    ],
)
def test_malformed_file_names_file_line_and_key_and_loads_nothing(
    session: Session, now: dt.datetime, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in MINIMAL
    path = _write(tmp_path, "bad-set.yaml", MINIMAL.replace(old, new, 1))
    before = _counts(session)

    with pytest.raises(CriteriaFileError) as caught:
        load_criteria_file(session, path, now)

    assert f"{path}{expected}" in str(caught.value)
    assert _counts(session) == before


def test_one_bad_file_in_a_batch_loads_none_of_them(session: Session, now: dt.datetime, tmp_path: Path) -> None:
    good = _write(tmp_path, "good.yaml", MINIMAL)
    bad = _write(tmp_path, "bad.yaml", MINIMAL.replace("code: test-xa", "code: test-other").replace("yes_no", "maybe"))
    before = _counts(session)

    with pytest.raises(CriteriaFileError) as caught:
        load_criteria_files(session, [good, bad], now)

    assert caught.value.files == [str(bad)]
    assert _counts(session) == before


def test_every_problem_of_a_file_is_reported_in_line_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "two.yaml", MINIMAL.replace("measure: percentage", "measure: percent").replace('"1.1"', "1.1")
    )

    with pytest.raises(CriteriaFileError) as caught:
        parse_criteria_file(path)

    assert [(problem.line, problem.key_path) for problem in caught.value.problems] == [
        (13, "criteria[0].indicators[0].code"),
        (20, "criteria[0].indicators[1].measure"),
    ]


def test_empty_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    empty = _write(tmp_path, "empty.yaml", "# nothing but a comment\n")
    with pytest.raises(CriteriaFileError, match=r"empty\.yaml:1:1: the file is empty"):
        parse_criteria_file(empty)
    with pytest.raises(CriteriaFileError, match=r"missing\.yaml:1:1: cannot read the file"):
        parse_criteria_file(tmp_path / "missing.yaml")


# --- versions -----------------------------------------------------------------------------------


def test_reloading_the_same_content_is_a_no_op(session: Session, now: dt.datetime, tmp_path: Path) -> None:
    path = _write(tmp_path, "set.yaml", MINIMAL)
    first = load_criteria_file(session, path, now)
    after_first = _counts(session)

    again = load_criteria_file(session, path, now + dt.timedelta(days=1))
    reformatted = _write(
        tmp_path, "same.yaml", "# a comment changes nothing\n" + MINIMAL.replace("{start: 2021", "{ start: 2021")
    )
    same = load_criteria_file(session, reformatted, now)

    assert first.created and not again.created and not same.created
    assert again.criteria_set.id == same.criteria_set.id == first.criteria_set.id
    assert again.criteria_set.loaded_at == now
    assert _counts(session) == after_first


def test_changed_content_under_the_same_version_is_refused(session: Session, now: dt.datetime, tmp_path: Path) -> None:
    load_criteria_file(session, _write(tmp_path, "set.yaml", MINIMAL), now)
    before = _counts(session)
    changed = _write(tmp_path, "changed.yaml", MINIMAL.replace('name: "Chỉ tiêu 1.2"', 'name: "Chỉ tiêu 1.2 (sửa)"'))

    with pytest.raises(CriteriaFileError) as caught:
        load_criteria_file(session, changed, now)

    message = str(caught.value)
    assert f"{changed}:2:1: version: test-xa v1 is already loaded with different content" in message
    assert "bump 'version' to 2" in message
    assert _counts(session) == before


def test_a_new_version_sits_beside_the_old_one(session: Session, now: dt.datetime, tmp_path: Path) -> None:
    before = _counts(session)
    old = load_criteria_file(session, _write(tmp_path, "v1.yaml", MINIMAL), now).criteria_set
    text = MINIMAL.replace("version: 1", "version: 2").replace('name: "Chỉ tiêu 1.2"', 'name: "Chỉ tiêu 1.2 mới"')
    new = load_criteria_file(session, _write(tmp_path, "v2.yaml", text), now).criteria_set

    assert (old.id != new.id, old.version, new.version) == (True, 1, 2)
    assert old.criteria[0].indicators[1].name == "Chỉ tiêu 1.2"
    assert new.criteria[0].indicators[1].name == "Chỉ tiêu 1.2 mới"
    assert find_criteria_set(session, "test-xa") is new
    assert find_criteria_set(session, "test-xa", 1) is old
    assert _counts(session) == (before[0] + 2, before[1] + 4, before[2] + 6)


def test_a_prerequisite_in_the_same_batch_is_loaded_first(session: Session, now: dt.datetime, tmp_path: Path) -> None:
    base = _write(tmp_path, "base.yaml", MINIMAL.replace("code: test-xa", "code: test-base"))
    advanced = _write(
        tmp_path,
        "advanced.yaml",
        MINIMAL.replace("confidence: low\ncriteria:", "confidence: low\nprerequisite: test-base\ncriteria:"),
    )

    results = load_criteria_files(session, [advanced, base], now)

    assert [result.criteria_set.code for result in results] == ["test-base", "test-xa"]
    assert results[1].criteria_set.prerequisite_code == "test-base"


def test_prerequisite_cycles_and_conflicting_duplicates_in_a_batch_are_refused(
    session: Session, now: dt.datetime, tmp_path: Path
) -> None:
    one = _write(
        tmp_path,
        "one.yaml",
        MINIMAL.replace("confidence: low\ncriteria:", "confidence: low\nprerequisite: test-two\ncriteria:"),
    )
    two = _write(
        tmp_path,
        "two.yaml",
        MINIMAL.replace("code: test-xa", "code: test-two").replace(
            "confidence: low\ncriteria:", "confidence: low\nprerequisite: test-xa\ncriteria:"
        ),
    )
    before = _counts(session)
    with pytest.raises(CriteriaFileError, match="prerequisites form a cycle"):
        load_criteria_files(session, [one, two], now)

    first = _write(tmp_path, "first.yaml", MINIMAL)
    second = _write(tmp_path, "second.yaml", MINIMAL.replace('"Bộ thử"', '"Bộ thử khác"'))
    with pytest.raises(CriteriaFileError, match=r"second\.yaml:2:1: version: .*first\.yaml in the same batch"):
        load_criteria_files(session, [first, second], now)
    assert _counts(session) == before


def test_thresholds_by_year_with_source_and_answers_load(session: Session, now: dt.datetime, tmp_path: Path) -> None:
    text = MINIMAL.replace(
        '        unit: "%"\n',
        '        unit: "%"\n'
        "        thresholds:\n"
        '          default: "≥ 70%"\n'
        '          by_year: {"2024": "≥ 75%"}\n'
        '          source: "Kế hoạch thử 2024"\n'
        "          confidence: medium\n",
    ).replace(
        '      - code: "2"\n        name: "Giao thông"\n        measure: yes_no\n',
        '      - code: "2"\n        name: "Giao thông"\n        measure: text\n'
        '        answers: ["Đơn vị tiên tiến", "Hoàn thành nhiệm vụ"]\n'
        '        thresholds: {default: "Đơn vị tiên tiến"}\n',
    )
    loaded = load_criteria_file(session, _write(tmp_path, "year.yaml", text), now).criteria_set
    by_code = {indicator.code: indicator for indicator in loaded.indicators()}
    assert by_code["1.2"].threshold_for(None, None, 2024) == "≥ 75%"
    assert by_code["1.2"].threshold_for(None, None, 2025) == "≥ 70%"
    assert (by_code["1.2"].threshold_source, by_code["1.2"].threshold_confidence) == ("Kế hoạch thử 2024", "medium")
    assert by_code["2"].answers == ["Đơn vị tiên tiến", "Hoàn thành nhiệm vụ"]
    assert by_code["1.1"].answers is None


def test_thresholds_the_measure_cannot_take_are_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        '        unit: "%"\n',
        '        unit: "%"\n        thresholds: {default: "≥ 70", by_year: {"2019": "≥ 75%"}}\n',
    ).replace(
        '        name: "Chỉ tiêu 1.1"\n        measure: yes_no\n',
        '        name: "Chỉ tiêu 1.1"\n        measure: yes_no\n        answers: ["A"]\n'
        '        thresholds: {default: "≥ 5"}\n',
    )
    with pytest.raises(CriteriaFileError) as caught:
        parse_criteria_file(_write(tmp_path, "bad-thresholds.yaml", text))
    messages = [f"{problem.key_path}: {problem.message}" for problem in caught.value.problems]
    assert messages == [
        "criteria[0].indicators[0].answers: answers are for a text measure, not yes_no",
        "criteria[0].indicators[0].thresholds.default: '≥ 5': a yes_no threshold is 'Đạt', 'Có' or 'Không'",
        "criteria[0].indicators[1].thresholds.default: '≥ 70': a percentage threshold needs '%'",
        "criteria[0].indicators[1].thresholds.by_year.2019: '2019' is not a year of the set's period 2021-2025",
    ]
