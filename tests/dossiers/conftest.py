"""Fixtures of the dossiers tests."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from dossiers.models import CriteriaSet, Dossier, Unit
from workflow.vocabulary import Confidence, RecognitionLevel, UnitKind


@pytest.fixture
def bare_dossier(session: Session, now: dt.datetime) -> Dossier:
    """A dossier with no procedure behind it, for model-level tests."""
    commune = Unit(name="Lê Lai", kind=UnitKind.COMMUNE, code="01819")
    criteria_set = CriteriaSet(
        code="test-set", version=1, name="Bộ thử", levels=["commune-ntm"], legal_source="—", period_start=2021,
        period_end=2025, confidence=Confidence.LOW, source_file="test", content_sha256="0" * 64, loaded_at=now,
    )  # fmt: skip
    dossier = Dossier(
        unit=commune, authority_unit=commune, level=RecognitionLevel.COMMUNE_NTM, year=2025, criteria_set=criteria_set,
        state="registered", created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(dossier)
    session.flush()
    return dossier
