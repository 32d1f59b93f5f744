"""Plans and their targets: loading a plan (YAML data file, or an office's target table through
`dossiers.planning.plans_import`), and the progress of each target computed from dossiers and assessments.

## The status of a target (`plan_progress`)

Each target is judged on day D (the local date of `now`) against the evidence the system holds; a target
is never met on a hope. While the plan's year runs, a target is *on track* or *at risk* (a commune target
may already be *met* by its recognition); once the year is over it is *met* or *missed*.

- **Level** (a commune reaches NTM, nâng cao, kiểu mẫu): *met* when the commune holds a recognition of
  that level for the plan's year (`Recognition.year`), decided on or before D. Otherwise, during the
  year: *on track* when its dossier of the year at that level has been submitted to the appraising
  authority (`workflow.procedures.milestone_reached(..., "submitted")`), or is registered and the
  submission date has not passed (20/9, the `dossier-submission` deadline rule of seed 004); *at risk*
  when no dossier is registered, or the date passed without submission. After the year: *missed*.
- **Criterion** (commune C reaches criterion N): read from C's dossier of the year on the commune NTM
  criteria set the plan works with (`dossiers.dashboard.criterion_statuses`: every indicator assessed
  met, none returned). During the year *on track* when the criterion is met or under appraisal, *at
  risk* when it is not met, not assessed, or there is no dossier; after the year *met* when it is met,
  else *missed*. A commune recognised NTM for the year has met every criterion.
- **Criteria added** (C adds k criteria): the criteria met (as for a criterion) against the plan's
  baseline; without a baseline there is no evidence either way: *at risk*, then *missed*.
- **Hamlets** (k hamlets of C reach NTM / kiểu mẫu): recognitions of that hamlet level for the year of
  hamlets under C. *met* when k are recognised; during the year *on track* when recognised plus
  dossiers in progress reach k, else *at risk*; after the year *missed* below k.
- **Average criteria per commune** / **no commune under N**: over the communes of the plan's area on
  1 January: a commune counts the criteria met in its dossier of the year (plan's set), or every
  criterion of the set when it holds an NTM recognition; a commune with neither is unknown. *On track*
  when the known communes reach the figure, *at risk* otherwise; after the year *met* only when every
  commune is known and the figure is reached, else *missed*.

## Units that no longer exist

Since 1/7/2025 huyện Thạch An is gone and its communes merged (`dossiers.reorganisation`). A target keeps
the unit the plan named; when that unit no longer exists on D, its evidence is read from the unit(s) it
became on D (`dossiers.territory.Territory.successors_on`): the reorganisation transferred the dossiers in
flight, their assessments and recognitions there. The merged commune's dossier therefore speaks for every
commune it was formed from (Đông Khê's for Đức Xuân and Trọng Con alike), and a merged commune's hamlets
count for each former commune, since the reorganisation moves hamlets without recording their former
commune. The progress names the unit the evidence was read from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from dossiers.access import descendant_ids
from dossiers.dashboard import CriterionStatus, criteria_of, criterion_statuses
from dossiers.models import CriteriaSet, Criterion, Dossier, Plan, PlanTarget, Recognition, TargetKind, Unit
from dossiers.territory import Territory, load_territory
from workflow.calendar import local_date
from workflow.deadlines import default_rule
from workflow.errors import WorkflowError
from workflow.procedures import SUBMITTED, UnknownProcedure, milestone_reached, procedure_for
from workflow.vocabulary import (
    RECOGNITION_LEVEL_LABELS,
    UNIT_KIND_LABELS,
    Confidence,
    DossierKind,
    RecognitionLevel,
    UnitKind,
)

#: the levels a LEVEL target may ask of a commune
COMMUNE_LEVELS = (RecognitionLevel.COMMUNE_NTM, RecognitionLevel.COMMUNE_ADVANCED, RecognitionLevel.COMMUNE_MODEL)
#: the hamlet level each hamlet target counts
HAMLET_LEVELS = {
    TargetKind.HAMLETS_NTM: RecognitionLevel.HAMLET_NTM,
    TargetKind.HAMLETS_MODEL: RecognitionLevel.HAMLET_MODEL,
}
#: the kinds whose row needs a quantity
COUNTED_KINDS = (TargetKind.CRITERIA_ADDED, TargetKind.HAMLETS_NTM, TargetKind.HAMLETS_MODEL)
#: the kinds of unit a plan is issued by
PLAN_UNIT_KINDS = (UnitKind.DISTRICT, UnitKind.PROVINCE)
#: the rule whose date ends the time to submit a commune's dossier (seed 004: 20/9)
SUBMISSION_RULE = "dossier-submission"

TARGET_KIND_LABELS: dict[TargetKind, str] = {
    TargetKind.LEVEL: "Xã đạt chuẩn",
    TargetKind.CRITERION: "Xã đạt tiêu chí",
    TargetKind.CRITERIA_ADDED: "Xã tăng thêm tiêu chí",
    TargetKind.HAMLETS_NTM: "Xóm đạt chuẩn nông thôn mới",
    TargetKind.HAMLETS_MODEL: "Xóm nông thôn mới kiểu mẫu",
}


def builtin_plan_files() -> list[Path]:
    """The plans shipped with the project (`dossiers/data/plans/*.yaml`), by name."""
    folder = Path(str(importlib.resources.files("dossiers") / "data" / "plans"))
    return sorted(folder.glob("*.yaml"))


# --- statuses ----------------------------------------------------------------------------------------


class TargetStatus(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    MISSED = "missed"


TARGET_STATUS_LABELS: dict[TargetStatus, str] = {
    TargetStatus.MET: "Đã đạt",
    TargetStatus.ON_TRACK: "Đúng tiến độ",
    TargetStatus.AT_RISK: "Có nguy cơ không đạt",
    TargetStatus.MISSED: "Không đạt",
}
STATUS_ORDER = (TargetStatus.MET, TargetStatus.ON_TRACK, TargetStatus.AT_RISK, TargetStatus.MISSED)


class PlanRejected(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """A plan (file, or imported table) that cannot be saved; `problems` lists every reason, nothing is saved."""

    code = "plan_rejected"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("Kế hoạch không lưu được: " + "; ".join(self.problems))

    @property
    def params(self) -> dict[str, Any]:
        return {"problems": list(self.problems)}


# --- what a plan says, before it is saved ------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    """One target for one unit, as a file gives it (`line`: where, for the messages)."""

    kind: TargetKind
    unit_name: str
    level: RecognitionLevel | None = None
    criterion: int | None = None
    quantity: int | None = None
    baseline: int | None = None
    source: str | None = None
    note: str | None = None
    line: str = ""


@dataclass(frozen=True)
class PlanSpec:
    unit_code: str | None
    unit_name: str
    unit_kind: UnitKind
    year: int
    title: str
    source: str
    confidence: Confidence
    targets: tuple[TargetRow, ...]
    number: str | None = None
    issued_on: dt.date | None = None
    note: str | None = None
    average_criteria: Decimal | None = None
    minimum_criteria: int | None = None
    resources: Mapping[str, Decimal] = field(default_factory=dict)


#: the resources a plan file may give → the Plan column
RESOURCE_COLUMNS = {
    "total": "resources_total",
    "central_budget": "central_budget",
    "central_direct": "central_direct",
    "integrated_funds": "integrated_funds",
    "local_budget": "local_budget",
}


def _decimal(value: Any, what: str, problems: list[str]) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{what}: «{value}» không phải là số")
        return None
    if not number.is_finite() or number < 0:
        problems.append(f"{what}: «{value}» phải là số không âm")
        return None
    return number


def _whole(value: Any, what: str, problems: list[str], minimum: int = 0) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        problems.append(f"{what}: «{value}» không phải là số nguyên")
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        problems.append(f"{what}: «{value}» không phải là số nguyên")
        return None
    if number < minimum:
        problems.append(f"{what}: phải từ {minimum} trở lên")
        return None
    return number


def check_row(
    line: str,
    kind: Any,
    unit_name: Any,
    level: Any = None,
    criterion: Any = None,
    quantity: Any = None,
    baseline: Any = None,
    source: Any = None,
    note: Any = None,
) -> tuple[TargetRow | None, list[str]]:
    """One target row checked on its own (the unit's existence is checked against the database later):
    the row, or None with every reason it cannot be read. The one rule for YAML files and imported tables."""
    problems: list[str] = []
    try:
        target_kind = TargetKind(str(kind).strip())
    except ValueError:
        allowed = ", ".join(k.value for k in TargetKind)
        problems.append(f"loại chỉ tiêu «{kind}» không có (dùng: {allowed})")
        target_kind = None
    name = str(unit_name or "").strip()
    if not name:
        problems.append("thiếu tên đơn vị")
    elif len(name) > 200:
        problems.append("tên đơn vị quá dài")
    target_level = None
    if target_kind == TargetKind.LEVEL:
        try:
            target_level = RecognitionLevel(str(level or "").strip())
        except ValueError:
            target_level = None
        if target_level not in COMMUNE_LEVELS:
            allowed = ", ".join(lv.value for lv in COMMUNE_LEVELS)
            problems.append(f"mức đạt chuẩn «{level or ''}» không hợp lệ (dùng: {allowed})")
    number = _whole(criterion, "số tiêu chí", problems, minimum=1)
    if target_kind == TargetKind.CRITERION and number is None and not any("số tiêu chí" in p for p in problems):
        problems.append("thiếu số tiêu chí")
    count = _whole(quantity, "số lượng", problems, minimum=1)
    if target_kind in COUNTED_KINDS and count is None and not any("số lượng" in p for p in problems):
        problems.append("thiếu số lượng")
    start = _whole(baseline, "số tiêu chí đầu năm", problems)
    texts = [str(t).strip() for t in (source, note) if t is not None]
    if any(len(t) > 300 or any(ord(ch) < 32 and ch not in "\n\r\t" for ch in t) for t in texts):
        problems.append("nguồn hoặc ghi chú quá dài (tối đa 300 ký tự) hoặc có ký tự không hợp lệ")
    if problems or target_kind is None:
        return None, problems
    return (
        TargetRow(
            kind=target_kind,
            unit_name=name,
            level=target_level,
            criterion=number if target_kind == TargetKind.CRITERION else None,
            quantity=count if target_kind in COUNTED_KINDS else None,
            baseline=start if target_kind == TargetKind.CRITERIA_ADDED else None,
            source=str(source).strip() if source else None,
            note=str(note).strip() if note else None,
            line=line,
        ),
        [],
    )


def parse_plan(data: Any, where: str = "tệp") -> PlanSpec:
    """A plan as the YAML data files write it (`dossiers/data/plans/`); `PlanRejected` lists every problem."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise PlanRejected([f"{where}: không phải là một kế hoạch (cần các mục unit, year, targets)"])
    unit = data.get("unit") or {}
    if not isinstance(unit, Mapping) or not unit.get("name"):
        problems.append("unit: cần tên đơn vị ban hành (name) và loại (kind)")
        unit = {}
    try:
        unit_kind = UnitKind(str(unit.get("kind", "district")))
    except ValueError:
        unit_kind = UnitKind.DISTRICT
        problems.append(f"unit.kind «{unit.get('kind')}» không hợp lệ")
    if unit_kind not in PLAN_UNIT_KINDS:
        problems.append("unit.kind: kế hoạch do huyện (district) hoặc tỉnh (province) ban hành")
    year = _whole(data.get("year"), "year", problems, minimum=2000)
    issued = data.get("issued_on")
    if issued is not None and not isinstance(issued, dt.date):
        problems.append("issued_on: cần một ngày (YYYY-MM-DD)")
        issued = None
    try:
        confidence = Confidence(str(data.get("confidence", "")))
    except ValueError:
        confidence = Confidence.LOW
        problems.append("confidence: cần verified, high, medium hoặc low")
    if not data.get("source"):
        problems.append("source: cần ghi nguồn của kế hoạch")
    aggregates = data.get("aggregates") or {}
    resources_in = data.get("resources") or {}
    resources: dict[str, Decimal] = {}
    for key, value in resources_in.items():
        if key not in RESOURCE_COLUMNS:
            problems.append(f"resources.{key}: không có khoản này (dùng: {', '.join(RESOURCE_COLUMNS)})")
            continue
        amount = _decimal(value, f"resources.{key}", problems)
        if amount is not None:
            resources[key] = amount
    rows: list[TargetRow] = []
    for index, entry in enumerate(data.get("targets") or [], start=1):
        if not isinstance(entry, Mapping):
            problems.append(f"targets[{index}]: không đọc được")
            continue
        names = entry.get("units") if entry.get("units") is not None else [entry.get("unit")]
        for name in names if isinstance(names, list) else [names]:
            row, row_problems = check_row(
                f"targets[{index}]",
                entry.get("kind"),
                name,
                entry.get("level"),
                entry.get("criterion"),
                entry.get("quantity"),
                entry.get("baseline"),
                entry.get("source"),
                entry.get("note"),
            )
            problems.extend(f"targets[{index}] ({name}): {p}" for p in row_problems)
            if row is not None:
                rows.append(row)
    average = _decimal(aggregates.get("average_criteria"), "aggregates.average_criteria", problems)
    minimum = _whole(aggregates.get("minimum_criteria"), "aggregates.minimum_criteria", problems)
    if problems or year is None:
        raise PlanRejected(problems or ["year: cần năm của kế hoạch"])
    return PlanSpec(
        unit_code=str(unit["code"]) if unit.get("code") else None,
        unit_name=str(unit["name"]),
        unit_kind=unit_kind,
        year=year,
        title=str(data.get("title") or f"Kế hoạch xây dựng nông thôn mới năm {year}"),
        source=str(data["source"]),
        confidence=confidence,
        targets=tuple(rows),
        number=str(data["number"]) if data.get("number") else None,
        issued_on=issued,
        note=str(data["note"]) if data.get("note") else None,
        average_criteria=average,
        minimum_criteria=minimum,
        resources=resources,
    )


def load_plan_file(path: Path) -> PlanSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PlanRejected([f"{path.name}: không đọc được ({exc.__class__.__name__})"]) from exc
    return parse_plan(data, path.name)


# --- saving --------------------------------------------------------------------------------------------


def find_plan_unit(session: Session, code: str | None, name: str, kind: UnitKind) -> Unit | None:
    """The district or province issuing the plan: by its code when given, else by name."""
    query = select(Unit).where(Unit.kind == kind)
    query = query.where(Unit.code == code) if code else query.where(Unit.name == name)
    return session.scalars(query.order_by(Unit.id)).first()


def plan_communes(session: Session, plan_unit: Unit, year: int) -> list[Unit]:
    """The communes of the plan's area on 1 January of its year (the units a plan names), by name."""
    inside = descendant_ids(session, plan_unit.id)
    first = dt.date(year, 1, 1)
    return list(
        session.scalars(
            select(Unit)
            .where(
                Unit.id.in_(inside),
                Unit.kind.in_([UnitKind.COMMUNE, UnitKind.WARD, UnitKind.TOWN]),
                or_(Unit.valid_from.is_(None), Unit.valid_from <= first),
                or_(Unit.valid_to.is_(None), Unit.valid_to >= first),
            )
            .order_by(Unit.name, Unit.id)
        ).all()
    )


def resolve_rows(
    session: Session, plan_unit: Unit, year: int, rows: Iterable[TargetRow]
) -> tuple[list[tuple[TargetRow, Unit]], list[str]]:
    """Each row with its commune (named as in the plan's year), and every reason a row cannot be used: an
    unknown commune, a criterion the commune criteria set of the year does not have, a target given twice."""
    criteria_set = commune_criteria_set(session, year)
    numbers = {c.number for c in criteria_set.criteria} if criteria_set is not None else set()
    by_name: dict[str, list[Unit]] = defaultdict(list)
    for unit in plan_communes(session, plan_unit, year):
        by_name[unit.name.casefold()].append(unit)
        by_name[f"{UNIT_KIND_LABELS[UnitKind(unit.kind)]} {unit.name}".casefold()].append(unit)
    found: list[tuple[TargetRow, Unit]] = []
    problems: list[str] = []
    seen: dict[tuple[Any, ...], str] = {}
    for row in rows:
        if criteria_set is not None and row.criterion is not None and row.criterion not in numbers:
            problems.append(f"{row.line}: bộ tiêu chí {criteria_set.name} không có tiêu chí số {row.criterion}")
            continue
        matches = by_name.get(row.unit_name.casefold(), [])
        if not matches:
            problems.append(f"{row.line}: không có xã «{row.unit_name}» trong {plan_unit.name} năm {year}")
            continue
        if len(matches) > 1:
            problems.append(f"{row.line}: có nhiều đơn vị tên «{row.unit_name}»")
            continue
        key = (row.kind, matches[0].id, row.level, row.criterion)
        if key in seen:
            problems.append(f"{row.line}: chỉ tiêu này của {row.unit_name} đã có ở {seen[key]}")
            continue
        seen[key] = row.line
        found.append((row, matches[0]))
    return found, problems


def save_plan(session: Session, spec: PlanSpec, now: dt.datetime, loaded_from: str | None = None) -> Plan:
    """Create or replace the plan of (unit, year): every row is checked first, and `PlanRejected` lists every
    problem with nothing saved; otherwise the plan's targets become exactly the rows given. Flushes."""
    unit = find_plan_unit(session, spec.unit_code, spec.unit_name, spec.unit_kind)
    if unit is None:
        raise PlanRejected([f"không có {UNIT_KIND_LABELS[spec.unit_kind].lower()} {spec.unit_name}"])
    resolved, problems = resolve_rows(session, unit, spec.year, spec.targets)
    if problems:
        raise PlanRejected(problems)
    plan = session.scalars(select(Plan).where(Plan.unit_id == unit.id, Plan.year == spec.year)).first()
    if plan is None:
        plan = Plan(unit=unit, year=spec.year, loaded_at=now)
        session.add(plan)
    plan.title, plan.number, plan.issued_on = spec.title, spec.number, spec.issued_on
    plan.source, plan.confidence, plan.note = spec.source, spec.confidence, spec.note
    plan.average_criteria, plan.minimum_criteria = spec.average_criteria, spec.minimum_criteria
    for key, column in RESOURCE_COLUMNS.items():
        setattr(plan, column, spec.resources.get(key))
    plan.loaded_from, plan.loaded_at = loaded_from, now
    _replace_targets(session, plan, resolved)
    return plan


@dataclass(frozen=True)
class TargetScope:
    """The targets a list of units is for ("the communes to reach criterion 9"): a kind, and for a level or a
    criterion target which one. Importing a list replaces the plan's targets of the scope, and only those."""

    kind: TargetKind
    level: RecognitionLevel | None = None
    criterion: int | None = None

    @classmethod
    def parse(cls, kind: Any, level: Any = None, criterion: Any = None) -> tuple[TargetScope | None, list[str]]:
        """The scope a form or a command line names (the same checks as a row), or every reason it cannot be."""
        row, problems = check_row("", kind, "—", level, criterion, 1 if kind in COUNTED_KINDS else None)
        if row is None:
            return None, problems
        return cls(row.kind, row.level, row.criterion), []

    def holds(self, kind: str, level: str | None, criterion: int | None) -> bool:
        return (
            kind == self.kind
            and (self.level is None or level == self.level)
            and (self.criterion is None or criterion == self.criterion)
        )

    @property
    def label(self) -> str:
        if self.kind == TargetKind.LEVEL and self.level is not None:
            return RECOGNITION_LEVEL_LABELS[self.level]
        if self.kind == TargetKind.CRITERION:
            return f"Xã đạt tiêu chí số {self.criterion}"
        return TARGET_KIND_LABELS[self.kind]


def scope_problems(rows: Iterable[TargetRow], scope: TargetScope | None) -> list[str]:
    """The rows of a list that are not for its scope."""
    if scope is None:
        return []
    return [
        f"{row.line}: không thuộc chỉ tiêu «{scope.label}» đang nhập"
        for row in rows
        if not scope.holds(row.kind, row.level, row.criterion)
    ]


def replace_targets(session: Session, plan: Plan, rows: Sequence[TargetRow], scope: TargetScope | None = None) -> Plan:
    """The plan's target table replaced by `rows` (an imported table) — or, with a `scope`, only its targets
    of that scope (an imported list of units): all or nothing, `PlanRejected` listing every bad row. Flushes."""
    resolved, problems = resolve_rows(session, plan.unit, plan.year, rows)
    problems = scope_problems(rows, scope) + problems
    if problems:
        raise PlanRejected(problems)
    _replace_targets(session, plan, resolved, scope)
    return plan


def _replace_targets(
    session: Session, plan: Plan, resolved: list[tuple[TargetRow, Unit]], scope: TargetScope | None = None
) -> None:
    if scope is None:
        plan.targets.clear()
    else:
        for target in [t for t in plan.targets if scope.holds(t.kind, t.level, t.criterion_number)]:
            plan.targets.remove(target)
    session.flush()
    start = max((t.position for t in plan.targets), default=0)
    for position, (row, unit) in enumerate(resolved, start=start + 1):
        plan.targets.append(
            PlanTarget(
                position=position,
                kind=row.kind,
                unit=unit,
                level=row.level,
                criterion_number=row.criterion,
                quantity=row.quantity,
                baseline=row.baseline,
                source=row.source,
                note=row.note,
            )
        )
    session.flush()


def load_plan_path(session: Session, path: Path, now: dt.datetime) -> Plan:
    """`ntm plans load FILE` and the demo: the file's plan saved (replacing that unit's plan of that year)."""
    spec = load_plan_file(path)
    loaded_from = f"{path.name} sha256:{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
    unit = find_plan_unit(session, spec.unit_code, spec.unit_name, spec.unit_kind)
    if unit is not None:
        same = session.scalars(
            select(Plan).where(Plan.unit_id == unit.id, Plan.year == spec.year, Plan.loaded_from == loaded_from)
        ).first()
        if same is not None:
            return same  # the same file again: nothing to do (the demo loads on every run)
    return save_plan(session, spec, now, loaded_from)


def plans_of_area(session: Session, area: Unit, year: int | None = None) -> list[Plan]:
    """The plans issued by the area or a unit inside it (a province's and its districts'), newest first."""
    query = select(Plan).where(Plan.unit_id.in_(descendant_ids(session, area.id))).options(selectinload(Plan.unit))
    if year is not None:
        query = query.where(Plan.year == year)
    return list(session.scalars(query.order_by(Plan.year.desc(), Plan.id)).all())


# --- progress ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetProgress:
    """One target on day D: what the plan asked, what the system knows, the status and why."""

    target: PlanTarget | None
    group: str
    unit_name: str
    asked: str
    reached: str
    status: TargetStatus
    reason: str
    #: the unit the evidence was read from when it is not the one the plan named (a merged commune)
    read_from: str | None = None


@dataclass
class PlanProgress:
    plan: Plan
    today: dt.date
    final: bool
    rows: list[TargetProgress]
    #: the criteria set the plan's criterion numbers refer to (its name per number)
    criterion_names: dict[int, str] = field(default_factory=dict)

    def count(self, status: TargetStatus) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[TargetStatus, int]:
        return {status: self.count(status) for status in STATUS_ORDER}

    def groups(self) -> list[tuple[str, Counter[TargetStatus]]]:
        """Each group of targets (in the plan's order) with how many stand at each status: the chart."""
        found: dict[str, Counter[TargetStatus]] = {}
        for row in self.rows:
            found.setdefault(row.group, Counter())[row.status] += 1
        return list(found.items())


def commune_criteria_set(session: Session, year: int) -> CriteriaSet | None:
    """The national commune NTM criteria set in force in `year` (a province's amended set when there is
    none): what a plan's "tiêu chí số N" refers to. One query."""
    sets = [
        s
        for s in session.scalars(
            select(CriteriaSet).where(CriteriaSet.period_start <= year, CriteriaSet.period_end >= year)
        ).all()
        if s.applies_to(RecognitionLevel.COMMUNE_NTM)
    ]
    sets.sort(key=lambda s: (s.issued_by is not None, -s.version, s.id))
    return sets[0] if sets else None


def submission_day(year: int) -> dt.date:
    """The day from which a commune's dossier of `year` is late to reach the appraising authority (20/9)."""
    schedule = default_rule(SUBMISSION_RULE).schedule
    if schedule is None:  # pragma: no cover - the rule is yearly by definition
        return dt.date(year, 12, 31)
    return schedule.occurrences(year)[0].before


def _place_label(territory: Territory, unit_id: int) -> str:
    place = territory[unit_id]
    return f"{UNIT_KIND_LABELS[place.kind].lower()} {place.name}"


def plan_progress(session: Session, plan: Plan, now: dt.datetime) -> PlanProgress:
    """Every target of `plan` with its status on the local date of `now` (rule: the module's docstring),
    in a fixed number of queries whatever the number of targets and communes."""
    today = local_date(now)
    year = plan.year
    final = today > dt.date(year, 12, 31)
    targets = list(
        session.scalars(
            select(PlanTarget)
            .where(PlanTarget.plan_id == plan.id)
            .options(selectinload(PlanTarget.unit))
            .order_by(PlanTarget.position)
        ).all()
    )
    aggregated = plan.average_criteria is not None or plan.minimum_criteria is not None
    # the aggregate targets are "per commune" (tiêu chí/xã): towns and wards are not counted
    communes = [c for c in plan_communes(session, plan.unit, year) if c.kind == UnitKind.COMMUNE] if aggregated else []
    named = {t.unit_id for t in targets} | {c.id for c in communes}
    territory = load_territory(session, named, lineage=True)
    # the units whose evidence stands for each named unit on `today`
    evidence_of: dict[int, list[int]] = {
        uid: [p.id for p in territory.successors_on(uid, today)] or [uid] for uid in named
    }
    candidates = {uid for ids in evidence_of.values() for uid in ids}
    hamlets: dict[int, list[int]] = defaultdict(list)
    for hamlet_id, parent_id in session.execute(
        select(Unit.id, Unit.parent_id).where(Unit.parent_id.in_(candidates), Unit.kind == UnitKind.HAMLET)
    ):
        if parent_id is not None:
            hamlets[parent_id].append(hamlet_id)
    every_hamlet = {h for ids in hamlets.values() for h in ids}
    dossiers = list(
        session.scalars(
            select(Dossier).where(
                Dossier.unit_id.in_(candidates | every_hamlet),
                Dossier.year == year,
                Dossier.kind == DossierKind.RECOGNITION,
            )
        ).all()
    )
    recognitions = list(
        session.scalars(
            select(Recognition).where(
                Recognition.unit_id.in_(candidates | every_hamlet),
                Recognition.revoked_on.is_(None),
                Recognition.decided_on <= today,
            )
        ).all()
    )
    commune_set = commune_criteria_set(session, year)
    criteria = criteria_of(session, [commune_set.id]) if commune_set else {}
    set_criteria: list[Criterion] = criteria.get(commune_set.id, []) if commune_set else []
    criterion_names = {c.number: c.name for c in set_criteria}
    on_set = [d for d in dossiers if commune_set is not None and d.criteria_set_id == commune_set.id]
    statuses = criterion_statuses(session, on_set, criteria) if on_set else {}
    facts = _Facts(
        territory=territory,
        evidence_of=evidence_of,
        hamlets=hamlets,
        dossiers=dossiers,
        recognitions=recognitions,
        statuses=statuses,
        set_id=commune_set.id if commune_set else None,
        set_size=len(set_criteria),
        year=year,
        today=today,
        final=final,
        submission_day=submission_day(year),
    )
    rows = [facts.judge(target, criterion_names) for target in targets]
    if aggregated:
        rows.extend(facts.aggregates(plan, communes))
    return PlanProgress(plan=plan, today=today, final=final, rows=rows, criterion_names=criterion_names)


@dataclass
class _Facts:
    """What the evidence says, loaded once; `judge` applies the rule of the module's docstring."""

    territory: Territory
    evidence_of: dict[int, list[int]]
    hamlets: dict[int, list[int]]
    dossiers: list[Dossier]
    recognitions: list[Recognition]
    statuses: dict[int, dict[int, CriterionStatus]]
    set_id: int | None
    set_size: int
    year: int
    today: dt.date
    final: bool
    submission_day: dt.date

    def _read_from(self, unit_id: int) -> str | None:
        ids = self.evidence_of[unit_id]
        if ids == [unit_id]:
            return None
        return ", ".join(_place_label(self.territory, uid) for uid in ids) + " (sau sắp xếp)"

    def _dossier(self, unit_id: int, level: RecognitionLevel, set_only: bool = False) -> Dossier | None:
        ids = set(self.evidence_of[unit_id])
        for dossier in self.dossiers:
            if (
                dossier.unit_id in ids
                and dossier.level == level
                and not _abandoned(dossier)
                and (not set_only or dossier.criteria_set_id == self.set_id)
            ):
                return dossier
        return None

    def _recognised(self, unit_ids: Iterable[int], level: RecognitionLevel, *, for_year: bool) -> list[Recognition]:
        ids = set(unit_ids)
        return [
            r
            for r in self.recognitions
            if r.unit_id in ids and r.level == level and (not for_year or r.year == self.year)
        ]

    def _during(self, good: bool) -> TargetStatus:
        if self.final:
            return TargetStatus.MET if good else TargetStatus.MISSED
        return TargetStatus.ON_TRACK if good else TargetStatus.AT_RISK

    def criteria_met(self, unit_id: int) -> tuple[int | None, str]:
        """Criteria met by the commune this year, and where that figure comes from; None when unknown."""
        dossier = self._dossier(unit_id, RecognitionLevel.COMMUNE_NTM, set_only=True)
        if dossier is not None:
            marks = self.statuses.get(dossier.id, {})
            return sum(1 for s in marks.values() if s == CriterionStatus.MET), f"hồ sơ năm {dossier.year}"
        if self._recognised(self.evidence_of[unit_id], RecognitionLevel.COMMUNE_NTM, for_year=False):
            return self.set_size, "đã được công nhận đạt chuẩn"
        return None, "chưa có hồ sơ, chưa được công nhận"

    def judge(self, target: PlanTarget, names: Mapping[int, str]) -> TargetProgress:
        kind = TargetKind(target.kind)
        uid = target.unit_id
        unit_name = target.unit.name
        read_from = self._read_from(uid)
        if kind == TargetKind.LEVEL:
            level = RecognitionLevel(target.level or RecognitionLevel.COMMUNE_NTM)
            group = RECOGNITION_LEVEL_LABELS[level]
            asked = RECOGNITION_LEVEL_LABELS[level]
            status, reached, reason = self._level(uid, level)
            return TargetProgress(target, group, unit_name, asked, reached, status, reason, read_from)
        if kind == TargetKind.CRITERION:
            number = target.criterion_number or 0
            name = names.get(number, "")
            group = f"Tiêu chí số {number}" + (f" — {name}" if name else "")
            status, reached, reason = self._criterion(uid, number)
            return TargetProgress(
                target, group, unit_name, f"Đạt tiêu chí số {number}", reached, status, reason, read_from
            )
        if kind == TargetKind.CRITERIA_ADDED:
            quantity = target.quantity or 0
            met, where = self.criteria_met(uid)
            asked = f"Tăng từ {quantity} tiêu chí trở lên"
            if target.baseline is None:
                reason = "kế hoạch không ghi số tiêu chí đạt đầu năm: không có căn cứ để tính số tiêu chí tăng thêm"
                reached = f"{met} tiêu chí ({where})" if met is not None else where
                return TargetProgress(
                    target, TARGET_KIND_LABELS[kind], unit_name, asked, reached, self._during(False), reason, read_from
                )
            goal = target.baseline + quantity
            good = met is not None and met >= goal
            reached = f"{met}/{goal} tiêu chí ({where})" if met is not None else where
            reason = f"cần {goal} tiêu chí (đầu năm {target.baseline} + {quantity})"
            return TargetProgress(
                target, TARGET_KIND_LABELS[kind], unit_name, asked, reached, self._during(good), reason, read_from
            )
        level = HAMLET_LEVELS[kind]
        quantity = target.quantity or 0
        status, reached, reason = self._hamlets(uid, level, quantity)
        return TargetProgress(
            target, TARGET_KIND_LABELS[kind], unit_name, f"{quantity} xóm", reached, status, reason, read_from
        )

    def _level(self, uid: int, level: RecognitionLevel) -> tuple[TargetStatus, str, str]:
        recognised = self._recognised(self.evidence_of[uid], level, for_year=True)
        if recognised:
            decision = recognised[0]
            number = f"QĐ {decision.decision_number} " if decision.decision_number else ""
            return TargetStatus.MET, "Đã công nhận", f"{number}ngày {decision.decided_on:%d/%m/%Y}"
        dossier = self._dossier(uid, level)
        if self.final:
            state = _state_label(dossier) if dossier else "không có hồ sơ"
            return TargetStatus.MISSED, state, f"hết năm {self.year} chưa có quyết định công nhận"
        if dossier is None:
            return TargetStatus.AT_RISK, "Chưa đăng ký", f"chưa đăng ký hồ sơ năm {self.year}"
        state = _state_label(dossier)
        if _submitted(dossier):
            return TargetStatus.ON_TRACK, state, "hồ sơ đã gửi thẩm tra"
        due = f"{self.submission_day:%d/%m/%Y}"
        if self.today < self.submission_day:
            return TargetStatus.ON_TRACK, state, f"đã đăng ký; hạn gửi hồ sơ trước ngày {due}"
        return TargetStatus.AT_RISK, state, f"quá ngày {due} chưa gửi hồ sơ thẩm tra"

    def _criterion(self, uid: int, number: int) -> tuple[TargetStatus, str, str]:
        if self._recognised(self.evidence_of[uid], RecognitionLevel.COMMUNE_NTM, for_year=True):
            return TargetStatus.MET, "Đạt", "xã được công nhận đạt chuẩn trong năm"
        dossier = self._dossier(uid, RecognitionLevel.COMMUNE_NTM, set_only=True)
        if dossier is None:
            return self._during(False), "Chưa có số liệu", f"chưa có hồ sơ tự đánh giá năm {self.year}"
        status = self.statuses.get(dossier.id, {}).get(number, CriterionStatus.NOT_ASSESSED)
        good = status == CriterionStatus.MET or (not self.final and status == CriterionStatus.UNDER_APPRAISAL)
        return self._during(good), _CRITERION_WORDS[status], f"theo hồ sơ năm {dossier.year} ({_state_label(dossier)})"

    def _hamlets(self, uid: int, level: RecognitionLevel, quantity: int) -> tuple[TargetStatus, str, str]:
        hamlet_ids = [h for c in self.evidence_of[uid] for h in self.hamlets.get(c, [])]
        recognised = len({r.unit_id for r in self._recognised(hamlet_ids, level, for_year=True)})
        ids = set(hamlet_ids)
        open_ = sum(1 for d in self.dossiers if d.unit_id in ids and d.level == level and not _abandoned(d))
        reached = f"{recognised}/{quantity} xóm được công nhận"
        in_progress = max(open_ - recognised, 0)
        reason = f"{in_progress} hồ sơ xóm đang thực hiện" if in_progress else "chưa có hồ sơ xóm nào đang thực hiện"
        if recognised >= quantity:
            return TargetStatus.MET, reached, "đủ số xóm được công nhận"
        if self.final:
            return TargetStatus.MISSED, reached, f"hết năm {self.year} còn thiếu {quantity - recognised} xóm"
        good = recognised + in_progress >= quantity
        return (TargetStatus.ON_TRACK if good else TargetStatus.AT_RISK), reached, reason

    def aggregates(self, plan: Plan, communes: list[Unit]) -> list[TargetProgress]:
        figures = {c.id: self.criteria_met(c.id)[0] for c in communes}
        known = {uid: n for uid, n in figures.items() if n is not None}
        unknown = [c.name for c in communes if figures[c.id] is None]
        missing = f"; {len(unknown)} xã chưa có số liệu ({', '.join(unknown)})" if unknown else ""
        group = "Chỉ tiêu chung của huyện"
        rows = []
        if plan.average_criteria is not None:
            goal = float(plan.average_criteria)
            average = sum(known.values()) / len(known) if known else None
            good = average is not None and average >= goal and (not self.final or not unknown)
            reached = (
                f"{average:.1f}".replace(".", ",") + f" tiêu chí/xã ({len(known)}/{len(communes)} xã)"
                if average is not None
                else "Chưa có số liệu"
            )
            asked = f"Bình quân {goal:.1f}".replace(".", ",") + " tiêu chí/xã"
            rows.append(
                TargetProgress(
                    None,
                    group,
                    plan.unit.name,
                    asked,
                    reached,
                    self._during(good),
                    "tính trên các xã có số liệu" + missing,
                )
            )
        if plan.minimum_criteria is not None:
            floor = plan.minimum_criteria
            under = [c.name for c in communes if figures[c.id] is not None and (figures[c.id] or 0) < floor]
            good = not under and not unknown
            reached = f"{len(under)} xã dưới {floor} tiêu chí" if known else "Chưa có số liệu"
            reason = (
                f"dưới {floor}: {', '.join(under)}" if under else f"không xã nào có số liệu dưới {floor}"
            ) + missing
            rows.append(
                TargetProgress(
                    None,
                    group,
                    plan.unit.name,
                    f"Không còn xã dưới {floor} tiêu chí",
                    reached,
                    self._during(good),
                    reason,
                )
            )
        return rows


_CRITERION_WORDS = {
    CriterionStatus.MET: "Đạt",
    CriterionStatus.UNDER_APPRAISAL: "Đang thẩm tra",
    CriterionStatus.NOT_MET: "Chưa đạt",
    CriterionStatus.NOT_ASSESSED: "Chưa đánh giá",
}


def _abandoned(dossier: Dossier) -> bool:
    try:
        return dossier.state in procedure_for(dossier.level, dossier.kind).definition.abandoned
    except UnknownProcedure:
        return False


def _submitted(dossier: Dossier) -> bool:
    try:
        return milestone_reached(dossier.level, dossier.state, SUBMITTED, dossier.kind)
    except (UnknownProcedure, ValueError):
        return False


def _state_label(dossier: Dossier) -> str:
    try:
        return "Hồ sơ: " + procedure_for(dossier.level, dossier.kind).state_label(dossier.state).lower()
    except UnknownProcedure:
        return dossier.state
