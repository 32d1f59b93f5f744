"""Attaching evidence is a step of the procedure: the applicant's, while assessments may change, on the record."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dossiers import procedure_service as service
from dossiers.demo import DemoData
from dossiers.evidence import read_evidence
from dossiers.models import Dossier, User
from workflow.errors import ActionNotAllowed, GuardFailed, NotPermitted
from workflow.vocabulary import RecognitionLevel

MARCH = dt.datetime(2025, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def registered(session: Session, demo: DemoData) -> tuple[Dossier, dict[str, User]]:
    dossier = service.register_dossier(
        session,
        demo.users["xa.lelai"],
        MARCH,
        unit=demo.communes["Lê Lai"],
        level=RecognitionLevel.COMMUNE_NTM,
        year=2025,
        criteria_set=demo.sets["xa-ntm-2021"],
    )
    service.take_action(session, demo.users["dieuphoi.thachan"], MARCH, dossier, "confirm_registration")
    return dossier, dict(demo.users)


def test_the_commune_attaches_evidence_to_an_indicator(
    session: Session, registered: tuple[Dossier, dict[str, User]], tmp_path: Path
) -> None:
    dossier, users = registered
    evidence = service.attach_evidence(
        session,
        users["xa.lelai"],
        MARCH,
        dossier,
        storage_root=tmp_path,
        stream=io.BytesIO("Biên bản kiểm tra thu gom rác".encode()),
        original_name="bien-ban-17-3.pdf",
        code="17.3",
    )
    assert evidence.indicator is not None and evidence.indicator.code == "17.3"
    assert read_evidence(tmp_path, evidence) == "Biên bản kiểm tra thu gom rác".encode()
    event = dossier.events[-1]
    assert event.action == "attach_evidence" and event.payload["sha256"] == evidence.sha256
    assert service.replayed_state(session, dossier) == dossier.state == "self_assessment"


def test_only_the_applicant_attaches_and_only_while_editable(
    session: Session, registered: tuple[Dossier, dict[str, User]], tmp_path: Path
) -> None:
    dossier, users = registered
    version = dossier.version

    def attach(username: str, code: str | None = None) -> None:
        service.attach_evidence(
            session,
            users[username],
            MARCH,
            dossier,
            storage_root=tmp_path,
            stream=io.BytesIO(b"x"),
            original_name="a.txt",
            code=code,
        )

    with pytest.raises(NotPermitted):
        attach("phong.tn-mt")
    with pytest.raises(NotPermitted):
        attach("xa.duclong")  # another commune's officer
    with pytest.raises(GuardFailed, match=r"không có chỉ tiêu 99\.9"):
        attach("xa.lelai", "99.9")
    assert dossier.version == version and dossier.evidence == []

    service.take_action(session, users["xa.lelai"], MARCH, dossier, "withdraw")
    with pytest.raises(ActionNotAllowed, match="Đính kèm minh chứng"):
        attach("xa.lelai")
