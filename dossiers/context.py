"""Everything one action on one dossier needs, loaded once and only when asked for.

The handler and the dossier page both read a dossier through a `DossierContext`: its criteria set's
indicators (one query), the ownership table (one query, only when a department may be involved), the
appraisal tasks with their items, the facts the guards read. Each part is loaded on first use and
kept, so an action issues only the queries its own checks and changes need.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload

from dossiers.access import ancestor_ids, task_seats
from dossiers.models import (
    AppraisalTask,
    Assessment,
    ConditionConfirmation,
    Consultation,
    Criterion,
    Dossier,
    Indicator,
    ModelConditions,
    Ownership,
)
from dossiers.models.appraisal import APPROVED, RETURNED
from dossiers.procedure_facts import holds_recognition, procedure_of
from dossiers.regimes import regime_of
from workflow.actions import Action
from workflow.calendar import local_date
from workflow.engine import Procedure
from workflow.facts import Facts, ModelFacts, Posting, Survey, Vote
from workflow.measures import verdict
from workflow.permissions import Actor, Seats, TaskSeat
from workflow.regimes import Regime
from workflow.revocation import revocation_finding
from workflow.routes import DISTRICT_TIER
from workflow.rules import Rules
from workflow.thresholds import threshold_of
from workflow.vocabulary import DossierKind, Measure, RecognitionLevel, UnitKind


@dataclass(frozen=True)
class IndicatorRef:
    """An indicator of the dossier's criteria set, as plain values."""

    id: int
    code: str
    criterion_number: int
    criterion_is_key: bool
    #: {"default", "by_region", "by_group", "by_year"} as the set writes them (`workflow.thresholds.threshold_of`)
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    measure: Measure = Measure.YES_NO
    #: a text measure's allowed answers
    answers: tuple[str, ...] = ()


class DossierContext:
    """One dossier, the actor and the moment, with the parts the action needs loaded on first use."""

    def __init__(
        self, session: Session, dossier: Dossier, actor: Actor, now: dt.datetime, rules: Rules | None = None
    ) -> None:
        self.session = session
        self.dossier = dossier
        self.actor = actor
        self.now = now
        self.today = local_date(now)
        if rules is not None:
            self.__dict__["rules"] = rules

    @cached_property
    def regime(self) -> Regime:
        """The dossier's pinned regime with its province's figures for its year."""
        return regime_of(self.dossier)

    @cached_property
    def rules(self) -> Rules:
        """The thresholds of the dossier's regime (unless the caller passed its own)."""
        return self.regime.rules

    @cached_property
    def procedure(self) -> Procedure:
        return procedure_of(self.dossier)

    # --- the criteria set ----------------------------------------------------------------------------

    @cached_property
    def _set_and_owners(self) -> tuple[list[IndicatorRef], dict[int, list[int]]]:
        """Every indicator of the set in order (criterion number, then position), each with the
        departments owning it in the dossier's table (authority, year): one query for both."""
        d = self.dossier
        rows = self.session.execute(
            select(
                Indicator.id,
                Indicator.code,
                Criterion.number,
                Criterion.is_key,
                Indicator.thresholds,
                Indicator.measure,
                Indicator.answers,
                Ownership.department_id,
            )
            .join(Criterion, Criterion.id == Indicator.criterion_id)
            .outerjoin(
                Ownership,
                and_(
                    Ownership.indicator_id == Indicator.id,
                    Ownership.authority_unit_id == d.authority_unit_id,
                    Ownership.year == d.year,
                ),
            )
            .where(Criterion.criteria_set_id == d.criteria_set_id)
            .order_by(Criterion.number, Indicator.position, Ownership.department_id)
        ).all()
        indicators: dict[int, IndicatorRef] = {}
        owners: dict[int, list[int]] = defaultdict(list)
        for indicator_id, code, number, is_key, thresholds, measure, answers, department_id in rows:
            indicators.setdefault(
                indicator_id,
                IndicatorRef(
                    indicator_id, code, number, is_key, thresholds or {}, Measure(measure), tuple(answers or ())
                ),
            )
            if department_id is not None and department_id not in owners[indicator_id]:
                owners[indicator_id].append(department_id)
        return list(indicators.values()), dict(owners)

    @cached_property
    def indicators(self) -> list[IndicatorRef]:
        return self._set_and_owners[0]

    @cached_property
    def code_of(self) -> dict[int, str]:
        return {i.id: i.code for i in self.indicators}

    @cached_property
    def by_code(self) -> dict[str, IndicatorRef]:
        return {i.code: i for i in self.indicators}

    # --- ownership and tasks -------------------------------------------------------------------------

    @cached_property
    def owners(self) -> dict[int, list[int]]:
        """indicator id → department ids of the dossier's ownership table (authority, year, set)."""
        return self._set_and_owners[1]

    @cached_property
    def tasks(self) -> list[AppraisalTask]:
        return list(
            self.session.scalars(
                select(AppraisalTask)
                .where(AppraisalTask.dossier_id == self.dossier.id)
                .order_by(AppraisalTask.id)
                .options(joinedload(AppraisalTask.items), joinedload(AppraisalTask.department))
            ).unique()
        )

    @cached_property
    def task_seats(self) -> list[TaskSeat]:
        return task_seats(self.tasks, self.code_of)

    def forget_tasks(self, *, rows_too: bool = True) -> None:
        """After tasks were opened or answered: derive their seats again when next asked (and, when
        tasks were added, read the rows again too)."""
        for name in ("tasks", "task_seats") if rows_too else ("task_seats",):
            self.__dict__.pop(name, None)

    @cached_property
    def seats(self) -> Seats:
        """The dossier's seats for deciding grants. The ownership table is read only when a person of the
        actor holds a department of the authority (no one else's grants depend on it)."""
        d = self.dossier
        involved = any(h.department_unit_id == d.authority_unit_id for p in self.actor.principals for h in p.holdings)
        return Seats(
            unit_id=d.unit_id,
            authority_unit_id=d.authority_unit_id,
            decider_unit_id=d.decider_unit_id,
            owning_department_ids=self._owning_department_ids() if involved else frozenset(),
            condition_unit_id=self.condition_unit_id,
        )

    @cached_property
    def condition_unit_id(self) -> int | None:
        """The unit whose departments confirm the conditions, when not the authority (a hamlet's: its decider)."""
        d = self.dossier
        unit_id = self.rules.confirming_unit_id(d.level, d.authority_unit_id, d.decider_unit_id)
        return None if unit_id == d.authority_unit_id else unit_id

    def _owning_department_ids(self) -> frozenset[int]:
        """The table's owners, and the departments tasks were opened for (a department keeps its task
        even if the table changed after submission)."""
        owning = {department for ds in self.owners.values() for department in ds}
        return frozenset(owning | {t.department_id for t in self.tasks if t.department_id is not None})

    @cached_property
    def view_seats(self) -> Seats:
        """The seats with every owning department and the unit tree above the dossier: for reading."""
        d = self.dossier
        chains = ancestor_ids(self.session, {d.unit_id, d.authority_unit_id})
        return Seats(
            unit_id=d.unit_id,
            authority_unit_id=d.authority_unit_id,
            decider_unit_id=d.decider_unit_id,
            owning_department_ids=self._owning_department_ids(),
            unit_scope=frozenset({d.unit_id, *chains[d.unit_id]}),
            authority_scope=frozenset({d.authority_unit_id, *chains[d.authority_unit_id]}),
            condition_unit_id=self.condition_unit_id,
        )

    def use_criteria(self, criteria: list[Criterion]) -> None:
        """Take the set's indicators from criteria already loaded with them (the page shows them anyway)."""
        self.__dict__["indicators"] = [
            IndicatorRef(
                i.id,
                i.code,
                criterion.number,
                criterion.is_key,
                i.thresholds or {},
                Measure(i.measure),
                tuple(i.answers or ()),
            )
            for criterion in criteria
            for i in criterion.indicators
        ]

    # --- the facts the guards read -------------------------------------------------------------------

    @cached_property
    def assessments(self) -> dict[int, Assessment]:
        return {
            a.indicator_id: a
            for a in self.session.scalars(select(Assessment).where(Assessment.dossier_id == self.dossier.id))
        }

    @cached_property
    def consultation(self) -> Consultation | None:
        return self.session.scalars(select(Consultation).where(Consultation.dossier_id == self.dossier.id)).first()

    @cached_property
    def confirmations(self) -> dict[str, ConditionConfirmation]:
        return {
            c.condition: c
            for c in self.session.scalars(
                select(ConditionConfirmation).where(ConditionConfirmation.dossier_id == self.dossier.id)
            )
        }

    @cached_property
    def model_conditions(self) -> ModelConditions | None:
        return self.session.scalars(
            select(ModelConditions).where(ModelConditions.dossier_id == self.dossier.id)
        ).first()

    def measured(self, ref: IndicatorRef) -> bool | None:
        """The engine's "met" for the recorded value of an indicator, against the threshold of the unit's
        commune group, region and the dossier's year; None when it stays a judgement."""
        assessment = self.assessments.get(ref.id)
        if assessment is None or not ref.thresholds:
            return None
        unit = self.dossier.unit
        return verdict(
            ref.measure,
            ref.thresholds,
            assessment.value,
            answers=ref.answers,
            region=unit.region,
            commune_group=unit.commune_group,
            year=self.dossier.year,
        )

    def _below_threshold(self, unmet: frozenset[str]) -> dict[str, tuple[str, str]]:
        """Indicators whose recorded value misses the threshold of the unit's commune group (or region, or the
        dossier's year): the engine decides, not what the assessment declared. Thresholds that are not
        comparable with the value are left to the appraising departments."""
        unit = self.dossier.unit
        found: dict[str, tuple[str, str]] = {}
        for ref in self.indicators:
            assessment = self.assessments.get(ref.id)
            if assessment is None or assessment.value is None or ref.code in unmet:
                continue
            if self.measured(ref) is False:
                threshold = threshold_of(ref.thresholds, unit.region, unit.commune_group, self.dossier.year)
                found[ref.code] = (assessment.value, str(threshold))
        return found

    def minimal_facts(self, comment: str | None = None) -> Facts:
        """What an action whose transitions have no guard is decided on: nothing is read."""
        return Facts(level=RecognitionLevel(self.dossier.level), today=self.today, comment=comment)

    def facts(self, comment: str | None = None) -> Facts:
        """The snapshot the guards of the dossier's procedure read, as of now."""
        dossier, procedure, code_of = self.dossier, self.procedure, self.code_of
        codes = tuple(i.code for i in self.indicators)
        assessments = self.assessments.values()
        assessed = frozenset(
            code_of[a.indicator_id] for a in assessments if a.met is not None and a.indicator_id in code_of
        )
        unmet = frozenset(code_of[a.indicator_id] for a in assessments if a.met is False and a.indicator_id in code_of)
        below_threshold = self._below_threshold(unmet)

        consultation = self.consultation
        posting = survey = vote = announcement = None
        if consultation is not None:
            if consultation.posting_start and consultation.posting_end:
                posting = Posting(consultation.posting_start, consultation.posting_end, consultation.announcements or 0)
            if consultation.households_total is not None:
                survey = Survey(
                    consultation.households_total,
                    consultation.households_reached or 0,
                    consultation.households_satisfied or 0,
                )
            if consultation.votes_total is not None:
                vote = Vote(consultation.votes_total, consultation.votes_in_favour or 0)
            if consultation.announcement_start and consultation.announcement_end:
                announcement = Posting(consultation.announcement_start, consultation.announcement_end)

        items = [item for task in self.tasks for item in task.items]
        open_tasks = tuple(seat.label for seat in self.task_seats if seat.pending)
        returned = frozenset(
            code_of[i.indicator_id] for i in items if i.decision == RETURNED and i.indicator_id in code_of
        )
        decisions: dict[str, list[str | None]] = {}
        for item in items:
            if item.indicator_id in code_of:
                decisions.setdefault(code_of[item.indicator_id], []).append(item.decision)
        unapproved = frozenset(c for c in codes if not decisions.get(c) or any(d != APPROVED for d in decisions[c]))
        unowned = frozenset(i.code for i in self.indicators if i.id not in self.owners)

        prerequisite_held: bool | None = None
        if procedure.definition.prerequisite is not None:
            prerequisite_held = holds_recognition(self.session, dossier.unit, procedure.definition.prerequisite)

        model = None
        declared = self.model_conditions if Action.RECORD_MODEL_CONDITIONS in procedure.actions else None
        if declared is not None:
            model = ModelFacts(
                income_per_capita=declared.income_per_capita,
                advanced_income_level=declared.advanced_income_level,
                smart_hamlet_models=declared.smart_hamlet_models,
                outstanding_field=dossier.outstanding_field,
                outstanding_field_met=declared.outstanding_field_met,
            )

        communes_total = communes_recognised = 0
        if dossier.unit.kind in DISTRICT_TIER:
            communes = [c for c in dossier.unit.children if c.kind == UnitKind.COMMUNE and c.is_valid_on(self.today)]
            communes_total = len(communes)
            communes_recognised = sum(
                1 for c in communes if holds_recognition(self.session, c, RecognitionLevel.COMMUNE_NTM)
            )

        rule_fires: bool | None = None
        if dossier.kind == DossierKind.REVOCATION:
            numbers = sorted({i.criterion_number for i in self.indicators})
            failed = {i.criterion_number for i in self.indicators if i.code in unmet}
            key = sorted({i.criterion_number for i in self.indicators if i.criterion_is_key})
            finding = revocation_finding(len(numbers), failed, key, rules=self.rules) if numbers else None
            rule_fires = finding is not None

        return Facts(
            level=RecognitionLevel(dossier.level),
            today=self.today,
            applicant_kind=UnitKind(dossier.unit.kind),
            indicators=codes,
            assessed=assessed,
            unmet=unmet,
            below_threshold=below_threshold,
            posting=posting,
            survey=survey,
            vote=vote,
            announcement=announcement,
            open_tasks=open_tasks,
            returned=returned,
            unapproved=unapproved,
            unowned=unowned,
            conditions={c.condition: c.holds for c in self.confirmations.values()},
            prerequisite_held=prerequisite_held,
            model=model,
            communes_total=communes_total,
            communes_recognised=communes_recognised,
            revocation_rule_fires=rule_fires,
            comment=comment,
        )
