"""Flask-Babel: Vietnamese by default, English by choice; every message id has its Vietnamese sentence and
the committed `.mo` files say what the `.po` files say."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

CATALOGS = Path(__file__).resolve().parents[2] / "web" / "translations"


def test_the_switch_keeps_the_language_and_goes_back_only_within_the_site(client: FlaskClient) -> None:
    assert "Không tìm thấy" in client.get("/don-vi/999999").get_data(as_text=True)
    switched = client.get("/ngon-ngu/en?next=/don-vi/999999")
    assert switched.status_code == 302 and switched.headers["Location"] == "/don-vi/999999"
    assert "ntm_lang=en" in switched.headers["Set-Cookie"]
    page = client.get("/don-vi/999999").get_data(as_text=True)
    assert "The page or data asked for was not found." in page and 'lang="vi">Tiếng Việt' in page
    for elsewhere in ("https://example.com/", "//example.com/x", "/\\example.com"):
        assert client.get(f"/ngon-ngu/vi?next={elsewhere}").headers["Location"] == "/"
    client.get("/ngon-ngu/vi")
    assert "Không tìm thấy" in client.get("/don-vi/999999").get_data(as_text=True)
    assert client.get("/ngon-ngu/fr").status_code == 302  # an unknown language changes nothing


def test_every_message_has_its_vietnamese_sentence_and_the_compiled_catalogs_are_current() -> None:
    with (CATALOGS / "messages.pot").open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    assert wanted
    for lang in ("vi", "en"):
        with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            po = {m.id: m.string for m in read_po(f) if m.id}
        with (CATALOGS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
            mo = {m.id: m.string for m in read_mo(f) if m.id}
        assert set(po) == wanted, f"{lang}: run scripts/translations.py"
        assert {k: v for k, v in po.items() if v} == mo, f"{lang}: the .mo file is older than the .po file"
    with (CATALOGS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        untranslated = [m.id for m in read_po(f) if m.id and not m.string]
    assert untranslated == []
