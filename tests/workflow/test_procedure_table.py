"""Every (state, action, role in a relation) of every procedure: allowed (and where it leads) or the
expected refusal. The expected tables are written out here by hand from the law, not read from the
definitions, so a change to a definition that the law does not call for fails this test."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from workflow.engine import SYSTEM, Grant, Party, Procedure
from workflow.errors import ActionNotAllowed, NotPermitted
from workflow.facts import Facts, ModelFacts, Posting, Survey, Vote
from workflow.procedures import PROCEDURES
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import DossierKind, RecognitionLevel, Role, UnitKind

UNIT = Grant(Role.UNIT_OFFICER, Party.APPLICANT)
FRONT = Grant(Role.FRONT_OFFICER, Party.APPLICANT)
COORD = Grant(Role.COORDINATOR, Party.AUTHORITY)
OWNER = Grant(Role.DEPARTMENT_OFFICER, Party.OWNING_DEPARTMENT)
CONFIRMER = Grant(Role.DEPARTMENT_OFFICER, Party.CONDITION_DEPARTMENT)
APPROVER = Grant(Role.APPROVER, Party.DECIDER)
TEAM = Grant(Role.APPRAISAL_TEAM, Party.AUTHORITY)
COMMUNE_OFFICER = Grant(Role.UNIT_OFFICER, Party.AUTHORITY)
RECORDER = Grant(Role.COORDINATOR, Party.DECIDER)

EDITABLE = {"self_assessment", "consultation", "returned"}

#: action → (states it is taken in, who may take it, where it leads with every guard holding; None = stays)
Table = dict[str, tuple[set[str], set[Grant], str | None]]

COMMUNE: Table = {
    "confirm_registration": ({"registered"}, {COORD}, "self_assessment"),
    "withdraw": ({"registered", *EDITABLE}, {UNIT}, "withdrawn"),
    "record_assessment": (EDITABLE, {UNIT}, None),
    "attach_evidence": (EDITABLE, {UNIT}, None),
    "finish_self_assessment": ({"self_assessment"}, {UNIT}, "consultation"),
    "record_posting": ({"consultation"}, {UNIT}, None),
    "record_survey": ({"consultation"}, {FRONT}, None),
    "record_vote": ({"consultation"}, {UNIT}, None),
    "submit": ({"consultation"}, {UNIT}, "under_appraisal"),
    "approve_indicators": ({"under_appraisal"}, {OWNER, COORD}, None),
    "return_indicators": ({"under_appraisal"}, {OWNER, COORD}, None),
    "complete_appraisal": ({"under_appraisal"}, {SYSTEM}, "appraised"),
    "confirm_condition": ({"under_appraisal", "appraised"}, {CONFIRMER}, None),
    "resubmit": ({"returned"}, {UNIT}, "under_appraisal"),
    "forward": ({"appraised"}, {COORD}, "forwarded"),
    "recognise": ({"forwarded"}, {APPROVER}, "recognised"),
    "refuse": ({"forwarded"}, {APPROVER}, "refused"),
}
COMMUNE_MODEL: Table = {**COMMUNE, "record_model_conditions": (EDITABLE, {UNIT}, None)}
HAMLET: Table = {
    "withdraw": ({"self_assessment", "returned"}, {UNIT}, "withdrawn"),
    "record_assessment": ({"self_assessment", "returned"}, {UNIT}, None),
    "attach_evidence": ({"self_assessment", "returned"}, {UNIT}, None),
    "submit": ({"self_assessment"}, {UNIT}, "under_appraisal"),
    "approve_indicators": ({"under_appraisal"}, {TEAM, OWNER}, None),
    "return_indicators": ({"under_appraisal"}, {TEAM, OWNER}, None),
    "complete_appraisal": ({"under_appraisal"}, {SYSTEM}, "appraised"),
    "resubmit": ({"returned"}, {UNIT}, "under_appraisal"),
    "record_announcement": ({"appraised"}, {COMMUNE_OFFICER}, None),
    "record_vote": ({"appraised"}, {COMMUNE_OFFICER}, None),
    # the construction-debt check, where the province's rules ask it (seed 004 VI.3 "xã, xóm")
    "confirm_condition": ({"under_appraisal", "appraised"}, {CONFIRMER}, None),
    "forward": ({"appraised"}, {COMMUNE_OFFICER}, "forwarded"),
    "recognise": ({"forwarded"}, {APPROVER}, "recognised"),
    "refuse": ({"forwarded"}, {APPROVER}, "refused"),
}
DISTRICT: Table = {
    **{k: v for k, v in COMMUNE.items() if k != "record_vote"},
    "recognise": ({"forwarded"}, {RECORDER}, "recognised"),
    "refuse": ({"forwarded"}, {RECORDER}, "refused"),
}


def revocation_table(decider: Grant) -> Table:
    return {
        "record_assessment": (EDITABLE, {UNIT}, None),
        "attach_evidence": (EDITABLE, {UNIT}, None),
        "finish_self_assessment": ({"self_assessment"}, {UNIT}, "consultation"),
        "record_posting": ({"consultation"}, {UNIT}, None),
        "submit": ({"consultation"}, {UNIT}, "under_appraisal"),
        "approve_indicators": ({"under_appraisal"}, {OWNER, COORD}, None),
        "return_indicators": ({"under_appraisal"}, {OWNER, COORD}, None),
        "complete_appraisal": ({"under_appraisal"}, {SYSTEM}, "appraised"),
        "resubmit": ({"returned"}, {UNIT}, "under_appraisal"),
        "forward": ({"appraised"}, {COORD}, "forwarded"),
        "revoke": ({"forwarded"}, {decider}, "revoked"),
        "keep": ({"forwarded"}, {decider}, "kept"),
    }


EXPECTED: dict[tuple[RecognitionLevel, DossierKind], Table] = {
    (RecognitionLevel.COMMUNE_NTM, DossierKind.RECOGNITION): COMMUNE,
    (RecognitionLevel.COMMUNE_ADVANCED, DossierKind.RECOGNITION): COMMUNE,
    (RecognitionLevel.COMMUNE_MODEL, DossierKind.RECOGNITION): COMMUNE_MODEL,
    # the 2026-2030 pilot (QĐ 51/2025 Phụ lục II): the commune procedure, the province's chairman decides
    (RecognitionLevel.COMMUNE_MODERN, DossierKind.RECOGNITION): COMMUNE,
    (RecognitionLevel.HAMLET_NTM, DossierKind.RECOGNITION): HAMLET,
    (RecognitionLevel.HAMLET_MODEL, DossierKind.RECOGNITION): HAMLET,
    (RecognitionLevel.DISTRICT_NTM, DossierKind.RECOGNITION): DISTRICT,
    (RecognitionLevel.DISTRICT_ADVANCED, DossierKind.RECOGNITION): DISTRICT,
    # QĐ 04/2022/QĐ-TTg (full text not collected): a thị trấn takes the commune's steps, the provincial chairman decides
    (RecognitionLevel.TOWN_CIVILIZED, DossierKind.RECOGNITION): COMMUNE,
    # QĐ 320/QĐ-TTg: a thị xã / thành phố thuộc tỉnh follows the district's steps, the Prime Minister decides
    (RecognitionLevel.DISTRICT_TOWN_COMPLETED, DossierKind.RECOGNITION): DISTRICT,
    (RecognitionLevel.COMMUNE_NTM, DossierKind.REVOCATION): revocation_table(APPROVER),
    (RecognitionLevel.COMMUNE_ADVANCED, DossierKind.REVOCATION): revocation_table(APPROVER),
    (RecognitionLevel.COMMUNE_MODEL, DossierKind.REVOCATION): revocation_table(APPROVER),
    (RecognitionLevel.COMMUNE_MODERN, DossierKind.REVOCATION): revocation_table(APPROVER),
    (RecognitionLevel.DISTRICT_NTM, DossierKind.REVOCATION): revocation_table(RECORDER),
    (RecognitionLevel.DISTRICT_ADVANCED, DossierKind.REVOCATION): revocation_table(RECORDER),
}

ALL_GRANTS = [SYSTEM, *(Grant(role, party) for role, party in itertools.product(Role, Party) if party != Party.SYSTEM)]
ALL_ACTIONS = sorted({action for table in EXPECTED.values() for action in table} | {"register", "approve", "fly"})


def good_facts(level: RecognitionLevel, applicant_kind: UnitKind) -> Facts:
    """Facts under which every guard holds: an allowed cell must then succeed."""
    today = dt.date(2025, 9, 1)
    return Facts(
        level=level,
        today=today,
        applicant_kind=applicant_kind,
        indicators=("1", "2"),
        assessed=frozenset({"1", "2"}),
        posting=Posting(dt.date(2025, 8, 1), dt.date(2025, 8, 20), 6),
        survey=Survey(100, 90, 90),
        vote=Vote(20, 20),
        announcement=Posting(dt.date(2025, 8, 1), dt.date(2025, 8, 12)),
        conditions={NO_CONSTRUCTION_DEBT: True, NOT_COMPLEX_SECURITY: True},
        prerequisite_held=True,
        model=ModelFacts(120, 100, 2, "giao-duc", True),
        communes_total=13,
        communes_recognised=13,
        revocation_rule_fires=True,
        comment="lý do",
    )


def test_every_procedure_has_a_table() -> None:
    assert set(EXPECTED) == set(PROCEDURES)


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda key: f"{key[0].value}-{key[1].value}")
def test_every_state_action_and_grant(key: tuple[RecognitionLevel, DossierKind]) -> None:
    procedure: Procedure = PROCEDURES[key]
    table = EXPECTED[key]
    assert set(procedure.actions) == set(table)
    applicant = {
        RecognitionLevel.TOWN_CIVILIZED: UnitKind.TOWN,
        RecognitionLevel.DISTRICT_TOWN_COMPLETED: UnitKind.DISTRICT_TOWN,
    }.get(key[0]) or {"hamlet": UnitKind.HAMLET, "district": UnitKind.DISTRICT}.get(
        key[0].value.split("-")[0], UnitKind.COMMUNE
    )
    facts = good_facts(key[0], applicant)
    checked = 0
    for state, action, grant in itertools.product(procedure.states, ALL_ACTIONS, ALL_GRANTS):
        sources, grants, dest = table.get(action, (set(), set(), None))
        checked += 1
        if state not in sources:
            with pytest.raises(ActionNotAllowed) as refused:
                procedure.fire(state, action, grants={grant}, facts=facts)
            assert refused.value.state == state
            assert set(refused.value.allowed) <= {a for a, (s, _, _) in table.items() if state in s}
        elif grant not in grants:
            with pytest.raises(NotPermitted):
                procedure.fire(state, action, grants={grant}, facts=facts)
        else:
            transit = procedure.fire(state, action, grants={grant}, facts=facts)
            assert transit.to_state == (dest or state), (state, action, grant)
            assert transit.grant == grant
    assert checked == len(procedure.states) * len(ALL_ACTIONS) * len(ALL_GRANTS)


def test_refusal_names_the_state_and_the_allowed_actions() -> None:
    procedure = PROCEDURES[RecognitionLevel.COMMUNE_NTM, DossierKind.RECOGNITION]
    with pytest.raises(ActionNotAllowed) as refused:
        procedure.fire(
            "consultation",
            "recognise",
            grants={APPROVER},
            facts=good_facts(RecognitionLevel.COMMUNE_NTM, UnitKind.COMMUNE),
        )
    message = str(refused.value)
    assert "Lấy ý kiến, hoàn thiện hồ sơ" in message and "consultation" in message
    for action in ("record_posting", "record_survey", "record_vote", "submit", "withdraw", "record_assessment"):
        assert action in refused.value.allowed
        assert procedure.action_label(action) in message  # people read the Vietnamese name, code reads `allowed`
    assert f"«{procedure.action_label('recognise')}»" in message


def test_not_permitted_names_who_may() -> None:
    procedure = PROCEDURES[RecognitionLevel.COMMUNE_NTM, DossierKind.RECOGNITION]
    with pytest.raises(NotPermitted) as refused:
        procedure.fire(
            "forwarded", "recognise", grants={COORD}, facts=good_facts(RecognitionLevel.COMMUNE_NTM, UnitKind.COMMUNE)
        )
    assert "Lãnh đạo phê duyệt của cấp có thẩm quyền công nhận" in str(refused.value)


def test_a_loaded_state_is_kept_by_the_shared_machine() -> None:
    """The machine is shared and has no models: firing on one dossier's state never touches another's."""
    procedure = PROCEDURES[RecognitionLevel.COMMUNE_NTM, DossierKind.RECOGNITION]
    facts = good_facts(RecognitionLevel.COMMUNE_NTM, UnitKind.COMMUNE)
    assert procedure.machine.models == []
    first = procedure.fire("appraised", "forward", grants={COORD}, facts=facts)
    second = procedure.fire("registered", "confirm_registration", grants={COORD}, facts=facts)
    assert (first.to_state, second.to_state) == ("forwarded", "self_assessment")
    assert procedure.machine.models == []
    assert not procedure.machine.auto_transitions
