"""Property-based: random actions by random actors (1,000 in total by default, 10,000 when the
environment variable NTM_PROPERTY_ACTIONS=10000 asks) never lead a dossier to "recognised" unless
every owned indicator was approved by each of its owners, the survey and vote thresholds were met,
the QĐ 18/2022 conditions were confirmed, and every recorded action was taken by an actor the law
allows (checked here from the role assignments, independently of the engine); refusals write
nothing; replaying each dossier's audit log reproduces its state.

Many short runs share one world: it is built once in the test's transaction, and each run works in
a savepoint rolled back at its end.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.access import person_of, seats_of
from dossiers.handlers import handle, replayed_state
from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    AuditEvent,
    ConditionConfirmation,
    Consultation,
    Delegation,
    Dossier,
    Ownership,
    User,
)
from dossiers.procedure_facts import procedure_of
from tests.dossiers.procedure_world import AFTER, BEFORE, REFORM, build_world
from workflow.calendar import local_date
from workflow.engine import Party
from workflow.errors import WorkflowError
from workflow.permissions import grants_of
from workflow.rules import CONDITION_LABELS, DEFAULT_RULES
from workflow.vocabulary import RecognitionLevel, Role, UnitKind

#: 1,000 random actions by default; NTM_PROPERTY_ACTIONS=10000 asks for a longer run
TOTAL_ACTIONS = int(os.environ.get("NTM_PROPERTY_ACTIONS", "1000"))
STEPS_PER_RUN = 60

#: (applicant unit attribute, level, criteria set attribute, registering officer, registration time)
SCENARIOS = [
    ("commune", RecognitionLevel.COMMUNE_NTM, "commune_set", "xa", BEFORE),
    ("new_commune", RecognitionLevel.COMMUNE_NTM, "commune_set", "xa.moi", AFTER),
    ("hamlet", RecognitionLevel.HAMLET_NTM, "hamlet_set", "thon", BEFORE),
]
ENDINGS = ("withdraw", "refuse")
FINAL = ("recognised", "refused", "withdrawn")
USER_ACTIONS = (
    "confirm_registration",
    "withdraw",
    "record_assessment",
    "finish_self_assessment",
    "record_posting",
    "record_survey",
    "record_vote",
    "record_announcement",
    "submit",
    "approve_indicators",
    "return_indicators",
    "confirm_condition",
    "resubmit",
    "forward",
    "recognise",
    "refuse",
)


class Counter:
    actions = 0
    refusals = 0
    recognised = 0


class RandomActions(RuleBasedStateMachine):
    """One dossier per run, pushed by random actions of random actors."""

    connection: Connection
    world_ids: dict[str, int]
    usernames: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.session = Session(bind=self.connection, join_transaction_mode="create_savepoint")
        self.users: dict[str, User] = {}
        for name, uid in self.world_ids.items():
            user = self.session.get(User, uid) if not name.startswith("_") else None
            if user is not None:
                self.users[name] = user
        self.dossier: Dossier | None = None
        self.dossiers: list[Dossier] = []
        self.now = BEFORE
        self.candidates: dict[str, list[str]] = {}

    @initialize(scenario=st.sampled_from(SCENARIOS), rnd=st.randoms(use_true_random=True))
    def register(self, scenario: tuple[str, RecognitionLevel, str, str, dt.datetime], rnd: random.Random) -> None:
        # choices inside a step come from this seeded generator: uniform weights, replayable by Hypothesis
        self.rnd = rnd
        self._open(scenario, 2025)

    @precondition(lambda self: self.dossier is not None and self.dossier.state in FINAL and len(self.dossiers) < 5)
    @rule(scenario=st.sampled_from(SCENARIOS))
    def register_another(self, scenario: tuple[str, RecognitionLevel, str, str, dt.datetime]) -> None:
        """A dossier that ended (recognised, refused, withdrawn) is followed by another one, for an earlier year
        of the same 2021-2025 regime (the test's sets are of that period; a year after it is refused)."""
        self._open(scenario, 2025 - len(self.dossiers))

    def _open(self, scenario: tuple[str, RecognitionLevel, str, str, dt.datetime], year: int) -> None:
        from dossiers.models import CriteriaSet, Unit

        unit_attr, level, set_attr, officer, now = scenario
        unit = self.session.get(Unit, self.world_ids[f"_unit.{unit_attr}"])
        criteria_set = self.session.get(CriteriaSet, self.world_ids[f"_set.{set_attr}"])
        assert unit is not None and criteria_set is not None
        self.now = max(self.now, now)
        if local_date(self.now) >= REFORM:  # the old commune and its hamlets' commune were merged
            hamlet = unit.kind == UnitKind.HAMLET
            unit = self.session.get(Unit, self.world_ids["_unit.new_hamlet" if hamlet else "_unit.new_commune"])
            officer = "thon.moi" if hamlet else "xa.moi"
        assert unit is not None
        self.dossier = handle(
            self.session,
            self.users[officer],
            self.now,
            c.Register(unit_id=unit.id, level=level, year=year, criteria_set_id=criteria_set.id),
        ).opened()
        self.dossiers.append(self.dossier)
        self.codes = [i.code for i in criteria_set.indicators()]
        self.assessed: set[str] = set()
        # who could act, per action, by their own role assignments (used only to bias the random choice)
        procedure = procedure_of(self.dossier)
        seats = seats_of(self.session, self.dossier)
        held = {name: grants_of(person_of(user), seats) for name, user in self.users.items()}
        for action in procedure.actions:
            allowed = set(procedure.action(action).grants)
            self.candidates[action] = sorted(name for name, grants in held.items() if grants & allowed)

    @precondition(lambda self: self.dossier is not None and self.dossier.state not in FINAL)
    @rule(advance=st.integers(min_value=0, max_value=4))
    def act(self, advance: int) -> None:
        assert self.dossier is not None
        dossier, session = self.dossier, self.session
        procedure = procedure_of(dossier)
        self.now += dt.timedelta(days=advance, minutes=1)
        current = procedure.actions_from(dossier.state)
        # mostly actions that exist now, rarely the ones that end the dossier early, sometimes anything
        progress = [a for a in current if a in USER_ACTIONS and a not in ENDINGS]
        endings = [a for a in current if a in ENDINGS]
        roll = self.rnd.randrange(100)
        assessing = "record_assessment" in progress and len(self.assessed) < len(self.codes)
        if assessing and roll < 60:
            action = "record_assessment"
        elif progress and roll < 90:
            action = self.rnd.choice(progress)
        elif endings and roll < 91:
            action = self.rnd.choice(endings)
        else:
            action = self.rnd.choice(USER_ACTIONS)
        if action == "return_indicators" and self.rnd.randint(0, 3):
            action = "approve_indicators"  # returns are rarer than approvals, as in life
        pool = self.candidates.get(action) or self.usernames
        name = self.rnd.choice(pool if self.rnd.randint(0, 9) else self.usernames)
        actor = self.users[name]
        on_behalf_of = self.users[self.rnd.choice(self.usernames)] if self.rnd.randint(0, 29) == 0 else None
        version_before = dossier.version
        state_before = dossier.state
        try:
            self._perform(action, actor, on_behalf_of)
        except WorkflowError:
            Counter.refusals += 1
            # a refusal writes nothing: no pending change, no new version (every write bumps it)
            assert not session.new and not session.deleted
            assert not [o for o in session.dirty if session.is_modified(o)]
            assert (dossier.version, dossier.state) == (version_before, state_before)
        Counter.actions += 1
        if dossier.state == "recognised" and state_before != "recognised":
            Counter.recognised += 1
            self._check_recognised()

    def _perform(self, action: str, actor: User, on_behalf_of: User | None) -> None:
        assert self.dossier is not None
        dossier, session, now = self.dossier, self.session, self.now
        codes = [i.code for i in dossier.criteria_set.indicators()]
        today = local_date(now)
        d, by = dossier.id, (on_behalf_of.id if on_behalf_of is not None else None)
        command: c.DossierCommand
        if action == "record_assessment":
            waiting = [code for code in codes if code not in self.assessed]
            code = self.rnd.choice(waiting if waiting and self.rnd.randint(0, 4) else codes)
            met = self.rnd.randint(0, 9) > 0
            entry = c.AssessmentEntry(code, met=met)
            handle(session, actor, now, c.RecordAssessments(dossier_id=d, entries=(entry,), on_behalf_of_id=by))
            if met:
                self.assessed.add(code)
            else:
                self.assessed.discard(code)
            return
        if action == "record_posting":
            start = today - dt.timedelta(days=self.rnd.randint(0, 25))
            command = c.RecordPosting(
                dossier_id=d,
                start=start,
                end=start + dt.timedelta(days=self.rnd.randint(0, 20)),
                announcements=self.rnd.randint(0, 8),
                on_behalf_of_id=by,
            )
        elif action == "record_survey":
            reached = self.rnd.randint(650, 1000)
            satisfied = self.rnd.randint(int(reached * 0.88), reached)
            command = c.RecordSurvey(
                dossier_id=d,
                households_total=1000,
                households_reached=reached,
                households_satisfied=satisfied,
                on_behalf_of_id=by,
            )
        elif action == "record_vote":
            command = c.RecordVote(
                dossier_id=d, votes_total=40, votes_in_favour=self.rnd.randint(35, 40), on_behalf_of_id=by
            )
        elif action == "record_announcement":
            start = today - dt.timedelta(days=self.rnd.randint(0, 15))
            command = c.RecordAnnouncement(
                dossier_id=d, start=start, end=start + dt.timedelta(days=self.rnd.randint(5, 14)), on_behalf_of_id=by
            )
        elif action == "approve_indicators":
            chosen = (
                None if self.rnd.random() < 0.5 else self.rnd.sample(codes, min(len(codes), self.rnd.randint(1, 3)))
            )
            command = c.ApproveIndicators(dossier_id=d, codes=tuple(chosen) if chosen else None, on_behalf_of_id=by)
        elif action == "return_indicators":
            chosen = self.rnd.sample(codes, self.rnd.randint(1, 2))
            reason = self.rnd.choice(["Thiếu minh chứng", "Số liệu chưa khớp", "Thiếu minh chứng", ""])
            command = c.ReturnIndicators(dossier_id=d, reasons=dict.fromkeys(chosen, reason), on_behalf_of_id=by)
        elif action == "confirm_condition":
            condition = self.rnd.choice(sorted(CONDITION_LABELS))
            command = c.ConfirmCondition(
                dossier_id=d, condition=condition, holds=self.rnd.randint(0, 6) > 0, on_behalf_of_id=by
            )
        else:
            comment = self.rnd.choice([None, "Lý do ghi trong biên bản"])
            command = c.plain_command(action, d, comment=comment, on_behalf_of_id=by)
        handle(session, actor, now, command)

    def _check_recognised(self) -> None:
        """Recomputed from rows, not from the engine's facts."""
        assert self.dossier is not None
        dossier, session = self.dossier, self.session
        indicators = dossier.criteria_set.indicators()
        items = session.scalars(
            select(AppraisalItem).join(AppraisalTask).where(AppraisalTask.dossier_id == dossier.id)
        ).all()
        approved_by = {(i.indicator_id, i.task.department_id) for i in items if i.decision == "approved"}
        for indicator in indicators:
            owners = session.scalars(
                select(Ownership.department_id).where(
                    Ownership.authority_unit_id == dossier.authority_unit_id,
                    Ownership.year == dossier.year,
                    Ownership.indicator_id == indicator.id,
                )
            ).all()
            for owner in owners or [None]:
                assert (indicator.id, owner) in approved_by, f"{indicator.code} not approved by {owner}"
        consultation = session.scalars(select(Consultation).where(Consultation.dossier_id == dossier.id)).one()
        assert consultation.votes_total and consultation.votes_in_favour is not None
        if dossier.unit.kind == UnitKind.HAMLET:
            assert consultation.votes_in_favour / consultation.votes_total >= DEFAULT_RULES.hamlet_vote_share.value
            assert consultation.announcement_start and consultation.announcement_end
            assert (consultation.announcement_end - consultation.announcement_start).days + 1 >= 10
            return
        assert consultation.votes_in_favour / consultation.votes_total >= DEFAULT_RULES.vote_share.value
        assert consultation.households_total and consultation.households_reached and consultation.households_satisfied
        assert consultation.households_reached / consultation.households_total >= 0.70
        assert consultation.households_satisfied / consultation.households_reached >= 0.90
        confirmations = session.scalars(
            select(ConditionConfirmation).where(ConditionConfirmation.dossier_id == dossier.id)
        ).all()
        assert {c.condition for c in confirmations if c.holds} == set(CONDITION_LABELS)

    def teardown(self) -> None:
        try:
            for dossier in self.dossiers:
                self.dossier = dossier
                self._check_log()
        finally:
            self.session.close()

    def _check_log(self) -> None:
        """Every recorded action was taken by an allowed actor (from role assignments and delegations),
        and replaying the log through the machine reproduces the stored state."""
        assert self.dossier is not None
        dossier, session = self.dossier, self.session
        procedure = procedure_of(dossier)
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.id)
        ).all()
        for event in events:
            if event.actor_id is None:
                assert event.role == "system" and event.action in ("complete_appraisal",), event.action
                continue
            actor = session.get(User, event.actor_id)
            principal = session.get(User, event.on_behalf_of_id) if event.on_behalf_of_id else actor
            assert actor is not None and principal is not None
            if principal is not actor:
                day = local_date(event.occurred_at)
                assert (
                    session.scalars(
                        select(Delegation).where(
                            Delegation.delegator_id == principal.id,
                            Delegation.substitute_id == actor.id,
                            Delegation.starts_on <= day,
                            Delegation.ends_on >= day,
                        )
                    ).first()
                    is not None
                )
            party = Party(event.payload["party"])
            role = Role(event.role)
            allowed = (
                procedure.definition.opened_by if event.action == "register" else procedure.action(event.action).grants
            )
            assert any(g.role == role and g.party == party for g in allowed), (event.action, role, party)
            assert self._holds(principal, role, party), (event.action, principal.username, role, party)
        assert replayed_state(session, dossier) == dossier.state

    def _holds(self, user: User, role: Role, party: Party) -> bool:
        assert self.dossier is not None
        dossier = self.dossier
        for assignment in user.roles:
            if assignment.role != role:
                continue
            if party == Party.APPLICANT and assignment.unit_id == dossier.unit_id:
                return True
            if party == Party.AUTHORITY and assignment.unit_id == dossier.authority_unit_id:
                return True
            if party == Party.DECIDER and assignment.unit_id == dossier.decider_unit_id:
                return True
            department = assignment.department
            if department is None or department.unit_id != dossier.authority_unit_id:
                continue
            if party == Party.CONDITION_DEPARTMENT and department.code in {
                code for codes in DEFAULT_RULES.condition_confirmers.values() for code in codes
            }:
                return True
            if (
                party == Party.OWNING_DEPARTMENT
                and self.session.scalars(
                    select(AppraisalTask.id).where(
                        AppraisalTask.dossier_id == dossier.id, AppraisalTask.department_id == department.id
                    )
                ).first()
            ):
                return True
        return False


@pytest.fixture
def shared_world(engine: Engine) -> Iterator[tuple[Connection, dict[str, int], list[str]]]:
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as setup:
            world = build_world(setup, BEFORE)
            substitute, officer = world.user("pho.phong"), world.user("phong.tn-mt")
            setup.add(
                Delegation(
                    delegator_id=officer.id,
                    substitute_id=substitute.id,
                    starts_on=dt.date(2025, 1, 1),
                    ends_on=dt.date(2025, 12, 31),
                    created_at=BEFORE,
                )
            )
            ids = {name: user.id for name, user in world.users.items()}
            ids |= {
                f"_unit.{attr}": getattr(world, attr).id for attr in ("commune", "new_commune", "hamlet", "new_hamlet")
            }
            ids |= {f"_set.{attr}": getattr(world, attr).id for attr in ("commune_set", "hamlet_set")}
            setup.commit()
        yield connection, ids, sorted(world.users)
        transaction.rollback()


def test_random_actions_keep_the_invariants(shared_world: tuple[Connection, dict[str, int], list[str]]) -> None:
    connection, ids, usernames = shared_world
    RandomActions.connection = connection
    RandomActions.world_ids = dict(ids)
    RandomActions.usernames = usernames
    Counter.actions = Counter.refusals = Counter.recognised = 0
    batch = settings(
        max_examples=20,
        stateful_step_count=STEPS_PER_RUN,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    for _ in range(TOTAL_ACTIONS // (10 * STEPS_PER_RUN) + 10):
        run_state_machine_as_test(RandomActions, settings=batch)
        if Counter.actions >= TOTAL_ACTIONS:
            break
    assert Counter.actions >= TOTAL_ACTIONS
    assert 0 < Counter.refusals < Counter.actions
    assert Counter.recognised > 0, "no run reached recognised: the random walk explores too little"
