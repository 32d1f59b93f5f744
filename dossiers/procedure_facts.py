"""Reading a dossier's procedure, tasks and the unit tree: what the command path, the pages and the
reminders share. Only reads. Who may act is `workflow.permissions`; the facts the guards read are
built by `dossiers.context.DossierContext`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    Dossier,
    Recognition,
    Unit,
)
from dossiers.territory import load_territory
from workflow.engine import Procedure
from workflow.procedures import PREREQUISITES, procedure_for
from workflow.vocabulary import RecognitionLevel, Role

#: holding a level implies holding the levels it required (a nâng cao commune was NTM)
_IMPLIED_BY: dict[RecognitionLevel, set[RecognitionLevel]] = {}
for _higher, _lower in PREREQUISITES.items():
    _IMPLIED_BY.setdefault(_lower, set()).add(_higher)


def procedure_of(dossier: Dossier) -> Procedure:
    return procedure_for(dossier.level, dossier.kind, dossier.route)


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
    territory = load_territory(session, [unit.id], lineage=True)
    unit_ids = [unit.id, *(place.id for place in territory.all_predecessors(unit.id))]
    levels = [lv.value for lv in levels_satisfying(level)]
    found = session.scalars(
        select(Recognition.id).where(
            Recognition.unit_id.in_(unit_ids), Recognition.level.in_(levels), Recognition.revoked_on.is_(None)
        )
    ).first()
    return found is not None


def tasks_of(session: Session, dossier: Dossier) -> list[AppraisalTask]:
    return list(
        session.scalars(
            select(AppraisalTask)
            .where(AppraisalTask.dossier_id == dossier.id)
            .order_by(AppraisalTask.id)
            .options(selectinload(AppraisalTask.items).joinedload(AppraisalItem.indicator))
        )
    )


@dataclass(frozen=True)
class OpenAppraisalTask:
    """An appraisal task still waiting for its department: what reminders and "Việc của tôi" show."""

    task_id: int
    dossier_id: int
    department_id: int | None
    #: for a task without a department: the role of the authority that answers it
    fallback_role: Role | None
    authority_unit_id: int
    opened_at: dt.datetime
    round: int
    indicator_codes: tuple[str, ...]
    label: str


def open_appraisal_tasks(
    session: Session,
    *,
    department_ids: Collection[int] | None = None,
    authority_unit_id: int | None = None,
    fallback_seats: Collection[tuple[int, Role]] | None = None,
) -> list[OpenAppraisalTask]:
    """Tasks of dossiers under appraisal that still have an indicator waiting, oldest first: one
    query whatever their number. With `department_ids` and/or `fallback_seats` ((authority unit,
    role) pairs), only the tasks of those departments or seats."""
    query = (
        select(AppraisalTask, Dossier.authority_unit_id)
        .join(Dossier, Dossier.id == AppraisalTask.dossier_id)
        .where(AppraisalTask.answered_at.is_(None), Dossier.state == "under_appraisal")
        .order_by(AppraisalTask.opened_at, AppraisalTask.id)
        .options(
            joinedload(AppraisalTask.items).joinedload(AppraisalItem.indicator),
            joinedload(AppraisalTask.department),
        )
    )
    seats: list[ColumnElement[bool]] = []
    if department_ids is not None:
        seats.append(AppraisalTask.department_id.in_(list(department_ids)))
    for unit_id, role in fallback_seats or ():
        seats.append(
            and_(
                AppraisalTask.department_id.is_(None),
                AppraisalTask.fallback_role == role.value,
                Dossier.authority_unit_id == unit_id,
            )
        )
    if department_ids is not None or fallback_seats is not None:
        query = query.where(or_(false(), *seats))
    if authority_unit_id is not None:
        query = query.where(Dossier.authority_unit_id == authority_unit_id)
    found = []
    for task, authority in session.execute(query).unique().all():
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
                label=task.label,
            )
        )
    return found


def pending_items(task: AppraisalTask) -> list[AppraisalItem]:
    return [item for item in task.items if item.decision is None]
