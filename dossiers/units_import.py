"""The official unit list: provinces and commune-level units (xã, phường, đặc khu) from the
`vietnam-provinces` package, which ships the General Statistics Office's list after the 1/7/2025
reorganisation (34 provinces, 3,321 commune-level units).

The package gives each unit's name, code, kind and province, and no lineage (which old communes a
new one was formed from): that comes from a recorded reorganisation (`dossiers.reorganisation`) or
a province's own data. Importing is idempotent: a unit already there (same code, still valid) is
found and brought up to date, never duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass

import vietnam_provinces
from sqlalchemy import select
from sqlalchemy.orm import Session
from vietnam_provinces import Province, VietNamDivisionType, Ward

from dossiers.models import Unit
from workflow.routes import REFORM_DATE
from workflow.vocabulary import UnitKind

#: the package's division types → our unit kinds
WARD_KINDS = {
    VietNamDivisionType.XA: UnitKind.COMMUNE,
    VietNamDivisionType.PHUONG: UnitKind.WARD,
    VietNamDivisionType.DAC_KHU: UnitKind.SPECIAL_ZONE,
}
_PREFIXES = ("Thành phố ", "Tỉnh ", "Xã ", "Phường ", "Đặc khu ")


def bare_name(name: str) -> str:
    """The name without its kind: "Xã Thạch An" → "Thạch An" (the kind is a column of its own)."""
    return next((name[len(p) :] for p in _PREFIXES if name.startswith(p)), name)


def province_code(province: Province) -> str:
    return f"{int(province.code):02d}"


def ward_code(ward: Ward) -> str:
    return f"{int(ward.code):05d}"


def package_source() -> str:
    version = getattr(vietnam_provinces, "__version__", "?")
    data = getattr(vietnam_provinces, "__data_version__", "?")
    return f"vietnam-provinces {version} (dữ liệu {data}): danh mục đơn vị hành chính sau sắp xếp 01/07/2025"


@dataclass(frozen=True)
class ImportSummary:
    provinces_added: int
    provinces_updated: int
    provinces_unchanged: int
    units_added: int
    units_updated: int
    units_unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.provinces_added or self.provinces_updated or self.units_added or self.units_updated)


def _current(session: Session, kinds: tuple[UnitKind, ...]) -> dict[str, Unit]:
    """Units of these kinds by code, those in force now (no end date): one query."""
    rows = session.scalars(
        select(Unit).where(Unit.kind.in_([k.value for k in kinds]), Unit.code.is_not(None), Unit.valid_to.is_(None))
    ).all()
    return {unit.code: unit for unit in rows if unit.code is not None}


def _update(unit: Unit, **values: object) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(unit, name) != value:
            setattr(unit, name, value)
            changed = True
    return changed


def import_units(session: Session) -> ImportSummary:
    """Load (or bring up to date) every province and commune-level unit of the package; flushes.

    A province keeps its region and a commune its group when they were set by hand: the package
    does not know them. Units the package does not list are left alone (a province's hamlets, the
    pre-2025 units kept for history)."""
    source = package_source()
    provinces = _current(session, (UnitKind.PROVINCE,))
    counts = {"pa": 0, "pu": 0, "pn": 0, "ua": 0, "uu": 0, "un": 0}
    by_code: dict[str, Unit] = {}
    for province in Province.iter_all():
        code = province_code(province)
        unit = provinces.get(code)
        if unit is None:
            unit = Unit(code=code, name=bare_name(province.name), kind=UnitKind.PROVINCE, source_note=source)
            session.add(unit)
            counts["pa"] += 1
        elif _update(unit, name=bare_name(province.name)):
            counts["pu"] += 1
        else:
            counts["pn"] += 1
        by_code[code] = unit
    session.flush()
    wards = _current(session, tuple(WARD_KINDS.values()))
    for ward in Ward.iter_all():
        code = ward_code(ward)
        parent = by_code[f"{int(ward.province_code):02d}"]
        kind = WARD_KINDS[ward.division_type]
        found = wards.get(code)
        if found is None:
            session.add(
                Unit(
                    code=code,
                    name=bare_name(ward.name),
                    kind=kind,
                    parent_id=parent.id,
                    valid_from=REFORM_DATE,
                    region=parent.region,
                    source_note=source,
                )
            )
            counts["ua"] += 1
        elif _update(found, name=bare_name(ward.name), kind=kind, parent_id=parent.id):
            counts["uu"] += 1
        else:
            counts["un"] += 1
    session.flush()
    return ImportSummary(counts["pa"], counts["pu"], counts["pn"], counts["ua"], counts["uu"], counts["un"])
