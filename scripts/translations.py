"""Message catalogs: extract the ids from `web/`, update `vi` and `en`, compile the `.mo` files.

    .venv/bin/python scripts/translations.py            # extract, update, compile

The compiled `.mo` files are committed, so a fresh clone needs no build step.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "web" / "translations"
PYBABEL = str(Path(sys.executable).parent / "pybabel")
LANGUAGES = ("vi", "en")


def run(*args: str) -> None:
    subprocess.run([PYBABEL, *args], cwd=ROOT, check=True, capture_output=True)  # noqa: S603 - our own tool


def main() -> int:
    run("extract", "-F", "babel.cfg", "-k", "lazy_gettext", "-k", "_", "-o", str(CATALOGS / "messages.pot"),
        "--no-location", "--sort-output", "--omit-header", ".")  # fmt: skip
    for lang in LANGUAGES:
        po = CATALOGS / lang / "LC_MESSAGES" / "messages.po"
        if po.exists():
            run("update", "-i", str(CATALOGS / "messages.pot"), "-d", str(CATALOGS), "-l", lang, "--no-fuzzy-matching")
        else:
            run("init", "-i", str(CATALOGS / "messages.pot"), "-d", str(CATALOGS), "-l", lang)
    run("compile", "-d", str(CATALOGS), "--statistics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
