"""The routes a province's rules may choose instead of the national ones, and the regime that carries the choice."""

from __future__ import annotations

import datetime as dt

from workflow.procedures import procedure_for, procedure_having, step_limit
from workflow.regimes import REGIME_2021_2025, ProvinceFigures
from workflow.routes import REFORM_DATE, route_for
from workflow.rules import DEFAULT_RULES
from workflow.vocabulary import Confidence, DossierKind, RecognitionLevel, UnitKind

BEFORE = dt.date(2025, 3, 3)
AFTER = dt.date(2025, 9, 1)
STAGE = "commune-via-district-and-province"
MODEL_B = "hamlet-via-district"


def figures(*routes: str) -> ProvinceFigures:
    return ProvinceFigures(
        province="Tỉnh Thử",
        regime="2021-2025",
        first_year=2024,
        last_year=2025,
        source="thử",
        confidence=Confidence.MEDIUM,
        routes=routes,
    )


def test_without_a_choice_the_national_routes_run() -> None:
    assert route_for(RecognitionLevel.COMMUNE_NTM, BEFORE).code == "commune-via-district"
    assert route_for(RecognitionLevel.HAMLET_NTM, BEFORE).code == "hamlet-to-district"
    assert REGIME_2021_2025.routes == ()


def test_a_choice_covers_its_levels_and_days_only() -> None:
    chosen = REGIME_2021_2025.with_figures([figures(STAGE, MODEL_B)]).routes
    assert chosen == (STAGE, MODEL_B)
    assert route_for(RecognitionLevel.COMMUNE_ADVANCED, BEFORE, chosen).code == STAGE
    assert route_for(RecognitionLevel.HAMLET_MODEL, BEFORE, chosen).code == MODEL_B
    # the district-level route is not touched; after the reform the variants give way to the national routes
    assert route_for(RecognitionLevel.DISTRICT_NTM, BEFORE, chosen).code == "district-to-prime-minister"
    assert route_for(RecognitionLevel.COMMUNE_NTM, REFORM_DATE, chosen).code == "commune-to-province"
    assert route_for(RecognitionLevel.HAMLET_NTM, AFTER, chosen).code == "hamlet-to-commune"


def test_each_route_runs_its_procedure() -> None:
    national = procedure_for(RecognitionLevel.COMMUNE_NTM)
    assert procedure_for(RecognitionLevel.COMMUNE_NTM, DossierKind.RECOGNITION, "commune-via-district") is national
    staged = procedure_for(RecognitionLevel.COMMUNE_NTM, DossierKind.RECOGNITION, STAGE)
    assert staged is not national and staged.name == "commune-ntm-provincial-appraisal"
    # a revocation case has no variant: the national procedure
    revocation = procedure_for(RecognitionLevel.COMMUNE_NTM, DossierKind.REVOCATION, STAGE)
    assert revocation is procedure_for(RecognitionLevel.COMMUNE_NTM, DossierKind.REVOCATION)
    # lists grouped by level, kind and state find the label of a variant's state
    found = procedure_having(RecognitionLevel.COMMUNE_NTM, DossierKind.RECOGNITION, "provincial_appraisal")
    assert found is staged and found.state_label("provincial_appraisal").startswith("Đã trình tỉnh")
    assert procedure_having("commune-ntm", "recognition", "forwarded") is national


def test_the_provincial_stage_reads_its_time_limit_from_the_rules() -> None:
    staged = procedure_for(RecognitionLevel.COMMUNE_NTM, DossierKind.RECOGNITION, STAGE)
    limit = step_limit(staged, "provincial_appraisal", UnitKind.DISTRICT, DEFAULT_RULES)
    assert limit == DEFAULT_RULES.provincial_appraisal_days
    assert limit is not None and limit.value == 20 and limit.confidence == Confidence.LOW
    assert step_limit(staged, "supplement_requested", UnitKind.DISTRICT) is None
    faster = figures(STAGE)
    faster = ProvinceFigures(**{**faster.__dict__, "rule_values": {"provincial_appraisal_days": 15}})
    rules = REGIME_2021_2025.with_figures([faster]).rules
    replaced = step_limit(staged, "provincial_appraisal", UnitKind.DISTRICT, rules)
    assert replaced is not None and (replaced.value, replaced.source) == (15, "thử")
