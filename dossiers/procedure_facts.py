"""What the workflow needs to know about a dossier and an actor, read from the database.

`grants_of` turns a user's scoped roles into the (role, party) grants the procedure lists;
`build_facts` takes the immutable snapshot the guards read. Both only read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    Assessment,
    ConditionConfirmation,
    Consultation,
    Delegation,
    Dossier,
    ModelConditions,
    Recognition,
    Unit,
    User,
)
from dossiers.models.appraisal import APPROVED, RETURNED
from dossiers.ownership import owning_department_ids
from workflow.engine import Grant, Party, Procedure
from workflow.facts import Facts, ModelFacts, Posting, Survey, Vote
from workflow.procedures import PREREQUISITES, procedure_for
from workflow.revocation import revocation_finding
from workflow.rules import DEFAULT_RULES, Rules
from workflow.vocabulary import DossierKind, RecognitionLevel, Role, UnitKind

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

#: holding a level implies holding the levels it required (a nâng cao commune was NTM)
_IMPLIED_BY: dict[RecognitionLevel, set[RecognitionLevel]] = {}
for _higher, _lower in PREREQUISITES.items():
    _IMPLIED_BY.setdefault(_lower, set()).add(_higher)


def vietnam_today(now: dt.datetime) -> dt.date:
    """The date people in Vietnam see at `now` (deadlines, postings and delegations are in their days)."""
    return now.astimezone(VIETNAM).date()


def procedure_of(dossier: Dossier) -> Procedure:
    return procedure_for(dossier.level, dossier.kind)


def levels_satisfying(level: RecognitionLevel) -> set[RecognitionLevel]:
    """`level` and every level whose recognition implies it."""
    found = {level}
    stack = [level]
    while stack:
        for higher in _IMPLIED_BY.get(stack.pop(), set()):
            if higher not in found:
                found.add(higher)
                stack.append(higher)
    return found


def holds_recognition(session: Session, unit: Unit, level: RecognitionLevel) -> bool:
    """Whether the unit, or a unit it was formed from, holds an unrevoked recognition of `level` (or higher)."""
    unit_ids = [unit.id, *(u.id for u in unit.all_predecessors())]
    levels = [lv.value for lv in levels_satisfying(level)]
    found = session.scalars(
        select(Recognition.id).where(
            Recognition.unit_id.in_(unit_ids), Recognition.level.in_(levels), Recognition.revoked_on.is_(None)
        )
    ).first()
    return found is not None


def owners_by_indicator(session: Session, dossier: Dossier) -> dict[int, list[int]]:
    """indicator id → department ids of the dossier's ownership table (authority, year, set)."""
    indicator_ids = (indicator.id for indicator in dossier.criteria_set.indicators())
    return owning_department_ids(session, dossier.authority_unit_id, dossier.year, indicator_ids)


def tasks_of(session: Session, dossier: Dossier) -> list[AppraisalTask]:
    return list(
        session.scalars(
            select(AppraisalTask)
            .where(AppraisalTask.dossier_id == dossier.id)
            .order_by(AppraisalTask.id)
            .options(selectinload(AppraisalTask.items).joinedload(AppraisalItem.indicator))
        )
    )


def seat_grants(user: User, *, unit_id: int, authority_unit_id: int | None, decider_unit_id: int | None) -> set[Grant]:
    """Grants from roles scoped to units: the applicant's, the authority's and the decider's seats."""
    grants: set[Grant] = set()
    for assignment in user.roles:
        role = Role(assignment.role)
        if role == Role.ADMIN or assignment.unit_id is None:
            continue
        if assignment.unit_id == unit_id:
            grants.add(Grant(role, Party.APPLICANT))
        if assignment.unit_id == authority_unit_id:
            grants.add(Grant(role, Party.AUTHORITY))
        if decider_unit_id is not None and assignment.unit_id == decider_unit_id:
            grants.add(Grant(role, Party.DECIDER))
    return grants


def grants_of(
    session: Session,
    user: User,
    dossier: Dossier,
    rules: Rules = DEFAULT_RULES,
    owners: dict[int, list[int]] | None = None,
) -> set[Grant]:
    """The (role, party) pairs `user` holds towards `dossier`, from their scoped role assignments.

    Roles on other units (an ancestor, a neighbour) give nothing: each seat is one unit. Admins manage
    data and users but take no workflow action.
    """
    grants = seat_grants(
        user,
        unit_id=dossier.unit_id,
        authority_unit_id=dossier.authority_unit_id,
        decider_unit_id=dossier.decider_unit_id,
    )
    owning: set[int] | None = None
    for assignment in user.roles:
        department = assignment.department
        role = Role(assignment.role)
        if role == Role.ADMIN or department is None or department.unit_id != dossier.authority_unit_id:
            continue
        if owning is None:
            table = owners if owners is not None else owners_by_indicator(session, dossier)
            owning = {d for ds in table.values() for d in ds}
            # a department keeps its task even if the table changed after submission
            owning |= {
                d
                for d in session.scalars(
                    select(AppraisalTask.department_id).where(AppraisalTask.dossier_id == dossier.id)
                )
                if d is not None
            }
        if department.id in owning:
            grants.add(Grant(role, Party.OWNING_DEPARTMENT))
        if rules.conditions_confirmed_by(department.code):
            grants.add(Grant(role, Party.CONDITION_DEPARTMENT))
    return grants


def active_delegators(session: Session, substitute: User, day: dt.date) -> list[User]:
    """Officers who named `substitute` for a period covering `day`."""
    return list(
        session.scalars(
            select(User)
            .join(Delegation, Delegation.delegator_id == User.id)
            .where(Delegation.substitute_id == substitute.id, Delegation.starts_on <= day, Delegation.ends_on >= day)
            .order_by(Delegation.id)
        )
    )


def seat(unit: Unit, kinds: Collection[UnitKind], day: dt.date) -> Unit | None:
    """The nearest ancestor of the first kind in `kinds` that is valid on `day`."""
    ancestors = [a for a in unit.ancestors() if a.is_valid_on(day)]
    for kind in kinds:
        for ancestor in ancestors:
            if ancestor.kind == kind:
                return ancestor
    return None


@dataclass(frozen=True)
class Snapshot:
    """The facts plus the rows they came from, so a service acting next does not read them twice."""

    facts: Facts
    tasks: list[AppraisalTask]


def build_facts(
    session: Session,
    dossier: Dossier,
    now: dt.datetime,
    *,
    comment: str | None = None,
    rules: Rules = DEFAULT_RULES,
    owners: dict[int, list[int]] | None = None,
) -> Snapshot:
    """The snapshot the guards of the dossier's procedure read, as of `now`."""
    today = vietnam_today(now)
    procedure = procedure_of(dossier)
    indicators = dossier.criteria_set.indicators()
    code_of = {indicator.id: indicator.code for indicator in indicators}
    codes = tuple(indicator.code for indicator in indicators)

    assessments = session.scalars(select(Assessment).where(Assessment.dossier_id == dossier.id)).all()
    assessed = frozenset(
        code_of[a.indicator_id] for a in assessments if a.met is not None and a.indicator_id in code_of
    )
    unmet = frozenset(code_of[a.indicator_id] for a in assessments if a.met is False and a.indicator_id in code_of)

    consultation = session.scalars(select(Consultation).where(Consultation.dossier_id == dossier.id)).first()
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

    tasks = tasks_of(session, dossier)
    items = [item for task in tasks for item in task.items]
    open_tasks = tuple(task.label for task in tasks if task.pending())
    returned = frozenset(code_of[i.indicator_id] for i in items if i.decision == RETURNED and i.indicator_id in code_of)
    decisions: dict[str, list[str | None]] = {}
    for item in items:
        if item.indicator_id in code_of:
            decisions.setdefault(code_of[item.indicator_id], []).append(item.decision)
    unapproved = frozenset(c for c in codes if not decisions.get(c) or any(d != APPROVED for d in decisions[c]))
    owners = owners if owners is not None else owners_by_indicator(session, dossier)
    unowned = frozenset(code_of[i.id] for i in indicators if i.id not in owners)

    confirmations = session.scalars(
        select(ConditionConfirmation).where(ConditionConfirmation.dossier_id == dossier.id)
    ).all()

    prerequisite_held: bool | None = None
    if procedure.definition.prerequisite is not None:
        prerequisite_held = holds_recognition(session, dossier.unit, procedure.definition.prerequisite)

    model = None
    declared = None
    if "record_model_conditions" in procedure.actions:
        declared = session.scalars(select(ModelConditions).where(ModelConditions.dossier_id == dossier.id)).first()
    if declared is not None:
        model = ModelFacts(
            income_per_capita=declared.income_per_capita,
            advanced_income_level=declared.advanced_income_level,
            smart_hamlet_models=declared.smart_hamlet_models,
            outstanding_field=dossier.outstanding_field,
            outstanding_field_met=declared.outstanding_field_met,
        )

    communes_total = communes_recognised = 0
    if dossier.unit.kind == UnitKind.DISTRICT:
        communes = [c for c in dossier.unit.children if c.kind == UnitKind.COMMUNE and c.is_valid_on(today)]
        communes_total = len(communes)
        communes_recognised = sum(1 for c in communes if holds_recognition(session, c, RecognitionLevel.COMMUNE_NTM))

    rule_fires: bool | None = None
    if dossier.kind == DossierKind.REVOCATION:
        criteria = dossier.criteria_set.criteria
        failed = {c.number for c in criteria for i in c.indicators if code_of.get(i.id) in unmet}
        finding = (
            revocation_finding(len(criteria), failed, [c.number for c in criteria if c.is_key], rules=rules)
            if criteria
            else None
        )
        rule_fires = finding is not None

    facts = Facts(
        level=RecognitionLevel(dossier.level),
        today=today,
        applicant_kind=UnitKind(dossier.unit.kind),
        indicators=codes,
        assessed=assessed,
        unmet=unmet,
        posting=posting,
        survey=survey,
        vote=vote,
        announcement=announcement,
        open_tasks=open_tasks,
        returned=returned,
        unapproved=unapproved,
        unowned=unowned,
        conditions={c.condition: c.holds for c in confirmations},
        prerequisite_held=prerequisite_held,
        model=model,
        communes_total=communes_total,
        communes_recognised=communes_recognised,
        revocation_rule_fires=rule_fires,
        comment=comment,
    )
    return Snapshot(facts=facts, tasks=tasks)


@dataclass(frozen=True)
class OpenAppraisalTask:
    """An appraisal task still waiting for its department: what reminders are computed from."""

    task_id: int
    dossier_id: int
    department_id: int | None
    #: for a task without a department: the role of the authority that answers it
    fallback_role: Role | None
    authority_unit_id: int
    opened_at: dt.datetime
    round: int
    indicator_codes: tuple[str, ...]


def open_appraisal_tasks(
    session: Session,
    *,
    department_ids: Collection[int] | None = None,
    authority_unit_id: int | None = None,
) -> list[OpenAppraisalTask]:
    """Tasks of dossiers under appraisal that still have an indicator waiting, oldest first."""
    query = (
        select(AppraisalTask, Dossier.authority_unit_id)
        .join(Dossier, Dossier.id == AppraisalTask.dossier_id)
        .where(AppraisalTask.answered_at.is_(None), Dossier.state == "under_appraisal")
        .order_by(AppraisalTask.opened_at, AppraisalTask.id)
    )
    if department_ids is not None:
        query = query.where(AppraisalTask.department_id.in_(list(department_ids)))
    if authority_unit_id is not None:
        query = query.where(Dossier.authority_unit_id == authority_unit_id)
    found = []
    for task, authority in session.execute(query).all():
        pending = [item for item in task.items if item.decision is None]
        if not pending:
            continue
        found.append(
            OpenAppraisalTask(
                task_id=task.id,
                dossier_id=task.dossier_id,
                department_id=task.department_id,
                fallback_role=Role(task.fallback_role) if task.fallback_role else None,
                authority_unit_id=authority,
                opened_at=task.opened_at,
                round=task.round,
                indicator_codes=tuple(item.indicator.code for item in pending),
            )
        )
    return found


def pending_items(task: AppraisalTask) -> list[AppraisalItem]:
    return [item for item in task.items if item.decision is None]
