"""What people read: Vietnamese labels for every code (no `nhom-3`, `xa-ntm-2021 v1`, `under_appraisal`, no
English product name), a refused action's message shown once, and the procedure diagram with the current
state marked, generated from the machine the engine runs."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, TODAY_AT, sign_in, version_in
from web.workspace.pages import procedure_diagram
from workflow.diagram import edges
from workflow.procedures import procedure_for
from workflow.vocabulary import RecognitionLevel

#: what a code looks like when it leaks into the text of a page
RAW_CODES = re.compile(
    r"xa-ntm|huyen-ntm|thon-ntm|nhom-\d|commune-|district-|hamlet-|\b[a-z]+_[a-z_]+\b|NTM Dossiers|\bv\d+\)|TDMNPB"
)


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def visible_text(page: str) -> str:
    """The text a person reads: tags, attribute values and scripts removed."""
    body = page.split("<body>", 1)[1]
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def leaks_seen_by(client: FlaskClient, world: DemoWorld, username: str) -> dict[str, list[str]]:
    """Every page the person may open (theirs and the public ones) → the codes that leaked into its text."""
    sign_in(client, username)
    paths = ["/viec-cua-toi", "/tham-tra", "/", *(f"/don-vi/{unit}" for unit in world.units.values())]
    paths += [f"/don-vi/{unit}" for unit in world.new_units.values()]
    paths += [f"/ho-so/{dossier}" for dossier in world.dossiers.values()]
    leaks = {}
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            continue  # someone else's dossier
        found = RAW_CODES.findall(visible_text(response.get_data(as_text=True)))
        if found:
            leaks[path] = sorted(set(found))
    return leaks


@pytest.mark.parametrize("username", ["xa.leloi", "mttq.leloi", "phong.tn-mt", "dieuphoi.thachan", "chutich.caobang"])
def test_pages_show_labels_not_codes(client: FlaskClient, demo_world: DemoWorld, username: str) -> None:
    assert leaks_seen_by(client, demo_world, username) == {}


@pytest.mark.parametrize(
    "username", ["xa2025.thachan", "xa2025.canhtan", "so.so-nn-mt", "dieuphoi.caobang", "chutich.caobang"]
)
def test_pages_of_today_show_labels_not_codes(
    app: Flask, client: FlaskClient, demo_today: DemoWorld, username: str
) -> None:
    """The same after the reform and in the 2026 cycle (merged communes, provincial departments)."""
    app.config["NTM_CLOCK"] = lambda: TODAY_AT
    assert leaks_seen_by(client, demo_today, username) == {}


def test_a_refused_action_shows_its_message_once(client: FlaskClient, demo_world: DemoWorld) -> None:
    le_loi = demo_world.dossiers["Lê Lợi"]
    sign_in(client, "xa.leloi")
    page = client.get(f"/ho-so/{le_loi}").get_data(as_text=True)
    refused = client.post(
        f"/ho-so/{le_loi}/thao-tac", data={"version": version_in(page, "form-submit"), "action": "submit"}
    )
    assert refused.status_code == 422
    text = visible_text(refused.get_data(as_text=True))
    assert text.count("chưa có kết quả lấy ý kiến sự hài lòng") == 1


def test_the_diagram_is_the_machine_with_the_current_state_marked(client: FlaskClient, demo_world: DemoWorld) -> None:
    procedure = procedure_for(RecognitionLevel.COMMUNE_NTM)
    diagram = procedure_diagram(procedure, "returned")
    assert [state.name for state in diagram if state.current] == ["returned"]
    moves = {(s.name, action, dest) for s in diagram for action, dest in s.leads_to}
    expected = {
        (source, procedure.action(action).label, procedure.state_label(dest))
        for source, action, dest in edges(procedure)
        if source != dest
    }
    assert moves == expected
    sign_in(client, "xa.duclong")
    page = client.get(f"/ho-so/{demo_world.dossiers['Đức Long']}").get_data(as_text=True)
    current = re.search(r'<li class="current[^"]*" aria-current="step">\s*<strong>([^<]+)</strong>', page)
    assert current and current.group(1) == "Trả lại để bổ sung"
    drawn = html.unescape(page.split('id="so-do-quy-trinh"')[1].split("</ol>")[0])
    assert f"{procedure.action('resubmit').label} → {procedure.state_label('under_appraisal')}" in drawn
