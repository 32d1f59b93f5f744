"""Evidence files, stored content-addressed: the SHA-256 of the bytes is the file's name on disk.

The same scan uploaded twice is stored once; a row per upload keeps who sent it, when, and under
which name. Files are written to a temporary name and renamed, so a crash never leaves half a file
under a valid address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from dossiers.models import Dossier, Evidence, Indicator, User

CHUNK = 1024 * 1024
#: default upper bound for one file; a province may raise it
MAX_EVIDENCE_BYTES = 50 * 1024 * 1024


class EvidenceTooLargeError(ValueError):
    def __init__(self, name: str, limit: int) -> None:
        super().__init__(f"Tệp “{name}” vượt quá dung lượng cho phép ({limit // (1024 * 1024)} MB).")


def blob_path(storage_root: Path, sha256: str) -> Path:
    return storage_root / sha256[:2] / sha256[2:4] / sha256


def store_evidence(
    session: Session,
    storage_root: Path,
    *,
    dossier: Dossier,
    stream: IO[bytes],
    original_name: str,
    uploaded_by: User | None,
    now: dt.datetime,
    indicator: Indicator | None = None,
    mime_type: str | None = None,
    max_bytes: int = MAX_EVIDENCE_BYTES,
) -> Evidence:
    """Write the bytes under their SHA-256 (once) and record the upload on the dossier. Flushes, never commits."""
    storage_root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(dir=storage_root, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise EvidenceTooLargeError(original_name, max_bytes)
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        target = blob_path(storage_root, sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    evidence = Evidence(
        dossier=dossier,
        indicator=indicator,
        sha256=sha256,
        original_name=Path(original_name).name[:255] or "tep-dinh-kem",
        size=size,
        mime_type=mime_type or mimetypes.guess_type(original_name)[0] or "application/octet-stream",
        uploaded_by_id=uploaded_by.id if uploaded_by else None,
        uploaded_at=now,
    )
    session.add(evidence)
    session.flush()
    return evidence


def read_evidence(storage_root: Path, evidence: Evidence) -> bytes:
    """The stored bytes, checked against the recorded SHA-256."""
    data = blob_path(storage_root, evidence.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != evidence.sha256:
        raise OSError(f"evidence {evidence.id}: stored file does not match its SHA-256")
    return data
