"""The engine: a procedure definition (data) compiled once into a shared `transitions.Machine`.

One machine per procedure, built with `model=None` and `auto_transitions=False`, serves every
dossier: `fire` hands the machine a throw-away cursor holding the stored state, so a row loaded
from the database is never reset to the initial state, and nothing but the returned `Transit`
leaves the engine. Guards run as the machine's conditions over an immutable facts snapshot; there
are no callbacks with side effects (the library would not roll them back).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from transitions import Machine

from workflow.actions import Action
from workflow.errors import ActionNotAllowed, GuardFailed, NotPermitted, join_vi
from workflow.facts import Facts
from workflow.guards import Guard, missing_of
from workflow.rules import DEFAULT_RULES, Rules
from workflow.vocabulary import ROLE_LABELS, DossierKind, RecognitionLevel, Role


class Party(StrEnum):
    """How the holder of a role relates to a dossier."""

    #: a role scoped to the dossier's own unit (the commune, hamlet or district applying)
    APPLICANT = "applicant"
    #: a role scoped to the appraising authority (district, province, or the hamlet's commune)
    AUTHORITY = "authority"
    #: an officer of a department of the authority that owns indicators of the dossier
    OWNING_DEPARTMENT = "owning_department"
    #: an officer of a department of the authority that confirms a QĐ 18/2022 condition
    CONDITION_DEPARTMENT = "condition_department"
    #: a role scoped to the unit whose leader decides (province, district or commune, by route)
    DECIDER = "decider"
    #: the system itself, for moves that follow automatically from other actions
    SYSTEM = "system"
    #: a role scoped to the unit right above the applicant: the commune or town of a hamlet, where the province's
    #: rules have it register and submit its hamlets (route "hamlet-via-district", seed 000)
    SUPERIOR = "superior"


PARTY_LABELS: dict[Party, str] = {
    Party.APPLICANT: "của đơn vị đề nghị",
    Party.AUTHORITY: "của cơ quan thẩm tra",
    Party.OWNING_DEPARTMENT: "của phòng, ban phụ trách chỉ tiêu",
    Party.CONDITION_DEPARTMENT: "của phòng, ban xác nhận điều kiện",
    Party.DECIDER: "của cấp có thẩm quyền công nhận",
    Party.SYSTEM: "hệ thống",
    Party.SUPERIOR: "của xã, thị trấn quản lý đơn vị đề nghị",
}


@dataclass(frozen=True)
class Grant:
    """A role held in a relation to the dossier: what an action lists as allowed."""

    role: Role | None
    party: Party

    def label(self) -> str:
        if self.role is None:
            return PARTY_LABELS[self.party]
        return f"{ROLE_LABELS[self.role]} {PARTY_LABELS[self.party]}"


SYSTEM = Grant(None, Party.SYSTEM)


@dataclass(frozen=True)
class StateDef:
    name: str
    label: str
    #: name of the step's time limit in `Rules` (working days), if the law sets one
    time_limit: str | None = None
    final: bool = False


@dataclass(frozen=True)
class ActionDef:
    name: Action
    label: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class TransitionDef:
    """`action` taken in any of `sources` leads to `dest` (None: the state stays) when every guard holds."""

    action: Action
    sources: tuple[str, ...]
    dest: str | None
    guards: tuple[Guard, ...] = ()


@dataclass(frozen=True)
class ProcedureDef:
    """The declarative definition of one procedure."""

    name: str
    label: str
    levels: tuple[RecognitionLevel, ...]
    kind: DossierKind
    states: tuple[StateDef, ...]
    initial: str
    actions: tuple[ActionDef, ...]
    transitions: tuple[TransitionDef, ...]
    #: who may open a dossier of this procedure (revocation cases are opened by the system)
    opened_by: tuple[Grant, ...]
    #: the state submission leads to, and the state an appraisal that passed leads to
    submitted_state: str
    complete_state: str
    #: states that end the procedure without its outcome (withdrawn): no milestone holds there
    abandoned: tuple[str, ...] = ()
    prerequisite: RecognitionLevel | None = None
    legal_basis: str = ""
    #: the authority's role that appraises indicators no department owns (None: `FALLBACK_APPRAISER` by level)
    fallback_appraiser: Role | None = None


@dataclass(frozen=True)
class Transit:
    """What `fire` decided: the action, the state before and the state after (equal for internal actions)."""

    action: str
    from_state: str
    to_state: str
    grant: Grant


class _Cursor:
    """The throw-away model the shared machine moves; it only ever holds a copy of the stored state."""

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass
class Procedure:
    """A compiled procedure: the definition plus its one shared machine."""

    definition: ProcedureDef
    machine: Machine = field(init=False, repr=False)
    milestones: Mapping[str, frozenset[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        d = self.definition
        state_names = [s.name for s in d.states]
        action_names = {a.name for a in d.actions}
        if len(set(state_names)) != len(state_names) or len(action_names) != len(d.actions):
            raise ValueError(f"{d.name}: duplicate state or action names")
        for t in d.transitions:
            if t.action not in action_names:
                raise ValueError(f"{d.name}: transition of unknown action {t.action}")
            for state in (*t.sources, *([t.dest] if t.dest else [])):
                if state not in state_names:
                    raise ValueError(f"{d.name}: unknown state {state}")
        self.machine = Machine(
            model=None,
            states=state_names,
            initial=d.initial,
            transitions=[
                {
                    "trigger": t.action,
                    "source": list(t.sources),
                    "dest": t.dest,
                    "conditions": [_condition(t.guards)],
                }
                for t in d.transitions
            ],
            auto_transitions=False,
            ignore_invalid_triggers=False,
            send_event=False,
            name=d.name,
        )
        self.milestones = {
            "submitted": self._reachable(d.submitted_state) - set(d.abandoned),
            "complete": self._reachable(d.complete_state) - set(d.abandoned),
        }

    # --- reading the definition -------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.definition.states)

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.definition.actions)

    def state(self, name: str) -> StateDef:
        for state in self.definition.states:
            if state.name == name:
                return state
        raise KeyError(name)

    def action(self, name: str) -> ActionDef:
        for action in self.definition.actions:
            if action.name == name:
                return action
        raise KeyError(name)

    def state_label(self, name: str) -> str:
        try:
            return self.state(name).label
        except KeyError:
            return name

    def machine_transitions(self, action: str, state: str) -> list[TransitionDef]:
        """The definition's transitions the machine holds for (action, state), in definition order."""
        return [t for t in self.definition.transitions if t.action == action and state in t.sources]

    def actions_from(self, state: str) -> tuple[str, ...]:
        """Actions that exist in `state`, whoever takes them, in definition order."""
        return tuple(a for a in self.actions if self.machine.events[a].transitions.get(state))

    def allowed_actions(self, state: str, grants: Collection[Grant]) -> tuple[str, ...]:
        """Actions of `state` that one of `grants` may take (guards not evaluated)."""
        return tuple(a for a in self.actions_from(state) if self._matching_grant(a, grants) is not None)

    def destinations(self, action: str, state: str) -> set[str]:
        return {t.dest or state for t in self.machine_transitions(action, state)}

    def _matching_grant(self, action: str, grants: Collection[Grant]) -> Grant | None:
        return next((g for g in self.action(action).grants if g in grants), None)

    def _reachable(self, start: str) -> frozenset[str]:
        seen = {start}
        stack = [start]
        while stack:
            state = stack.pop()
            for t in self.definition.transitions:
                if state in t.sources and t.dest and t.dest not in seen:
                    seen.add(t.dest)
                    stack.append(t.dest)
        return frozenset(seen)

    # --- acting -------------------------------------------------------------------------------

    def check(self, state: str, action: str, grants: Collection[Grant]) -> Grant:
        """Raise ActionNotAllowed or NotPermitted; return the grant the action is taken under."""
        if action not in self.actions or not self.machine.events[action].transitions.get(state):
            allowed = self.allowed_actions(state, grants) or self.actions_from(state)
            raise ActionNotAllowed(
                state,
                action,
                allowed,
                state_label=self.state_label(state),
                action_label=self.action_label(action),
                allowed_labels=[self.action_label(name) for name in allowed],
            )
        grant = self._matching_grant(action, grants)
        if grant is None:
            who = join_vi(g.label() for g in self.action(action).grants)
            raise NotPermitted(action, f"chỉ {who} được thực hiện thao tác này", action_label=self.action_label(action))
        return grant

    def action_label(self, name: str) -> str:
        """The Vietnamese name of an action, or its code when the procedure has no such action."""
        return self.action(name).label if name in self.actions else name

    def missing(self, state: str, action: str, facts: Facts, rules: Rules = DEFAULT_RULES) -> list[str]:
        """What prevents `action` in `state`: empty if one of its transitions has all guards holding."""
        candidates = self.machine_transitions(action, state)
        found: list[str] = []
        for t in candidates:
            items = missing_of(t.guards, facts, rules)
            if not items:
                return []
            found.extend(item for item in items if item not in found)
        return found

    def fire(
        self,
        state: str,
        action: str,
        *,
        grants: Collection[Grant],
        facts: Facts,
        rules: Rules = DEFAULT_RULES,
    ) -> Transit:
        """Decide `action` in `state` for an actor holding `grants`. Pure: nothing is written anywhere.

        Order of refusals: the state (ActionNotAllowed), then the actor (NotPermitted), then the
        guards (GuardFailed). The machine itself then moves a cursor: its conditions are the guards.
        """
        grant = self.check(state, action, grants)
        missing = self.missing(state, action, facts, rules)
        if missing:
            raise GuardFailed(action, missing, action_label=self.action_label(action))
        cursor = _Cursor(state)
        if not self.machine.events[action].trigger(cursor, facts, rules):
            raise GuardFailed(action, ["điều kiện của thao tác không thỏa mãn"], action_label=self.action_label(action))
        return Transit(action=action, from_state=state, to_state=cursor.state, grant=grant)

    def replay(self, steps: Iterable[tuple[str, str | None, str | None]]) -> str | None:
        """Walk (action, from, to) records: each must start where the last ended and be a move the
        machine can make. Returns the state reached; raises ValueError at the first inconsistency."""
        current: str | None = None
        for index, (action, from_state, to_state) in enumerate(steps):
            if from_state is None:
                if current is not None or to_state != self.definition.initial:
                    raise ValueError(f"step {index}: {action} opens the dossier but it is already open")
                current = to_state
                continue
            if from_state != current:
                raise ValueError(f"step {index}: {action} starts in {from_state}, the dossier was in {current}")
            if to_state not in self.destinations(action, from_state):
                raise ValueError(f"step {index}: the machine cannot take {action} from {from_state} to {to_state}")
            current = to_state
        return current

    def time_limit_key(self, state: str) -> str | None:
        return self.state(state).time_limit


def _condition(guards: Sequence[Guard]) -> Callable[[Facts, Rules], bool]:
    def holds(facts: Facts, rules: Rules) -> bool:
        return all(guard.holds(facts, rules) for guard in guards)

    return holds
