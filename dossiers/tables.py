"""Reading the tables offices keep (.xlsx, .csv): how a typed word and a cell are compared and read, in one
place for every import (self-assessments, plan targets)."""

from __future__ import annotations

import unicodedata
from typing import Any


def plain_text(text: Any) -> str:
    """Lower case, no accents, single spaces: how headers and words typed in a table are compared."""
    value = str(text or "").strip().lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", value)
    return " ".join("".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").split())


def cell_text(value: Any) -> str:
    """A cell as text: "5" for the 5.0 a spreadsheet gives, "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
