"""End to end in a real browser: headless Chromium (Debian's `chromium`, driven by Playwright) carries one
commune NTM dossier from registration to recognition through the pages alone, signing in as every role
it needs, with one return by a department and the commune's resubmission.

The app runs in a thread with a real HTTP server on a free port, against a SQLite file of its own with
the demo loaded (CSRF on, as in production). Each workspace is photographed at desktop width and at
375 px (`test-artifacts/`), and a page wider than its viewport fails the test. The run counts the
workflow requests (form posts) it needed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from dossiers.db import Base, make_engine
from dossiers.demo import DEMO_PASSWORD
from dossiers.models import (
    CriteriaSet,
    Department,
    Dossier,
    RoleAssignment,
    Unit,
    User,
)
from dossiers.settings import Settings
from tests.demo_database import load_demo_database
from web import create_app
from workflow.measures import value_meeting
from workflow.vocabulary import Role, UnitKind

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: a day while the district tier still existed (the demo's communes of huyện Thạch An), 09:00 in Vietnam
START = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
#: the workflow routes: every form post that changes a dossier
WORKFLOW_POST = re.compile(r"/(ho-so/\d+/[^/?#]+(/bang)?|tham-tra|don-vi/\d+/dang-ky)$")

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)
if os.environ.get("NTM_TEST_DATABASE_URL", "").startswith("postgresql"):
    # the run uses a SQLite file of its own whatever the suite's database: the SQLite pass has run it already
    pytest.skip("the browser run is the same on every pass: it runs on the SQLite pass", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@dataclasses.dataclass
class Clock:
    """The time the app acts at: moved forward by the test between steps."""

    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now


@dataclasses.dataclass
class Server:
    url: str
    database_url: str
    clock: Clock


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{folder / 'ntm.sqlite3'}"
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    load_demo_database(engine, with_dossiers=True)
    engine.dispose()
    settings = Settings(
        instance_path=folder / "instance",
        database_url=database_url,
        secret_key="browser-test-" + "x" * 40,
        login_limit_account="1000 per minute",
        login_limit_address="1000 per minute",
    )
    clock = Clock()
    app = create_app(settings, NTM_CLOCK=clock)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{http.server_port}", database_url, clock)
    finally:
        http.shutdown()
        thread.join(timeout=10)
        app.extensions["ntm_database"].engine.dispose()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


class Run:
    """One person at a time in a desktop browser, plus a phone-sized one for the photographs."""

    def __init__(self, browser: Any, server: Server) -> None:
        self.server = server
        self.desktop = browser.new_context(viewport=DESKTOP, locale="vi-VN")
        self.phone = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
        self.page = self.desktop.new_page()
        self.phone_page = self.phone.new_page()
        self.posts: list[str] = []
        self.narrow: list[str] = []
        self.username = ""
        self.phone_user = ""
        self.photo_seconds = 0.0
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.page.on("request", self._count)
        ARTIFACTS.mkdir(exist_ok=True)

    def _count(self, request: Any) -> None:
        path = request.url.removeprefix(self.server.url).split("#")[0]
        if request.method == "POST" and WORKFLOW_POST.search(path):
            self.posts.append(path)

    def sign_in(self, username: str) -> None:
        self.username = username
        self._sign_in(self.page, username)

    def _sign_in(self, page: Any, username: str) -> None:
        page.context.clear_cookies()
        page.goto(f"{self.server.url}/dang-nhap")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("#form-login button[type=submit]")
        # everyone lands on their work
        assert page.url.endswith("/viec-cua-toi"), page.url
        assert page.locator("h1").inner_text() == "Việc của tôi"

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.server.url}{path}")
        self.check_width(self.page, path)

    def check_width(self, page: Any, what: str) -> None:
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            self.narrow.append(f"{what}: {width[0]} px in a {width[1]} px viewport")

    def photograph(self, name: str) -> None:
        started = time.perf_counter()
        self._photograph(name)
        self.photo_seconds += time.perf_counter() - started

    def _photograph(self, name: str) -> None:
        """The page the desktop browser shows, at desktop width and at 375 px; both checked for width."""
        path = self.page.url.removeprefix(self.server.url)
        self.check_width(self.page, path)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.jpg"), full_page=True, quality=70)
        if self.phone_user != self.username:
            self._sign_in(self.phone_page, self.username)
            self.phone_user = self.username
        self.phone_page.goto(self.page.url.split("#")[0])
        self.check_width(self.phone_page, f"{path} (375 px)")
        self.phone_page.screenshot(path=str(ARTIFACTS / f"{name}-375.jpg"), full_page=True, quality=70)

    def submit(self, form: str, button: str = "button[type=submit]") -> None:
        with self.page.expect_navigation():
            self.page.click(f"#{form} {button}")
        alert = self.page.locator("#loi")
        assert alert.count() == 0, alert.inner_text()
        assert self.page.locator(".flash.success").count() == 1, self.page.url

    def save_criterion(self, form_id: str) -> None:
        """A criterion's form is saved in place (one request, no reload): its section comes back with the
        result, the keyboard focus on its heading, and the page stays where it was."""
        number = form_id.removeprefix("form-criterion-")
        address = self.page.url
        self.page.click(f"#{form_id} button[type=submit]")
        self.page.wait_for_selector(f"#tieu-chi-{number} .flash.success")
        assert self.page.url == address
        focused = self.page.evaluate("() => document.activeElement && document.activeElement.id")
        assert focused == f"tieu-de-tieu-chi-{number}"
        assert self.page.locator("#loi").count() == 0

    def state(self) -> str:
        return str(self.page.locator(".state").first.inner_text())


def _db(server: Server) -> Session:
    return Session(make_engine(server.database_url))


def _people(session: Session) -> dict[str, Any]:
    """Who plays each role, found by role rather than by name: a commune of the district without a dossier,
    its officer and Front officer, the district's coordinator and department officers."""
    district = session.scalars(select(Unit).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.id)).first()
    assert district is not None
    with_dossier = set(session.scalars(select(Dossier.unit_id)))
    commune = next(
        unit
        for unit in session.scalars(select(Unit).where(Unit.parent_id == district.id).order_by(Unit.id))
        if unit.kind == UnitKind.COMMUNE and unit.id not in with_dossier
    )

    def holder(role: Role, unit_id: int) -> str:
        found = session.scalars(
            select(User.username)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == role, RoleAssignment.unit_id == unit_id)
            .order_by(User.id)
        ).first()
        assert found is not None, (role, unit_id)
        return found

    departments = session.scalars(
        select(User.username)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(Department, Department.id == RoleAssignment.department_id)
        .where(RoleAssignment.role == Role.DEPARTMENT_OFFICER, Department.unit_id == district.id)
        .order_by(User.id)
    ).all()
    criteria_set = session.scalars(select(CriteriaSet).where(CriteriaSet.code == "xa-ntm-2021")).first()
    assert criteria_set is not None
    # what the commune types for each indicator: a value in its measure's type that reaches its threshold
    # (as the demo's communes do: `dossiers.demo_dossiers`)
    values = {
        indicator.code: value_meeting(
            indicator.measure,
            indicator.threshold_for(commune.region, commune.commune_group, 2025),
            indicator.answers or (),
        )
        or ""  # no threshold known in a number: the commune's judgement alone
        for criterion in criteria_set.criteria
        for indicator in criterion.indicators
    }
    assert criteria_set is not None
    return {
        "commune": commune,
        "officer": holder(Role.UNIT_OFFICER, commune.id),
        "front": holder(Role.FRONT_OFFICER, commune.id),
        "coordinator": holder(Role.COORDINATOR, district.id),
        "departments": list(dict.fromkeys(departments)),
        "criteria_set": criteria_set.id,
        "values": values,
        "holder": holder,
    }


def test_one_commune_dossier_from_registration_to_recognition(browser: Any, server: Server) -> None:
    run = Run(browser, server)
    with _db(server) as session:
        people = _people(session)
    commune: Unit = people["commune"]

    # --- the commune registers its dossier from its unit page
    run.sign_in(people["officer"])
    run.photograph("xa-viec-cua-toi")
    run.goto(f"/don-vi/{commune.id}")
    run.page.select_option("#form-register select[name=criteria_set]", str(people["criteria_set"]))
    run.page.fill("#form-register input[name=year]", "2025")
    run.submit("form-register")
    dossier_id = int(run.page.url.rsplit("/", 1)[1].split("#")[0])
    assert run.state() == "Đã đăng ký, chờ xác nhận"
    run.page.click("#quy-trinh summary")  # the diagram opens on demand
    assert run.page.locator("#so-do-quy-trinh li[aria-current=step]").inner_text().startswith("Đã đăng ký")

    # --- the coordinator confirms it from "Việc của tôi"
    run.sign_in(people["coordinator"])
    run.photograph("dieu-phoi-viec-cua-toi")
    run.page.click(f"#ho-so-can-xu-ly a[href='/ho-so/{dossier_id}']")
    run.photograph("dieu-phoi-ho-so")
    run.submit("form-confirm_registration")
    assert run.state() == "Tự đánh giá"

    # --- the commune: the self-assessment, one request per criterion, then the consultation
    run.sign_in(people["officer"])
    run.goto(f"/ho-so/{dossier_id}")
    forms = run.page.locator("form[id^=form-criterion-]")
    criteria = forms.count()
    assert criteria == 19
    for index in range(criteria):
        form = forms.nth(index)
        form_id = form.get_attribute("id")
        for select_ in form.locator("select[name^='met:']").all():
            code = (select_.get_attribute("name") or "").removeprefix("met:")
            form.locator(f"input[name='value:{code}']").fill(people["values"][code])
            select_.select_option("1")
        run.save_criterion(str(form_id))
    assert run.page.locator("#tien-do").inner_text() == "19/19 tiêu chí đạt"
    run.page.set_input_files("#form-evidence input[name=file]", files=[_pdf("bien-ban-kiem-tra-1.1.pdf")])
    run.page.select_option("#form-evidence select[name=code]", "1.1")
    run.submit("form-evidence")
    run.photograph("xa-tu-danh-gia")
    run.submit("form-finish_self_assessment")
    assert run.state() == "Lấy ý kiến, hoàn thiện hồ sơ"
    run.page.fill("#form-posting input[name=start]", "03/02/2025")
    run.page.fill("#form-posting input[name=end]", "21/02/2025")
    run.page.fill("#form-posting input[name=announcements]", "5")
    run.submit("form-posting")
    run.page.fill("#form-vote input[name=votes_total]", "35")
    run.page.fill("#form-vote input[name=votes_in_favour]", "34")
    run.submit("form-vote")

    # --- the Fatherland Front records its survey
    run.sign_in(people["front"])
    run.photograph("mttq-viec-cua-toi")
    run.goto(f"/ho-so/{dossier_id}")
    run.page.fill("#form-survey input[name=households_total]", "1200")
    run.page.fill("#form-survey input[name=households_reached]", "910")
    run.page.fill("#form-survey input[name=households_satisfied]", "868")
    run.submit("form-survey")
    run.photograph("mttq-ho-so")

    # --- the commune submits
    run.sign_in(people["officer"])
    run.goto(f"/ho-so/{dossier_id}")
    run.submit("form-submit")
    assert run.state() == "Đã nộp, đang thẩm tra"

    # --- the departments answer from their inbox; the first returns one indicator with its reason
    server.clock.now = START + dt.timedelta(days=7)
    returner, returned = _appraise(run, people, dossier_id, return_one=True, photo="phong-hop-tham-tra")
    assert returner is not None and returned is not None
    with _db(server) as session:
        assert session.get_one(Dossier, dossier_id).state == "returned"

    # --- the commune sees what was returned and why, fixes it and resubmits
    run.sign_in(people["officer"])
    run.goto(f"/ho-so/{dossier_id}")
    assert run.state() == "Trả lại để bổ sung"
    row = run.page.locator(f"tr[id='chi-tieu-{returned}']")
    assert "to-fix" in (row.get_attribute("class") or "")
    assert "Cần bổ sung: Thiếu biên bản kiểm tra thực tế" in row.inner_text()
    run.photograph("xa-tra-lai")
    form_id = row.locator("xpath=ancestor::form").get_attribute("id")
    row.locator(f"input[name='value:{returned}']").fill(people["values"][returned])
    row.locator(f"input[name='note:{returned}']").fill("Đã bổ sung biên bản kiểm tra ngày 10/3/2025")
    run.save_criterion(str(form_id))  # the other forms now carry the dossier's new version
    run.submit("form-resubmit")
    assert run.state() == "Đã nộp, đang thẩm tra"

    # --- the department that returned it approves it in its second round
    server.clock.now = START + dt.timedelta(days=10)
    _appraise(run, people, dossier_id, return_one=False, photo="phong-tham-tra-lan-2")
    with _db(server) as session:
        dossier = session.get_one(Dossier, dossier_id)
        assert dossier.state == "appraised", dossier.state
        decider = dossier.decider_unit_id
        authority = dossier.authority_unit_id

    # --- the departments in charge confirm the two conditions; the coordinator forwards
    for username in [*people["departments"], people["coordinator"]]:
        run.sign_in(username)
        run.goto(f"/ho-so/{dossier_id}")
        if run.page.locator("#form-condition").count() == 0:
            continue
        conditions = run.page.locator("#form-condition select[name=condition] option").all()
        for value in [option.get_attribute("value") or "" for option in conditions]:
            run.page.select_option("#form-condition select[name=condition]", value)
            run.page.check("#form-condition input[name=holds][value='1']")
            run.submit("form-condition")
    run.sign_in(people["coordinator"])
    run.goto(f"/ho-so/{dossier_id}")
    run.submit("form-forward")
    assert run.state() == "Đã trình xét công nhận"

    # --- the chairman recognises, with the decision's number and date, after confirming
    with _db(server) as session:
        chairman = people["holder"](Role.APPROVER, decider or authority)
    run.sign_in(chairman)
    run.photograph("chu-tich-viec-cua-toi")
    run.page.click(f"#ho-so-can-xu-ly a[href='/ho-so/{dossier_id}']")
    run.photograph("chu-tich-ho-so")
    run.page.fill("#form-recognise input[name=decision_number]", "45/QĐ-UBND")
    run.page.fill("#form-recognise input[name=decision_date]", "12/03/2025")
    run.page.check("#form-recognise input[name=confirm]")
    run.submit("form-recognise")
    assert run.state() == "Đã công nhận"
    timeline = run.page.locator("#nhat-ky").locator("xpath=following-sibling::*[1]").inner_text()
    assert "số quyết định 45/QĐ-UBND" in timeline and "ký ngày 12/03/2025" in timeline
    assert "34/35 phiếu đồng ý" in timeline
    run.photograph("ho-so-da-cong-nhan")

    assert run.narrow == [], run.narrow
    assemble = [p for p in run.posts if p.endswith("/tu-danh-gia/bang")]
    (ARTIFACTS / "workflow-posts.txt").write_text(
        f"{len(run.posts)} workflow posts, {len(assemble)} of them self-assessment (one per criterion); "
        f"photographs took {run.photo_seconds:.0f} s\n" + "\n".join(run.posts) + "\n",
        encoding="utf-8",
    )
    # 19 criteria in 19 requests; the whole run well under the 97 posts of the old pages
    assert len(assemble) == criteria + 1
    assert len(run.posts) < 60, len(run.posts)
    run.desktop.close()
    run.phone.close()


def _appraise(
    run: Run, people: dict[str, Any], dossier_id: int, *, return_one: bool, photo: str
) -> tuple[str | None, str | None]:
    """Every department with something waiting answers from its inbox: select the dossier's indicators,
    approve them; with `return_one`, the first department returns its first indicator with a reason
    first. The coordinator answers the indicators no department owns (its fallback seat)."""
    returner: str | None = None
    returned: str | None = None
    photographed = False
    for username in [*people["departments"], people["coordinator"]]:
        run.sign_in(username)
        run.goto("/tham-tra")
        section = run.page.locator(f"#ho-so-{dossier_id}")
        if section.count() == 0:
            continue
        if not photographed:
            run.photograph(photo)
            run.goto("/viec-cua-toi")
            run.photograph(f"{photo}-viec-cua-toi")
            run.goto("/tham-tra")
            photographed = True
        if return_one and returner is None:
            pick = section.locator("input[name=pick]").first
            value = pick.get_attribute("value") or ""
            returned = value.rsplit(":", 1)[1]
            pick.check()
            section.locator(f"input[name='reason:{dossier_id}:{returned}']").fill(
                "Thiếu biên bản kiểm tra thực tế và ảnh hiện trường."
            )
            run.submit("form-inbox", "button[value=return]")
            returner = username
            section = run.page.locator(f"#ho-so-{dossier_id}")
            if section.count() == 0:
                continue
        run.page.check(f"#chon-ho-so-{dossier_id}")
        assert section.locator("input[name=pick]:not(:checked)").count() == 0  # "select all" ticked every one
        run.submit("form-inbox", "button[value=approve]")
        assert run.page.locator(f"#ho-so-{dossier_id}").count() == 0
    return returner, returned


def _pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"}
