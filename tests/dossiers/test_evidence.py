"""Evidence files are stored once per content and recorded per upload."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dossiers.evidence import EvidenceTooLargeError, blob_path, read_evidence, store_evidence
from dossiers.models import Dossier


def test_the_same_content_is_stored_once(
    session: Session, bare_dossier: Dossier, tmp_path: Path, now: dt.datetime
) -> None:
    content = b"%PDF-1.7\n" + "Biên bản họp Ban Chỉ đạo xã".encode()
    first = store_evidence(
        session, tmp_path, dossier=bare_dossier, stream=io.BytesIO(content), original_name="bien-ban.pdf",
        uploaded_by=None, now=now,
    )  # fmt: skip
    second = store_evidence(
        session, tmp_path, dossier=bare_dossier, stream=io.BytesIO(content), original_name="../../ban-sao.pdf",
        uploaded_by=None, now=now,
    )  # fmt: skip
    assert first.sha256 == second.sha256 == hashlib.sha256(content).hexdigest()
    assert first.id != second.id
    assert second.original_name == "ban-sao.pdf"  # no path from the client survives
    assert first.mime_type == "application/pdf" and first.size == len(content)
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert stored == [blob_path(tmp_path, first.sha256)]
    assert read_evidence(tmp_path, first) == content


def test_a_file_over_the_limit_is_refused_and_leaves_nothing(
    session: Session, bare_dossier: Dossier, tmp_path: Path, now: dt.datetime
) -> None:
    with pytest.raises(EvidenceTooLargeError, match="vượt quá dung lượng"):
        store_evidence(
            session, tmp_path, dossier=bare_dossier, stream=io.BytesIO(b"x" * 2048), original_name="lon.bin",
            uploaded_by=None, now=now, max_bytes=1024,
        )  # fmt: skip
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert bare_dossier.evidence == []


def test_a_tampered_file_is_detected(session: Session, bare_dossier: Dossier, tmp_path: Path, now: dt.datetime) -> None:
    evidence = store_evidence(
        session, tmp_path, dossier=bare_dossier, stream=io.BytesIO(b"%PDF-1.7 original"), original_name="a.pdf",
        uploaded_by=None, now=now,
    )  # fmt: skip
    blob_path(tmp_path, evidence.sha256).write_bytes(b"changed")
    with pytest.raises(OSError, match="does not match"):
        read_evidence(tmp_path, evidence)
