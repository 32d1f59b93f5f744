"""The demo: tỉnh Cao Bằng with huyện Thạch An as seed 004 states it at the start of 2025, and the same
province without its district tier after 1/7/2025 — that change replayed by the reorganisation feature
(`dossiers.reorganisation`), not written as rows here. Loading is idempotent: what exists is found, not
duplicated, and the reorganisation is applied once."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from dossiers import commands as c
from dossiers.criteria_loader import find_criteria_set, load_builtin_criteria
from dossiers.handlers import handle
from dossiers.models import CriteriaSet, Department, Recognition, Reorganisation, RoleAssignment, Unit, User
from dossiers.ownership import builtin_ownership_files, load_ownership_file
from dossiers.planning.plans import builtin_plan_files, load_plan_path
from dossiers.planning.watch import builtin_watch_files, load_watch_file
from dossiers.reorganisation import apply as apply_reorganisation
from dossiers.reorganisation import builtin_plan_path, load_plan
from workflow.calendar import local_midnight
from workflow.vocabulary import RecognitionLevel, Role, UnitKind

#: printed by `ntm demo`; the demo is for trying the system, never for real data
DEMO_PASSWORD = "ntm-demo-2025"  # noqa: S105
REFORM_DAY = dt.date(2025, 7, 1)
#: the reorganisation plan the demo replays on REFORM_DAY
REFORM_PLAN = "cao-bang-2025-07-01"


@dataclass
class DemoData:
    province: Unit
    district: Unit
    communes: dict[str, Unit] = field(default_factory=dict)
    hamlets: dict[str, list[Unit]] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    new_communes: dict[str, Unit] = field(default_factory=dict)
    province_departments: dict[str, Department] = field(default_factory=dict)
    #: province department code → its officer's account where the demo data names one (a mass organisation
    #: is not a Sở: "hoilhpn.caobang", not "so.hoi-lhpn")
    province_accounts: dict[str, str] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    sets: dict[str, CriteriaSet] = field(default_factory=dict)
    #: seed 004's 2025 targets (level → commune names, or commune → number of hamlets)
    targets: dict[str, Any] = field(default_factory=dict)
    reorganisation: Reorganisation | None = None


def slug(text: str) -> str:
    """ASCII slug of a Vietnamese name: "Đức Long" → "duclong"."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def _demo_file() -> Path:
    return Path(str(importlib.resources.files("dossiers") / "data" / "demo" / "cao-bang.yaml"))


def _unit(session: Session, *, code: str | None, name: str, kind: UnitKind, parent: Unit | None, **extra: Any) -> Unit:
    query = select(Unit).where(Unit.name == name, Unit.kind == kind)
    query = query.where(Unit.parent_id == parent.id) if parent else query.where(Unit.parent_id.is_(None))
    if extra.get("valid_from") is not None:
        query = query.where(Unit.valid_from == extra["valid_from"])
    unit = session.scalars(query).first()
    if unit is None:
        unit = Unit(code=code, name=name, kind=kind, parent=parent, **extra)
        session.add(unit)
        session.flush()
    return unit


def _department(session: Session, unit: Unit, code: str, name: str) -> Department:
    department = session.scalars(
        select(Department).where(Department.unit_id == unit.id, Department.code == code)
    ).first()
    if department is None:
        department = Department(unit=unit, code=code, name=name, email=f"{code}@{slug(unit.name)}.demo.ntm.vn")
        session.add(department)
        session.flush()
    return department


def _user(
    session: Session,
    password_hash: str,
    username: str,
    full_name: str,
    role: Role,
    *,
    unit: Unit | None = None,
    department: Department | None = None,
) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = User(
            username=username,
            full_name=full_name,
            email=f"{username}@demo.ntm.vn",
            active=True,
            password_hash=password_hash,
        )
        session.add(user)
        session.flush()
    if not any(
        a.role == role
        and a.unit_id == (unit.id if unit else None)
        and a.department_id == (department.id if department else None)
        for a in user.roles
    ):
        user.roles.append(RoleAssignment(role=role, unit=unit, department=department))
        session.flush()
    return user


def load_demo(session: Session, now: dt.datetime, *, hash_method: str = "scrypt", reform: bool = True) -> DemoData:
    """Load (or find) everything of the demo; flushes, the caller commits.

    With `reform` the 1/7/2025 reorganisation is applied (once) after the 2025 world is in place: the
    merged communes, the district's end, the provincial route; `dossiers.demo_dossiers` plays the
    dossiers of the first half of 2025 before applying it, so that it transfers them.
    `hash_method` is werkzeug's password hashing method for the demo accounts; tests pass a cheap one so
    that each sign-in does not cost a tenth of a second.
    """
    load_builtin_criteria(session, now)
    spec = yaml.safe_load(_demo_file().read_text(encoding="utf-8"))
    province_spec, district_spec = spec["province"], spec["district"]

    province = _unit(
        session,
        code=province_spec["code"],
        name=province_spec["name"],
        kind=UnitKind.PROVINCE,
        parent=None,
        region=province_spec["region"],
    )
    district = _unit(
        session,
        code=district_spec["code"],
        name=district_spec["name"],
        kind=UnitKind.DISTRICT,
        parent=province,
        region=province.region,
    )
    demo = DemoData(province=province, district=district, targets=district_spec["targets_2025"])
    for entry in district_spec["communes"]:
        commune = _unit(
            session,
            code=entry["code"],
            name=entry["name"],
            kind=UnitKind.COMMUNE,
            parent=district,
            region=province.region,
        )
        demo.communes[commune.name] = commune
    for entry in district_spec["towns"]:
        _unit(
            session, code=entry["code"], name=entry["name"], kind=UnitKind.TOWN, parent=district, region=province.region
        )
    for entry in district_spec["communes"]:
        commune = demo.communes[entry["name"]]
        # a merged commune's hamlets move under the new commune: find them wherever they are now
        demo.hamlets[commune.name] = [
            _hamlet(session, commune, name, district_spec["hamlet_note"]) for name in entry["hamlets"]
        ]
    for entry in district_spec["departments"]:
        demo.departments[entry["code"]] = _department(session, district, entry["code"], entry["name"])
    for entry in spec["province_departments"]:
        demo.province_departments[entry["code"]] = _department(session, province, entry["code"], entry["name"])
        if entry.get("account"):
            demo.province_accounts[entry["code"]] = str(entry["account"])
    session.flush()

    for path in builtin_ownership_files():
        load_ownership_file(session, path)
    for path in builtin_watch_files():
        load_watch_file(session, path)
    for code in ("xa-ntm-2021", "xa-ntm-nang-cao-2021", "xa-ntm-kieu-mau-2021", "xa-ntm-2026"):
        found = find_criteria_set(session, code)
        if found is not None:
            demo.sets[code] = found

    _load_demo_users(session, demo, hash_method)
    _record_prior_recognitions(session, demo, district_spec["recognised_before_2021"], now)
    for path in builtin_plan_files():
        load_plan_path(session, path, now)  # seed 004: huyện Thạch An's plan for 2025
    session.flush()
    if reform:
        apply_demo_reform(session, demo, hash_method=hash_method)
    return demo


def _hamlet(session: Session, commune: Unit, name: str, note: str) -> Unit:
    found = session.scalars(
        select(Unit)
        .where(Unit.kind == UnitKind.HAMLET, Unit.name == name)
        .where((Unit.parent_id == commune.id) | Unit.parent.has(Unit.predecessors.any(Unit.id == commune.id)))
        .order_by(Unit.id)
    ).first()
    if found is not None:
        return found
    return _unit(
        session, code=None, name=name, kind=UnitKind.HAMLET, parent=commune, region=commune.region, source_note=note
    )


def _record_prior_recognitions(
    session: Session, demo: DemoData, entries: list[dict[str, Any]], now: dt.datetime
) -> None:
    """Seed 004: Lê Lai and Đức Long were recognised NTM in 2016-2020; recorded as an administrator would."""
    for entry in entries:
        unit = demo.communes[entry["commune"]]
        level = RecognitionLevel(entry["level"])
        exists = session.scalars(
            select(Recognition.id).where(Recognition.unit_id == unit.id, Recognition.level == level.value)
        ).first()
        if exists is None:
            command = c.RecordPriorRecognition(
                unit_id=unit.id,
                level=level,
                year=entry["year"],
                decided_on=dt.date(entry["year"], 12, 31),
                decision_number=None,
            )
            recognition = handle(session, demo.users["admin"], now, command).record
            if isinstance(recognition, Recognition):
                recognition.note = entry.get("note")


def apply_demo_reform(session: Session, demo: DemoData, *, hash_method: str = "scrypt") -> Reorganisation:
    """Replay the 1/7/2025 reorganisation with the feature a province would use (once), then give the
    merged communes their accounts."""
    plan = load_plan(builtin_plan_path(REFORM_PLAN))
    record = session.scalars(select(Reorganisation).where(Reorganisation.code == plan.code)).first()
    if record is None:
        record = apply_reorganisation(session, plan, demo.users["admin"], local_midnight(plan.effective_on))
    demo.reorganisation = record
    for merge in plan.merges:
        unit = session.scalars(
            select(Unit).where(
                Unit.name == merge.name,
                Unit.kind == merge.kind,
                Unit.parent_id == demo.province.id,
                Unit.valid_from == plan.effective_on,
            )
        ).one()
        demo.new_communes[unit.name] = unit
    _load_reform_users(session, demo, generate_password_hash(DEMO_PASSWORD, method=hash_method))
    session.flush()
    return record


def _load_demo_users(session: Session, demo: DemoData, hash_method: str) -> None:
    # every demo account shares one password: hash it once (scrypt takes ~0.1 s a hash)
    password_hash = generate_password_hash(DEMO_PASSWORD, method=hash_method)
    users = demo.users
    users["admin"] = _user(session, password_hash, "admin", "Quản trị hệ thống", Role.ADMIN)
    for name, commune in demo.communes.items():
        users[f"xa.{slug(name)}"] = _user(
            session, password_hash, f"xa.{slug(name)}", f"Cán bộ NTM xã {name}", Role.UNIT_OFFICER, unit=commune
        )
        users[f"mttq.{slug(name)}"] = _user(
            session, password_hash, f"mttq.{slug(name)}", f"Ủy ban MTTQ xã {name}", Role.FRONT_OFFICER, unit=commune
        )
        users[f"chutich.{slug(name)}"] = _user(
            session, password_hash, f"chutich.{slug(name)}", f"Chủ tịch UBND xã {name}", Role.APPROVER, unit=commune
        )
        users[f"thamdinh.{slug(name)}"] = _user(
            session,
            password_hash,
            f"thamdinh.{slug(name)}",
            f"Tổ thẩm định thôn xã {name}",
            Role.APPRAISAL_TEAM,
            unit=commune,
        )
    for code, department in demo.departments.items():
        users[f"phong.{code}"] = _user(
            session,
            password_hash,
            f"phong.{code}",
            f"Cán bộ {department.name}",
            Role.DEPARTMENT_OFFICER,
            department=department,
        )
    users["dieuphoi.thachan"] = _user(
        session,
        password_hash,
        "dieuphoi.thachan",
        "Văn phòng Điều phối NTM huyện Thạch An",
        Role.COORDINATOR,
        unit=demo.district,
    )
    users["chutich.thachan"] = _user(
        session, password_hash, "chutich.thachan", "Chủ tịch UBND huyện Thạch An", Role.APPROVER, unit=demo.district
    )
    users["dieuphoi.caobang"] = _user(
        session,
        password_hash,
        "dieuphoi.caobang",
        "Văn phòng Điều phối NTM tỉnh Cao Bằng",
        Role.COORDINATOR,
        unit=demo.province,
    )
    users["chutich.caobang"] = _user(
        session, password_hash, "chutich.caobang", "Chủ tịch UBND tỉnh Cao Bằng", Role.APPROVER, unit=demo.province
    )
    for code, department in demo.province_departments.items():
        username = demo.province_accounts.get(code, f"so.{code}")
        users[username] = _user(
            session,
            password_hash,
            username,
            f"Cán bộ {department.name}",
            Role.DEPARTMENT_OFFICER,
            department=department,
        )


def _load_reform_users(session: Session, demo: DemoData, password_hash: str) -> None:
    users = demo.users
    for name, commune in demo.new_communes.items():
        key = f"xa2025.{slug(name)}"
        users[key] = _user(
            session, password_hash, key, f"Cán bộ NTM xã {name} (sau sắp xếp)", Role.UNIT_OFFICER, unit=commune
        )
        users[f"mttq2025.{slug(name)}"] = _user(
            session,
            password_hash,
            f"mttq2025.{slug(name)}",
            f"Ủy ban MTTQ xã {name} (sau sắp xếp)",
            Role.FRONT_OFFICER,
            unit=commune,
        )
        users[f"chutich2025.{slug(name)}"] = _user(
            session,
            password_hash,
            f"chutich2025.{slug(name)}",
            f"Chủ tịch UBND xã {name} (sau sắp xếp)",
            Role.APPROVER,
            unit=commune,
        )
        users[f"thamdinh2025.{slug(name)}"] = _user(
            session,
            password_hash,
            f"thamdinh2025.{slug(name)}",
            f"Tổ thẩm định thôn xã {name} (sau sắp xếp)",
            Role.APPRAISAL_TEAM,
            unit=commune,
        )


def department_officer(session: Session, department_id: int) -> User:
    """The demo account of a department's officer (the first, by id): "phong.<code>", "so.<code>" or the account
    the demo data names (a mass organisation's)."""
    officer = session.scalars(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.department_id == department_id, RoleAssignment.role == Role.DEPARTMENT_OFFICER)
        .order_by(User.id)
    ).first()
    if officer is None:
        raise LookupError(f"the demo has no officer for department {department_id}")
    return officer
