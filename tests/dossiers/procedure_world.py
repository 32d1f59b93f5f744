"""A small world for the command path (`dossiers.handlers.handle`): one province with a district
before the reform, the same province without it after, a hamlet, departments with a shared and an
unowned indicator, and one user per seat. Plain functions (no fixtures library): tests call `build_world(session, now)`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.criteria_loader import CRITERIA_DATA_DIR, load_criteria_files
from dossiers.handlers import handle
from dossiers.models import (
    CriteriaSet,
    Criterion,
    Delegation,
    Department,
    Dossier,
    Indicator,
    Ownership,
    RoleAssignment,
    Unit,
    User,
)
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import Confidence, Measure, RecognitionLevel, Role, UnitKind

REFORM = dt.date(2025, 7, 1)
#: 09:00 in Vietnam on 3/3/2025: before the reform
BEFORE = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)
#: 09:00 in Vietnam on 1/9/2025: after the reform
AFTER = dt.datetime(2025, 9, 1, 2, 0, tzinfo=dt.UTC)

#: criterion number → (is key, indicator codes)
COMMUNE_CRITERIA: dict[int, tuple[bool, tuple[str, ...]]] = {
    1: (False, ("1",)),
    10: (True, ("10",)),
    17: (True, ("17.1", "17.3", "17.8")),
    19: (True, ("19.1", "19.2")),
}
HAMLET_CRITERIA: dict[int, tuple[bool, tuple[str, ...]]] = {1: (False, ("1",)), 2: (False, ("2",))}

#: department code → indicators it owns (17.8 is shared; 10 is owned by nobody)
DISTRICT_OWNERSHIP: dict[str, tuple[str, ...]] = {
    "nn-ptnt": ("1", "17.1"),
    "tn-mt": ("17.3", "17.8"),
    "hoi-phu-nu": ("17.8",),
    "quan-su": ("19.1",),
    "cong-an": ("19.2",),
    "tc-kh": (),
}
PROVINCE_OWNERSHIP: dict[str, tuple[str, ...]] = {
    "so-nn-mt": ("1", "17.1", "17.3", "17.8"),
    "so-cong-an": ("19.1", "19.2"),
    "so-tc-kh": (),
}


@dataclass
class World:
    province: Unit
    district: Unit
    commune: Unit
    other_commune: Unit
    hamlet: Unit
    new_commune: Unit
    new_hamlet: Unit
    commune_set: CriteriaSet
    advanced_set: CriteriaSet
    hamlet_set: CriteriaSet
    departments: dict[str, Department] = field(default_factory=dict)
    province_departments: dict[str, Department] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.users[name]


def _set(
    session: Session, now: dt.datetime, code: str, levels: list[str], criteria: dict[int, tuple[bool, tuple[str, ...]]]
) -> CriteriaSet:
    criteria_set = CriteriaSet(
        code=code,
        version=1,
        name=f"Bộ tiêu chí thử {code}",
        levels=levels,
        legal_source="thử nghiệm",
        period_start=2021,
        period_end=2025,
        confidence=Confidence.HIGH,
        source_file="tests",
        content_sha256="0" * 64,
        loaded_at=now,
    )
    for number, (is_key, codes) in criteria.items():
        criterion = Criterion(number=number, name=f"Tiêu chí {number}", is_key=is_key, confidence=Confidence.HIGH)
        for position, indicator_code in enumerate(codes):
            criterion.indicators.append(
                Indicator(
                    code=indicator_code,
                    position=position,
                    name=f"Chỉ tiêu {indicator_code}",
                    measure=Measure.YES_NO,
                    confidence=Confidence.HIGH,
                )
            )
        criteria_set.criteria.append(criterion)
    session.add(criteria_set)
    return criteria_set


def _user(
    session: Session,
    w: World,
    username: str,
    role: Role,
    *,
    unit: Unit | None = None,
    department: Department | None = None,
) -> User:
    user = w.users.get(username)
    if user is None:
        user = User(username=username, full_name=username, email=f"{username}@test.vn", password_hash="x")
        session.add(user)
        w.users[username] = user
    user.roles.append(RoleAssignment(role=role, unit=unit, department=department))
    return user


def build_world(session: Session, now: dt.datetime) -> World:
    province = Unit(name="Tỉnh Thử", kind=UnitKind.PROVINCE, region="TDMNPB")
    district = Unit(name="Huyện Thử", kind=UnitKind.DISTRICT, parent=province, valid_to=REFORM - dt.timedelta(days=1))
    commune = Unit(name="Xã Một", kind=UnitKind.COMMUNE, parent=district, valid_to=REFORM - dt.timedelta(days=1))
    other = Unit(name="Xã Hai", kind=UnitKind.COMMUNE, parent=district, valid_to=REFORM - dt.timedelta(days=1))
    hamlet = Unit(name="Thôn Nà", kind=UnitKind.HAMLET, parent=commune)
    new_commune = Unit(name="Xã Mới", kind=UnitKind.COMMUNE, parent=province, valid_from=REFORM)
    new_commune.predecessors.extend([commune, other])
    new_hamlet = Unit(name="Thôn Mới", kind=UnitKind.HAMLET, parent=new_commune, valid_from=REFORM)
    session.add_all([province, district, commune, other, hamlet, new_commune, new_hamlet])
    w = World(
        province=province,
        district=district,
        commune=commune,
        other_commune=other,
        hamlet=hamlet,
        new_commune=new_commune,
        new_hamlet=new_hamlet,
        commune_set=_set(session, now, "thu-xa-ntm", ["commune-ntm"], COMMUNE_CRITERIA),
        advanced_set=_set(session, now, "thu-xa-nang-cao", ["commune-advanced", "commune-model"], COMMUNE_CRITERIA),
        hamlet_set=_set(session, now, "thu-thon-ntm", ["hamlet-ntm"], HAMLET_CRITERIA),
    )
    for code in DISTRICT_OWNERSHIP:
        w.departments[code] = Department(unit=district, code=code, name=f"Phòng {code}")
    for code in PROVINCE_OWNERSHIP:
        w.province_departments[code] = Department(unit=province, code=code, name=f"Sở {code}")
    session.add_all([*w.departments.values(), *w.province_departments.values()])
    session.flush()
    for authority, table, departments in (
        (district, DISTRICT_OWNERSHIP, w.departments),
        (province, PROVINCE_OWNERSHIP, w.province_departments),
    ):
        for criteria_set in (w.commune_set, w.advanced_set):
            indicators = {i.code: i for i in criteria_set.indicators()}
            for code, owned in table.items():
                for indicator_code in owned:
                    session.add(
                        Ownership(
                            authority_unit_id=authority.id,
                            year=2025,
                            indicator_id=indicators[indicator_code].id,
                            department_id=departments[code].id,
                            source="tests",
                        )
                    )
    _user(session, w, "xa", Role.UNIT_OFFICER, unit=commune)
    _user(session, w, "mttq", Role.FRONT_OFFICER, unit=commune)
    _user(session, w, "xa.hai", Role.UNIT_OFFICER, unit=other)
    _user(session, w, "dieuphoi", Role.COORDINATOR, unit=district)
    _user(session, w, "chutich.huyen", Role.APPROVER, unit=district)
    _user(session, w, "dieuphoi.tinh", Role.COORDINATOR, unit=province)
    _user(session, w, "chutich.tinh", Role.APPROVER, unit=province)
    _user(session, w, "chutich.xa", Role.APPROVER, unit=commune)
    for code, department in w.departments.items():
        _user(session, w, f"phong.{code}", Role.DEPARTMENT_OFFICER, department=department)
    for code, department in w.province_departments.items():
        _user(session, w, f"so.{code}", Role.DEPARTMENT_OFFICER, department=department)
    _user(session, w, "xa.moi", Role.UNIT_OFFICER, unit=new_commune)
    _user(session, w, "mttq.moi", Role.FRONT_OFFICER, unit=new_commune)
    _user(session, w, "chutich.xamoi", Role.APPROVER, unit=new_commune)
    _user(session, w, "thon", Role.UNIT_OFFICER, unit=hamlet)
    _user(session, w, "to.thamdinh", Role.APPRAISAL_TEAM, unit=commune)
    _user(session, w, "thon.moi", Role.UNIT_OFFICER, unit=new_hamlet)
    _user(session, w, "to.thamdinh.moi", Role.APPRAISAL_TEAM, unit=new_commune)
    _user(session, w, "admin", Role.ADMIN)
    _user(session, w, "pho.phong", Role.UNIT_OFFICER, unit=other)
    session.flush()
    return w


def delegate(
    session: Session, delegator: User, substitute: User, starts_on: dt.date, ends_on: dt.date, now: dt.datetime
) -> Delegation:
    delegation = Delegation(
        delegator_id=delegator.id, substitute_id=substitute.id, starts_on=starts_on, ends_on=ends_on, created_at=now
    )
    session.add(delegation)
    session.flush()
    return delegation


def later(now: dt.datetime, days: int = 0, minutes: int = 0) -> dt.datetime:
    return now + dt.timedelta(days=days, minutes=minutes)


def assess_all(
    session: Session, w: World, dossier: Dossier, now: dt.datetime, officer: str = "xa", *, unmet: tuple[str, ...] = ()
) -> None:
    """One save per indicator (as a form saving a single indicator does)."""
    for indicator in dossier.criteria_set.indicators():
        entry = c.AssessmentEntry(indicator.code, met=indicator.code not in unmet)
        handle(session, w.user(officer), now, c.RecordAssessments(dossier_id=dossier.id, entries=(entry,)))


def consult(
    session: Session, w: World, dossier: Dossier, now: dt.datetime, *, officer: str = "xa", front: str = "mttq"
) -> None:
    """A consultation that meets every default threshold; `now` must be after the posting ended."""
    today = now.date()
    handle(
        session,
        w.user(officer),
        now,
        c.RecordPosting(
            dossier_id=dossier.id,
            start=today - dt.timedelta(days=20),
            end=today - dt.timedelta(days=6),
            announcements=5,
        ),
    )
    handle(
        session,
        w.user(front),
        now,
        c.RecordSurvey(dossier_id=dossier.id, households_total=1000, households_reached=800, households_satisfied=760),
    )
    handle(session, w.user(officer), now, c.RecordVote(dossier_id=dossier.id, votes_total=40, votes_in_favour=38))


def commune_dossier_submitted(session: Session, w: World, now: dt.datetime) -> Dossier:
    """Xã Một's NTM dossier of 2025, registered before the reform and submitted to the district."""
    dossier = handle(
        session,
        w.user("xa"),
        now,
        c.Register(
            unit_id=w.commune.id, level=RecognitionLevel.COMMUNE_NTM, year=2025, criteria_set_id=w.commune_set.id
        ),
    ).opened()
    handle(session, w.user("dieuphoi"), later(now, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    assess_all(session, w, dossier, later(now, 2))
    handle(session, w.user("xa"), later(now, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    consult(session, w, dossier, later(now, 30))
    handle(session, w.user("xa"), later(now, 31), c.Submit(dossier_id=dossier.id))
    return dossier


def confirm_conditions(
    session: Session,
    w: World,
    dossier: Dossier,
    now: dt.datetime,
    *,
    finance: str = "phong.tc-kh",
    police: str = "phong.cong-an",
) -> None:
    handle(
        session,
        w.user(finance),
        now,
        c.ConfirmCondition(dossier_id=dossier.id, condition=NO_CONSTRUCTION_DEBT, holds=True),
    )
    handle(
        session,
        w.user(police),
        now,
        c.ConfirmCondition(dossier_id=dossier.id, condition=NOT_COMPLEX_SECURITY, holds=True),
    )


@dataclass
class UrbanWorld:
    """Beside `World` (issue 10 §3): a thị trấn under Huyện Thử with a tổ dân phố (a hamlet under the town), and a
    thị xã (district tier) with one commune, all before the reform; the shipped town and thị xã criteria sets."""

    town: Unit
    residential_group: Unit
    district_town: Unit
    district_town_commune: Unit
    town_set: CriteriaSet
    district_town_set: CriteriaSet
    hamlet_model_set: CriteriaSet
    district_town_departments: dict[str, Department] = field(default_factory=dict)


def build_urban_world(session: Session, w: World, now: dt.datetime) -> UrbanWorld:
    before = REFORM - dt.timedelta(days=1)
    town = Unit(name="Thị trấn Cổ Lễ", kind=UnitKind.TOWN, parent=w.district, valid_to=before)
    group = Unit(name="Tổ dân phố Số 1", kind=UnitKind.HAMLET, parent=town, valid_to=before)
    district_town = Unit(name="Thị xã Thử", kind=UnitKind.DISTRICT_TOWN, parent=w.province, valid_to=before)
    commune = Unit(name="Xã Ba", kind=UnitKind.COMMUNE, parent=district_town, valid_to=before)
    ward = Unit(name="Phường Một", kind=UnitKind.WARD, parent=district_town, valid_to=before)
    session.add_all([town, group, district_town, commune, ward])
    loaded = {
        r.criteria_set.code: r.criteria_set
        for r in load_criteria_files(
            session,
            [CRITERIA_DATA_DIR / "thi-tran-van-minh-2022.yaml", CRITERIA_DATA_DIR / "tx-tp-hoan-thanh-ntm-2021.yaml"],
            now,
        )
    }
    u = UrbanWorld(
        town=town,
        residential_group=group,
        district_town=district_town,
        district_town_commune=commune,
        town_set=loaded["thi-tran-van-minh-2022"],
        district_town_set=loaded["tx-tp-hoan-thanh-ntm-2021"],
        hamlet_model_set=_set(session, now, "thu-thon-kieu-mau", ["hamlet-model"], HAMLET_CRITERIA),
    )
    for code in ("tc-kh", "cong-an"):
        u.district_town_departments[code] = Department(unit=district_town, code=code, name=f"Phòng {code} thị xã")
    session.add_all(u.district_town_departments.values())
    session.flush()
    # the district's Phòng NN&PTNT appraises the town's planning criterion; the rest falls to the coordinator
    planning = next(i for i in u.town_set.indicators() if i.code == "1")
    session.add(
        Ownership(
            authority_unit_id=w.district.id,
            year=2025,
            indicator_id=planning.id,
            department_id=w.departments["nn-ptnt"].id,
            source="tests",
        )
    )
    _user(session, w, "thitran", Role.UNIT_OFFICER, unit=town)
    _user(session, w, "mttq.thitran", Role.FRONT_OFFICER, unit=town)
    _user(session, w, "tdp", Role.UNIT_OFFICER, unit=group)
    _user(session, w, "to.thamdinh.thitran", Role.APPRAISAL_TEAM, unit=town)
    _user(session, w, "thixa", Role.UNIT_OFFICER, unit=district_town)
    _user(session, w, "mttq.thixa", Role.FRONT_OFFICER, unit=district_town)
    _user(session, w, "dieuphoi.thixa", Role.COORDINATOR, unit=district_town)
    _user(session, w, "xa.ba", Role.UNIT_OFFICER, unit=commune)
    _user(session, w, "mttq.xaba", Role.FRONT_OFFICER, unit=commune)
    for code, department in u.district_town_departments.items():
        _user(session, w, f"thixa.{code}", Role.DEPARTMENT_OFFICER, department=department)
    session.flush()
    return u
