"""Evidence uploads are screened before they are stored: name, claimed type, size, kind by content.
A refusal is a Vietnamese 422 and leaves no file behind; downloads are always attachments, never sniffed."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import EnvironBuilder

from dossiers.evidence import blob_path
from dossiers.models import Evidence
from dossiers.settings import Settings
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, fresh, sign_in, version_in

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture
def world(demo_world: DemoWorld) -> DemoWorld:
    """The demo with its 2025 dossiers, loaded once per test session (see tests/conftest.py)."""
    return demo_world


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _stored_files(settings: Settings) -> list[Path]:
    root = settings.evidence_path
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _post(
    client: FlaskClient, dossier_id: int, content: bytes, name: str, content_type: str | None = None
) -> tuple[int, str]:
    sign_in(client, "xa.vantrinh")
    version = version_in(client.get(f"/ho-so/{dossier_id}").get_data(as_text=True), "form-evidence")
    upload = (io.BytesIO(content), name, content_type) if content_type else (io.BytesIO(content), name)
    response = client.post(
        f"/ho-so/{dossier_id}/minh-chung",
        data={"version": str(version), "code": "", "file": upload},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


REFUSED = [
    ("NUL in the name", PDF, "bien-ban\x00.pdf", None, "ký tự điều khiển"),
    ("an escape character in the name", PDF, "bien\x1bban.pdf", None, "ký tự điều khiển"),
    ("a disguised extension", PDF, "hoa-don\u202efdp.exe", None, "ký tự điều khiển"),
    ("an over-long name", PDF, "a" * 300 + ".pdf", None, "dài quá 255 ký tự"),
    ("an over-long content type", PDF, "bien-ban.pdf", "application/" + "x" * 150, "Kiểu tệp"),
    ("a content type with control characters", PDF, "bien-ban.pdf", "application/pdf\x01", "Kiểu tệp"),
    ("an .exe renamed .pdf", EXE, "bien-ban.pdf", "application/pdf", "kiểu EXE"),
    ("an HTML page", b"<html><script>alert(1)</script></html>", "trang.html", "text/html", "không nhận ra"),
    ("an SVG with a script", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "anh.svg",
     "image/svg+xml", "không nhận ra"),
    ("a PDF named .docx", PDF, "bao-cao.docx", None, "không khớp với đuôi .docx"),
    ("an empty file", b"", "rong.pdf", None, "rỗng"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "name", "content_type", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_a_refused_upload_is_422_and_leaves_nothing(
    client: FlaskClient, world: DemoWorld, session: Session, settings: Settings,
    content: bytes, name: str, content_type: str | None, message: str,
) -> None:  # fmt: skip
    dossier_id = world.dossiers["Vân Trình"]
    before = fresh(session, dossier_id).version
    status, page = _post(client, dossier_id, content, name, content_type)
    assert status == 422, page[:2000]
    assert message in page and "Đính kèm minh chứng" in page
    assert _stored_files(settings) == []
    assert fresh(session, dossier_id).version == before
    assert session.scalar(select(func.count()).select_from(Evidence).where(Evidence.dossier_id == dossier_id)) == 0


@pytest.mark.parametrize(
    ("content", "name", "mime"),
    [
        (PDF, "bien-ban.pdf", "application/pdf"),
        (PNG, "anh-chup.PNG", "image/png"),
        (_docx(), "bao-cao.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (PDF, "C:\\Users\\xa\\Desktop\\bien-ban", "application/pdf"),  # a path and no extension
    ],
)
def test_accepted_kinds_are_typed_by_content(
    client: FlaskClient, world: DemoWorld, session: Session, settings: Settings, content: bytes, name: str, mime: str
) -> None:
    dossier_id = world.dossiers["Vân Trình"]
    status, page = _post(client, dossier_id, content, name, "text/html")  # what the browser claims is ignored
    assert status == 302, page
    evidence = session.scalars(select(Evidence).where(Evidence.dossier_id == dossier_id)).one()
    assert evidence.mime_type == mime and "\\" not in evidence.original_name
    assert _stored_files(settings) == [blob_path(settings.evidence_path, evidence.sha256)]

    download = client.get(f"/ho-so/{dossier_id}/minh-chung/{evidence.id}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == mime


def test_an_old_row_with_a_dangerous_type_is_served_as_bytes(
    client: FlaskClient, world: DemoWorld, session: Session, settings: Settings
) -> None:
    dossier_id = world.dossiers["Vân Trình"]
    assert _post(client, dossier_id, PDF, "bien-ban.pdf")[0] == 302
    evidence = session.scalars(select(Evidence).where(Evidence.dossier_id == dossier_id)).one()
    evidence.mime_type = "text/html"  # as stored before uploads were typed by content
    session.commit()
    download = client.get(f"/ho-so/{dossier_id}/minh-chung/{evidence.id}")
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment")


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes that records how much of it was read."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"x" * count
        self.read_bytes += count
        return count


def _send_body(app: Flask, client: FlaskClient, path: str, size: int) -> tuple[int, str, int]:
    """POST a multipart body of `size` bytes straight through WSGI: (status, page, bytes the app read)."""
    body = CountingStream(size)
    environ = EnvironBuilder(path=path, method="POST").get_environ()
    cookie = client.get_cookie("session")
    environ.update(
        {
            "wsgi.input": body,
            "CONTENT_LENGTH": str(size),
            "CONTENT_TYPE": "multipart/form-data; boundary=x",
            "HTTP_COOKIE": f"session={cookie.value}" if cookie else "",
        }
    )
    status: list[str] = []
    chunks = app(environ, lambda code, headers, exc_info=None: status.append(code))  # type: ignore[arg-type]
    page = b"".join(chunks).decode()
    return int(status[0].split()[0]), page, body.read_bytes


def test_a_60_mb_body_is_refused_unread(app: Flask, client: FlaskClient, world: DemoWorld) -> None:
    size = 60 * 1024 * 1024
    status, page, read = _send_body(app, client, "/dang-nhap", size)
    assert status == 413 and "quá lớn" in page
    assert read < 1024 * 1024

    sign_in(client, "xa.vantrinh")
    status, page, read = _send_body(app, client, f"/ho-so/{world.dossiers['Vân Trình']}/minh-chung", size)
    assert status == 413 and "Dung lượng tối đa" in page and "Cán bộ NTM xã Vân Trình" in page
    assert read < 1024 * 1024


def test_prune_removes_only_old_unreferenced_blobs(
    runner: FlaskCliRunner, client: FlaskClient, world: DemoWorld, session: Session, settings: Settings
) -> None:
    dossier_id = world.dossiers["Vân Trình"]
    assert _post(client, dossier_id, PDF, "bien-ban.pdf")[0] == 302
    kept = blob_path(settings.evidence_path, session.scalars(select(Evidence.sha256)).one())
    orphan = blob_path(settings.evidence_path, "ab" * 32)
    young = blob_path(settings.evidence_path, "cd" * 32)
    leftover = settings.evidence_path / ".upload-abandoned"
    for path in (orphan, young, leftover):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).timestamp()
    for path in (kept, orphan, leftover):
        os.utime(path, (old, old))

    dry = runner.invoke(args=["evidence", "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert str(orphan) in dry.output and str(leftover) in dry.output and str(young) not in dry.output
    assert orphan.exists()

    done = runner.invoke(args=["evidence", "prune"])
    assert done.exit_code == 0 and "Đã xóa 2 tệp" in done.output
    assert kept.exists() and young.exists() and not orphan.exists() and not leftover.exists()


def test_the_allow_list_is_a_setting(app: Flask, client: FlaskClient, world: DemoWorld, settings: Settings) -> None:
    app.config["NTM_SETTINGS"] = Settings(**{**settings.__dict__, "evidence_types": ("png",)})
    status, page = _post(client, world.dossiers["Vân Trình"], PDF, "bien-ban.pdf")
    assert status == 422 and "(png)" in page
    assert Settings.from_env({"NTM_EVIDENCE_TYPES": "pdf, .PNG;txt"}).evidence_types == ("pdf", "png", "txt")
