"""The facts snapshot a guard reads: built by the service from the database, immutable, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from workflow.vocabulary import RecognitionLevel, UnitKind


@dataclass(frozen=True)
class Posting:
    """A public posting (niêm yết) or radio announcement: first and last day, both included."""

    start: dt.date
    end: dt.date
    announcements: int = 0

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Survey:
    """The Fatherland Front's satisfaction survey (lấy ý kiến sự hài lòng)."""

    households_total: int
    households_reached: int
    households_satisfied: int

    @property
    def reach(self) -> float:
        return self.households_reached / self.households_total if self.households_total else 0.0

    @property
    def satisfaction(self) -> float:
        return self.households_satisfied / self.households_reached if self.households_reached else 0.0


@dataclass(frozen=True)
class Vote:
    """The votes of a meeting (biên bản họp): how many voted and how many agreed."""

    votes_total: int
    votes_in_favour: int

    @property
    def share(self) -> float:
        return self.votes_in_favour / self.votes_total if self.votes_total else 0.0


@dataclass(frozen=True)
class ModelFacts:
    """What a commune kiểu mẫu declares beyond the criteria (QĐ 319/QĐ-TTg)."""

    income_per_capita: int
    advanced_income_level: int
    smart_hamlet_models: int
    outstanding_field: str | None
    outstanding_field_met: bool


@dataclass(frozen=True)
class Facts:
    """Everything the guards of one procedure may look at, as of `today` (Vietnam date)."""

    level: RecognitionLevel
    today: dt.date
    applicant_kind: UnitKind = UnitKind.COMMUNE
    #: every indicator code of the dossier's criteria set, in order
    indicators: tuple[str, ...] = ()
    assessed: frozenset[str] = frozenset()
    #: indicators the self-assessment (or re-assessment) found not met
    unmet: frozenset[str] = frozenset()
    #: code → (value recorded, threshold) where the value misses the threshold that applies to the unit
    #: (its commune group's, else its region's, else the set's), whatever the assessment declared
    below_threshold: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    posting: Posting | None = None
    survey: Survey | None = None
    vote: Vote | None = None
    #: hamlets: the commune's radio announcement of the hamlets proposed
    announcement: Posting | None = None
    #: names of the departments (or seats) whose appraisal task is still open
    open_tasks: tuple[str, ...] = ()
    #: indicators returned by a department in the current appraisal round
    returned: frozenset[str] = frozenset()
    #: indicators not yet approved by every department that owns them
    unapproved: frozenset[str] = frozenset()
    #: indicators no department of the authority owns
    unowned: frozenset[str] = frozenset()
    #: condition code → what the confirming department found (absent: not confirmed yet)
    conditions: Mapping[str, bool] = field(default_factory=dict)
    #: None when the level has no prerequisite; else whether the unit holds it
    prerequisite_held: bool | None = None
    model: ModelFacts | None = None
    communes_total: int = 0
    communes_recognised: int = 0
    #: revocation cases: whether the current assessment still falls under the revocation rule
    revocation_rule_fires: bool | None = None
    #: the comment given with the action (a refusal must say why)
    comment: str | None = None
