"""The regime of a dossier or a registration, with its province's own figures, read from data.

The national regimes are values in `workflow.regimes`. A province's figures for some years are YAML files
under `dossiers/data/regimes/` (and, for a deployment, under the folder named by `NTM_PROVINCE_FIGURES`):
adding a year or a figure is a data change. Commune groups (QĐ 51/2025: nhom-1/2/3) are data too
(`dossiers/data/commune-groups/`), stored on `Unit.commune_group` by `load_commune_groups`.

A dossier pins the code of the regime it was registered under (`Dossier.regime`); its rules are that
regime with its province's figures for the dossier's year.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from dossiers.access import ancestor_ids
from dossiers.models import CriteriaSet, Dossier, Unit
from dossiers.territory import Place, load_territory
from workflow.regimes import ProvinceFigures, Regime, SetTerms, regime_for_year, regime_named
from workflow.routes import PROVINCE_ROUTES
from workflow.rules import CONDITION_LABELS, Rules
from workflow.vocabulary import Confidence, RecognitionLevel, UnitKind

DATA_DIR = Path(__file__).resolve().parent / "data"
FIGURES_DIR = DATA_DIR / "regimes"
GROUPS_DIR = DATA_DIR / "commune-groups"


class RegimeDataError(ValueError):
    """A province-figures or commune-groups file that cannot be used (the message says where and why)."""


def _require(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] is None:
        raise RegimeDataError(f"{where}: thiếu «{key}»")
    return data[key]


def _levels(value: Any, where: str) -> tuple[RecognitionLevel, ...]:
    try:
        return tuple(RecognitionLevel(v) for v in value or ())
    except ValueError as exc:
        raise RegimeDataError(f"{where}: {exc}") from None


def _routes(value: Any, where: str) -> tuple[str, ...]:
    """The procedure variants a province chose: codes of `workflow.routes.PROVINCE_ROUTES`, at most one per level."""
    known = {route.code: route for route in PROVINCE_ROUTES}
    codes = tuple(str(v) for v in value or ())
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise RegimeDataError(f"{where}: không có quy trình «{', '.join(unknown)}»; có: {', '.join(known)}")
    levels = [level for code in codes for level in known[code].levels]
    if len(levels) != len(set(levels)):
        raise RegimeDataError(f"{where}: hai quy trình cho cùng một cấp ({', '.join(codes)})")
    return codes


def parse_figures(text: str, where: str) -> list[ProvinceFigures]:
    """The figures of one province file (see dossiers/data/regimes/cao-bang.yaml)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegimeDataError(f"{where}: không đọc được YAML ({exc})") from None
    if not isinstance(data, dict):
        raise RegimeDataError(f"{where}: cần một bảng có «province» và «figures»")
    province = str(_require(data, "province", where))
    code = data.get("province_code")
    found = []
    for index, entry in enumerate(_require(data, "figures", where)):
        at = f"{where}, figures[{index}]"
        if not isinstance(entry, dict):
            raise RegimeDataError(f"{at}: cần một bảng")
        regime = str(_require(entry, "regime", at))
        try:
            regime_named(regime)
            confidence = Confidence(_require(entry, "confidence", at))
        except (KeyError, ValueError) as exc:
            raise RegimeDataError(f"{at}: {exc}") from None
        conditions = {}
        for level, codes in (entry.get("required_conditions") or {}).items():
            (parsed,) = _levels([level], at)
            unknown = [c for c in codes if c not in CONDITION_LABELS]
            if unknown:
                raise RegimeDataError(f"{at}: không có điều kiện {', '.join(unknown)}")
            conditions[parsed] = tuple(codes)
        confirmers = {}
        for condition, codes in (entry.get("condition_confirmers") or {}).items():
            if condition not in CONDITION_LABELS:
                raise RegimeDataError(f"{at}: không có điều kiện {condition}")
            confirmers[condition] = tuple(str(c) for c in codes)
        figures = ProvinceFigures(
            province=province,
            province_code=str(code) if code is not None else None,
            regime=regime,
            first_year=int(_require(entry, "first_year", at)),
            last_year=int(_require(entry, "last_year", at)),
            source=" ".join(str(_require(entry, "source", at)).split()),
            confidence=confidence,
            pilots=_levels(entry.get("pilots"), at),
            required_conditions=conditions,
            condition_confirmers=confirmers,
            rule_values=dict(entry.get("rules") or {}),
            routes=_routes(entry.get("routes"), at),
        )
        try:
            figures.apply(regime_named(regime).rules)
        except (TypeError, ValueError) as exc:
            raise RegimeDataError(f"{at}: {exc}") from None
        found.append(figures)
    return found


def figure_files() -> list[Path]:
    """The built-in province files, then those of the folder `NTM_PROVINCE_FIGURES` names (if any)."""
    files = sorted(FIGURES_DIR.glob("*.yaml"))
    extra = os.environ.get("NTM_PROVINCE_FIGURES")
    if extra:
        files += sorted(Path(extra).glob("*.yaml"))
    return files


@cache
def province_figures() -> tuple[ProvinceFigures, ...]:
    """Every province's figures, read once per process."""
    return tuple(f for path in figure_files() for f in parse_figures(path.read_text(encoding="utf-8"), path.name))


def with_province(
    regime: Regime,
    unit: Unit,
    year: int,
    figures: Iterable[ProvinceFigures] | None = None,
    *,
    province: Unit | Place | None = None,
) -> Regime:
    """`regime` with the figures of `unit`'s province (`province` when the caller has it) for `year` laid
    over it. The tree is walked only when some province has figures for that regime and year."""
    candidates = [
        f
        for f in (province_figures() if figures is None else figures)
        if f.regime == regime.code and f.first_year <= year <= f.last_year
    ]
    if not candidates:
        return regime
    if province is None:
        session = object_session(unit)
        province = load_territory(session, [unit.id]).province_of(unit.id) if session is not None else None
    if province is None:
        return regime
    chosen = [f for f in candidates if f.applies(regime.code, province.name, province.code, year)]
    return regime.with_figures(chosen) if chosen else regime


def national_regime_of(dossier: Dossier) -> Regime:
    """The national regime the dossier pinned (dossiers from before regimes were pinned: by their year)."""
    return regime_named(dossier.regime) if dossier.regime else regime_for_year(dossier.year)


def regime_of(dossier: Dossier) -> Regime:
    """The dossier's pinned regime with its province's figures for the dossier's year. A commune's or a
    district's dossier is decided by its province (`workflow.routes`): the walk up the tree is then skipped."""
    decider = dossier.decider_unit
    province = decider if decider is not None and decider.kind == UnitKind.PROVINCE else None
    return with_province(national_regime_of(dossier), dossier.unit, dossier.year, province=province)


def rules_for_many(session: Session, dossiers: Sequence[Dossier]) -> dict[int, Rules]:
    """dossier id → its rules (`regime_of(dossier).rules`), for a list: a fixed number of queries whatever its
    length, and none when no province has figures for the dossiers' regimes and years."""
    figures = province_figures()
    national = {d.id: national_regime_of(d) for d in dossiers}
    concerned = [
        d
        for d in dossiers
        if any(f.regime == national[d.id].code and f.first_year <= d.year <= f.last_year for f in figures)
    ]
    province_of: dict[int, Unit] = {}
    if concerned:
        # a commune's or a district's dossier is decided by its province: one query finds them all
        deciders = {d.decider_unit_id for d in concerned if d.decider_unit_id is not None}
        provinces = {
            u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(deciders), Unit.kind == UnitKind.PROVINCE))
        }
        province_of = {d.id: provinces[d.decider_unit_id] for d in concerned if d.decider_unit_id in provinces}
        # hamlets: up the tree, one query per level
        walk = [d for d in concerned if d.id not in province_of]
        if walk:
            chains = ancestor_ids(session, {d.unit_id for d in walk})
            ids = {i for d in walk for i in (d.unit_id, *chains[d.unit_id])}
            above = {
                u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids), Unit.kind == UnitKind.PROVINCE))
            }
            for d in walk:
                found = next((above[i] for i in (d.unit_id, *chains[d.unit_id]) if i in above), None)
                if found is not None:
                    province_of[d.id] = found
    rules = {}
    for d in dossiers:
        regime, province = national[d.id], province_of.get(d.id)
        if province is not None:
            regime = regime.with_figures(
                [f for f in figures if f.applies(regime.code, province.name, province.code, d.year)]
            )
        rules[d.id] = regime.rules
    return rules


def set_terms(criteria_set: CriteriaSet) -> SetTerms:
    return SetTerms(
        code=criteria_set.code,
        label=criteria_set.label,
        levels=tuple(str(level) for level in criteria_set.levels),
        period_start=criteria_set.period_start,
        period_end=criteria_set.period_end,
        effective_from=criteria_set.effective_from,
        commune_groups=tuple(str(group["code"]) for group in criteria_set.commune_groups or ()),
    )


# --- commune groups -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupChange:
    unit: Unit
    before: str | None
    after: str


def load_commune_groups(session: Session, path: Path) -> list[GroupChange]:
    """Store each listed commune's group (QĐ 51/2025) on `Unit.commune_group`; idempotent. Refuses the whole
    file (nothing changed) when a commune or a group is unknown. Flushes; the caller commits."""
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegimeDataError(f"{where}: không đọc được ({exc})") from None
    if not isinstance(data, dict):
        raise RegimeDataError(f"{where}: cần một bảng có «criteria_set» và «communes»")
    set_code = str(_require(data, "criteria_set", where))
    criteria_set = session.scalars(
        select(CriteriaSet).where(CriteriaSet.code == set_code).order_by(CriteriaSet.version.desc())
    ).first()
    if criteria_set is None:
        raise RegimeDataError(f"{where}: chưa nạp bộ tiêu chí {set_code}")
    groups = set_terms(criteria_set).commune_groups
    valid_on = _require(data, "valid_on", where)
    if not isinstance(valid_on, dt.date):
        raise RegimeDataError(f"{where}: «valid_on» phải là ngày dạng YYYY-MM-DD")
    communes = session.scalars(select(Unit).where(Unit.kind == UnitKind.COMMUNE)).all()
    by_code: dict[str, Unit] = {u.code: u for u in communes if u.code and u.is_valid_on(valid_on)}
    planned: list[tuple[Unit, str]] = []
    problems = []
    for index, entry in enumerate(_require(data, "communes", where)):
        code, group = str(entry.get("code", "")), str(entry.get("group", ""))
        unit = by_code.get(code)
        if unit is None:
            problems.append(f"communes[{index}]: không có xã mã «{code}» còn hiệu lực ngày {valid_on:%d/%m/%Y}")
        elif group not in groups:
            listed = ", ".join(groups)
            problems.append(f"communes[{index}]: nhóm «{group}» không có trong {criteria_set.label} ({listed})")
        else:
            planned.append((unit, group))
    if problems:
        raise RegimeDataError(f"{where}: " + "; ".join(problems))
    changes = []
    for unit, group in planned:
        if unit.commune_group != group:
            changes.append(GroupChange(unit, unit.commune_group, group))
            unit.commune_group = group
    session.flush()
    return changes
