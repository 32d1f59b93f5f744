"""The department inbox: every indicator waiting for the signed-in officer's departments (and the
fallback seats they hold) across the open dossiers of their area, grouped by dossier, with the
commune's value, the target and the evidence inline, the working days pending and the time limit.

Only reads, in a fixed number of queries whatever the number of dossiers. Who may answer is checked
again by the handler when the answer is sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, joinedload

from dossiers.access import load_actor
from dossiers.models import AppraisalItem, Assessment, Dossier, Evidence, Unit, User
from dossiers.planning.obligations import appraisal_days
from dossiers.planning.rules import RuleBook, load_calendar
from dossiers.procedure_facts import OpenAppraisalTask, open_appraisal_tasks, procedure_of
from dossiers.territory import load_territory
from workflow.calendar import local_date
from workflow.procedures import FALLBACK_APPRAISER


@dataclass
class InboxItem:
    code: str
    name: str
    threshold: Any
    value: str | None
    met: bool | None
    note: str | None
    evidence: list[Evidence]


@dataclass
class InboxTask:
    task_id: int
    label: str
    round: int
    opened_at: dt.datetime
    items: list[InboxItem]


@dataclass
class InboxDossier:
    dossier: Dossier
    tasks: list[InboxTask] = field(default_factory=list)
    #: working days since the oldest open task was given, the limit the law sets and its last day
    days_pending: int = 0
    limit_days: int | None = None
    last_day: dt.date | None = None

    @property
    def overdue(self) -> bool:
        return self.limit_days is not None and self.days_pending > self.limit_days

    @property
    def item_count(self) -> int:
        return sum(len(task.items) for task in self.tasks)


def open_tasks_for(session: Session, user: User, now: dt.datetime) -> list[OpenAppraisalTask]:
    """The open appraisal tasks of the user's departments and of the fallback seats they hold."""
    actor = load_actor(session, user, now)
    department_ids = set(actor.department_ids())
    fallback_seats = {
        (h.unit_id, h.role)
        for p in actor.principals
        for h in p.holdings
        if h.unit_id is not None and h.role in set(FALLBACK_APPRAISER.values())
    }
    if not department_ids and not fallback_seats:
        return []
    return open_appraisal_tasks(session, department_ids=department_ids, fallback_seats=fallback_seats)


def inbox(session: Session, user: User, now: dt.datetime) -> list[InboxDossier]:
    """The inbox, oldest task first."""
    found = open_tasks_for(session, user, now)
    if not found:
        return []
    dossier_ids = {t.dossier_id for t in found}
    dossiers = {
        d.id: d
        for d in session.scalars(
            select(Dossier)
            .where(Dossier.id.in_(dossier_ids))
            .options(joinedload(Dossier.unit), joinedload(Dossier.authority_unit))
        )
    }
    # the pending indicators themselves (with their thresholds), one query
    task_rows = open_appraisal_items(session, [t.task_id for t in found])
    indicator_ids = {item.indicator_id for items in task_rows.values() for item in items}
    assessments = {
        (a.dossier_id, a.indicator_id): a
        for a in session.scalars(
            select(Assessment).where(
                tuple_(Assessment.dossier_id, Assessment.indicator_id).in_(
                    [(t.dossier_id, item.indicator_id) for t in found for item in task_rows.get(t.task_id, [])]
                )
            )
        )
    }
    evidence: dict[tuple[int, int], list[Evidence]] = {}
    for file in session.scalars(
        select(Evidence)
        .where(Evidence.dossier_id.in_(dossier_ids), Evidence.indicator_id.in_(indicator_ids))
        .order_by(Evidence.id)
    ):
        if file.indicator_id is not None:
            evidence.setdefault((file.dossier_id, file.indicator_id), []).append(file)
    calendar = load_calendar(session)
    book = RuleBook.load(session)
    today = local_date(now)
    groups: dict[int, InboxDossier] = {}
    for open_task in found:
        dossier = dossiers[open_task.dossier_id]
        unit: Unit = dossier.unit
        group = groups.setdefault(dossier.id, InboxDossier(dossier))
        items = [
            InboxItem(
                code=item.indicator.code,
                name=item.indicator.name,
                threshold=item.indicator.threshold_for(unit.region, unit.commune_group),
                value=assessment.value if assessment else None,
                met=assessment.met if assessment else None,
                note=assessment.note if assessment else None,
                evidence=evidence.get((dossier.id, item.indicator_id), []),
            )
            for item in task_rows.get(open_task.task_id, [])
            for assessment in [assessments.get((dossier.id, item.indicator_id))]
        ]
        group.tasks.append(InboxTask(open_task.task_id, open_task.label, open_task.round, open_task.opened_at, items))
    territory = load_territory(session, {group.dossier.unit_id for group in groups.values()})
    for group in groups.values():
        # the same limit the reminders count (`ntm deadlines list`): the province's own figure or the law's
        opened = local_date(min(task.opened_at for task in group.tasks))
        group.days_pending = calendar.working_days_between(opened, today)
        group.limit_days = appraisal_days(
            book, territory.authority_chain(group.dossier.unit_id), group.dossier, procedure_of(group.dossier)
        )
        if group.limit_days is not None:
            group.last_day = calendar.add_working_days(opened, group.limit_days)
    return list(groups.values())


def open_appraisal_items(session: Session, task_ids: list[int]) -> dict[int, list[AppraisalItem]]:
    """task id → its items still waiting for an answer, with their indicators: one query."""
    rows: dict[int, list[AppraisalItem]] = {}
    for item in session.scalars(
        select(AppraisalItem)
        .where(AppraisalItem.task_id.in_(task_ids), AppraisalItem.decision.is_(None))
        .order_by(AppraisalItem.id)
        .options(joinedload(AppraisalItem.indicator))
    ):
        rows.setdefault(item.task_id, []).append(item)
    return rows
