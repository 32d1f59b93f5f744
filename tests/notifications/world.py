"""A small world for the notifications tests: one province with a district and its communes, a commune
directly under the province, departments that own an indicator, officers and coordinators, dossiers.

`build_world` is a plain function so the multi-process tests can build the same world in a database
of their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from dossiers.models import (
    CriteriaSet,
    Criterion,
    DeadlineOverride,
    Department,
    Dossier,
    Indicator,
    Ownership,
    RoleAssignment,
    Unit,
    User,
)
from workflow.calendar import local_time
from workflow.vocabulary import Confidence, Measure, RecognitionLevel, Role, UnitKind

PASSWORD = "mat-khau-thu"


@dataclass
class World:
    province: Unit
    district: Unit
    #: communes of the district, by name
    communes: dict[str, Unit]
    #: a commune directly under the province (no district tier)
    lone_commune: Unit
    department: Department
    province_department: Department
    users: dict[str, User]
    dossiers: dict[str, Dossier] = field(default_factory=dict)


def _user(session: Session, username: str, full_name: str, role: Role, **scope: object) -> User:
    user = User(username=username, full_name=full_name, email=f"{username}@thu.ntm.vn", password_hash="-", active=True)
    user.roles.append(RoleAssignment(role=role, **scope))
    session.add(user)
    return user


def build_world(
    session: Session,
    now: dt.datetime,
    *,
    communes: tuple[str, ...] = ("Lê Lai", "Đức Long"),
    officers_per_commune: int = 1,
    dossier_state: str = "consultation",
    adopt_seed_plans: bool = True,
) -> World:
    """Build the world and flush. Every commune of the district gets a 2025 commune NTM dossier in `dossier_state`.

    `adopt_seed_plans`: the district and the province adopt the dates other localities' plans set
    (commune plan 20/02, seed 001; district departments' difficulties 31/3, seed 000; provincial
    departments' report 10/12, seed 003), which are off by default outside those provinces, as overrides.
    """
    province = Unit(name="Cao Bằng", kind=UnitKind.PROVINCE, code="04", region="TDMNPB")
    district = Unit(name="Thạch An", kind=UnitKind.DISTRICT, code="053", parent=province)
    by_name = {name: Unit(name=name, kind=UnitKind.COMMUNE, parent=district) for name in communes}
    lone = Unit(name="Đông Khê", kind=UnitKind.COMMUNE, parent=province)
    department = Department(unit=district, code="tc-kh", name="Phòng Tài chính - Kế hoạch")
    province_department = Department(unit=province, code="so-tc", name="Sở Tài chính")
    session.add_all([province, district, lone, *by_name.values(), department, province_department])

    criteria_set = CriteriaSet(
        code="xa-ntm-thu", version=1, name="Bộ tiêu chí thử", levels=["commune-ntm"], legal_source="QĐ 318/QĐ-TTg",
        period_start=2021, period_end=2025, confidence=Confidence.LOW, source_file="test", content_sha256="0" * 64,
        loaded_at=now,
    )  # fmt: skip
    criterion = Criterion(criteria_set=criteria_set, number=2, name="Giao thông", confidence=Confidence.LOW)
    indicator = Indicator(
        criterion=criterion, code="2.1", position=1, name="Đường xã", measure=Measure.YES_NO, confidence=Confidence.LOW
    )
    session.add_all([criteria_set, criterion, indicator])
    session.flush()
    for owner, authority in ((department, district), (province_department, province)):
        session.add(
            Ownership(authority_unit_id=authority.id, year=2025, indicator_id=indicator.id, department_id=owner.id)
        )

    users: dict[str, User] = {
        "admin": _user(session, "admin", "Quản trị hệ thống", Role.ADMIN),
        "dieuphoi.huyen": _user(session, "dieuphoi.huyen", "Điều phối NTM huyện Thạch An", Role.COORDINATOR,
                                unit=district),
        "dieuphoi.tinh": _user(session, "dieuphoi.tinh", "Điều phối NTM tỉnh Cao Bằng", Role.COORDINATOR,
                               unit=province),
        "phong.tckh": _user(session, "phong.tckh", "Nguyễn Thị Hoa", Role.DEPARTMENT_OFFICER, department=department),
        "so.tc": _user(session, "so.tc", "Trần Văn Sở", Role.DEPARTMENT_OFFICER, department=province_department),
        "xa.dongkhe": _user(session, "xa.dongkhe", "Hoàng Văn Khê", Role.UNIT_OFFICER, unit=lone),
    }  # fmt: skip
    world = World(province, district, by_name, lone, department, province_department, users)
    if adopt_seed_plans:
        adopted = [
            (district, 2025, "commune-plan"), (district, 2026, "commune-plan"),
            (district, 2025, "department-difficulties"), (province, 2025, "department-yearly-report"),
        ]  # fmt: skip
        for authority, year, code in adopted:
            session.add(
                DeadlineOverride(
                    authority_unit=authority, year=year, rule_code=code, enabled=True, created_at=now,
                    source=f"Thử: {authority.name} áp dụng ngày của kế hoạch mẫu ({code})",
                )
            )  # fmt: skip
    for index, (name, commune) in enumerate(by_name.items()):
        for officer in range(officers_per_commune):
            username = f"xa{index}.{officer}"
            users[username] = _user(session, username, f"Cán bộ NTM xã {name} số {officer + 1}", Role.UNIT_OFFICER,
                                    unit=commune)  # fmt: skip
        dossier = Dossier(
            unit=commune, authority_unit=district, level=RecognitionLevel.COMMUNE_NTM, year=2025,
            criteria_set=criteria_set, state=dossier_state, created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(dossier)
        world.dossiers[name] = dossier
    session.flush()
    return world


def at(day: dt.date, hour: int = 8, minute: int = 0) -> dt.datetime:
    """`hour`:`minute` on `day` in Vietnam, as UTC."""
    return local_time(day, dt.time(hour, minute))
