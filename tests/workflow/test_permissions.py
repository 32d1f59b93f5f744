"""Who may, without a database: grants from seats, read scope, delegation, the task a department
answers, the conditions it confirms; and one table of seat × action against hand-written expectations."""

from __future__ import annotations

import datetime as dt

import pytest

from workflow import permissions
from workflow.actions import Action
from workflow.engine import Grant, Party
from workflow.errors import GuardFailed, NotPermitted
from workflow.permissions import Actor, DelegationWindow, Holding, Person, Seats, TaskSeat
from workflow.procedures import procedure_for
from workflow.rules import DEFAULT_RULES, NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import RecognitionLevel, Role

PROVINCE, DISTRICT, OTHER_DISTRICT, COMMUNE, NEIGHBOUR = 1, 2, 3, 10, 11
#: departments of the district: 100 owns indicators of the dossier, 101 does not, 102 is finance, 103 police
OWNING, NOT_OWNING, FINANCE, POLICE, FOREIGN = 100, 101, 102, 103, 200

SEATS = Seats(
    unit_id=COMMUNE,
    authority_unit_id=DISTRICT,
    decider_unit_id=PROVINCE,
    owning_department_ids=frozenset({OWNING}),
    unit_scope=frozenset({COMMUNE, DISTRICT, PROVINCE}),
    authority_scope=frozenset({DISTRICT, PROVINCE}),
)


def person(user_id: int, *holdings: Holding) -> Person:
    return Person(user_id, f"người {user_id}", holdings)


def department(role: Role, department_id: int, code: str, unit_id: int = DISTRICT) -> Holding:
    return Holding(role, department_id=department_id, department_unit_id=unit_id, department_code=code)


#: seat name → the person holding it
PEOPLE = {
    "commune officer": person(1, Holding(Role.UNIT_OFFICER, unit_id=COMMUNE)),
    "front officer": person(2, Holding(Role.FRONT_OFFICER, unit_id=COMMUNE)),
    "coordinator": person(3, Holding(Role.COORDINATOR, unit_id=DISTRICT)),
    "owning department": person(4, department(Role.DEPARTMENT_OFFICER, OWNING, "nn-ptnt")),
    "other department": person(5, department(Role.DEPARTMENT_OFFICER, NOT_OWNING, "vh-tt")),
    "finance department": person(6, department(Role.DEPARTMENT_OFFICER, FINANCE, "tc-kh")),
    "provincial chairman": person(7, Holding(Role.APPROVER, unit_id=PROVINCE)),
    "neighbour officer": person(8, Holding(Role.UNIT_OFFICER, unit_id=NEIGHBOUR)),
    "coordinator elsewhere": person(9, Holding(Role.COORDINATOR, unit_id=OTHER_DISTRICT)),
    "department elsewhere": person(10, department(Role.DEPARTMENT_OFFICER, FOREIGN, "nn-ptnt", OTHER_DISTRICT)),
    "admin": person(11, Holding(Role.ADMIN)),
}

#: action → (a state where the commune NTM procedure has it, the seats that may take it there)
EXPECTED: dict[Action, tuple[str, set[str]]] = {
    Action.CONFIRM_REGISTRATION: ("registered", {"coordinator"}),
    Action.WITHDRAW: ("registered", {"commune officer"}),
    Action.RECORD_ASSESSMENT: ("self_assessment", {"commune officer"}),
    Action.ATTACH_EVIDENCE: ("self_assessment", {"commune officer"}),
    Action.FINISH_SELF_ASSESSMENT: ("self_assessment", {"commune officer"}),
    Action.RECORD_POSTING: ("consultation", {"commune officer"}),
    Action.RECORD_SURVEY: ("consultation", {"front officer"}),
    Action.RECORD_VOTE: ("consultation", {"commune officer"}),
    Action.SUBMIT: ("consultation", {"commune officer"}),
    Action.APPROVE_INDICATORS: ("under_appraisal", {"owning department", "coordinator"}),
    Action.RETURN_INDICATORS: ("under_appraisal", {"owning department", "coordinator"}),
    Action.COMPLETE_APPRAISAL: ("under_appraisal", set()),
    Action.CONFIRM_CONDITION: ("appraised", {"finance department"}),
    Action.RESUBMIT: ("returned", {"commune officer"}),
    Action.FORWARD: ("appraised", {"coordinator"}),
    Action.RECOGNISE: ("forwarded", {"provincial chairman"}),
    Action.REFUSE: ("forwarded", {"provincial chairman"}),
    # the Front of the commune (not the neighbour's, nor the district's officers) supervises at any step
    Action.RECORD_SUPERVISION: ("under_appraisal", {"front officer"}),
}


@pytest.mark.parametrize("action", list(EXPECTED), ids=str)
def test_who_may_take_each_action_of_a_commune_dossier(action: Action) -> None:
    procedure = procedure_for(RecognitionLevel.COMMUNE_NTM)
    state, allowed = EXPECTED[action]
    assert action in procedure.actions_from(state)
    found = {
        name
        for name, holder in PEOPLE.items()
        if action in permissions.allowed_actions(procedure, state, Actor(holder), SEATS)
    }
    assert found == allowed


def test_the_table_covers_every_action_of_the_procedure() -> None:
    assert set(procedure_for(RecognitionLevel.COMMUNE_NTM).actions) == set(EXPECTED)


def test_grants_name_the_party_each_seat_holds() -> None:
    assert permissions.grants_of(PEOPLE["commune officer"], SEATS) == {Grant(Role.UNIT_OFFICER, Party.APPLICANT)}
    assert permissions.grants_of(PEOPLE["owning department"], SEATS) == {
        Grant(Role.DEPARTMENT_OFFICER, Party.OWNING_DEPARTMENT)
    }
    assert permissions.grants_of(PEOPLE["finance department"], SEATS) == {
        Grant(Role.DEPARTMENT_OFFICER, Party.CONDITION_DEPARTMENT)
    }
    # a role on an ancestor gives no seat: each seat is one unit
    assert permissions.grants_of(person(20, Holding(Role.UNIT_OFFICER, unit_id=DISTRICT)), SEATS) == {
        Grant(Role.UNIT_OFFICER, Party.AUTHORITY)
    }
    assert permissions.grants_of(PEOPLE["admin"], SEATS) == frozenset()


def test_read_scope_covers_the_unit_and_above_and_the_authority_departments() -> None:
    readers = {name for name, holder in PEOPLE.items() if permissions.may_view(Actor(holder), SEATS)}
    assert readers == {
        "commune officer",
        "front officer",
        "coordinator",
        "owning department",
        "other department",
        "finance department",
        "provincial chairman",
        "admin",
    }


def test_a_substitute_acts_with_the_grants_of_whom_they_stand_in_for() -> None:
    procedure = procedure_for(RecognitionLevel.COMMUNE_NTM)
    substitute = person(30)
    actor = Actor(substitute, (PEOPLE["coordinator"],))
    assert Action.CONFIRM_REGISTRATION in permissions.allowed_actions(procedure, "registered", actor, SEATS)
    principal, grants = permissions.choose_principal(
        actor,
        lambda p: permissions.grants_of(p, SEATS),
        lambda g: Action.CONFIRM_REGISTRATION in procedure.allowed_actions("registered", g),
    )
    assert principal == PEOPLE["coordinator"]
    assert Grant(Role.COORDINATOR, Party.AUTHORITY) in grants
    # their own grants come first when they allow the action
    own = Actor(PEOPLE["coordinator"], (PEOPLE["commune officer"],))
    principal, _ = permissions.choose_principal(
        own,
        lambda p: permissions.grants_of(p, SEATS),
        lambda g: Action.CONFIRM_REGISTRATION in procedure.allowed_actions("registered", g),
    )
    assert principal == PEOPLE["coordinator"]


def test_a_delegation_window_includes_both_ends() -> None:
    window = DelegationWindow(3, dt.date(2025, 3, 1), dt.date(2025, 3, 10))
    assert window.covers(dt.date(2025, 3, 1)) and window.covers(dt.date(2025, 3, 10))
    assert not window.covers(dt.date(2025, 2, 28)) and not window.covers(dt.date(2025, 3, 11))


TASKS = [
    TaskSeat(1, "Phòng NN", OWNING, None, frozenset({"1", "17.1"}), pending=True),
    TaskSeat(2, "Điều phối", None, Role.COORDINATOR, frozenset({"10"}), pending=True),
    TaskSeat(3, "Phòng khác", NOT_OWNING, None, frozenset({"5"}), pending=False),
]


def test_each_seat_answers_its_own_task() -> None:
    owner = PEOPLE["owning department"]
    task, grant = permissions.task_to_answer(
        owner, permissions.grants_of(owner, SEATS), TASKS, Action.APPROVE_INDICATORS
    )
    assert task.task_id == 1 and grant == Grant(Role.DEPARTMENT_OFFICER, Party.OWNING_DEPARTMENT)
    coordinator = PEOPLE["coordinator"]
    task, grant = permissions.task_to_answer(
        coordinator, permissions.grants_of(coordinator, SEATS), TASKS, Action.APPROVE_INDICATORS
    )
    assert task.task_id == 2 and grant == Grant(Role.COORDINATOR, Party.AUTHORITY)
    with pytest.raises(NotPermitted):
        permissions.task_to_answer(PEOPLE["commune officer"], set(), TASKS, Action.APPROVE_INDICATORS)
    with pytest.raises(NotPermitted):
        permissions.task_to_answer(owner, set(), TASKS, Action.APPROVE_INDICATORS, department_id=NOT_OWNING)


def test_an_officer_of_two_departments_chooses_by_the_codes_or_is_asked() -> None:
    both = person(
        40, department(Role.DEPARTMENT_OFFICER, OWNING, "nn-ptnt"), department(Role.DEPARTMENT_OFFICER, 104, "x")
    )
    tasks = [*TASKS[:1], TaskSeat(4, "Phòng X", 104, None, frozenset({"9"}), pending=True)]
    task, _ = permissions.task_to_answer(both, set(), tasks, Action.APPROVE_INDICATORS, codes=["9"])
    assert task.task_id == 4
    with pytest.raises(GuardFailed):
        permissions.task_to_answer(both, set(), tasks, Action.APPROVE_INDICATORS)


def test_answerable_tasks_are_the_waiting_ones_of_the_actor() -> None:
    actions = (Action.APPROVE_INDICATORS, Action.RETURN_INDICATORS)
    owner = Actor(PEOPLE["owning department"])
    assert [t.task_id for t in permissions.answerable_tasks(owner, SEATS, TASKS, actions)] == [1]
    other = Actor(PEOPLE["other department"])
    assert permissions.answerable_tasks(other, SEATS, TASKS, actions) == []  # its task is answered
    assert permissions.answerable_tasks(owner, SEATS, TASKS, (Action.FORWARD,)) == []


def test_conditions_are_confirmed_by_the_departments_the_rules_name() -> None:
    finance = Actor(PEOPLE["finance department"])
    assert permissions.confirmable_conditions(finance, DISTRICT) == [NO_CONSTRUCTION_DEBT]
    police = Actor(person(50, department(Role.DEPARTMENT_OFFICER, POLICE, "cong-an")))
    assert permissions.confirmable_conditions(police, DISTRICT) == [NOT_COMPLEX_SECURITY]
    assert permissions.confirmable_conditions(finance, OTHER_DISTRICT) == []
    assert (
        permissions.confirming_department(PEOPLE["owning department"], DISTRICT, NO_CONSTRUCTION_DEBT, DEFAULT_RULES)
        is None
    )


def test_administration_is_for_admins_only_never_through_a_delegation() -> None:
    assert permissions.may_manage(Actor(PEOPLE["admin"]))
    assert not permissions.may_manage(Actor(PEOPLE["coordinator"], (PEOPLE["admin"],)))
