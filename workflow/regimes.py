"""Regimes: the national rules of a programme period (2021-2025, 2026-2030) as dated values.

A regime names the levels it recognises and their criteria sets, the thresholds the guards read
(`workflow.rules.Rules`, each with its source), the deadline rules, and who confirms the
conditions. Which one applies follows from the day (a registration on 1/9/2025 is under 2021-2025;
from 15/2/2026, when QĐ 51/2025/QĐ-TTg took effect, under 2026-2030) and the province: a province's
own figures for some years (`ProvinceFigures`, kept as data by `dossiers.regimes`) are laid over
the national regime without a code change. A dossier pins the regime it was registered under, as it
pins its route (`workflow.routes`): routes say who appraises and decides, regimes say against what.

Pure: no I/O. Criteria sets are described to it by `SetTerms`, plain values built by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from workflow.deadlines import DEADLINE_RULES, DEADLINE_RULES_2026_2030, DeadlineRule
from workflow.errors import join_vi
from workflow.rules import CONDITION_LABELS, RULES_2021_2025, RULES_2026_2030, Rules, Sourced
from workflow.vocabulary import RECOGNITION_LEVEL_LABELS, Confidence, RecognitionLevel


def _date(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


@dataclass(frozen=True)
class LevelOffer:
    """A level a regime recognises, with the national criteria sets for it (offered first, in order).
    An empty tuple: the sets are the province's own (hamlets). A pilot is offered only where a
    province switches it on."""

    level: RecognitionLevel
    criteria_sets: tuple[str, ...] = ()
    pilot: bool = False


@dataclass(frozen=True)
class SetTerms:
    """What registration needs to know of a criteria set version."""

    code: str
    label: str
    levels: tuple[str, ...]
    period_start: int
    period_end: int
    effective_from: dt.date | None
    commune_groups: tuple[str, ...] = ()

    @property
    def period(self) -> str:
        return f"{self.period_start}-{self.period_end}"


@dataclass(frozen=True)
class ProvinceFigures:
    """A province's own figures over a national regime for some years, with the text they come from.

    `rule_values`: Rules fields replaced (scalar time limits and shares by field name; `satisfaction`
    by level). `required_conditions`: conditions added for levels (Cao Bằng: the construction-debt
    check for hamlets). `condition_confirmers`: department codes that confirm a condition there.
    `pilots`: pilot levels the province switches on.
    """

    province: str
    regime: str
    first_year: int
    last_year: int
    source: str
    confidence: Confidence
    province_code: str | None = None
    pilots: tuple[RecognitionLevel, ...] = ()
    required_conditions: Mapping[RecognitionLevel, tuple[str, ...]] = field(default_factory=dict)
    condition_confirmers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rule_values: Mapping[str, Any] = field(default_factory=dict)

    def applies(self, regime: str, province_name: str | None, province_code: str | None, year: int) -> bool:
        same_province = (self.province_code is not None and self.province_code == province_code) or (
            self.province == province_name
        )
        return self.regime == regime and same_province and self.first_year <= year <= self.last_year

    def apply(self, rules: Rules) -> Rules:
        """`rules` with these figures laid over them; every replaced value carries this source."""
        changes: dict[str, Any] = {}
        scalar = {f.name for f in fields(Rules)} - {
            "survey_reach",
            "satisfaction",
            "condition_confirmers",
            "required_conditions",
            "condition_seat",
            "appraisal_days",
        }
        for name, value in self.rule_values.items():
            if name == "satisfaction":
                merged = dict(rules.satisfaction)
                for level, share in dict(value).items():
                    merged[RecognitionLevel(level)] = Sourced(float(share), self.source, self.confidence)
                changes["satisfaction"] = merged
            elif name in scalar:
                current = getattr(rules, name)
                kind = type(current.value)
                changes[name] = Sourced(kind(value), self.source, self.confidence)
            else:
                raise ValueError(f"không thay được «{name}» bằng số liệu của tỉnh")
        if self.required_conditions:
            required = dict(rules.required_conditions)
            for level, conditions in self.required_conditions.items():
                unknown = [c for c in conditions if c not in CONDITION_LABELS]
                if unknown:
                    raise ValueError(f"không có điều kiện {join_vi(unknown)}")
                before = required[level].value if level in required else ()
                added = tuple(dict.fromkeys((*before, *conditions)))
                required[level] = Sourced(added, self.source, self.confidence)
            changes["required_conditions"] = required
        if self.condition_confirmers:
            confirmers = dict(rules.condition_confirmers)
            confirmers.update({c: tuple(codes) for c, codes in self.condition_confirmers.items()})
            changes["condition_confirmers"] = confirmers
        return replace(rules, **changes)


@dataclass(frozen=True)
class Regime:
    """The national rules of a programme period, possibly with one province's figures laid over."""

    code: str
    name: str
    first_year: int
    last_year: int
    #: registrations fall under it from this day (None: from the beginning) to `valid_to` included
    valid_from: dt.date | None
    valid_to: dt.date | None
    basis: Sourced[str]
    offers: tuple[LevelOffer, ...]
    rules: Rules
    deadline_rules: tuple[DeadlineRule, ...]
    #: pilot levels a province switched on
    pilots_on: frozenset[RecognitionLevel] = frozenset()
    #: the sources of the province figures applied
    figures: tuple[str, ...] = ()

    @property
    def period(self) -> str:
        return f"{self.first_year}-{self.last_year}"

    @property
    def title(self) -> str:
        since = f", áp dụng từ ngày {_date(self.valid_from)}" if self.valid_from else ""
        return f"giai đoạn {self.period} ({self.basis.value}{since})"

    def in_force_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def covers_year(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def offer(self, level: RecognitionLevel | str) -> LevelOffer | None:
        """The level's offer, if the regime recognises it here (a pilot only where switched on)."""
        found = next((o for o in self.offers if o.level == level), None)
        if found is None or (found.pilot and found.level not in self.pilots_on):
            return None
        return found

    def levels(self) -> tuple[RecognitionLevel, ...]:
        return tuple(o.level for o in self.offers if self.offer(o.level) is not None)

    def with_figures(self, figures: Iterable[ProvinceFigures]) -> Regime:
        """This regime with a province's figures applied, in the order given."""
        regime = self
        for figure in figures:
            if figure.regime != self.code:
                raise ValueError(f"số liệu của tỉnh cho giai đoạn {figure.regime}, không phải {self.code}")
            regime = replace(
                regime,
                rules=figure.apply(regime.rules),
                pilots_on=regime.pilots_on | frozenset(figure.pilots),
                figures=(*regime.figures, figure.source),
            )
        return regime

    def accepts(self, criteria_set: SetTerms, level: RecognitionLevel, year: int, today: dt.date) -> bool:
        return not self.set_refusals(criteria_set, level, year, today)

    def set_refusals(self, criteria_set: SetTerms, level: RecognitionLevel, year: int, today: dt.date) -> list[str]:
        """Why `criteria_set` cannot be the yardstick of a dossier of `level` for `year` registered today."""
        missing = []
        label = f"bộ tiêu chí {criteria_set.label}"
        if level.value not in criteria_set.levels:
            missing.append(f"{label} không áp dụng cho «{RECOGNITION_LEVEL_LABELS[level]}»")
        if not (self.first_year <= criteria_set.period_start and criteria_set.period_end <= self.last_year):
            missing.append(f"{label} thuộc giai đoạn {criteria_set.period}, không dùng được trong {self.title}")
        elif not criteria_set.period_start <= year <= criteria_set.period_end:
            missing.append(f"{label} áp dụng cho các năm {criteria_set.period}, không cho năm {year}")
        if criteria_set.effective_from is not None and today < criteria_set.effective_from:
            since = _date(criteria_set.effective_from)
            missing.append(f"{label} có hiệu lực từ ngày {since}, chưa áp dụng vào ngày {_date(today)}")
        return missing

    def registration_refusals(
        self,
        level: RecognitionLevel,
        year: int,
        criteria_set: SetTerms,
        today: dt.date,
        *,
        commune_group: str | None = None,
        grouped_unit: bool = False,
    ) -> list[str]:
        """Everything that prevents registering a dossier of `level` for `year` on `criteria_set` today,
        in Vietnamese, naming the set, its period and the dates. `grouped_unit`: the applicant is a
        commune, whose group (nhom-1/2/3) decides its thresholds where the set distinguishes groups."""
        missing = []
        if self.offer(level) is None:
            pilot = next((o for o in self.offers if o.level == level and o.pilot), None)
            if pilot is not None:
                missing.append(
                    f"«{RECOGNITION_LEVEL_LABELS[level]}» là cấp thí điểm của {self.title}: tỉnh chưa đăng ký thí điểm"
                )
            else:
                offered = join_vi(f"«{RECOGNITION_LEVEL_LABELS[lv]}»" for lv in self.levels())
                missing.append(
                    f"{self.title} không xét công nhận «{RECOGNITION_LEVEL_LABELS[level]}» (chỉ xét {offered})"
                )
        if not self.covers_year(year):
            missing.append(f"năm {year} không thuộc {self.title}, đang áp dụng vào ngày {_date(today)}")
        missing.extend(self.set_refusals(criteria_set, level, year, today))
        if grouped_unit and criteria_set.commune_groups:
            groups = "/".join(criteria_set.commune_groups)
            if commune_group is None:
                missing.append(
                    f"xã chưa được xếp nhóm ({groups}) theo bộ tiêu chí {criteria_set.label}: ngưỡng các chỉ tiêu "
                    "tùy theo nhóm xã"
                )
            elif commune_group not in criteria_set.commune_groups:
                missing.append(f"nhóm xã «{commune_group}» không có trong bộ tiêu chí {criteria_set.label} ({groups})")
        return missing

    def offer_order(self, criteria_set: SetTerms) -> tuple[int, int, str]:
        """Sort key for the sets offered at registration: the regime's own national sets first, in the order
        it names them; then the other sets of its period (a province's); then the rest."""
        named = [code for offer in self.offers for code in offer.criteria_sets]
        in_period = self.first_year <= criteria_set.period_start and criteria_set.period_end <= self.last_year
        rank = named.index(criteria_set.code) if criteria_set.code in named else len(named)
        return (0 if in_period else 1, rank, criteria_set.code)


REGIME_2021_2025 = Regime(
    code="2021-2025",
    name="Chương trình MTQG xây dựng nông thôn mới giai đoạn 2021-2025",
    first_year=2021,
    last_year=2025,
    valid_from=None,
    valid_to=dt.date(2026, 2, 14),
    basis=Sourced(
        "QĐ 318, 319, 320/QĐ-TTg ngày 08/3/2022, QĐ 18/2022/QĐ-TTg",
        "shared/reference/criteria.md §1-§6, procedure.md §3",
        Confidence.VERIFIED,
    ),
    offers=(
        LevelOffer(RecognitionLevel.COMMUNE_NTM, ("xa-ntm-2021",)),
        LevelOffer(RecognitionLevel.COMMUNE_ADVANCED, ("xa-ntm-nang-cao-2021",)),
        LevelOffer(RecognitionLevel.COMMUNE_MODEL, ("xa-ntm-kieu-mau-2021",)),
        LevelOffer(RecognitionLevel.HAMLET_NTM),
        LevelOffer(RecognitionLevel.HAMLET_MODEL),
        LevelOffer(RecognitionLevel.DISTRICT_NTM, ("huyen-ntm-2021",)),
        LevelOffer(RecognitionLevel.DISTRICT_ADVANCED, ("huyen-ntm-nang-cao-2021",)),
        LevelOffer(RecognitionLevel.TOWN_CIVILIZED, ("thi-tran-van-minh-2022",)),
        LevelOffer(RecognitionLevel.DISTRICT_TOWN_COMPLETED, ("tx-tp-hoan-thanh-ntm-2021",)),
    ),
    rules=RULES_2021_2025,
    deadline_rules=DEADLINE_RULES,
)

REGIME_2026_2030 = Regime(
    code="2026-2030",
    name="Chương trình MTQG xây dựng nông thôn mới giai đoạn 2026-2030",
    first_year=2026,
    last_year=2030,
    valid_from=dt.date(2026, 2, 15),
    valid_to=None,
    basis=Sourced(
        "QĐ 51/2025/QĐ-TTg",
        "shared/reference/criteria.md §8: một bộ tiêu chí xã (10 tiêu chí, 47 chỉ tiêu, 3 nhóm xã), hiệu lực "
        "15/02/2026; không có bộ xã nâng cao, kiểu mẫu riêng; Phụ lục II: thí điểm xã NTM hiện đại",
        Confidence.VERIFIED,
    ),
    offers=(
        LevelOffer(RecognitionLevel.COMMUNE_NTM, ("xa-ntm-2026",)),
        LevelOffer(RecognitionLevel.COMMUNE_MODERN, ("xa-ntm-hien-dai-2026",), pilot=True),
        LevelOffer(RecognitionLevel.HAMLET_NTM),
        LevelOffer(RecognitionLevel.HAMLET_MODEL),
    ),
    rules=RULES_2026_2030,
    deadline_rules=DEADLINE_RULES_2026_2030,
)

#: every national regime, oldest first
REGIMES: tuple[Regime, ...] = (REGIME_2021_2025, REGIME_2026_2030)


class UnknownRegime(KeyError):  # noqa: N818 - reads as a domain fact, like UnknownProcedure
    """No regime has this code."""


def regime_for(day: dt.date) -> Regime:
    """The national regime registrations fall under on `day` (Vietnam date)."""
    for regime in REGIMES:
        if regime.in_force_on(day):
            return regime
    return REGIMES[-1]


def regime_for_year(year: int) -> Regime:
    """The national regime whose period holds `year` (the last one for years after it)."""
    for regime in REGIMES:
        if regime.covers_year(year):
            return regime
    return REGIMES[0] if year < REGIMES[0].first_year else REGIMES[-1]


def regime_named(code: str) -> Regime:
    for regime in REGIMES:
        if regime.code == code:
            return regime
    raise UnknownRegime(f"không có giai đoạn «{code}»; có: {', '.join(r.code for r in REGIMES)}")
