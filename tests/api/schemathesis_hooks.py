"""Schemathesis hooks of `scripts/api_fuzz.py`: the caller is a commune officer; some calls are aimed at
dossiers of other communes, and no answer may show a dossier outside the caller's commune.

Set by the script: NTM_FUZZ_OWN_UNITS (the commune and the units under it), NTM_FUZZ_FOREIGN_DOSSIERS
(ids of dossiers of other units).
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

import schemathesis

OWN_UNITS = {int(x) for x in os.environ.get("NTM_FUZZ_OWN_UNITS", "").split(",") if x}
FOREIGN = [int(x) for x in os.environ.get("NTM_FUZZ_FOREIGN_DOSSIERS", "").split(",") if x]
#: every other call that names a dossier names one of another commune
_aim = itertools.cycle([True, False])
_foreign = itertools.cycle(FOREIGN or [0])


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    params = case.path_parameters
    if FOREIGN and params and "dossier_id" in params and next(_aim):
        params["dossier_id"] = next(_foreign)


def _dossiers_in(node: Any) -> list[dict[str, Any]]:
    """Objects that describe a dossier (they carry its unit and state), anywhere in a JSON answer."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "unit_id" in node and "state" in node:
            found.append(node)
        for value in node.values():
            found += _dossiers_in(value)
    elif isinstance(node, list):
        for value in node:
            found += _dossiers_in(value)
    return found


@schemathesis.check
def no_cross_unit_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """A dossier of another commune is never answered, and never listed."""
    dossier_id = (case.path_parameters or {}).get("dossier_id")
    # OPTIONS is answered by Flask itself with the allowed methods and no data
    if dossier_id in FOREIGN and 200 <= response.status_code < 300 and case.method.upper() != "OPTIONS":
        raise AssertionError(f"dossier {dossier_id} of another commune answered {response.status_code}")
    try:
        body = json.loads(response.content or b"null")
    except ValueError:  # not JSON: an evidence file, never a listing
        return None
    outside = [d["unit_id"] for d in _dossiers_in(body) if d["unit_id"] not in OWN_UNITS]
    if outside:
        raise AssertionError(f"dossiers of units {sorted(set(outside))} shown to a commune officer")
    return None
