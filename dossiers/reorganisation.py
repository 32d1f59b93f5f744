"""A reorganisation of the territory, recorded as an event with an effective date.

A plan (`ReorganisationPlan`, read from YAML or a form) names units merged into new ones, units that
end (a district), and what becomes of each department (moved to a successor, or dissolved). Applying
it, in one transaction:

- creates the new units (or finds those `ntm units import` loaded) with their lineage, ends the old
  ones the day before, moves the hamlets of merged communes under the new commune;
- ends the departments, names their successors, re-points ownership rows of a surviving authority;
- carries recognitions by Official Letter 267/BNN-VPDP: when every unit merged into a new one held a
  commune recognition, the new unit holds the lowest level they all held; otherwise nothing is
  carried. The reasoning is recorded either way;
- transfers every dossier in flight: the successor unit, the route in force on the effective day and
  its seats, open appraisal items moved to the successor departments (answered items keep their
  answer and who gave it), the moved tasks' deadlines counted again from the effective day, one
  audit event per dossier;
- lists the people affected, each once, with what concerns them.

`preview` runs the very same code inside a savepoint and rolls it back: the dry run shows exactly
what `apply` will do. After the effective day nobody acts for an ended unit or department: the
actor's holdings are read with their validity (`dossiers.access.load_actor`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    AuditEvent,
    Criterion,
    Department,
    Dossier,
    Indicator,
    Ownership,
    Recognition,
    Reorganisation,
    RoleAssignment,
    Unit,
    User,
)
from dossiers.ownership import applies_to
from dossiers.territory import load_territory
from workflow.calendar import local_date, local_time
from workflow.errors import GuardFailed
from workflow.procedures import FALLBACK_APPRAISER, procedure_for
from workflow.routes import route_for
from workflow.vocabulary import (
    RECOGNITION_LEVEL_LABELS,
    UNIT_KIND_LABELS,
    RecognitionLevel,
    Role,
    UnitKind,
)

#: the audit action of a dossier handed to its successors
TRANSFER_ACTION = "reorganisation_transfer"

#: commune levels from the lowest: a carried recognition is the lowest level every predecessor held
COMMUNE_LEVEL_ORDER = (
    RecognitionLevel.COMMUNE_NTM,
    RecognitionLevel.COMMUNE_ADVANCED,
    RecognitionLevel.COMMUNE_MODEL,
)
CARRY_BASIS = "Công văn 267/BNN-VPĐP ngày 09/01/2024 (shared/reference/vn-context.md, độ tin cậy: trung bình)"


class ReorganisationError(ValueError):
    """The plan cannot be applied as given; `problems` says what to fix (Vietnamese)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- the plan ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Merge:
    """A new unit formed from `sources` (codes of units in force the day before)."""

    name: str
    code: str | None
    kind: UnitKind
    sources: tuple[str, ...]
    commune_group: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class DepartmentMove:
    """A department of the unit `unit_code` handed to `successor` (a department code of the province),
    or dissolved when `successor` is None."""

    unit_code: str
    code: str
    successor: str | None


@dataclass(frozen=True)
class ReorganisationPlan:
    code: str
    name: str
    basis: str
    province_code: str
    effective_on: dt.date
    merges: tuple[Merge, ...]
    #: units that end without a successor of their own (a district): their units must be merged
    dissolved: tuple[str, ...] = ()
    departments: tuple[DepartmentMove, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def eve(self) -> dt.date:
        return self.effective_on - dt.timedelta(days=1)


def _check_lengths(entry: dict[str, Any], limits: dict[str, int]) -> None:
    too_long = [f"«{key}» dài quá {n} ký tự" for key, n in limits.items() if len(str(entry.get(key) or "")) > n]
    if too_long:
        raise ReorganisationError(too_long)


def plan_from_dict(raw: dict[str, Any]) -> ReorganisationPlan:
    """Read a plan (the YAML format of `dossiers/data/reorganisations/`); a clear error for what is missing."""
    problems = [f"thiếu mục «{key}»" for key in ("code", "name", "basis", "province", "effective_on") if key not in raw]
    if problems:
        raise ReorganisationError(problems)
    for key in ("merges", "departments", "dissolved"):
        if not isinstance(raw.get(key) or [], list):
            raise ReorganisationError([f"mục «{key}» phải là một danh sách"])
    _check_lengths(raw, {"code": 80, "name": 300, "province": 16})
    for entry in raw.get("merges") or ():
        if isinstance(entry, dict):
            _check_lengths(entry, {"name": 200, "code": 16, "commune_group": 20, "note": 500})
    effective = raw["effective_on"]
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError as error:
            raise ReorganisationError([f"ngày hiệu lực «{effective}» không hợp lệ (YYYY-MM-DD)"]) from error
    if not isinstance(effective, dt.date):
        raise ReorganisationError(["ngày hiệu lực phải là một ngày (YYYY-MM-DD)"])
    if any(not isinstance(e, dict) for key in ("merges", "departments") for e in raw.get(key) or ()):
        raise ReorganisationError(["mỗi dòng của «merges» và «departments» phải là một bảng (khóa: giá trị)"])
    merges = []
    for entry in raw.get("merges") or ():
        try:
            kind = UnitKind(entry.get("kind", UnitKind.COMMUNE.value))
        except ValueError as error:
            raise ReorganisationError([f"loại đơn vị «{entry.get('kind')}» không có"]) from error
        if not isinstance(entry.get("from") or [], list):
            raise ReorganisationError([f"đơn vị mới «{entry.get('name')}»: «from» phải là danh sách mã"])
        sources = tuple(str(code) for code in entry.get("from") or ())
        if not entry.get("name") or not sources:
            raise ReorganisationError([f"đơn vị mới {entry!r}: cần «name» và «from»"])
        merges.append(
            Merge(
                name=str(entry["name"]),
                code=str(entry["code"]) if entry.get("code") else None,
                kind=kind,
                sources=sources,
                commune_group=entry.get("commune_group"),
                note=entry.get("note"),
            )
        )
    moves = [
        DepartmentMove(str(entry["unit"]), str(entry["code"]), entry.get("to"))
        for entry in raw.get("departments") or ()
    ]
    return ReorganisationPlan(
        code=str(raw["code"]),
        name=str(raw["name"]),
        basis=str(raw["basis"]),
        province_code=str(raw["province"]),
        effective_on=effective,
        merges=tuple(merges),
        dissolved=tuple(str(code) for code in raw.get("dissolved") or ()),
        departments=tuple(moves),
        raw=raw,
    )


def plan_from_text(text: str, origin: str = "phương án") -> ReorganisationPlan:
    """A plan from its YAML text (a file, a form); anything malformed is a `ReorganisationError`."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ReorganisationError([f"{origin}: YAML không hợp lệ ({error})"]) from error
    if not isinstance(raw, dict):
        raise ReorganisationError([f"{origin} không phải một phương án sắp xếp (cần các mục code, name, …)"])
    try:
        return plan_from_dict(raw)
    except (TypeError, AttributeError, KeyError) as error:
        raise ReorganisationError([f"{origin}: cấu trúc không đúng ({error})"]) from error


def load_plan(path: Path) -> ReorganisationPlan:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ReorganisationError([f"không đọc được tệp {path}: {error}"]) from error
    return plan_from_text(text, f"tệp {path}")


def builtin_plan_path(name: str) -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("dossiers") / "data" / "reorganisations" / f"{name}.yaml"))


# --- what it changes -----------------------------------------------------------------------------------


@dataclass
class Changes:
    """What a reorganisation does, in the words a province reads (Vietnamese), grouped by topic."""

    units: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    recognitions: list[str] = field(default_factory=list)
    dossiers: list[str] = field(default_factory=list)
    #: user id → what concerns them (each person is told once, everything in one notice)
    notices: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: dossier ids transferred
    transferred: list[int] = field(default_factory=list)

    def as_dict(self, session: Session) -> dict[str, Any]:
        users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(self.notices))))}
        return {
            "units": self.units,
            "departments": self.departments,
            "recognitions": self.recognitions,
            "dossiers": self.dossiers,
            "notices": [
                {"user_id": uid, "username": users[uid].username, "lines": lines}
                for uid, lines in sorted(self.notices.items())
                if uid in users
            ],
            "transferred": self.transferred,
        }


def _label(unit: Unit) -> str:
    return f"{UNIT_KIND_LABELS[UnitKind(unit.kind)].lower()} {unit.name}"


def _unit_in_force(session: Session, code: str, day: dt.date, kinds: tuple[UnitKind, ...] | None = None) -> Unit | None:
    query = select(Unit).where(Unit.code == code)
    if kinds:
        query = query.where(Unit.kind.in_([k.value for k in kinds]))
    return next((u for u in session.scalars(query.order_by(Unit.id)) if u.is_valid_on(day)), None)


def _people(session: Session, *, unit_ids: Collection[int] = (), department_ids: Collection[int] = ()) -> set[int]:
    """The active users holding a role on these units or departments."""
    query = select(RoleAssignment.user_id).join(User, User.id == RoleAssignment.user_id).where(User.active.is_(True))
    found: set[int] = set()
    if unit_ids:
        found |= set(session.scalars(query.where(RoleAssignment.unit_id.in_(unit_ids))))
    if department_ids:
        found |= set(session.scalars(query.where(RoleAssignment.department_id.in_(department_ids))))
    return found


def _apply(session: Session, plan: ReorganisationPlan, actor: User | None, now: dt.datetime) -> Changes:
    changes = Changes()
    eve, day = plan.eve, plan.effective_on
    problems: list[str] = []
    province = _unit_in_force(session, plan.province_code, eve, (UnitKind.PROVINCE,))
    if province is None:
        raise ReorganisationError([f"không tìm thấy tỉnh mã {plan.province_code}"])
    if session.scalar(select(Reorganisation.id).where(Reorganisation.code == plan.code)) is not None:
        raise ReorganisationError([f"phương án «{plan.code}» đã được áp dụng"])

    # --- units -----------------------------------------------------------------------------------
    sources: dict[str, Unit] = {}
    for merge in plan.merges:
        for code in merge.sources:
            found = _unit_in_force(session, code, eve)
            if found is None:
                problems.append(f"không có đơn vị mã {code} còn hiệu lực ngày {eve:%d/%m/%Y} (nhập vào {merge.name})")
            elif code in sources:
                problems.append(f"đơn vị mã {code} được nhập vào hai đơn vị mới")
            else:
                sources[code] = found
    dissolved: list[Unit] = []
    for code in plan.dissolved:
        found = _unit_in_force(session, code, eve)
        if found is None:
            problems.append(f"không có đơn vị mã {code} còn hiệu lực ngày {eve:%d/%m/%Y} để giải thể")
        else:
            dissolved.append(found)
    merged_ids = {u.id for u in sources.values()}
    for unit in dissolved:
        for child in unit.children:
            if child.kind != UnitKind.HAMLET and child.is_valid_on(eve) and child.id not in merged_ids:
                problems.append(f"{_label(child)} thuộc {_label(unit)} chưa có trong phương án sắp xếp")
    if problems:
        raise ReorganisationError(problems)

    new_units: dict[str, Unit] = {}
    successor_of: dict[int, Unit] = {}
    for merge in plan.merges:
        existing = _unit_in_force(session, merge.code, day, (merge.kind,)) if merge.code else None
        if existing is not None and existing.id in merged_ids:
            existing = None  # the code is kept by the new unit: a new row from the effective day
        olds = [sources[code] for code in merge.sources]
        if existing is None:
            unit = Unit(
                code=merge.code,
                name=merge.name,
                kind=merge.kind,
                parent=province,
                valid_from=day,
                region=province.region,
                commune_group=merge.commune_group,
                source_note=merge.note,
            )
            session.add(unit)
            verb = "Thành lập"
        else:
            unit = existing
            unit.commune_group = merge.commune_group or unit.commune_group
            verb = "Ghi nhận"
        for old in olds:
            if old not in unit.predecessors:
                unit.predecessors.append(old)
            old.valid_to = eve
            successor_of[old.id] = unit
        session.flush()
        new_units[merge.name] = unit
        changes.units.append(
            f"{verb} {_label(unit)}{f' ({unit.code})' if unit.code else ''} từ "
            f"{', '.join(_label(o) for o in olds)}; các đơn vị cũ kết thúc ngày {eve:%d/%m/%Y}"
            + (f" — {merge.note}" if merge.note else "")
        )
        hamlets = [h for old in olds for h in old.children if h.kind == UnitKind.HAMLET]
        for hamlet in hamlets:
            hamlet.parent = unit
        if hamlets:
            changes.units.append(
                f"{len(hamlets)} thôn, xóm chuyển về {_label(unit)}: {', '.join(h.name for h in hamlets)}"
            )
    for unit in dissolved:
        unit.valid_to = eve
        changes.units.append(f"Kết thúc hoạt động {_label(unit)} từ ngày {day:%d/%m/%Y}")
    session.flush()

    # --- departments ----------------------------------------------------------------------------------
    ended_departments: dict[int, Department | None] = {}
    for move in plan.departments:
        owner = _unit_in_force(session, move.unit_code, eve)
        department = (
            session.scalars(
                select(Department).where(Department.unit_id == owner.id, Department.code == move.code)
            ).first()
            if owner
            else None
        )
        if department is None or owner is None:
            problems.append(f"không có phòng, ban «{move.code}» của đơn vị mã {move.unit_code}")
            continue
        successor = None
        if move.successor:
            successor = session.scalars(
                select(Department).where(Department.unit_id == province.id, Department.code == move.successor)
            ).first()
            if successor is None:
                problems.append(f"tỉnh chưa có cơ quan «{move.successor}» để nhận việc của {department.name}")
                continue
        department.valid_to = eve
        department.successor = successor
        ended_departments[department.id] = successor
        officers = _people(session, department_ids={department.id})
        if successor is not None:
            repointed = 0
            for row in session.scalars(
                select(Ownership).where(Ownership.department_id == department.id, Ownership.year >= day.year)
            ):
                if row.authority_unit_id not in {u.id for u in dissolved} and row.authority_unit.is_valid_on(day):
                    row.department_id = successor.id
                    repointed += 1
            changes.departments.append(
                f"{department.name} ({_label(owner)}) chuyển giao cho {successor.name}"
                + (f"; {repointed} dòng phân công chỉ tiêu chuyển theo" if repointed else "")
                + f"; {len(officers)} tài khoản thôi thẩm tra từ {day:%d/%m/%Y}"
            )
        else:
            changes.departments.append(
                f"Giải thể {department.name} ({_label(owner)}); {len(officers)} tài khoản thôi thẩm tra "
                f"từ {day:%d/%m/%Y}"
            )
        for uid in officers:
            changes.notices[uid].append(
                f"Từ {day:%d/%m/%Y} {department.name} không còn thẩm tra"
                + (f"; việc chuyển cho {successor.name}" if successor else "")
            )
    if problems:
        raise ReorganisationError(problems)
    for unit in [*sources.values(), *dissolved]:
        for uid in _people(session, unit_ids={unit.id}):
            target = successor_of.get(unit.id)
            changes.notices[uid].append(
                f"Từ {day:%d/%m/%Y} {_label(unit)} không còn; "
                + (f"hồ sơ chuyển về {_label(target)}" if target else "hồ sơ chuyển về tỉnh")
            )
    session.flush()

    # --- recognitions (Official Letter 267/BNN-VPDP) ------------------------------------------------------
    record = Reorganisation(
        code=plan.code,
        name=plan.name,
        basis=plan.basis,
        province_id=province.id,
        effective_on=day,
        plan=_jsonable(plan.raw),
        changes={},
        applied_at=now,
        applied_by_id=actor.id if actor else None,
    )
    session.add(record)
    session.flush()
    for merge in plan.merges:
        _carry_recognitions(session, record, new_units[merge.name], [sources[c] for c in merge.sources], changes)

    # --- dossiers in flight ---------------------------------------------------------------------------------
    ended_unit_ids = {u.id for u in sources.values()} | {u.id for u in dissolved}
    _transfer_dossiers(
        session, plan, record, province, successor_of, ended_unit_ids, ended_departments, actor, now, changes
    )
    record.changes = changes.as_dict(session)
    session.flush()
    return changes


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _held_level(session: Session, unit: Unit) -> RecognitionLevel | None:
    """The highest commune level the unit itself holds (a recognition carried to it by an earlier
    reorganisation is its own): what Official Letter 267 asks of each unit merged."""
    levels = {
        RecognitionLevel(level)
        for level in session.scalars(
            select(Recognition.level).where(Recognition.unit_id == unit.id, Recognition.revoked_on.is_(None))
        )
    }
    held = [lv for lv in COMMUNE_LEVEL_ORDER if lv in levels]
    return held[-1] if held else None


def _carry_recognitions(
    session: Session, record: Reorganisation, unit: Unit, olds: list[Unit], changes: Changes
) -> None:
    held = {old.id: _held_level(session, old) for old in olds}
    described = ", ".join(
        f"{_label(o)}: {RECOGNITION_LEVEL_LABELS[lv] if (lv := held[o.id]) else 'chưa đạt chuẩn'}" for o in olds
    )
    if unit.kind != UnitKind.COMMUNE:
        return
    missing = [o for o in olds if held[o.id] is None]
    if missing:
        changes.recognitions.append(
            f"{_label(unit)}: không kế thừa công nhận — {', '.join(_label(o) for o in missing)} chưa đạt chuẩn "
            f"({described}); xã mới xét theo quy trình thông thường ({CARRY_BASIS})"
        )
        return
    lowest = min((lv for lv in held.values() if lv is not None), key=COMMUNE_LEVEL_ORDER.index)
    reasoning = (
        f"Mọi đơn vị hợp thành đều đạt chuẩn ({described}); {_label(unit)} được công nhận ở mức thấp nhất chung: "
        f"{RECOGNITION_LEVEL_LABELS[lowest]} ({CARRY_BASIS})"
    )
    session.add(
        Recognition(
            unit_id=unit.id,
            level=lowest.value,
            year=record.effective_on.year,
            decided_on=record.effective_on,
            decision_number=None,
            recorded_at=record.applied_at,
            reorganisation_id=record.id,
            note=reasoning,
        )
    )
    changes.recognitions.append(f"{_label(unit)}: {reasoning}")


def _state_label(dossier: Dossier) -> str:
    procedure = procedure_for(dossier.level, dossier.kind, dossier.route)
    return next((s.label for s in procedure.definition.states if s.name == dossier.state), dossier.state)


def _is_final(dossier: Dossier) -> bool:
    procedure = procedure_for(dossier.level, dossier.kind, dossier.route)
    return any(s.final and s.name == dossier.state for s in procedure.definition.states)


def _state_kept_problems(dossier: Dossier, day: dt.date) -> list[str]:
    """A dossier keeps its step when it moves to the route in force on `day`: a step of a province's variant that
    the national route lacks (the Sở's appraisal, a hamlet registration the district has not confirmed) must be
    finished first, or the dossier would stand in a state its new procedure does not know."""
    try:
        route = route_for(RecognitionLevel(dossier.level), day)
    except GuardFailed:
        return []  # no route at all (a district's dossier): reported with the transfer
    target = procedure_for(dossier.level, dossier.kind, route.code)
    if dossier.state in target.states:
        return []
    return [
        f"hồ sơ {dossier.id} ({_label(dossier.unit)}) đang ở bước «{_state_label(dossier)}», không có trong quy trình "
        f"từ {day:%d/%m/%Y} ({route.code}): cần hoàn thành bước này trước khi sắp xếp"
    ]


def _transfer_dossiers(
    session: Session,
    plan: ReorganisationPlan,
    record: Reorganisation,
    province: Unit,
    successor_of: dict[int, Unit],
    ended_unit_ids: set[int],
    ended_departments: dict[int, Department | None],
    actor: User | None,
    now: dt.datetime,
    changes: Changes,
) -> None:
    day = plan.effective_on
    start_of_day = local_time(day, dt.time(0, 0))
    candidates = session.scalars(
        select(Dossier)
        .where(
            (Dossier.unit_id.in_(ended_unit_ids))
            | (Dossier.authority_unit_id.in_(ended_unit_ids))
            | (Dossier.decider_unit_id.in_(ended_unit_ids))
        )
        .order_by(Dossier.id)
        .options(selectinload(Dossier.unit), selectinload(Dossier.authority_unit))
    ).all()
    in_flight = [d for d in candidates if not _is_final(d)]
    taken: dict[tuple[int, str, int, str], Dossier] = {}
    problems = []
    for dossier in in_flight:
        unit = successor_of.get(dossier.unit_id, dossier.unit)
        key = (unit.id, dossier.level, dossier.year, dossier.kind)
        clash = session.scalars(
            select(Dossier).where(
                Dossier.unit_id == unit.id,
                Dossier.level == dossier.level,
                Dossier.year == dossier.year,
                Dossier.kind == dossier.kind,
                Dossier.id != dossier.id,
            )
        ).first()
        if key in taken or clash is not None:
            other = taken.get(key) or clash
            problems.append(
                f"hồ sơ {dossier.id} ({_label(dossier.unit)}) và hồ sơ {other.id if other else '?'} cùng chuyển về "
                f"{_label(unit)} cho cùng cấp, cùng năm: cần rút hoặc gộp một hồ sơ trước khi sắp xếp"
            )
        taken[key] = dossier
        problems.extend(_state_kept_problems(dossier, day))
    if problems:
        raise ReorganisationError(problems)

    for dossier in in_flight:
        old_unit, old_authority = dossier.unit, dossier.authority_unit
        unit = successor_of.get(dossier.unit_id, old_unit)
        level = RecognitionLevel(dossier.level)
        try:
            route = route_for(level, day)
        except Exception as error:  # a district dossier: no route after the reform
            raise ReorganisationError(
                [f"hồ sơ {dossier.id} ({_label(old_unit)}): không còn quy trình từ {day:%d/%m/%Y} ({error})"]
            ) from error
        territory = load_territory(session, [unit.id])
        authority_place = territory.seat(unit.id, route.authority_kinds, day)
        decider_place = territory.seat(unit.id, route.decider_kinds, day)
        authority = session.get(Unit, authority_place.id) if authority_place else None
        decider = session.get(Unit, decider_place.id) if decider_place else None
        if authority is None or decider is None:
            raise ReorganisationError(
                [f"hồ sơ {dossier.id}: không tìm thấy cơ quan thẩm tra, quyết định của {_label(unit)}"]
            )
        before = {
            "unit_id": dossier.unit_id,
            "authority_unit_id": dossier.authority_unit_id,
            "decider_unit_id": dossier.decider_unit_id,
            "route": dossier.route,
        }
        dossier.unit = unit
        dossier.authority_unit = authority
        dossier.decider_unit = decider
        dossier.route = route.code
        dossier.updated_at = now
        moved = _move_tasks(session, dossier, authority.id, ended_departments, start_of_day)
        session.flush()
        summary = (
            f"Hồ sơ {dossier.id} ({RECOGNITION_LEVEL_LABELS[level]} {dossier.year}, {_label(old_unit)}): "
            f"chuyển về {_label(unit)}, thẩm tra: {_label(old_authority)} → {_label(authority)}"
            f", {route.decider_title} quyết định, giữ bước «{_state_label(dossier)}»"
        )
        if moved:
            summary += "; " + "; ".join(line for line, _ in moved)
        changes.dossiers.append(summary)
        changes.transferred.append(dossier.id)
        session.add(
            AuditEvent(
                dossier_id=dossier.id,
                occurred_at=now,
                action=TRANSFER_ACTION,
                actor_id=actor.id if actor else None,
                role=Role.ADMIN.value if actor else None,
                from_state=dossier.state,
                to_state=dossier.state,
                comment=f"{record.name} (hiệu lực {day:%d/%m/%Y}): {summary}",
                payload={
                    "reorganisation_id": record.id,
                    "before": before,
                    "after": {
                        "unit_id": unit.id,
                        "authority_unit_id": authority.id,
                        "decider_unit_id": decider.id,
                        "route": route.code,
                    },
                    "tasks": [detail for _, detail in moved],
                },
            )
        )
        told = (
            f"Hồ sơ {dossier.id} ({RECOGNITION_LEVEL_LABELS[level]} {dossier.year}) "
            f"chuyển từ {_label(old_unit)} về {_label(unit)}"
        )
        new_departments = {d["to_department_id"] for _, d in moved if d["to_department_id"]}
        for uid in _people(session, unit_ids={unit.id, authority.id}, department_ids=new_departments):
            changes.notices[uid].append(told)
    session.flush()


def _owner_of(
    session: Session, authority_id: int, year: int, criteria_set_id: int, outstanding_field: str | None = None
) -> dict[int, list[int]]:
    """indicator id → departments (still in force) owning it in the authority's table for the year (for a kiểu mẫu
    dossier, its outstanding field's)."""
    rows = session.execute(
        select(Ownership.indicator_id, Ownership.department_id, Ownership.outstanding_fields)
        .join(Indicator, Indicator.id == Ownership.indicator_id)
        .join(Criterion, Criterion.id == Indicator.criterion_id)
        .join(Department, Department.id == Ownership.department_id)
        .where(
            Ownership.authority_unit_id == authority_id,
            Ownership.year == year,
            Criterion.criteria_set_id == criteria_set_id,
            Department.valid_to.is_(None),
        )
        .order_by(Ownership.department_id)
    ).all()
    found: dict[int, list[int]] = defaultdict(list)
    for indicator_id, department_id, fields in rows:
        if applies_to(fields, outstanding_field):
            found[indicator_id].append(department_id)
    return found


def _move_tasks(
    session: Session,
    dossier: Dossier,
    authority_id: int,
    ended_departments: dict[int, Department | None],
    opened_at: dt.datetime,
) -> list[tuple[str, dict[str, Any]]]:
    """Open items of tasks held by ended departments go to the successor authority's owners (its
    ownership table), else the department's successor, else the authority's fallback seat. A task is
    re-pointed whole when all its items move together and none was answered; otherwise the open items
    go to a new task and the answered ones stay where they were answered. Items joining a department
    that already has a task on the dossier join that task.

    An indicator appraised by two seats (Phòng TN&MT and Hội LHPN on 17.8) stays appraised by two: each
    open item goes to an owner that does not hold the indicator on the dossier yet — the ended
    department's own successor first —, so one department never answers for the other."""
    all_tasks = session.scalars(
        select(AppraisalTask)
        .where(AppraisalTask.dossier_id == dossier.id)
        .options(selectinload(AppraisalTask.items), selectinload(AppraisalTask.department))
        .order_by(AppraisalTask.id)
    ).all()
    tasks = [task for task in all_tasks if task.department_id in ended_departments]
    owners = (
        _owner_of(session, authority_id, dossier.year, dossier.criteria_set_id, dossier.outstanding_field)
        if tasks
        else {}
    )
    fallback = FALLBACK_APPRAISER.get(RecognitionLevel(dossier.level), Role.COORDINATOR)

    def seat_after(department_id: int | None) -> int | None:
        successor = ended_departments.get(department_id or 0)
        if department_id in ended_departments:
            return successor.id if successor is not None else None
        return department_id

    # who holds each indicator once the transfer is done: tasks that stay, answered items (their seat's successor)
    holders: dict[int, set[int]] = defaultdict(set)
    for task in all_tasks:
        for item in task.items:
            if task not in tasks:
                seat = task.department_id
            else:
                seat = seat_after(task.department_id) if item.decision else None
            if seat is not None:
                holders[item.indicator_id].add(seat)
    targets: dict[int, int | None] = {}
    pending_of = {task.id: [item for item in task.items if item.decision is None] for task in tasks}
    for successors_first in (True, False):
        for task in tasks:
            successor = seat_after(task.department_id)
            for item in pending_of[task.id]:
                if item.id in targets:
                    continue
                owned = owners.get(item.indicator_id, [])
                free = [d for d in owned if d not in holders[item.indicator_id]]
                if successors_first:
                    if successor is None or successor not in free:
                        continue
                    target: int | None = successor
                elif owned:
                    target = free[0] if free else None
                else:
                    target = successor if successor not in holders[item.indicator_id] else None
                targets[item.id] = target
                if target is not None:
                    holders[item.indicator_id].add(target)

    staying = {task.department_id: task for task in all_tasks if task not in tasks and task.department_id is not None}
    moved: list[tuple[str, dict[str, Any]]] = []
    for task in tasks:
        old = task.department
        if old is None:  # only tasks of ended departments were selected
            continue
        pending = pending_of[task.id]
        if not pending:
            continue
        groups: dict[int | None, list[AppraisalItem]] = defaultdict(list)
        for item in pending:
            groups[targets[item.id]].append(item)
        answered = len(task.items) - len(pending)
        reused = False
        for target, items in groups.items():
            joined = staying.get(target) if target is not None else None
            if joined is not None:
                moving = joined
                for item in items:
                    item.task_id = moving.id
            elif answered == 0 and len(groups) == 1:
                moving = task
                reused = True
            else:
                # its seat from the start: a task without a department and without a fallback seat breaks has_seat
                moving = AppraisalTask(
                    dossier_id=dossier.id,
                    department_id=target,
                    fallback_role=None if target is not None else fallback,
                    round=task.round,
                    opened_at=opened_at,
                )
                session.add(moving)
                session.flush()
                for item in items:
                    item.task_id = moving.id
            moving.department_id = target
            moving.fallback_role = None if target is not None else fallback
            moving.opened_at = opened_at
            moving.answered_at = None
            if target is not None:
                staying[target] = moving
            target_department = session.get(Department, target) if target is not None else None
            target_name = target_department.name if target_department else "bộ phận điều phối của tỉnh"
            codes = sorted(item.indicator.code for item in items)
            moved.append(
                (
                    f"{len(items)} chỉ tiêu chờ thẩm tra ({', '.join(codes)}) chuyển từ {old.name} sang {target_name}, "
                    f"thời hạn tính lại từ {local_date(opened_at):%d/%m/%Y}",
                    {
                        "from_task_id": task.id,
                        "to_task_id": moving.id,
                        "from_department_id": old.id,
                        "to_department_id": target,
                        "indicators": codes,
                    },
                )
            )
        session.flush()
        if not answered and not reused:
            # every item went to other tasks: an empty task of an ended department would look open for ever
            session.expire(task, ["items"])
            session.delete(task)
            session.flush()
        if answered and task.answered_at is None:
            session.refresh(task, ["items"])
            if all(item.decision is not None for item in task.items):
                task.answered_at = max((i.decided_at for i in task.items if i.decided_at), default=opened_at)
    return moved


# --- the two entry points ------------------------------------------------------------------------------


def preview(session: Session, plan: ReorganisationPlan, now: dt.datetime) -> dict[str, Any]:
    """The dry run: everything `apply` would change, computed by the same code, then rolled back."""
    nested = session.begin_nested()
    try:
        changes = _apply(session, plan, None, now).as_dict(session)
    finally:
        nested.rollback()
    session.expire_all()
    return changes


def apply(session: Session, plan: ReorganisationPlan, actor: User | None, now: dt.datetime) -> Reorganisation:
    """Apply the plan and record it; flushes, the caller commits. Raises `ReorganisationError` (nothing
    changed) when the plan does not fit the database."""
    nested = session.begin_nested()
    try:
        _apply(session, plan, actor, now)
    except BaseException:
        nested.rollback()
        raise
    nested.commit()
    record = session.scalars(select(Reorganisation).where(Reorganisation.code == plan.code)).one()
    return record
