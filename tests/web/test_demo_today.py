"""The README's account table leads somewhere today: each account has what its row promises in "Việc của
tôi", on the whole demo (2025, the 1/7/2025 reorganisation replayed, the 2026 cycle)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.demo_database import DemoWorld
from tests.web.workspace_demo import TODAY_AT, sign_in

#: username → {dossier key (demo_today.dossiers): an action the page offers}; None: nothing to act on
TODAY = {
    "xa2025.canhtan": {"Canh Tân 2026": "Hoàn thành tự đánh giá"},
    "dieuphoi.caobang": {"Kim Đồng 2026": "Xác nhận đăng ký"},
    "so.so-nn-mt": {"Đức Xuân": "Thẩm tra đạt các chỉ tiêu được phân công"},
    "so.so-yt": {"Đức Xuân": "Thẩm tra đạt các chỉ tiêu được phân công"},
    # Hội LHPN co-appraises 17.8 (seed 004 mục VI.16): the district union had not answered by 1/7/2025
    "hoilhpn.caobang": {"Đức Xuân": "Thẩm tra đạt các chỉ tiêu được phân công"},
    "xa2025.duclong": {"Lê Lợi": "Nộp hồ sơ đề nghị thẩm tra", "Đức Long": "Nộp lại hồ sơ đã bổ sung"},
    "mttq2025.duclong": {"Lê Lợi": "Ghi kết quả lấy ý kiến sự hài lòng"},
    "xa2025.thachan": {"Vân Trình": "Hoàn thành tự đánh giá"},
    "chutich.caobang": {"Lê Lai": "Quyết định công nhận"},
    "xa.lelai": None,
    "phong.nn-ptnt": None,
    "dieuphoi.thachan": None,
}


@pytest.mark.parametrize("username", sorted(TODAY))
def test_each_readme_account_has_something_to_do_today(
    app: Flask, client: FlaskClient, demo_today: DemoWorld, username: str
) -> None:
    app.config["NTM_CLOCK"] = lambda: TODAY_AT
    sign_in(client, username)
    page = client.get("/viec-cua-toi").get_data(as_text=True)
    act = page.split('id="can-xu-ly"')[1].split("<h2")[0]
    expected = TODAY[username]
    if expected is None:
        assert "Không có hồ sơ nào cần bạn xử lý lúc này." in act
        return
    for key, label in expected.items():
        row = re.search(rf'href="/ho-so/{demo_today.dossiers[key]}".*?</tr>', act, re.S)
        assert row, (key, act)
        assert f"<li>{label}</li>" in row.group(0)


def test_the_readme_lists_those_accounts() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("What each can do today:")[1].split("\n\n")[1]
    for username in TODAY:
        assert f"`{username}`" in table, username
