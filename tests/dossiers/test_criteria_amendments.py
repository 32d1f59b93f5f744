"""A province loads its own amendments to a criteria set as data (seed 002: Hải Dương's QĐ 2582/QĐ-UBND and
QĐ 2583/QĐ-UBND of 26/9/2022): the province's set is the base set with the changes, checked like any criteria
file, shown by `ntm criteria list` with its source, measured by the engine, and for that province's units only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.access import load_actor
from dossiers.context import DossierContext
from dossiers.criteria_loader import (
    CRITERIA_DATA_DIR,
    CriteriaFileError,
    find_criteria_set,
    load_builtin_criteria,
    load_criteria_file,
    load_criteria_files,
)
from dossiers.handlers import handle
from dossiers.models import CriteriaSet
from tests.dossiers.procedure_world import BEFORE, build_world, later
from workflow.errors import GuardFailed
from workflow.measures import verdict
from workflow.vocabulary import RecognitionLevel

PROVINCES = CRITERIA_DATA_DIR / "provinces"
NANG_CAO_2582 = PROVINCES / "hai-duong-2582-2022-nang-cao.yaml"
KIEU_MAU_2583 = PROVINCES / "hai-duong-2583-2022-kieu-mau.yaml"

#: a test province's amendment of the xã NTM set: a threshold where the national set has none (17.11), and a
#: stricter one (17.10: 100% nationally); the figures are this test's, not a province's
AMENDMENT = """\
amends: {code: xa-ntm-2021, version: 1}
code: xa-ntm-2021-tinh-thu
version: 1
name: "Bộ tiêu chí xã NTM tỉnh Thử"
legal_source: "QĐ 1/QĐ-UBND (thử nghiệm)"
issued_by: "Tỉnh Thử"
confidence: low
changes:
  - indicator: "17.11"
    source: "QĐ 1/QĐ-UBND (thử nghiệm), tiêu chí 17"
    set:
      thresholds: {default: "≥ 60%", confidence: verified}
"""


def write(tmp_path: Path, text: str, name: str = "amendment.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_hai_duong_loads_its_nang_cao_and_kieu_mau_sets(session: Session) -> None:
    now = dt.datetime(2025, 1, 2, 2, 0, tzinfo=dt.UTC)
    load_builtin_criteria(session, now)
    nang_cao, kieu_mau = (r.criteria_set for r in load_criteria_files(session, [KIEU_MAU_2583, NANG_CAO_2582], now))
    assert (nang_cao.code, nang_cao.issued_by, nang_cao.legal_source) == (
        "xa-ntm-nang-cao-2021-hai-duong",
        "Hải Dương",
        "QĐ 2582/QĐ-UBND ngày 26/9/2022 của UBND tỉnh Hải Dương",
    )
    assert nang_cao.effective_from == dt.date(2022, 9, 26) and nang_cao.levels == ["commune-advanced"]
    assert nang_cao.verification_note is not None
    assert nang_cao.verification_note.startswith("Sửa đổi, bổ sung bộ xa-ntm-nang-cao-2021 v1")
    (sorting,) = [i for i in nang_cao.indicators() if i.code == "17.13"]
    assert sorting.threshold_for() == "≥ 50%" and sorting.threshold_confidence == "medium"
    assert sorting.threshold_source is not None and "Seed 002" in sorting.threshold_source
    assert sorting.confidence == "low"  # its code is the system's
    # the engine measures a value against the province's figure
    assert verdict(sorting.measure, sorting.thresholds, "62 %") is True
    assert verdict(sorting.measure, sorting.thresholds, "40 %") is False
    # everything else is the national set's
    assert len(nang_cao.indicators()) == len(_national(session, "xa-ntm-nang-cao-2021").indicators()) + 1
    assert kieu_mau.prerequisite_code == "xa-ntm-nang-cao-2021-hai-duong" and kieu_mau.issued_by == "Hải Dương"
    assert len(kieu_mau.indicators()) == len(_national(session, "xa-ntm-kieu-mau-2021").indicators())
    # loading again changes nothing
    assert not load_criteria_file(session, NANG_CAO_2582, now).created


def _national(session: Session, code: str) -> CriteriaSet:
    found = find_criteria_set(session, code)
    assert found is not None
    return found


def test_the_engine_measures_a_dossier_against_the_changed_threshold(session: Session, tmp_path: Path) -> None:
    world = build_world(session, BEFORE)
    load_builtin_criteria(session, BEFORE)
    amended = load_criteria_file(session, write(tmp_path, AMENDMENT), BEFORE).criteria_set
    national = _national(session, "xa-ntm-2021")

    def measured(set_id: int, commune_id: int, officer: str, value: str) -> bool | None:
        dossier = handle(
            session,
            world.user(officer),
            BEFORE,
            c.Register(unit_id=commune_id, level=RecognitionLevel.COMMUNE_NTM, year=2025, criteria_set_id=set_id),
        ).opened()
        handle(session, world.user("dieuphoi"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=dossier.id))
        entry = c.AssessmentEntry("17.11", met=True, value=value)
        handle(
            session, world.user(officer), later(BEFORE, 2), c.RecordAssessments(dossier_id=dossier.id, entries=(entry,))
        )
        context = DossierContext(session, dossier, load_actor(session, world.user(officer), BEFORE), BEFORE)
        return context.measured(context.by_code["17.11"])

    # 55 % of households sorting waste: a judgement on the national set (no threshold), short of the province's 60 %
    assert measured(national.id, world.commune.id, "xa", "55 %") is None
    assert measured(amended.id, world.other_commune.id, "xa.hai", "55 %") is False
    (changed,) = [i for i in amended.indicators() if i.code == "17.11"]
    assert changed.threshold_for() == "≥ 60%" and changed.source == "QĐ 1/QĐ-UBND (thử nghiệm), tiêu chí 17"


def test_a_provinces_set_is_refused_to_another_provinces_commune(session: Session) -> None:
    world = build_world(session, BEFORE)
    load_builtin_criteria(session, BEFORE)
    hai_duong = load_criteria_files(session, [NANG_CAO_2582], BEFORE)[0].criteria_set
    with pytest.raises(GuardFailed, match="do tỉnh Hải Dương ban hành, không áp dụng cho «Xã Một» \\(tỉnh Tỉnh Thử\\)"):
        handle(
            session,
            world.user("xa"),
            BEFORE,
            c.Register(
                unit_id=world.commune.id,
                level=RecognitionLevel.COMMUNE_ADVANCED,
                year=2025,
                criteria_set_id=hai_duong.id,
            ),
        )


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (
            '  - indicator: "17.99"\n    source: "x"\n    set: {note: "y"}\n',
            "changes[0].indicator",
            "no indicator '17.99'",
        ),
        (
            '  - indicator: "17.11"\n    source: "x"\n    set:\n      thresholds: {default: "≥ 60"}\n',
            "thresholds.default",
            "a percentage threshold needs '%'",
        ),
        (
            '  - add_to_criterion: 17\n    source: "x"\n    add: {code: "18.1", name: "n", measure: yes_no, '
            "thresholds: {default: Đạt}, confidence: low, reconstructed: true}\n",
            "code",
            "is not under criterion 17",
        ),
        (
            '  - add_to_criterion: 42\n    source: "x"\n    add: {code: "42.1", name: "n", measure: yes_no, '
            "thresholds: {default: Đạt}, confidence: low, reconstructed: true}\n",
            "changes[0].add_to_criterion",
            "xa-ntm-2021 has no criterion 42",
        ),
        ('  - indicator: "17.11"\n    set: {note: "y"}\n', "changes[0]", "'source' is a required property"),
    ],
)
def test_a_bad_amendment_is_refused_naming_the_file_and_the_key(
    session: Session, tmp_path: Path, change: str, where: str, message: str
) -> None:
    load_builtin_criteria(session, BEFORE)
    path = write(tmp_path, AMENDMENT.split("changes:")[0] + "changes:\n" + change)
    with pytest.raises(CriteriaFileError) as refused:
        load_criteria_file(session, path, BEFORE)
    text = str(refused.value)
    assert str(path) in text and where in text and message in text
    assert find_criteria_set(session, "xa-ntm-2021-tinh-thu") is None


def test_an_amendment_of_a_set_not_shipped_is_refused(session: Session, tmp_path: Path) -> None:
    path = write(tmp_path, AMENDMENT.replace("{code: xa-ntm-2021, version: 1}", "{code: xa-ntm-2021, version: 7}"))
    with pytest.raises(CriteriaFileError, match="no shipped criteria set xa-ntm-2021 v7"):
        load_criteria_file(session, path, BEFORE)


def test_criteria_list_shows_the_provinces_figure_with_its_source(runner: FlaskCliRunner, session: Session) -> None:
    assert runner.invoke(args=["criteria", "load-builtin"]).exit_code == 0
    loaded = runner.invoke(args=["criteria", "load", str(NANG_CAO_2582)])
    assert loaded.exit_code == 0, loaded.output
    shown = runner.invoke(args=["criteria", "list", "--set", "xa-ntm-nang-cao-2021-hai-duong"])
    assert shown.exit_code == 0, shown.output
    assert "Căn cứ: QĐ 2582/QĐ-UBND ngày 26/9/2022 của UBND tỉnh Hải Dương" in shown.output
    assert (
        "Ban hành/sửa đổi bởi: Hải Dương · sửa đổi, bổ sung bộ xa-ntm-nang-cao-2021 v1 · tin cậy thấp" in shown.output
    )
    line = next(text for text in shown.output.splitlines() if text.strip().startswith("17.13 "))
    assert "ngưỡng: ≥ 50% · nguồn: Seed 002" in line and "tin cậy trung bình" in line
