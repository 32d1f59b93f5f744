"""`ntm criteria load | load-builtin | list | show`."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.criteria_loader import builtin_criteria_files
from dossiers.models import CriteriaSet, Indicator

COMMUNE_NTM_LIST = """\
xa-ntm-2021 v1 — Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2021-2025
  Căn cứ: QĐ 318/QĐ-TTg ngày 08/3/2022, Phụ lục I · giai đoạn 2021-2025
  Áp dụng: commune-ntm (Xã đạt chuẩn nông thôn mới)
  19 tiêu chí, 59 chỉ tiêu
  1. Quy hoạch: 1.1, 1.2
  2. Giao thông: 2.1, 2.2, 2.3, 2.4
  3. Thủy lợi và phòng, chống thiên tai: 3.1, 3.2
  4. Điện: 4.1, 4.2
  5. Trường học: 5
  6. Cơ sở vật chất văn hóa: 6.1, 6.2, 6.3
  7. Cơ sở hạ tầng thương mại nông thôn: 7
  8. Thông tin và Truyền thông: 8.1, 8.2, 8.3, 8.4
  9. Nhà ở dân cư: 9.1, 9.2
  10. Thu nhập [then chốt]: 10
  11. Nghèo đa chiều: 11
  12. Lao động: 12.1, 12.2, 12.3
  13. Tổ chức sản xuất và phát triển kinh tế nông thôn: 13.1, 13.2, 13.3, 13.4, 13.5
  14. Giáo dục và Đào tạo: 14.1, 14.2, 14.3
  15. Y tế: 15.1, 15.2, 15.3, 15.4
  16. Văn hóa: 16
{criterion_17}
  18. Hệ thống chính trị và tiếp cận pháp luật: 18.1, 18.2, 18.3, 18.4, 18.5, 18.6
  19. Quốc phòng và An ninh [then chốt]: 19.1, 19.2
""".format(
    criterion_17="  17. Môi trường và an toàn thực phẩm [then chốt]: " + ", ".join(f"17.{n}" for n in range(1, 13))
)

SMALL_SET = """\
code: thu-nghiem
version: 1
name: "Bộ thử nghiệm"
levels: [hamlet-ntm]
legal_source: "QĐ thử"
period: {start: 2021, end: 2025}
confidence: low
criteria:
  - number: 1
    name: "Giao thông"
    confidence: low
    indicators:
      - code: "1"
        name: "Đường thôn"
        measure: yes_no
        confidence: low
        reconstructed: true
"""


def _counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(CriteriaSet)) or 0,
        session.scalar(select(func.count()).select_from(Indicator)) or 0,
    )


def test_load_builtin_then_again_changes_nothing(runner: FlaskCliRunner, session: Session) -> None:
    first = runner.invoke(args=["criteria", "load-builtin"])
    assert first.exit_code == 0, first.output
    assert first.output.count("Đã nạp ") == len(builtin_criteria_files())
    assert "Đã nạp xa-ntm-2021 v1 (19 tiêu chí, 59 chỉ tiêu)" in first.output
    loaded = _counts(session)

    second = runner.invoke(args=["criteria", "load-builtin"])
    assert second.exit_code == 0, second.output
    assert second.output.count("Không đổi: ") == len(builtin_criteria_files())
    assert _counts(session) == loaded


def test_list_shows_the_commune_ntm_set_with_every_indicator_code(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["criteria", "load-builtin"]).exit_code == 0

    result = runner.invoke(args=["criteria", "list", "--set", "xa-ntm-2021"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines(keepends=True)
    assert "".join(line for line in lines if not line.startswith("     ")) == COMMUNE_NTM_LIST
    # under each criterion, each indicator with its measure and thresholds with their source
    assert "     17.2 · Tỷ lệ (%) · ngưỡng: 100% · nguồn: " in result.output
    assert "     1.1 · Có/Không · ngưỡng: Đạt · nguồn: " in result.output
    assert sum(1 for line in lines if line.startswith("     ")) == 59


def test_list_shows_the_thresholds_the_seeds_give_with_their_source_and_year(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["criteria", "load-builtin"]).exit_code == 0

    result = runner.invoke(args=["criteria", "list", "--set", "xa-ntm-nang-cao-2021"])

    assert result.exit_code == 0, result.output
    online = next(line for line in result.output.splitlines() if line.startswith("     15.1 "))
    assert online.startswith("     15.1 · Tỷ lệ (%) · ngưỡng: năm 2024: ≥ 75% · nguồn: Seed 000 (Kế hoạch NTM nâng cao")
    assert online.endswith("tin cậy thấp")
    water = next(line for line in result.output.splitlines() if line.startswith("     18.1 "))
    assert "ngưỡng: DBSH: ≥ 65% · nguồn: Seed 000" in water
    unknown = next(line for line in result.output.splitlines() if line.startswith("     17.9 "))
    assert unknown == "     17.9 · Có/Không · ngưỡng: chưa có — xã tự đánh giá, phòng phụ trách thẩm tra"


def test_list_without_filter_shows_every_set_and_filters_by_version(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["criteria", "load-builtin"]).exit_code == 0

    everything = runner.invoke(args=["criteria", "list"])
    assert everything.exit_code == 0
    headers = [line.split(" — ")[0] for line in everything.output.splitlines() if " v1 — " in line]
    assert headers == sorted(f"{path.stem} v1" for path in builtin_criteria_files())
    assert "  18. Chất lượng môi trường sống [then chốt]: 18.1, 18.2, 18.3, 18.4, 18.5, 18.6, 18.7, 18.8" in (
        everything.output
    )

    missing = runner.invoke(args=["criteria", "list", "--set", "xa-ntm-2021", "--version", "2"])
    assert missing.exit_code == 1
    assert "Chưa có bộ tiêu chí nào khớp" in missing.output


def test_load_a_file_then_show_it(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "thu-nghiem.yaml"
    path.write_text(SMALL_SET, encoding="utf-8")

    loaded = runner.invoke(args=["criteria", "load", str(path)])
    shown = runner.invoke(args=["criteria", "show", "thu-nghiem"])

    assert loaded.exit_code == 0, loaded.output
    assert loaded.output == f"Đã nạp thu-nghiem v1 (1 tiêu chí, 1 chỉ tiêu) từ {path}\n"
    assert shown.exit_code == 0, shown.output
    assert "1. Giao thông — tin cậy thấp" in shown.output
    assert "đo: Có/Không · ngưỡng: chưa có · tin cậy thấp, tái dựng" in shown.output
    assert runner.invoke(args=["criteria", "show", "khong-co"]).exit_code == 1


def test_malformed_file_exits_1_names_file_line_key_and_loads_nothing(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(SMALL_SET, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        SMALL_SET.replace("code: thu-nghiem", "code: thu-nghiem-2").replace('"1"', '"2.1"'), encoding="utf-8"
    )
    before = _counts(session)

    result = runner.invoke(args=["criteria", "load", str(good), str(bad)])

    assert result.exit_code == 1
    assert "Không nạp tệp nào (đã hoàn tác)" in result.output
    assert f"{bad}:13:9: criteria[0].indicators[0].code: indicator '2.1' is not under criterion 1" in result.output
    assert _counts(session) == before


def test_list_shows_the_town_and_district_town_sets_marked_by_confidence(runner: FlaskCliRunner) -> None:
    """Issue 10 §3: thị trấn đô thị văn minh (seed 000: QĐ 04/2022/QĐ-TTg) and thị xã, thành phố hoàn thành nhiệm
    vụ xây dựng NTM (seed 003: QĐ 320/QĐ-TTg), each indicator a reconstruction marked low."""
    assert runner.invoke(args=["criteria", "load-builtin"]).exit_code == 0

    town = runner.invoke(args=["criteria", "list", "--set", "thi-tran-van-minh-2022"])
    assert town.exit_code == 0, town.output
    assert "Căn cứ: QĐ 04/2022/QĐ-TTg ngày 18/02/2022" in town.output
    assert "Áp dụng: town-civilized (Thị trấn đạt chuẩn đô thị văn minh)" in town.output
    for name in (
        "Quy hoạch đô thị",
        "Giao thông đô thị",
        "Môi trường và an toàn thực phẩm đô thị",
        "Thông tin truyền thông đô thị",
        "Văn hóa thể thao đô thị",
    ):
        assert f". {name}: " in town.output
    indicators = [line for line in town.output.splitlines() if line.startswith("     ")]
    assert len(indicators) == 5 and all(line.endswith("tin cậy thấp") for line in indicators)

    district_town = runner.invoke(args=["criteria", "list", "--set", "tx-tp-hoan-thanh-ntm-2021"])
    assert district_town.exit_code == 0, district_town.output
    assert (
        "Áp dụng: district-town-completed (Thị xã, thành phố thuộc tỉnh hoàn thành nhiệm vụ xây dựng nông thôn mới)"
        in district_town.output
    )
    assert "  9 tiêu chí, 9 chỉ tiêu" in district_town.output
    indicators = [line for line in district_town.output.splitlines() if line.startswith("     ")]
    assert len(indicators) == 9 and all(line.endswith("tin cậy thấp") for line in indicators)
