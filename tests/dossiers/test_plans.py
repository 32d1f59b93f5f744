"""Plans: the seed-004 plan of huyện Thạch An for 2025 as the demo loads it, checked against the seed's own
text, and the status of each target computed from the demo's dossiers — in June 2025 (during the year,
before the reorganisation), in late September 2025 (the 20/9 submission date passed), and in November 2026
(the year is over and the communes merged)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.demo import DemoData
from dossiers.models import Plan, PlanTarget, Recognition, TargetKind
from dossiers.planning.plans import (
    PlanRejected,
    TargetStatus,
    builtin_plan_files,
    commune_criteria_set,
    load_plan_path,
    parse_plan,
    plan_progress,
    save_plan,
)
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, TODAY_AT

SEED = Path(__file__).resolve().parents[1] / "data" / "seed-004-thach-an-2025.txt"
#: 16/6/2025 09:00 in Vietnam is ACTING_AT; five days after the 20/9 submission date
AFTER_SUBMISSION_DATE = dt.datetime(2025, 9, 25, 2, 0, tzinfo=dt.UTC)


def seed_text() -> str:
    """The seed's text on one line (its PDF line breaks and spaces are not meaningful)."""
    return " ".join(SEED.read_text(encoding="utf-8").split())


def vn_number(text: str) -> Decimal:
    """ "80.178,119" → 80178.119."""
    return Decimal(text.replace(".", "").replace(",", "."))


def names(listed: str) -> list[str]:
    """ "xã Đức Xuân; xã Lê Lợi, xã Vân Trình" → ["Đức Xuân", "Lê Lợi", "Vân Trình"]."""
    return [re.sub(r"^xã\s+", "", part.strip()) for part in re.split(r"[;,]", listed) if part.strip()]


def the_plan(session: Session) -> Plan:
    return session.scalars(select(Plan).where(Plan.year == 2025)).one()


def targets(plan: Plan, kind: TargetKind, **where: object) -> list[PlanTarget]:
    return [t for t in plan.targets if t.kind == kind and all(getattr(t, k) == v for k, v in where.items())]


def test_the_demo_plan_holds_the_seeds_numbers_and_names(session: Session, demo: DemoData) -> None:
    text = seed_text()
    plan = the_plan(session)
    assert plan.unit_id == demo.district.id and plan.year == 2025
    # the communes to reach NTM in 2025, as the seed lists them
    listed = re.search(r"năm 2025 có 03 xã đạt chuẩn nông thôn mới: (.+?)\. ", text)
    assert listed is not None
    ntm = names(listed.group(1))
    assert ntm == ["Đức Xuân", "Lê Lợi", "Vân Trình"]
    assert [t.unit.name for t in targets(plan, TargetKind.LEVEL, level="commune-ntm")] == ntm
    # 20 hamlets NTM, split per commune; 02 hamlets kiểu mẫu
    hamlets = re.search(
        r"Phấn đấu có (\d+) xóm đạt chuẩn nông thôn mới "
        r"\(Cụ thể giao chỉ tiêu cho các xã: (.+?)\)",
        text,
    )
    assert hamlets is not None
    split = {m.group(1): int(m.group(2)) for m in re.finditer(r"xã ([^:;]+): (\d+) xóm", hamlets.group(2))}
    assert split == {"Đức Xuân": 5, "Vân Trình": 9, "Lê Lợi": 6}
    assert {t.unit.name: t.quantity for t in targets(plan, TargetKind.HAMLETS_NTM)} == split
    assert sum(t.quantity or 0 for t in targets(plan, TargetKind.HAMLETS_NTM)) == int(hamlets.group(1)) == 20
    model = re.search(r"Phấn đấu có (\d+) xóm nông thôn mới kiểu mẫu", text)
    assert model is not None and int(model.group(1)) == 2
    assert {t.unit.name for t in targets(plan, TargetKind.HAMLETS_MODEL)} == {"Lê Lai", "Đức Long"}
    assert sum(t.quantity or 0 for t in targets(plan, TargetKind.HAMLETS_MODEL)) == 2
    # Canh Tân to reach criterion 2 (Giao thông); 11 communes to reach criterion 9 (Nhà ở dân cư)
    transport = re.search(r"thêm 01 xã đạt tiêu chí giao thông \(Cụ thể chỉ tiêu giao cho xã: (.+?)\)", text)
    assert transport is not None
    assert [t.unit.name for t in targets(plan, TargetKind.CRITERION, criterion_number=2)] == names(transport.group(1))
    housing = re.search(r"thêm (\d+) xã đạt tiêu chí số 9 nhà ở dân cư \(Cụ thể chỉ tiêu giao cho xã: (.+?)\)", text)
    assert housing is not None
    housing_names = names(housing.group(2))
    assert len(housing_names) == int(housing.group(1)) == 11
    assert [t.unit.name for t in targets(plan, TargetKind.CRITERION, criterion_number=9)] == housing_names
    criteria_set = commune_criteria_set(session, 2025)
    assert criteria_set is not None
    by_number = {c.number: c.name for c in criteria_set.criteria}
    assert by_number[2] == "Giao thông" and by_number[9] == "Nhà ở dân cư"
    # average 15,1 criteria per commune; no commune under 15 by the end of 2025
    average = re.search(r"Bình quân tiêu chí nông thôn mới đạt (\d+,\d) tiêu chí/xã", text)
    floor = re.search(r"đến cuối năm 2025 không còn xã dưới (\d+) tiêu chí", text)
    assert average is not None and floor is not None
    assert plan.average_criteria == vn_number(average.group(1)) == Decimal("15.1")
    assert plan.minimum_criteria == int(floor.group(1)) == 15
    # resources, in million VND, with the seed's breakdown
    total = re.search(r"Tổng nguồn lực huy động .+? là: ([\d.,]+) triệu đồng", text)
    central = re.search(r"Ngân sách trung ương: ([\d.,]+) triệu đồng", text)
    direct = re.search(r"nông thôn mới là ([\d.,]+) triệu đồng", text)
    integrated = re.search(r"giảm nghèo bền vững là ([\d.,]+) triệu đồng", text)
    local = re.search(r"Ngân sách địa phương: ([\d.,]+) triệu đồng", text)
    assert total and central and direct and integrated and local
    assert plan.resources_total == vn_number(total.group(1)) == Decimal("80178.119")
    assert plan.central_budget == vn_number(central.group(1))
    assert plan.central_direct == vn_number(direct.group(1))
    assert plan.integrated_funds == vn_number(integrated.group(1).rstrip("."))
    assert plan.local_budget == vn_number(local.group(1))
    assert plan.central_budget + plan.local_budget == plan.resources_total
    # the seed's text has lost its header: no number or date is made up
    assert "/KH-UBND ngày" not in text.split("KẾ HOẠCH")[0]
    assert plan.number is None and plan.issued_on is None
    assert plan.reference == "(chưa rõ số, ngày ban hành)"
    assert plan.confidence == "verified" and "Seed 004" in plan.source


def test_the_shipped_plan_file_is_the_seed_copy_in_tests(session: Session, demo: DemoData) -> None:
    """tests/data holds the seed text the test above reads; the plan file is the one the demo loads."""
    assert [p.name for p in builtin_plan_files()] == ["thach-an-2025.yaml"]
    shared = sorted((Path(__file__).resolve().parents[3] / "shared" / "seeds").glob("004_*.txt"))
    if shared:  # the project's ground truth, next to the checkout; the copy in tests/data must be it
        assert shared[0].read_text(encoding="utf-8") == SEED.read_text(encoding="utf-8")


def test_loading_the_same_file_again_changes_nothing(session: Session, demo: DemoData) -> None:
    plan = the_plan(session)
    ids = [t.id for t in plan.targets]
    again = load_plan_path(session, builtin_plan_files()[0], ACTING_AT)
    assert again.id == plan.id and [t.id for t in again.targets] == ids


def statuses(session: Session, now: dt.datetime) -> dict[tuple[str, str], TargetStatus]:
    progress = plan_progress(session, the_plan(session), now)
    return {(row.group, row.unit_name): row.status for row in progress.rows}


HOUSING = "Tiêu chí số 9 — Nhà ở dân cư"
NTM = "Xã đạt chuẩn nông thôn mới"


def test_statuses_in_june_2025(session: Session, demo_world: DemoWorld) -> None:
    """Đức Xuân's dossier is under appraisal (submitted), Lê Lợi's in consultation and Vân Trình's in
    self-assessment: before 20/9 all three are on track. The communes without a dossier have no evidence
    for their criterion targets: at risk. No hamlet has a dossier: at risk."""
    found = statuses(session, ACTING_AT)
    assert {name: found[(NTM, name)] for name in ("Đức Xuân", "Lê Lợi", "Vân Trình")} == dict.fromkeys(
        ("Đức Xuân", "Lê Lợi", "Vân Trình"), TargetStatus.ON_TRACK
    )
    # criterion 9 is assessed met in the three dossiers (the demo assesses Vân Trình's first half)
    assert found[(HOUSING, "Đức Xuân")] == TargetStatus.ON_TRACK
    assert found[(HOUSING, "Lê Lợi")] == TargetStatus.ON_TRACK
    for name in ("Thụy Hùng", "Trọng Con", "Thái Cường", "Kim Đồng", "Đức Thông", "Canh Tân", "Minh Khai"):
        assert found[(HOUSING, name)] == TargetStatus.AT_RISK, name
    assert found[("Tiêu chí số 2 — Giao thông", "Canh Tân")] == TargetStatus.AT_RISK
    assert found[("Xóm đạt chuẩn nông thôn mới", "Vân Trình")] == TargetStatus.AT_RISK
    assert set(found.values()) <= {TargetStatus.ON_TRACK, TargetStatus.AT_RISK, TargetStatus.MET}
    progress = plan_progress(session, the_plan(session), ACTING_AT)
    assert not progress.final and progress.today == dt.date(2025, 6, 16)
    assert all(row.read_from is None for row in progress.rows)  # nothing merged yet
    average = next(row for row in progress.rows if row.asked.startswith("Bình quân"))
    # five communes have figures (three dossiers, two recognised in 2016-2020), eight have none; the town
    # of Đông Khê is not a commune of the "tiêu chí/xã" average
    assert "15,1" in average.asked and "(5/13 xã)" in average.reached
    assert "8 xã chưa có số liệu" in average.reason and "Đông Khê" not in average.reason


def test_after_the_submission_date_an_unsubmitted_dossier_is_at_risk(session: Session, demo_world: DemoWorld) -> None:
    found = statuses(session, AFTER_SUBMISSION_DATE)
    assert found[(NTM, "Đức Xuân")] == TargetStatus.ON_TRACK  # submitted in April
    assert found[(NTM, "Lê Lợi")] == TargetStatus.AT_RISK
    assert found[(NTM, "Vân Trình")] == TargetStatus.AT_RISK
    row = next(
        r for r in plan_progress(session, the_plan(session), AFTER_SUBMISSION_DATE).rows if r.unit_name == "Lê Lợi"
    )
    assert "20/09/2025" in row.reason


def test_a_recognition_of_the_year_meets_the_target(session: Session, demo_world: DemoWorld, demo: DemoData) -> None:
    le_loi = demo.communes["Lê Lợi"]
    session.add(
        Recognition(
            unit_id=le_loi.id,
            level="commune-ntm",
            year=2025,
            decision_number="99/QĐ-UBND",
            decided_on=dt.date(2025, 6, 10),
            recorded_at=ACTING_AT,
        )
    )
    session.flush()
    found = statuses(session, ACTING_AT)
    assert found[(NTM, "Lê Lợi")] == TargetStatus.MET
    assert found[(HOUSING, "Lê Lợi")] == TargetStatus.MET
    assert found[(NTM, "Vân Trình")] == TargetStatus.ON_TRACK


def test_after_the_year_and_the_mergers_targets_are_met_or_missed(session: Session, demo_today: DemoWorld) -> None:
    """16/11/2026: 2025 is over, huyện Thạch An is gone. No 2025 dossier was recognised: the three commune
    targets are missed. Criterion 9 is read from the dossiers the reorganisation moved to the merged
    communes: met where the 2025 dossier assessed it met."""
    progress = plan_progress(session, the_plan(session), TODAY_AT)
    assert progress.final
    assert {row.status for row in progress.rows} <= {TargetStatus.MET, TargetStatus.MISSED}
    by = {(row.group, row.unit_name): row for row in progress.rows}
    for name in ("Đức Xuân", "Lê Lợi", "Vân Trình"):
        assert by[(NTM, name)].status == TargetStatus.MISSED
    # Đức Xuân merged into Đông Khê, which holds its 2025 dossier
    assert by[(HOUSING, "Đức Xuân")].status == TargetStatus.MET
    assert by[(HOUSING, "Đức Xuân")].read_from == "xã Đông Khê (sau sắp xếp)"
    # Thụy Hùng had no dossier; it merged with Lê Lợi into Đức Long, whose 2025 NTM dossier is Lê Lợi's
    assert by[(HOUSING, "Thụy Hùng")].status == TargetStatus.MET
    assert by[(HOUSING, "Thụy Hùng")].read_from == "xã Đức Long (sau sắp xếp)"
    # Canh Tân (merged with Đức Thông) had no 2025 dossier anywhere
    assert by[("Tiêu chí số 2 — Giao thông", "Canh Tân")].status == TargetStatus.MISSED
    assert by[("Xóm đạt chuẩn nông thôn mới", "Đức Xuân")].status == TargetStatus.MISSED


def test_a_plan_with_bad_rows_is_rejected_whole(session: Session, demo: DemoData) -> None:
    data = {
        "unit": {"code": "053", "kind": "district", "name": "Thạch An"},
        "year": 2025,
        "source": "thử",
        "confidence": "low",
        "targets": [
            {"kind": "level", "level": "commune-ntm", "units": ["Đức Xuân", "Không Có"]},
            {"kind": "criterion", "units": ["Canh Tân"]},
            {"kind": "hamlets-ntm", "unit": "Lê Lợi", "quantity": 0},
            {"kind": "bogus", "unit": "Lê Lai"},
        ],
    }
    with pytest.raises(PlanRejected) as caught:
        parse_plan(data)
    problems = caught.value.problems
    assert any("targets[2]" in p and "thiếu số tiêu chí" in p for p in problems)
    assert any("targets[3]" in p and "số lượng" in p for p in problems)
    assert any("targets[4]" in p and "bogus" in p for p in problems)
    # the unit is checked against the database when saving: nothing saved when one is unknown
    del data["targets"][1:]  # type: ignore[attr-defined]
    spec = parse_plan(data)
    before = [t.id for t in the_plan(session).targets]
    with pytest.raises(PlanRejected) as unknown:
        save_plan(session, spec, ACTING_AT)
    assert unknown.value.problems == ("targets[1]: không có xã «Không Có» trong Thạch An năm 2025",)
    assert [t.id for t in the_plan(session).targets] == before
