"""A national-scale world for the benchmark, built with bulk inserts.

The 34 provinces and 3,321 communes, wards and special zones after the 1/7/2025 reform come from the
`vietnam-provinces` package (with their statistics-office codes); each commune gets 2–4 hamlets with
generated names. Each province gets the 13 provincial departments (Sở) of the demo and a copy of the
demo's provincial ownership table (tỉnh Cao Bằng, `dossiers/data/ownership/cao-bang-2025-province.yaml`,
loaded with the project's own loader, then copied department code by department code). Criteria sets
come from the project's builtin files.

Every xã gets a 2025 commune NTM dossier, spread over the procedure's states (but those left for the
engine benchmark to register: `undriven_per_province`). A dossier is written at
its state with the rows the services would have left there (assessments, consultation, appraisal tasks
and items, supplement request, condition confirmations, recognition) and an audit log the procedure
replays to that state (`dossiers.handlers.replayed_state`); `version` is what the services' bumps give.

A size is a number of communes: all provinces (or the first `provinces`, tỉnh Cao Bằng first, since
its table is the template) each keep a share proportional to their size, xã first (NTM is a xã
programme), so `communes=100` gives about 3 communes in every province and 3,321 the whole country.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session, aliased
from vietnam_provinces import Province, VietNamDivisionType, Ward
from werkzeug.security import generate_password_hash

from dossiers.criteria_loader import find_criteria_set, load_builtin_criteria
from dossiers.demo import DEMO_PASSWORD
from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    Assessment,
    AuditEvent,
    ConditionConfirmation,
    Consultation,
    Department,
    Dossier,
    Ownership,
    OwnershipRemark,
    Recognition,
    RoleAssignment,
    SupplementItem,
    SupplementRequest,
    Unit,
    User,
)
from dossiers.models.appraisal import APPROVED, RETURNED
from dossiers.ownership import builtin_ownership_files, load_ownership_file
from dossiers.units_import import WARD_KINDS, bare_name, province_code, ward_code
from workflow.engine import Party
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import ROLE_LABELS, RecognitionLevel, Role, UnitKind

REFORM = dt.date(2025, 7, 1)
#: 09:00 in Vietnam on 1/12/2025: the day the dataset describes
NOW = dt.datetime(2025, 12, 1, 2, 0, tzinfo=dt.UTC)
YEAR = 2025
SET_CODE = "xa-ntm-2021"
ROUTE = "commune-to-province"
#: tỉnh Cao Bằng: the province whose demo ownership table every province copies
TEMPLATE_PROVINCE = "04"
TEMPLATE_OWNERSHIP_FILE = "cao-bang-2025-province.yaml"
HAMLET_NOTE = "Tên thôn sinh tự động cho bộ đo hiệu năng, không phải danh mục chính thức."

#: the state of the i-th dossier of a province: about 45 % recognised, the rest spread over the way there
STATE_CYCLE: tuple[str, ...] = (
    "recognised",
    "under_appraisal",
    "self_assessment",
    "recognised",
    "consultation",
    "returned",
    "recognised",
    "appraised",
    "registered",
    "recognised",
    "under_appraisal",
    "forwarded",
    "recognised",
    "self_assessment",
    "recognised",
    "consultation",
    "recognised",
    "under_appraisal",
    "recognised",
    "recognised",
)
STATES: tuple[str, ...] = (
    "registered",
    "self_assessment",
    "consultation",
    "under_appraisal",
    "returned",
    "appraised",
    "forwarded",
    "recognised",
)

_HAMLET_FIRST = ("Bản", "Nà", "Khuổi", "Pác", "Cốc", "Lũng", "Thôn", "Xóm")
_HAMLET_SECOND = ("Mới", "Chang", "Sla", "Pò", "Luông", "Đông", "Tây", "Trung", "Hạ", "Thượng", "Nưa")


# --- names ---------------------------------------------------------------------------------------


def commune_officer(code: str) -> str:
    return f"xa.{code}"


def front_officer(code: str) -> str:
    return f"mttq.{code}"


def coordinator(code: str) -> str:
    return f"dieuphoi.{code}"


def chairman(code: str) -> str:
    return f"chutich.{code}"


def department_officer(province: str, department: str) -> str:
    return f"so.{province}.{department}"


# --- which units -----------------------------------------------------------------------------------


def _wards_by_province() -> dict[str, list[Ward]]:
    found: dict[str, list[Ward]] = {}
    for ward in Ward.iter_all():
        found.setdefault(f"{int(ward.province_code):02d}", []).append(ward)
    for wards in found.values():
        # xã first: only they apply for commune NTM
        wards.sort(key=lambda w: (w.division_type != VietNamDivisionType.XA, int(w.code)))
    return found


def pick_units(communes: int, provinces: int | None = None) -> list[tuple[Province, list[Ward]]]:
    """The provinces (Cao Bằng first, then by code) and, in each, its share of `communes`."""
    all_provinces = sorted(Province.iter_all(), key=lambda p: (province_code(p) != TEMPLATE_PROVINCE, int(p.code)))
    chosen = all_provinces[: provinces or len(all_provinces)]
    wards = _wards_by_province()
    available = sum(len(wards[province_code(p)]) for p in chosen)
    wanted = max(len(chosen), min(communes, available))
    # largest remainder, at least one commune per province
    exact = [len(wards[province_code(p)]) * wanted / available for p in chosen]
    shares = [max(1, int(x)) for x in exact]
    by_remainder = sorted(range(len(chosen)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    index = 0
    while sum(shares) < wanted:
        i = by_remainder[index % len(chosen)]
        if shares[i] < len(wards[province_code(chosen[i])]):
            shares[i] += 1
        index += 1
    while sum(shares) > wanted:
        i = max(range(len(chosen)), key=lambda i: shares[i])
        shares[i] -= 1
    return [(p, wards[province_code(p)][:share]) for p, share in zip(chosen, shares, strict=True)]


def focus_province(picked: Sequence[tuple[Province, list[Ward]]]) -> str:
    """The province the page measurements look at: the one with the most xã in the whole country, so the
    same province is measured at every size."""
    wards = _wards_by_province()
    return max(
        (province_code(p) for p, _ in picked),
        key=lambda code: (sum(1 for w in wards[code] if w.division_type == VietNamDivisionType.XA), code),
    )


# --- the result ------------------------------------------------------------------------------------


@dataclass
class Dataset:
    provinces: int
    communes: int
    hamlets: int
    departments: int
    users: int
    dossiers: int
    states: dict[str, int]
    #: appraisal tasks a commune NTM dossier opens: owning departments, plus the coordinator's fallback
    #: task when an indicator has no owner
    tasks_per_dossier: int
    indicators: int
    focus_province: str
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)


# --- building --------------------------------------------------------------------------------------


def _demo_departments() -> list[tuple[str, str]]:
    path = Path(str(importlib.resources.files("dossiers") / "data" / "demo" / "cao-bang.yaml"))
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(entry["code"], entry["name"]) for entry in spec["province_departments"]]


def _next_id(session: Session, table: Table) -> int:
    return int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def _hamlet_name(n: int, k: int) -> str:
    return f"{_HAMLET_FIRST[(n + k) % len(_HAMLET_FIRST)]} {_HAMLET_SECOND[(n * 7 + k * 3) % len(_HAMLET_SECOND)]}"


class _Rows:
    """Rows per table, ids handed out here for the tables whose rows others point at."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self._ids: dict[Table, int] = {}

    def add(self, table: Table, row: dict[str, Any]) -> dict[str, Any]:
        if "id" in table.c and "id" not in row and table in self._ids:
            row["id"] = self._ids[table]
            self._ids[table] += 1
        self.rows.setdefault(table, []).append(row)
        return row

    def numbered(self, *tables: Table) -> None:
        for table in tables:
            self._ids[table] = _next_id(self.session, table)

    def flush(self, *tables: Table) -> dict[str, int]:
        counts = {}
        postgres = self.session.get_bind().dialect.name == "postgresql"
        for table in tables:
            rows = self.rows.pop(table, [])
            if postgres and rows:
                _copy(self.session, table, rows)
            else:
                for start in range(0, len(rows), 5000):
                    self.session.execute(insert(table), rows[start : start + 5000])
            counts[table.name] = len(rows)
        return counts


def _copy_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # what UTCDateTime stores: naive UTC
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _copy(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY, in the session's transaction: several times faster than INSERTs for 100,000s of rows."""
    columns = list(rows[0])
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_copy_value(row[c]) for c in columns])


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


UNITS, DEPARTMENTS, USERS, ROLES = _t(Unit), _t(Department), _t(User), _t(RoleAssignment)
DOSSIERS, EVENTS, ASSESSMENTS, CONSULTATIONS = _t(Dossier), _t(AuditEvent), _t(Assessment), _t(Consultation)
TASKS, ITEMS, REQUESTS, REQUEST_ITEMS = _t(AppraisalTask), _t(AppraisalItem), _t(SupplementRequest), _t(SupplementItem)
CONFIRMATIONS, RECOGNITIONS = _t(ConditionConfirmation), _t(Recognition)


def _skip_foreign_key_triggers(session: Session) -> None:
    """On PostgreSQL as a superuser, skip the foreign-key triggers for this transaction: the rows are
    consistent by construction (the smoke test builds the same rows on SQLite with foreign keys on),
    and checking 500,000 references row by row is most of the load time."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if session.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        session.execute(text("SET LOCAL session_replication_role = replica"))


def _reset_sequences(session: Session, tables: Iterable[Table]) -> None:
    """Explicit ids do not move PostgreSQL's sequences: move them past the ids written."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))")  # noqa: S608 - our own table names
        )


def build_dataset(
    session: Session,
    *,
    communes: int,
    provinces: int | None = None,
    now: dt.datetime = NOW,
    undriven_per_province: int = 0,
) -> Dataset:
    """Build the world of `communes` communes (see the module docstring) in the session's transaction;
    flushes, the caller commits. The first `undriven_per_province` xã of each province get no 2025 dossier:
    the engine benchmark registers and drives theirs (a xã has one commune NTM dossier a year)."""
    started = dt.datetime.now(dt.UTC)
    _skip_foreign_key_triggers(session)
    load_builtin_criteria(session, now)
    criteria_set = find_criteria_set(session, SET_CODE)
    if criteria_set is None:
        raise LookupError(f"criteria set {SET_CODE} not loaded")
    indicators = criteria_set.indicators()
    picked = pick_units(communes, provinces)
    b = _Rows(session)
    b.numbered(UNITS, DEPARTMENTS, USERS, DOSSIERS, TASKS, REQUESTS)

    # units
    province_ids: dict[str, int] = {}
    communes_of: dict[str, list[tuple[dict[str, Any], str]]] = {}
    hamlets = 0
    for province, _ in picked:
        pcode = province_code(province)
        row = b.add(UNITS, {"code": pcode, "name": bare_name(province.name), "kind": UnitKind.PROVINCE.value})
        province_ids[pcode] = row["id"]
    for province, wards in picked:
        pcode = province_code(province)
        for ward in wards:
            row = b.add(
                UNITS,
                {
                    "code": ward_code(ward),
                    "name": bare_name(ward.name),
                    "kind": WARD_KINDS[ward.division_type].value,
                    "parent_id": province_ids[pcode],
                    "valid_from": REFORM,
                },
            )
            communes_of.setdefault(pcode, []).append((row, ward_code(ward)))
    for rows in communes_of.values():
        for row, code in rows:
            for k in range(2 + int(code) % 3):
                b.add(
                    UNITS,
                    {
                        "code": None,
                        "name": _hamlet_name(int(code), k),
                        "kind": UnitKind.HAMLET.value,
                        "parent_id": row["id"],
                        "valid_from": REFORM,
                        "source_note": HAMLET_NOTE,
                    },
                )
                hamlets += 1
    for row in b.rows[UNITS]:
        row.setdefault("parent_id", None)
        row.setdefault("valid_from", None)
        row.setdefault("source_note", None)
    counts = b.flush(UNITS)

    # departments and their ownership tables
    department_ids: dict[tuple[str, str], int] = {}
    department_names = dict(_demo_departments())
    for pcode, unit_id in province_ids.items():
        for code, name in department_names.items():
            row = b.add(
                DEPARTMENTS, {"unit_id": unit_id, "code": code, "name": name, "email": f"{code}.{pcode}@bench.ntm.vn"}
            )
            department_ids[pcode, code] = row["id"]
    counts |= b.flush(DEPARTMENTS)
    _reset_sequences(session, [UNITS, DEPARTMENTS])
    template = next(path for path in builtin_ownership_files() if path.name == TEMPLATE_OWNERSHIP_FILE)
    load_ownership_file(session, template)
    counts["ownerships"] = _copy_ownership(session, province_ids[TEMPLATE_PROVINCE])

    # who owns what: indicator id → department codes, in the order the service lists them (department id)
    owner_codes: dict[int, list[str]] = {}
    indicator_ids = {i.id for i in indicators}
    for indicator_id, code in session.execute(
        select(Ownership.indicator_id, Department.code)
        .join(Department, Department.id == Ownership.department_id)
        .where(Ownership.authority_unit_id == province_ids[TEMPLATE_PROVINCE], Ownership.year == YEAR)
        .order_by(Ownership.department_id)
    ):
        if indicator_id in indicator_ids and code not in owner_codes.setdefault(indicator_id, []):
            owner_codes[indicator_id].append(code)
    # the tasks `submit` opens, in the order it opens them: (department code or None, indicators)
    plan: dict[str | None, list[Any]] = {}
    for indicator in indicators:
        seats: list[str | None] = list(owner_codes.get(indicator.id, [])) or [None]
        for seat in seats:
            plan.setdefault(seat, []).append(indicator)

    # users
    password = generate_password_hash(DEMO_PASSWORD)
    user_ids: dict[str, int] = {}

    def user(username: str, full_name: str, role: Role, unit_id: int | None, department_id: int | None = None) -> int:
        row = b.add(
            USERS,
            {
                "username": username,
                "full_name": full_name,
                "email": f"{username}@bench.ntm.vn",
                "password_hash": password,
                "active": True,
            },
        )
        b.add(ROLES, {"user_id": row["id"], "role": role.value, "unit_id": unit_id, "department_id": department_id})
        user_ids[username] = row["id"]
        return int(row["id"])

    province_names = {province_code(p): bare_name(p.name) for p, _ in picked}
    for pcode, unit_id in province_ids.items():
        name = province_names[pcode]
        user(coordinator(pcode), f"Văn phòng Điều phối NTM {name}", Role.COORDINATOR, unit_id)
        user(chairman(pcode), f"Chủ tịch UBND {name}", Role.APPROVER, unit_id)
        for code, department_name in department_names.items():
            user(
                department_officer(pcode, code),
                f"Cán bộ {department_name} {name}",
                Role.DEPARTMENT_OFFICER,
                None,
                department_ids[pcode, code],
            )
        for row, code in communes_of[pcode]:
            user(commune_officer(code), f"Cán bộ NTM {row['name']}", Role.UNIT_OFFICER, row["id"])
            user(front_officer(code), f"Ủy ban MTTQ {row['name']}", Role.FRONT_OFFICER, row["id"])
    counts |= b.flush(USERS, ROLES)

    # dossiers
    states: dict[str, int] = dict.fromkeys(STATES, 0)
    serial = 0
    for pcode, rows in communes_of.items():
        xa = [(row, code) for row, code in rows if row["kind"] == UnitKind.COMMUNE.value]
        for index, (row, code) in enumerate(xa[undriven_per_province:]):
            state = STATE_CYCLE[index % len(STATE_CYCLE)]
            states[state] += 1
            _dossier(
                b,
                state=state,
                unit=row,
                authority_id=province_ids[pcode],
                start=dt.datetime(2025, 7, 15, 2, 0, tzinfo=dt.UTC) + dt.timedelta(days=serial % 60),
                criteria_set_id=criteria_set.id,
                criteria_set_label=criteria_set.label,
                indicators=indicators,
                plan=plan,
                department_ids={c: department_ids[pcode, c] for c in department_names},
                department_names=department_names,
                officer=user_ids[commune_officer(code)],
                front=user_ids[front_officer(code)],
                coordinator_id=user_ids[coordinator(pcode)],
                chairman_id=user_ids[chairman(pcode)],
                department_officers={c: user_ids[department_officer(pcode, c)] for c in department_names},
            )
            serial += 1
    counts |= b.flush(
        DOSSIERS, EVENTS, ASSESSMENTS, CONSULTATIONS, TASKS, ITEMS, REQUESTS, REQUEST_ITEMS, CONFIRMATIONS
    )
    counts |= b.flush(RECOGNITIONS)
    _reset_sequences(session, [USERS, DOSSIERS, TASKS, REQUESTS])
    session.flush()
    return Dataset(
        provinces=len(province_ids),
        communes=sum(len(rows) for rows in communes_of.values()),
        hamlets=hamlets,
        departments=len(department_ids),
        users=len(user_ids),
        dossiers=serial,
        states=states,
        tasks_per_dossier=len(plan),
        indicators=len(indicators),
        focus_province=focus_province(picked),
        seconds=(dt.datetime.now(dt.UTC) - started).total_seconds(),
        rows=counts,
    )


def _copy_ownership(session: Session, template_id: int) -> int:
    """Every other province gets the template province's table, department code by department code."""
    source, target = aliased(Department), aliased(Department)
    for model in (Ownership, OwnershipRemark):
        extra = ["indicator_id", "source", "whole_criterion"] if model is Ownership else ["criteria_set_id", "text"]
        columns = [getattr(model, name) for name in extra]
        query = (
            select(target.unit_id, model.year, *columns, target.id)
            .join(source, source.id == model.department_id)
            .join(target, target.code == source.code)
            .where(model.authority_unit_id == template_id, target.unit_id != template_id)
        )
        session.execute(insert(model).from_select(["authority_unit_id", "year", *extra, "department_id"], query))
    return int(session.scalar(select(func.count(Ownership.id))) or 0)


def _dossier(
    b: _Rows,
    *,
    state: str,
    unit: dict[str, Any],
    authority_id: int,
    start: dt.datetime,
    criteria_set_id: int,
    criteria_set_label: str,
    indicators: Sequence[Any],
    plan: dict[str | None, list[Any]],
    department_ids: dict[str, int],
    department_names: dict[str, str],
    officer: int,
    front: int,
    coordinator_id: int,
    chairman_id: int,
    department_officers: dict[str, int],
) -> None:
    """One dossier at `state`, with the rows and the audit log the services would have left."""
    order = STATES.index(state)
    dossier = b.add(
        DOSSIERS,
        {
            "unit_id": unit["id"],
            "level": RecognitionLevel.COMMUNE_NTM.value,
            "year": YEAR,
            "kind": "recognition",
            "criteria_set_id": criteria_set_id,
            "state": state,
            "authority_unit_id": authority_id,
            "decider_unit_id": authority_id,
            "route": ROUTE,
            "outstanding_field": None,
            "created_at": start,
        },
    )
    dossier_id = dossier["id"]
    current = "registered"
    last = start
    events = 0

    def at(days: int) -> dt.datetime:
        return start + dt.timedelta(days=days)

    def event(
        days: int,
        action: str,
        to_state: str | None,
        actor: int | None,
        role: Role | None,
        party: Party,
        payload: dict[str, Any] | None = None,
        *,
        opening: bool = False,
    ) -> None:
        nonlocal current, last, events
        to = to_state or current
        events += 1
        b.add(
            EVENTS,
            {
                "dossier_id": dossier_id,
                "occurred_at": at(days),
                "action": action,
                "actor_id": actor,
                "on_behalf_of_id": None,
                "role": role.value if role else Party.SYSTEM.value,
                "from_state": None if opening else current,
                "to_state": to,
                "comment": None,
                "payload": {"party": party.value, **(payload or {})},
            },
        )
        current, last = to, at(days)

    event(
        0,
        "register",
        "registered",
        officer,
        Role.UNIT_OFFICER,
        Party.APPLICANT,
        {
            "route": ROUTE,
            "authority_unit_id": authority_id,
            "decider_unit_id": authority_id,
            "criteria_set": criteria_set_label,
        },
        opening=True,
    )
    if order >= STATES.index("self_assessment"):
        event(1, "confirm_registration", "self_assessment", coordinator_id, Role.COORDINATOR, Party.AUTHORITY)
        assessed = indicators if order > STATES.index("self_assessment") else indicators[: len(indicators) // 2]
        for indicator in assessed:
            b.add(
                ASSESSMENTS,
                {
                    "dossier_id": dossier_id,
                    "indicator_id": indicator.id,
                    "value": "Đạt",
                    "met": True,
                    "note": None,
                    "assessed_by_id": officer,
                    "assessed_at": at(2),
                },
            )
            event(
                2,
                "record_assessment",
                None,
                officer,
                Role.UNIT_OFFICER,
                Party.APPLICANT,
                {"indicator": indicator.code, "met": True, "value": "Đạt"},
            )
    if order >= STATES.index("consultation"):
        event(3, "finish_self_assessment", "consultation", officer, Role.UNIT_OFFICER, Party.APPLICANT)
        first = at(4).date()
        posting = {"start": first.isoformat(), "end": (first + dt.timedelta(days=14)).isoformat(), "announcements": 5}
        event(4, "record_posting", None, officer, Role.UNIT_OFFICER, Party.APPLICANT, posting)
        consultation = b.add(
            CONSULTATIONS,
            {
                "dossier_id": dossier_id,
                "posting_start": first,
                "posting_end": first + dt.timedelta(days=14),
                "announcements": 5,
                "households_total": None,
                "households_reached": None,
                "households_satisfied": None,
                "votes_total": None,
                "votes_in_favour": None,
                "updated_at": at(4),
            },
        )
    if order >= STATES.index("under_appraisal"):
        survey = {"total": 1200, "reached": 910, "satisfied": 868}
        event(10, "record_survey", None, front, Role.FRONT_OFFICER, Party.APPLICANT, survey)
        event(19, "record_vote", None, officer, Role.UNIT_OFFICER, Party.APPLICANT, {"total": 35, "in_favour": 34})
        consultation.update(
            households_total=1200,
            households_reached=910,
            households_satisfied=868,
            votes_total=35,
            votes_in_favour=34,
            updated_at=at(19),
        )
        fallback = f"{ROLE_LABELS[Role.COORDINATOR]} (chỉ tiêu chưa phân công phòng)"
        labels = [department_names[code] if code else fallback for code in plan]
        event(20, "submit", "under_appraisal", officer, Role.UNIT_OFFICER, Party.APPLICANT, {"tasks": labels})
        tasks = list(plan.items())
        answered = len(tasks) // 2 if state == "under_appraisal" else len(tasks)
        returned: list[tuple[str, int, int | None]] = []
        for position, (code, owned) in enumerate(tasks):
            task = b.add(
                TASKS,
                {
                    "dossier_id": dossier_id,
                    "department_id": department_ids[code] if code else None,
                    "fallback_role": None if code else Role.COORDINATOR.value,
                    "round": 1,
                    "opened_at": at(20),
                    "answered_at": at(30) if position < answered else None,
                },
            )
            actor = department_officers[code] if code else coordinator_id
            role, party = (
                (Role.DEPARTMENT_OFFICER, Party.OWNING_DEPARTMENT) if code else (Role.COORDINATOR, Party.AUTHORITY)
            )
            returns = state == "returned" and position == len(tasks) - 1
            for k, indicator in enumerate(owned):
                decided = position < answered
                decision = (RETURNED if returns and k == 0 else APPROVED) if decided else None
                b.add(
                    ITEMS,
                    {
                        "task_id": task["id"],
                        "indicator_id": indicator.id,
                        "decision": decision,
                        "reason": "Thiếu biên bản kiểm tra thực tế và ảnh hiện trường."
                        if decision == RETURNED
                        else None,
                        "decided_at": at(30) if decided else None,
                        "decided_by_id": actor if decided else None,
                        "on_behalf_of_id": None,
                    },
                )
            if position >= answered:
                continue
            codes = [i.code for i in owned]
            common = {"task_id": task["id"], "department": code}
            if returns:
                reason = "Thiếu biên bản kiểm tra thực tế và ảnh hiện trường."
                returned.append((codes[0], owned[0].id, department_ids[code] if code else None))
                event(
                    30,
                    "return_indicators",
                    None,
                    actor,
                    role,
                    party,
                    {**common, "indicators": codes[:1], "reasons": {codes[0]: reason}},
                )
                codes = codes[1:]
            if codes:
                event(30, "approve_indicators", None, actor, role, party, {**common, "indicators": codes})
        if state == "returned":
            request = b.add(
                REQUESTS,
                {
                    "dossier_id": dossier_id,
                    "round": 1,
                    "issued_at": at(30),
                    "resolved_at": None,
                    "text": f"Yêu cầu bổ sung hồ sơ (lần 1) — {unit['name']}, năm {YEAR}:\n"
                    + "\n".join(
                        f"- Chỉ tiêu {c}: Thiếu biên bản kiểm tra thực tế và ảnh hiện trường." for c, _, _ in returned
                    ),
                },
            )
            for _, indicator_id, department_id in returned:
                b.add(
                    REQUEST_ITEMS,
                    {
                        "request_id": request["id"],
                        "indicator_id": indicator_id,
                        "department_id": department_id,
                        "reason": "Thiếu biên bản kiểm tra thực tế và ảnh hiện trường.",
                    },
                )
            event(
                30,
                "complete_appraisal",
                "returned",
                None,
                None,
                Party.SYSTEM,
                {"supplement_request_id": request["id"], "returned": sorted(c for c, _, _ in returned)},
            )
        elif state != "under_appraisal":
            event(30, "complete_appraisal", "appraised", None, None, Party.SYSTEM)
    if order >= STATES.index("forwarded"):
        for condition, department in ((NO_CONSTRUCTION_DEBT, "so-tc"), (NOT_COMPLEX_SECURITY, "so-ca")):
            b.add(
                CONFIRMATIONS,
                {
                    "dossier_id": dossier_id,
                    "condition": condition,
                    "holds": True,
                    "department_id": department_ids[department],
                    "confirmed_by_id": department_officers[department],
                    "on_behalf_of_id": None,
                    "confirmed_at": at(36),
                    "note": None,
                },
            )
            event(
                36,
                "confirm_condition",
                None,
                department_officers[department],
                Role.DEPARTMENT_OFFICER,
                Party.CONDITION_DEPARTMENT,
                {"condition": condition, "holds": True, "department": department},
            )
        event(37, "forward", "forwarded", coordinator_id, Role.COORDINATOR, Party.AUTHORITY)
    if state == "recognised":
        event(45, "recognise", "recognised", chairman_id, Role.APPROVER, Party.DECIDER, {"decision_number": None})
        b.add(
            RECOGNITIONS,
            {
                "unit_id": unit["id"],
                "level": RecognitionLevel.COMMUNE_NTM.value,
                "year": YEAR,
                "dossier_id": dossier_id,
                "decision_number": None,
                "decided_on": at(45).date(),
                "recorded_at": at(45),
                "revoked_on": None,
                "revocation_dossier_id": None,
            },
        )
    # the services bump the version once at the insert and once per audit event
    dossier["version"] = 1 + events
    dossier["updated_at"] = last
