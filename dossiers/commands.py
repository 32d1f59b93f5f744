"""One typed command per action: what the web form, the CLI, the API and the tests build, and what
`dossiers.handlers.handle` takes. A command holds only plain values (ids, not rows), so it can be
built from a request body, logged and replayed.

Every dossier command carries the dossier's id, the version the caller saw (`expected_version`; a
mismatch is a `StaleDossier`), an optional comment and, to act explicitly under a delegation, the
id of the officer the actor substitutes for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar

from dossiers.evidence import DEFAULT_POLICY, EvidencePolicy
from workflow.actions import Action
from workflow.vocabulary import RecognitionLevel


@dataclass(frozen=True, kw_only=True)
class Command:
    """A command that opens nothing: it acts on an existing dossier (or on no dossier at all)."""

    action: ClassVar[Action]


@dataclass(frozen=True, kw_only=True)
class DossierCommand(Command):
    dossier_id: int
    expected_version: int | None = None
    comment: str | None = None
    on_behalf_of_id: int | None = None


# --- opening -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Register(Command):
    """Open a recognition dossier for a unit, a level and a year on the route in force today."""

    action: ClassVar[Action] = Action.REGISTER
    unit_id: int
    level: RecognitionLevel
    year: int
    criteria_set_id: int
    outstanding_field: str | None = None
    on_behalf_of_id: int | None = None


# --- actions that carry no input beyond a comment ----------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ConfirmRegistration(DossierCommand):
    action: ClassVar[Action] = Action.CONFIRM_REGISTRATION


@dataclass(frozen=True, kw_only=True)
class Withdraw(DossierCommand):
    action: ClassVar[Action] = Action.WITHDRAW


@dataclass(frozen=True, kw_only=True)
class FinishSelfAssessment(DossierCommand):
    action: ClassVar[Action] = Action.FINISH_SELF_ASSESSMENT


@dataclass(frozen=True, kw_only=True)
class Submit(DossierCommand):
    """Opens one appraisal task per owning department, for exactly the indicators it owns."""

    action: ClassVar[Action] = Action.SUBMIT


@dataclass(frozen=True, kw_only=True)
class Resubmit(DossierCommand):
    """Reopens only what was returned, or changed since it was decided."""

    action: ClassVar[Action] = Action.RESUBMIT


@dataclass(frozen=True, kw_only=True)
class Forward(DossierCommand):
    action: ClassVar[Action] = Action.FORWARD


@dataclass(frozen=True, kw_only=True)
class Recognise(DossierCommand):
    action: ClassVar[Action] = Action.RECOGNISE
    decision_number: str | None = None
    #: the day the decision was signed; None: the day it is recorded
    decided_on: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class Refuse(DossierCommand):
    action: ClassVar[Action] = Action.REFUSE


@dataclass(frozen=True, kw_only=True)
class Revoke(DossierCommand):
    action: ClassVar[Action] = Action.REVOKE
    decision_number: str | None = None
    #: the day the decision was signed; None: the day it is recorded
    decided_on: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class Keep(DossierCommand):
    action: ClassVar[Action] = Action.KEEP


@dataclass(frozen=True, kw_only=True)
class AppraiseAtProvince(DossierCommand):
    """The Sở NN&PTNT's appraisal (thẩm định) passed: the dossier goes to the provincial chairman."""

    action: ClassVar[Action] = Action.APPRAISE_AT_PROVINCE


@dataclass(frozen=True, kw_only=True)
class RequestSupplement(DossierCommand):
    """The Sở NN&PTNT asks the district that forwarded the dossier to supplement it (the comment says what)."""

    action: ClassVar[Action] = Action.REQUEST_SUPPLEMENT


@dataclass(frozen=True, kw_only=True)
class ResubmitToProvince(DossierCommand):
    """The district sends the supplemented dossier back to the Sở NN&PTNT."""

    action: ClassVar[Action] = Action.RESUBMIT_TO_PROVINCE


@dataclass(frozen=True, kw_only=True)
class RecordSupervision(DossierCommand):
    """The Fatherland Front's supervision comment (ý kiến giám sát) on the dossier, at any step: `comment` is the
    text and is required; it stays in the dossier's history."""

    action: ClassVar[Action] = Action.RECORD_SUPERVISION


#: the commands of the actions a page offers as a plain button (a comment, a decision number at most)
PLAIN_COMMANDS: dict[str, type[DossierCommand]] = {
    command.action: command
    for command in (
        ConfirmRegistration,
        Withdraw,
        FinishSelfAssessment,
        Submit,
        Resubmit,
        Forward,
        Recognise,
        Refuse,
        Revoke,
        Keep,
        AppraiseAtProvince,
        RequestSupplement,
        ResubmitToProvince,
        RecordSupervision,
    )
}


def plain_command(
    action: str,
    dossier_id: int,
    *,
    expected_version: int | None = None,
    comment: str | None = None,
    decision_number: str | None = None,
    decided_on: dt.date | None = None,
    on_behalf_of_id: int | None = None,
) -> DossierCommand:
    """The command of a plain action named by its code (a form's button, the CLI)."""
    kind = PLAIN_COMMANDS[action]
    common = {
        "dossier_id": dossier_id,
        "expected_version": expected_version,
        "comment": comment,
        "on_behalf_of_id": on_behalf_of_id,
    }
    if kind in (Recognise, Revoke):
        return kind(**common, decision_number=decision_number, decided_on=decided_on)  # type: ignore[arg-type]
    return kind(**common)  # type: ignore[arg-type]


# --- self-assessment and evidence --------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentEntry:
    """The self-assessment of one indicator: whether it is met, the value reached, a note."""

    code: str
    met: bool
    value: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordAssessments(DossierCommand):
    """Record (or correct) any number of indicators in one transaction and one audit event that lists
    every change (old → new); one entry is the single-indicator save."""

    action: ClassVar[Action] = Action.RECORD_ASSESSMENT
    entries: tuple[AssessmentEntry, ...]


@dataclass(frozen=True, kw_only=True)
class AttachEvidence(DossierCommand):
    """Attach a file (to one indicator when `code` is given), stored by its SHA-256."""

    action: ClassVar[Action] = Action.ATTACH_EVIDENCE
    storage_root: Path
    stream: IO[bytes] = field(compare=False)
    original_name: str
    code: str | None = None
    mime_type: str | None = None
    #: what may be stored (size, types decided by content): the admin's settings
    policy: EvidencePolicy = DEFAULT_POLICY


@dataclass(frozen=True)
class SmartHamlet:
    """One smart-hamlet model (QĐ 319, KM3) named as evidence: the hamlet, the product it sells online, where."""

    hamlet_id: int
    product: str
    sold_on: str


@dataclass(frozen=True, kw_only=True)
class RecordModelConditions(DossierCommand):
    """Kiểu mẫu: the commune declares income, its smart-hamlet models (each named: which hamlet, which
    product sold online, where) and its outstanding field. `smart_hamlet_models`, when given, must be the
    number of hamlets named: a bare count is not evidence."""

    action: ClassVar[Action] = Action.RECORD_MODEL_CONDITIONS
    income_per_capita: int
    advanced_income_level: int
    outstanding_field: str
    outstanding_field_met: bool
    smart_hamlets: tuple[SmartHamlet, ...] = ()
    smart_hamlet_models: int | None = None


# --- consultation ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordPosting(DossierCommand):
    action: ClassVar[Action] = Action.RECORD_POSTING
    start: dt.date
    end: dt.date
    announcements: int


@dataclass(frozen=True, kw_only=True)
class RecordSurvey(DossierCommand):
    """The Fatherland Front's satisfaction survey: households in the unit, reached, satisfied."""

    action: ClassVar[Action] = Action.RECORD_SURVEY
    households_total: int
    households_reached: int
    households_satisfied: int


@dataclass(frozen=True, kw_only=True)
class RecordVote(DossierCommand):
    action: ClassVar[Action] = Action.RECORD_VOTE
    votes_total: int
    votes_in_favour: int


@dataclass(frozen=True, kw_only=True)
class RecordAnnouncement(DossierCommand):
    """Hamlets: the commune announced the hamlets proposed on its radio from `start` to `end`."""

    action: ClassVar[Action] = Action.RECORD_ANNOUNCEMENT
    start: dt.date
    end: dt.date


# --- appraisal ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ApproveIndicators(DossierCommand):
    """A department approves indicators of its own task (all it still has pending when `codes` is None)."""

    action: ClassVar[Action] = Action.APPROVE_INDICATORS
    codes: tuple[str, ...] | None = None
    department_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ReturnIndicators(DossierCommand):
    """A department returns indicators of its own task, with a reason for each."""

    action: ClassVar[Action] = Action.RETURN_INDICATORS
    reasons: Mapping[str, str]
    department_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ConfirmCondition(DossierCommand):
    """The department in charge confirms a QĐ 18/2022 condition, or records that it does not hold."""

    action: ClassVar[Action] = Action.CONFIRM_CONDITION
    condition: str
    holds: bool
    note: str | None = None


# --- recognitions outside a dossier ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordPriorRecognition(Command):
    """An administrator records a recognition decided before the system (a prerequisite for higher levels)."""

    action: ClassVar[Action] = Action.RECORD_PRIOR_RECOGNITION
    unit_id: int
    level: RecognitionLevel
    year: int
    decided_on: dt.date
    decision_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordYearlyReassessment(Command):
    """A recognised unit's yearly re-assessment; opens a revocation case when the QĐ 18/2022 rule fires."""

    action: ClassVar[Action] = Action.RECORD_YEARLY_REASSESSMENT
    recognition_id: int
    year: int
    criteria_set_id: int
    failed_criteria: tuple[int, ...]
