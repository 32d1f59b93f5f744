"""Fixtures of the notifications tests (the world itself is built by `tests.notifications.world`)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from dossiers.settings import Settings
from tests.notifications.world import World, build_world
from workflow.deadlines import ReminderPolicy


@pytest.fixture
def world(session: Session, now: dt.datetime) -> World:
    return build_world(session, now)


@pytest.fixture
def policy() -> ReminderPolicy:
    """One e-mail per reminder (digest off), so tests can count reminders by e-mails."""
    return ReminderPolicy(digest=False)


@pytest.fixture
def base_url() -> str:
    return Settings.base_url
