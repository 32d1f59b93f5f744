"""Attaching evidence is a step of the procedure: the applicant's, while assessments may change, on the record."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.demo import DemoData
from dossiers.evidence import read_evidence
from dossiers.handlers import handle, replayed_state
from dossiers.models import Dossier, Evidence, User
from workflow.errors import ActionNotAllowed, GuardFailed, NotPermitted
from workflow.vocabulary import RecognitionLevel

MARCH = dt.datetime(2025, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def registered(session: Session, demo: DemoData) -> tuple[Dossier, dict[str, User]]:
    dossier = handle(
        session,
        demo.users["xa.lelai"],
        MARCH,
        c.Register(
            unit_id=demo.communes["Lê Lai"].id,
            level=RecognitionLevel.COMMUNE_NTM,
            year=2025,
            criteria_set_id=demo.sets["xa-ntm-2021"].id,
        ),
    ).opened()
    handle(session, demo.users["dieuphoi.thachan"], MARCH, c.ConfirmRegistration(dossier_id=dossier.id))
    return dossier, dict(demo.users)


def test_the_commune_attaches_evidence_to_an_indicator(
    session: Session, registered: tuple[Dossier, dict[str, User]], tmp_path: Path
) -> None:
    dossier, users = registered
    evidence = handle(
        session,
        users["xa.lelai"],
        MARCH,
        c.AttachEvidence(
            dossier_id=dossier.id,
            storage_root=tmp_path,
            stream=io.BytesIO(b"%PDF-1.7\n" + "Biên bản kiểm tra thu gom rác".encode()),
            original_name="bien-ban-17-3.pdf",
            code="17.3",
        ),
    ).record
    assert isinstance(evidence, Evidence)
    assert evidence.indicator is not None and evidence.indicator.code == "17.3"
    assert read_evidence(tmp_path, evidence) == b"%PDF-1.7\n" + "Biên bản kiểm tra thu gom rác".encode()
    event = dossier.events[-1]
    assert event.action == "attach_evidence" and event.payload["sha256"] == evidence.sha256
    assert replayed_state(session, dossier) == dossier.state == "self_assessment"


def test_only_the_applicant_attaches_and_only_while_editable(
    session: Session, registered: tuple[Dossier, dict[str, User]], tmp_path: Path
) -> None:
    dossier, users = registered
    version = dossier.version

    def attach(username: str, code: str | None = None) -> None:
        handle(
            session,
            users[username],
            MARCH,
            c.AttachEvidence(
                dossier_id=dossier.id,
                storage_root=tmp_path,
                stream=io.BytesIO(b"x"),
                original_name="a.txt",
                code=code,
            ),
        )

    with pytest.raises(NotPermitted):
        attach("phong.tn-mt")
    with pytest.raises(NotPermitted):
        attach("xa.duclong")  # another commune's officer
    with pytest.raises(GuardFailed, match=r"không có chỉ tiêu 99\.9"):
        attach("xa.lelai", "99.9")
    assert dossier.version == version and dossier.evidence == []

    handle(session, users["xa.lelai"], MARCH, c.Withdraw(dossier_id=dossier.id))
    with pytest.raises(ActionNotAllowed, match="Đính kèm minh chứng"):
        attach("xa.lelai")
