"""The department → indicator ownership table: loading it from data, showing it, checking it for gaps."""

from __future__ import annotations

import importlib.resources
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dossiers.criteria_loader import find_criteria_set
from dossiers.models import CriteriaSet, Criterion, Department, Indicator, Ownership, OwnershipRemark, Unit
from workflow.vocabulary import Confidence, UnitKind


class OwnershipFileError(ValueError):
    """A problem in an ownership file, naming the file and the key."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")


def builtin_ownership_files() -> list[Path]:
    folder = importlib.resources.files("dossiers") / "data" / "ownership"
    return sorted(Path(str(item)) for item in folder.iterdir() if item.name.endswith(".yaml"))


def _authority(session: Session, path: Path, spec: dict[str, Any]) -> Unit:
    kind = UnitKind(spec.get("kind", UnitKind.DISTRICT))
    query = select(Unit).where(Unit.kind == kind)
    if "code" in spec:
        query = query.where(Unit.code == str(spec["code"]))
    elif "name" in spec:
        query = query.where(Unit.name == spec["name"])
    else:
        raise OwnershipFileError(path, "authority", "needs a code or a name")
    unit = session.scalars(query).first()
    if unit is None:
        raise OwnershipFileError(path, "authority", f"no {kind} unit matches {spec!r}; load the units first")
    return unit


@dataclass(frozen=True)
class Planned:
    """One assignment read from the file, before it becomes a row per year."""

    indicator: Indicator
    department: Department
    where: str
    whole: bool
    #: kiểu mẫu: only for dossiers whose outstanding field is one of these; None: every dossier
    fields: tuple[str, ...] | None
    confidence: Confidence | None


def _confidence(path: Path, key: str, value: Any) -> Confidence | None:
    if value is None:
        return None
    try:
        return Confidence(str(value))
    except ValueError:
        raise OwnershipFileError(
            path, key, f"{value!r} is not one of {', '.join(c.value for c in Confidence)}"
        ) from None


def _outstanding(
    path: Path, key: str, criteria_set: CriteriaSet, owned: dict[str, Any]
) -> tuple[Criterion, tuple[str, ...]]:
    """`outstanding_fields: {criterion: 4, fields: [san-xuat]}`: the set's outstanding-field criterion (kiểu mẫu
    KM4) goes to this department for a dossier that chose one of the fields (codes of the set's list)."""
    spec = owned["outstanding_fields"]
    if not isinstance(spec, dict) or "criterion" not in spec or not spec.get("fields"):
        raise OwnershipFileError(path, key, "needs {criterion: N, fields: [code, …]}")
    criterion = next((c for c in criteria_set.criteria if c.number == int(spec["criterion"])), None)
    if criterion is None:
        raise OwnershipFileError(path, f"{key}.criterion", f"no criterion {spec['criterion']}")
    listed = [str(f["code"]) for f in criteria_set.outstanding_fields or []]
    unknown = [str(code) for code in spec["fields"] if str(code) not in listed]
    if unknown:
        raise OwnershipFileError(
            path, f"{key}.fields", f"{', '.join(unknown)} not in the set's outstanding fields ({', '.join(listed)})"
        )
    return criterion, tuple(str(code) for code in spec["fields"])


def applies_to(outstanding_fields: list[Any] | None, chosen: str | None) -> bool:
    """Whether an ownership row holds for a dossier with this outstanding field (None: every dossier)."""
    return outstanding_fields is None or chosen in outstanding_fields


@dataclass
class OwnershipLoad:
    authority: Unit
    years: list[int]
    rows: int


def load_ownership_file(session: Session, path: Path) -> OwnershipLoad:
    """Replace the authority's table for the years and sets the file covers. Validates before changing anything."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise OwnershipFileError(path, "(file)", f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise OwnershipFileError(path, "(file)", "expected a mapping at the top level")
    authority = _authority(session, path, data.get("authority") or {})
    years = [int(year) for year in data.get("years") or []]
    if not years:
        raise OwnershipFileError(path, "years", "list at least one year")
    source = str(data.get("source", path.name))
    file_confidence = _confidence(path, "confidence", data.get("confidence"))

    departments = {d.code: d for d in session.scalars(select(Department).where(Department.unit_id == authority.id))}
    planned: list[Planned] = []
    remarks: list[tuple[CriteriaSet | None, Department, str]] = []
    touched_sets: dict[int, CriteriaSet] = {}
    for index, entry in enumerate(data.get("departments") or []):
        key = f"departments[{index}]"
        department = departments.get(str(entry.get("code")))
        if department is None:
            raise OwnershipFileError(
                path, f"{key}.code", f"{entry.get('code')!r} is not a department of {authority.name}"
            )
        where = f"{source}, {entry['section']}" if entry.get("section") else source
        confidence = _confidence(path, f"{key}.confidence", entry.get("confidence")) or file_confidence
        for set_code, owned in (entry.get("sets") or {}).items():
            criteria_set = find_criteria_set(session, set_code)
            if criteria_set is None:
                raise OwnershipFileError(path, f"{key}.sets.{set_code}", "criteria set not loaded")
            touched_sets[criteria_set.id] = criteria_set
            by_number = {criterion.number: criterion for criterion in criteria_set.criteria}
            by_code = {indicator.code: indicator for indicator in criteria_set.indicators()}
            for number in owned.get("criteria") or []:
                criterion = by_number.get(int(number))
                if criterion is None:
                    raise OwnershipFileError(path, f"{key}.sets.{set_code}.criteria", f"no criterion {number}")
                planned.extend(Planned(i, department, where, True, None, confidence) for i in criterion.indicators)
            for code in owned.get("indicators") or []:
                indicator = by_code.get(str(code))
                if indicator is None:
                    raise OwnershipFileError(path, f"{key}.sets.{set_code}.indicators", f"no indicator {code}")
                planned.append(Planned(indicator, department, where, False, None, confidence))
            if owned.get("outstanding_fields"):
                criterion, fields = _outstanding(path, f"{key}.sets.{set_code}.outstanding_fields", criteria_set, owned)
                planned.extend(Planned(i, department, where, True, fields, confidence) for i in criterion.indicators)
        remarks.extend((None, department, str(text)) for text in entry.get("remarks") or [])

    for year in years:
        set_ids = list(touched_sets)
        indicator_ids = select(Indicator.id).join(Criterion).where(Criterion.criteria_set_id.in_(set_ids))
        session.execute(
            delete(Ownership).where(
                Ownership.authority_unit_id == authority.id,
                Ownership.year == year,
                Ownership.indicator_id.in_(indicator_ids),
            )
        )
        session.execute(
            delete(OwnershipRemark).where(
                OwnershipRemark.authority_unit_id == authority.id,
                OwnershipRemark.year == year,
                OwnershipRemark.criteria_set_id.in_(set_ids),
            )
        )
        # a whole-criterion assignment wins over the same indicator named on its own; an assignment for every
        # dossier wins over one for some outstanding fields, whose fields add up
        rows: dict[tuple[int, int], Ownership] = {}
        for plan in planned:
            row = rows.get((plan.indicator.id, plan.department.id))
            if row is None:
                rows[(plan.indicator.id, plan.department.id)] = Ownership(
                    authority_unit_id=authority.id,
                    year=year,
                    indicator_id=plan.indicator.id,
                    department_id=plan.department.id,
                    source=plan.where,
                    whole_criterion=plan.whole,
                    outstanding_fields=list(plan.fields) if plan.fields is not None else None,
                    confidence=plan.confidence,
                )
            else:
                row.whole_criterion = row.whole_criterion or plan.whole
                if row.outstanding_fields is None or plan.fields is None:
                    row.outstanding_fields = None
                else:
                    row.outstanding_fields = [
                        *row.outstanding_fields,
                        *(f for f in plan.fields if f not in row.outstanding_fields),
                    ]
        session.add_all(rows.values())
        for criteria_set in touched_sets.values():
            for _, department, text in remarks:
                session.add(
                    OwnershipRemark(
                        authority_unit_id=authority.id,
                        year=year,
                        criteria_set_id=criteria_set.id,
                        department_id=department.id,
                        text=text,
                    )
                )
    session.flush()
    distinct_pairs = {(plan.indicator.id, plan.department.id) for plan in planned}
    return OwnershipLoad(authority=authority, years=years, rows=len(distinct_pairs) * len(years))


def owning_department_ids(
    session: Session, authority_unit_id: int, year: int, indicator_ids: Iterable[int]
) -> dict[int, list[int]]:
    """indicator id → ids of its owning departments (usually one, sometimes two) in an authority's table for a year;
    assignments for some outstanding fields only (kiểu mẫu) are left out: see `outstanding_field_owners`."""
    rows = session.execute(
        select(Ownership.indicator_id, Ownership.department_id, Ownership.outstanding_fields)
        .where(
            Ownership.authority_unit_id == authority_unit_id,
            Ownership.year == year,
            Ownership.indicator_id.in_(list(indicator_ids)),
        )
        .order_by(Ownership.department_id)
    ).all()
    owners: dict[int, list[int]] = defaultdict(list)
    for indicator_id, department_id, fields in rows:
        if fields is None and department_id not in owners[indicator_id]:
            owners[indicator_id].append(department_id)
    return dict(owners)


#: from the surest to the least sure
_SURENESS = list(Confidence)


@dataclass
class DepartmentShare:
    """What one department owns in one set: whole criteria, and single indicators of other criteria."""

    department: Department
    criteria: list[int] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    #: kiểu mẫu: the outstanding fields (their names) whose criterion it appraises
    fields: list[str] = field(default_factory=list)
    #: the least sure of its assignments, when the table states how sure it is (a reconstruction)
    confidence: Confidence | None = None

    def line(self) -> str:
        parts = []
        if self.criteria:
            parts.append("tiêu chí " + ", ".join(str(number) for number in self.criteria))
        if self.indicators:
            parts.append("chỉ tiêu " + ", ".join(self.indicators))
        if self.fields:
            parts.append("lĩnh vực nổi trội " + ", ".join(self.fields))
        return f"{self.department.name}: {'; '.join(parts)}"


def ownership_shares(session: Session, authority: Unit, year: int, criteria_set: CriteriaSet) -> list[DepartmentShare]:
    """The table as its source states it: per department, whole criteria ("tiêu chí N") and single indicators."""
    rows = session.execute(
        select(Ownership, Department, Indicator, Criterion)
        .join(Department, Ownership.department_id == Department.id)
        .join(Indicator, Ownership.indicator_id == Indicator.id)
        .join(Criterion, Indicator.criterion_id == Criterion.id)
        .where(
            Ownership.authority_unit_id == authority.id,
            Ownership.year == year,
            Criterion.criteria_set_id == criteria_set.id,
        )
        .order_by(Department.id, Criterion.number, Indicator.position)
    ).all()
    shares: dict[int, DepartmentShare] = {}
    names = {str(f["code"]): str(f["name"]) for f in criteria_set.outstanding_fields or []}
    for ownership, department, indicator, criterion in rows:
        share = shares.setdefault(department.id, DepartmentShare(department))
        if ownership.confidence is not None and (
            share.confidence is None or _SURENESS.index(ownership.confidence) > _SURENESS.index(share.confidence)
        ):
            share.confidence = Confidence(ownership.confidence)
        if ownership.outstanding_fields is not None:
            share.fields.extend(
                names.get(code, code)
                for code in ownership.outstanding_fields
                if names.get(code, code) not in share.fields
            )
        elif not ownership.whole_criterion:
            share.indicators.append(indicator.code)
        elif criterion.number not in share.criteria:
            share.criteria.append(criterion.number)
    return list(shares.values())


@dataclass
class OwnershipCheck:
    """Gaps and doubts in a table: indicators nobody owns, indicators owned twice, remarks from the source."""

    unowned: list[Indicator]
    shared: list[tuple[Indicator, list[Department]]]
    remarks: list[OwnershipRemark]
    #: kiểu mẫu: outstanding fields of the set no department appraises (names); their criterion goes to the
    #: authority's fallback seat
    fields_unowned: list[str] = field(default_factory=list)
    #: where the assignments come from, with how sure the table is of them (None: as the source states it)
    sources: list[tuple[str, str | None]] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"Nguồn: {source}" + (f" (độ tin cậy: {sure})" if sure else "") for source, sure in self.sources]
        if self.fields_unowned:
            lines.append("Lĩnh vực nổi trội chưa có phòng, ban phụ trách: " + ", ".join(self.fields_unowned))
        if self.unowned:
            lines.append(f"Chưa có phòng, ban phụ trách ({len(self.unowned)} chỉ tiêu):")
            lines.extend(f"  - {i.code} ({i.criterion.number}. {i.criterion.name}): {i.name}" for i in self.unowned)
        else:
            lines.append("Mọi chỉ tiêu đều có phòng, ban phụ trách.")
        if self.shared:
            lines.append(f"Do hai phòng, ban cùng thẩm tra ({len(self.shared)} chỉ tiêu):")
            lines.extend(f"  - {i.code}: " + ", ".join(d.name for d in owners) for i, owners in self.shared)
        if self.remarks:
            lines.append("Ghi chú từ nguồn:")
            lines.extend(f"  - {r.department.name if r.department else ''}: {r.text}" for r in self.remarks)
        return lines


def check_ownership(session: Session, authority: Unit, year: int, criteria_set: CriteriaSet) -> OwnershipCheck:
    indicators = criteria_set.indicators()
    owner_ids = owning_department_ids(session, authority.id, year, (i.id for i in indicators))
    owners = {
        indicator_id: [session.get_one(Department, department_id) for department_id in department_ids]
        for indicator_id, department_ids in owner_ids.items()
    }
    remarks = session.scalars(
        select(OwnershipRemark)
        .where(
            OwnershipRemark.authority_unit_id == authority.id,
            OwnershipRemark.year == year,
            OwnershipRemark.criteria_set_id == criteria_set.id,
        )
        .order_by(OwnershipRemark.id)
    ).all()
    conditional = session.execute(
        select(Ownership.indicator_id, Ownership.outstanding_fields).where(
            Ownership.authority_unit_id == authority.id,
            Ownership.year == year,
            Ownership.indicator_id.in_([i.id for i in indicators]),
            Ownership.outstanding_fields.is_not(None),
        )
    ).all()
    by_field = {code for _, fields in conditional for code in fields or []}
    sources = session.execute(
        select(Ownership.source, Ownership.confidence)
        .where(
            Ownership.authority_unit_id == authority.id,
            Ownership.year == year,
            Ownership.indicator_id.in_([i.id for i in indicators]),
            Ownership.confidence.is_not(None),
        )
        .distinct()
        .order_by(Ownership.source)
    ).all()
    return OwnershipCheck(
        sources=[(str(source), confidence) for source, confidence in sources],
        fields_unowned=[
            str(f["name"]) for f in criteria_set.outstanding_fields or [] if conditional and f["code"] not in by_field
        ],
        unowned=[i for i in indicators if not owners.get(i.id) and i.id not in {row[0] for row in conditional}],
        shared=[(i, owners[i.id]) for i in indicators if len(owners.get(i.id, [])) > 1],
        remarks=list(remarks),
    )
