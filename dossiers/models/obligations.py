"""Who owes what by when, and when it was met by which event: obligations stored as domain data.

One row per obligation: a unit's report of a period, a department's report, a dossier's milestone of
the year, a working-day limit of a procedure step (an appraisal task, a registration to confirm, a
decision to take). The commands that meet an obligation mark its row (`dossiers.planning.obligations`);
the scheduler's `reconcile` creates the rows that should exist and closes or reopens those whose truth
changed. `notifications` reads the open rows to remind people; dashboards, the CLI and the API list them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dossiers.db import Base, allowed_values_check
from dossiers.models.deadlines import RULE_CODES
from workflow.deadlines import ObligorKind
from workflow.vocabulary import Role


class ObligationStatus(StrEnum):
    OPEN = "open"
    #: met by the event `met_by` at `met_at`
    MET = "met"
    #: no longer owed (the dossier was withdrawn, the rule switched off, the unit dissolved)
    VOID = "void"


class ObligationRecord(Base):
    """One obligation. `key` is its stable name ("report-quarterly:2025-Q1:unit:17"), the one outbox items carry.

    (Named `ObligationRecord` so it does not clash with `notifications.obligations.Obligation`, the
    obligation as people are told about it, with the people to remind.)
    """

    __tablename__ = "obligations"
    __table_args__ = (
        allowed_values_check("rule_code", RULE_CODES),
        allowed_values_check("obligor_kind", ObligorKind, name="obligor_kind"),
        allowed_values_check("status", ObligationStatus, name="status"),
        allowed_values_check("seat", Role, name="seat"),
        CheckConstraint("(status = 'met') = (met_at IS NOT NULL)", name="met_when"),
        Index("ix_obligations_year_status", "year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    rule_code: Mapped[str] = mapped_column(String(60))
    #: the period it covers ("2025-Q1", "2025") or, for a working-day limit, the step's round
    period: Mapped[str] = mapped_column(String(60))
    period_label: Mapped[str] = mapped_column(String(300))
    #: the year of the period or of the dossier: lists and scans ask by year
    year: Mapped[int] = mapped_column(Integer)
    obligor_kind: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("appraisal_tasks.id", ondelete="CASCADE"), index=True)
    #: for an appraisal task no department owns: the seat of the authority that answers it
    seat: Mapped[str | None] = mapped_column(String(30))
    #: the last day on which meeting it is on time, and the instant (UTC) it is late from
    last_day: Mapped[dt.date] = mapped_column(Date, index=True)
    due_at: Mapped[dt.datetime] = mapped_column()
    #: False for limits counted in working days: no plan date to show ("trước ngày …")
    has_plan_date: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(10), default=ObligationStatus.OPEN.value)
    #: when it was met, and by which event: "dossier:submit", "report:<submission id>", "task:<id> answered"
    met_at: Mapped[dt.datetime | None] = mapped_column()
    met_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column()

    def __repr__(self) -> str:
        return f"<ObligationRecord {self.key} {self.status}>"
