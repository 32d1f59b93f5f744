"""The Mermaid diagram is read from the machine the engine runs: every state, every transition."""

from __future__ import annotations

import re

import pytest

from workflow.diagram import mermaid
from workflow.procedures import PROCEDURES


@pytest.mark.parametrize("procedure", list(PROCEDURES.values()), ids=lambda p: p.name)
def test_diagram_lists_every_state_and_transition(procedure: object) -> None:
    from workflow.engine import Procedure

    assert isinstance(procedure, Procedure)
    text = mermaid(procedure)
    assert text.startswith("stateDiagram-v2\n")
    declared = set(re.findall(r'^    state "[^"]+" as (\w+)$', text, flags=re.MULTILINE))
    assert declared == set(procedure.states)
    edges = set(re.findall(r"^    (\w+) --> (\w+) : (\w+)", text, flags=re.MULTILINE))
    expected = {
        (source, transition.dest or source, transition.action)
        for transition in procedure.definition.transitions
        for source in transition.sources
    }
    assert edges == expected
    assert f"    [*] --> {procedure.definition.initial}" in text
    for state in procedure.definition.states:
        assert (f"    {state.name} --> [*]" in text) is state.final


def test_guards_are_shown() -> None:
    text = mermaid(PROCEDURES[next(iter(PROCEDURES))])
    assert "submit [all_assessed, all_met, posting_done, survey_met, vote_met, ownership_complete]" in text
