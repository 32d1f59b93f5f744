"""The time a request acts at: aware UTC. Tests and demos set `app.config["NTM_CLOCK"]` to a callable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import current_app


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def request_now() -> dt.datetime:
    clock: Callable[[], dt.datetime] = current_app.config.get("NTM_CLOCK") or utc_now
    now = clock()
    if now.tzinfo is None:
        raise ValueError("NTM_CLOCK must return an aware datetime")
    return now
