"""`ntm workflow diagram <level>` prints the Mermaid of the definition the engine runs."""

from __future__ import annotations

from flask.testing import FlaskCliRunner

from workflow.procedures import procedure_for
from workflow.vocabulary import DossierKind, RecognitionLevel


def test_diagram_of_commune_ntm_lists_every_state(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["workflow", "diagram", "commune-ntm"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("stateDiagram-v2\n")
    for state in procedure_for(RecognitionLevel.COMMUNE_NTM).states:
        assert f" as {state}\n" in result.output
    assert "consultation --> under_appraisal : submit [" in result.output


def test_diagram_of_a_revocation(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["workflow", "diagram", "district-ntm", "--kind", "revocation", "--no-guards"])
    assert result.exit_code == 0, result.output
    for state in procedure_for(RecognitionLevel.DISTRICT_NTM, DossierKind.REVOCATION).states:
        assert f" as {state}\n" in result.output
    assert "[" not in result.output.replace("[*]", "")


def test_unknown_level_is_refused(runner: FlaskCliRunner) -> None:
    # ported: "town-civilized" has a procedure now (issue 10 §3); a level that does not exist is refused
    result = runner.invoke(args=["workflow", "diagram", "ward-civilized"])
    assert result.exit_code != 0
    result = runner.invoke(args=["workflow", "diagram", "hamlet-ntm", "--kind", "revocation"])
    assert result.exit_code != 0
    assert "không có quy trình" in result.output
