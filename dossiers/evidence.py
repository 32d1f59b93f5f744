"""Evidence files, stored content-addressed: the SHA-256 of the bytes is the file's name on disk.

The same scan uploaded twice is stored once; a row per upload keeps who sent it, when, and under
which name. An upload is screened before it becomes a blob: its name (no control characters, no path,
at most 255 characters), the type its sender claims (well-formed), its size, and its kind decided by its
content (the `filetype` package), which must be on the allow-list and fit the name's extension. It is
written to a temporary name while screened and renamed only when accepted, so a refused or interrupted
upload never leaves a file under a valid address. Blobs no row refers to any more (a transaction that
rolled back after storing) are found and removed by `prune_unreferenced`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import Dossier, Evidence, Indicator, User
from dossiers.settings import DEFAULT_EVIDENCE_TYPES, Settings

CHUNK = 1024 * 1024
#: default upper bound for one file; a province may raise it
MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
MAX_NAME_LENGTH = 255
#: the `evidence.mime_type` column
MAX_CLAIMED_TYPE_LENGTH = 120
#: enough for every signature `filetype` knows
SIGNATURE_BYTES = 8192
DEFAULT_NAME = "tep-dinh-kem"

#: extensions people use for the same kind
EXTENSION_ALIASES = {"jpg": {"jpg", "jpeg", "jpe"}, "tif": {"tif", "tiff"}, "heic": {"heic", "heif"}}
#: containers whose exact kind the first bytes may not tell: the name's extension decides within the family
ZIP_FAMILY = {"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp"}
OLE_FAMILY = {"doc", "xls", "ppt"}
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: kinds with no signature at all: accepted when allowed, named so, and plain UTF-8 text
TEXT_KINDS = {"txt": "text/plain", "csv": "text/csv"}
MIME_TYPES = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "zip": "application/zip",
    **TEXT_KINDS,
}
#: type/subtype with optional parameters, printable ASCII only (RFC 9110 tokens, loosely)
CLAIMED_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;[\x20-\x7e]*)?")
BLOB_NAME = re.compile(r"[0-9a-f]{64}")


class EvidenceRejectedError(ValueError):
    """An upload that is not stored; the message says why, in Vietnamese."""


class EvidenceTooLargeError(EvidenceRejectedError):
    def __init__(self, name: str, limit: int) -> None:
        super().__init__(f"Tệp “{name}” vượt quá dung lượng cho phép ({limit // (1024 * 1024)} MB).")


@dataclass(frozen=True)
class EvidencePolicy:
    """What an upload may be: its largest size and the kinds accepted (extensions as `filetype` names them)."""

    max_bytes: int = MAX_EVIDENCE_BYTES
    allowed_types: frozenset[str] = frozenset(DEFAULT_EVIDENCE_TYPES)

    @classmethod
    def from_settings(cls, settings: Settings) -> EvidencePolicy:
        return cls(max_bytes=settings.evidence_max_mb * 1024 * 1024, allowed_types=frozenset(settings.evidence_types))

    def describe(self) -> str:
        return ", ".join(sorted(self.allowed_types))


DEFAULT_POLICY = EvidencePolicy()


def blob_path(storage_root: Path, sha256: str) -> Path:
    return storage_root / sha256[:2] / sha256[2:4] / sha256


def clean_name(original_name: str) -> str:
    """The name to keep: the last part of any path, NFC, trimmed. Control characters (NUL, line breaks,
    bidirectional overrides that disguise an extension) and names over 255 characters are refused."""
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", original_name)[-1]).strip()
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in name):
        raise EvidenceRejectedError("Tên tệp chứa ký tự điều khiển; vui lòng đổi tên tệp rồi gửi lại.")
    if len(name) > MAX_NAME_LENGTH:
        raise EvidenceRejectedError(f"Tên tệp dài quá {MAX_NAME_LENGTH} ký tự; vui lòng đặt tên ngắn hơn.")
    if name in {"", ".", ".."}:
        return DEFAULT_NAME
    return name


def check_claimed_type(claimed: str | None) -> None:
    """The sender's Content-Type is not trusted (the content decides), but a malformed one is refused."""
    if not claimed:
        return
    if len(claimed) > MAX_CLAIMED_TYPE_LENGTH or not CLAIMED_TYPE.fullmatch(claimed):
        raise EvidenceRejectedError("Kiểu tệp do trình duyệt gửi kèm không hợp lệ; vui lòng chọn lại tệp.")


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


def decide_kind(head: bytes, name: str, policy: EvidencePolicy) -> tuple[str, str]:
    """(kind, MIME type) from the content, or EvidenceRejectedError. The name's extension must fit the kind."""
    extension = _extension(name)
    guessed = filetype.guess(head)
    kind = guessed.extension if guessed is not None else None
    if kind in ZIP_FAMILY and extension in ZIP_FAMILY:
        kind = extension  # an Office or OpenDocument file is a ZIP: the signature alone may say only "zip"
    elif ((kind in OLE_FAMILY or (kind is None and head.startswith(OLE_SIGNATURE))) and extension in OLE_FAMILY) or (
        kind is None and extension in TEXT_KINDS and _is_text(head)
    ):
        kind = extension
    if kind is None or kind not in policy.allowed_types:
        shown = f"nội dung kiểu {kind.upper()}" if kind else "nội dung không nhận ra được"
        raise EvidenceRejectedError(
            f"Tệp “{name}” có {shown}, không thuộc các loại được nhận làm minh chứng ({policy.describe()})."
        )
    if extension and extension not in EXTENSION_ALIASES.get(kind, {kind}):
        raise EvidenceRejectedError(
            f"Tệp “{name}” có nội dung kiểu {kind.upper()}, không khớp với đuôi .{extension}; "
            "vui lòng kiểm tra lại tệp."
        )
    mime = guessed.mime if guessed is not None and guessed.extension == kind else MIME_TYPES[kind]
    return kind, mime


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # a character cut at the end of the sample
    return True


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
    max_bytes: int | None = None,
    policy: EvidencePolicy = DEFAULT_POLICY,
) -> Evidence:
    """Screen the upload, write its bytes under their SHA-256 (once) and record it on the dossier.
    Raises EvidenceRejectedError, leaving no file. Flushes, never commits.

    `mime_type` is what the sender claimed: checked for form, never stored; the content decides."""
    name = clean_name(original_name)
    check_claimed_type(mime_type)
    limit = max_bytes if max_bytes is not None else policy.max_bytes
    storage_root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    handle, temporary = tempfile.mkstemp(dir=storage_root, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise EvidenceTooLargeError(name, limit)
                if len(head) < SIGNATURE_BYTES:
                    head += chunk[: SIGNATURE_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise EvidenceRejectedError(f"Tệp “{name}” rỗng.")
        _kind, detected = decide_kind(head, name, policy)
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
        original_name=name,
        size=size,
        mime_type=detected,
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


def served_type(evidence: Evidence, allowed: Collection[str] = DEFAULT_EVIDENCE_TYPES) -> str:
    """The type a download is sent with: the recorded one when it is a kind we accept (rows from before
    screening may hold whatever the sender claimed), otherwise plain bytes."""
    accepted = {MIME_TYPES.get(kind) for kind in allowed} | {
        t.mime for t in filetype.types if t.extension in set(allowed)
    }
    return evidence.mime_type if evidence.mime_type in accepted else "application/octet-stream"


def unreferenced_files(session: Session, storage_root: Path, now: dt.datetime, grace: dt.timedelta) -> list[Path]:
    """Blobs no evidence row names, and abandoned temporary uploads, untouched for longer than `grace`
    (a younger blob may belong to a transaction that has not committed yet)."""
    if not storage_root.exists():
        return []
    referenced = set(session.scalars(select(Evidence.sha256).distinct()))
    cutoff = (now - grace).timestamp()
    found: list[Path] = []
    for path in _files(storage_root):
        is_blob = BLOB_NAME.fullmatch(path.name) is not None
        if path.stat().st_mtime > cutoff or (is_blob and path.name in referenced):
            continue
        if is_blob or path.name.startswith(".upload-"):
            found.append(path)
    return sorted(found)


def prune_unreferenced(paths: Iterable[Path]) -> int:
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def _files(root: Path) -> Iterable[Path]:
    return (path for path in root.rglob("*") if path.is_file() and not path.is_symlink())
