"""The benchmark's dataset builder, on a tiny world: its shape and its consistency (no timing)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.dataset import NOW, STATE_CYCLE, TEMPLATE_PROVINCE, build_dataset, pick_units
from dossiers.handlers import replayed_state
from dossiers.models import AppraisalTask, Department, Dossier, Ownership, Recognition, Unit, User
from workflow.vocabulary import UnitKind


def test_sizes_are_proportional_and_cao_bang_comes_first() -> None:
    for communes in (100, 1000, 3321):
        picked = pick_units(communes)
        assert sum(len(wards) for _, wards in picked) == communes
        assert len(picked) == 34
    assert [f"{int(p.code):02d}" for p, _ in pick_units(3, provinces=1)] == [TEMPLATE_PROVINCE]


def test_a_tiny_world_has_the_expected_shape(session: Session) -> None:
    made = build_dataset(session, communes=3, provinces=1, now=NOW)

    # the province's 13 Sở and the women's union, which co-appraises 17.8 (seed 004 mục VI.16)
    assert (made.provinces, made.communes, made.departments) == (1, 3, 14)
    kinds = Counter(session.scalars(select(Unit.kind)))
    assert kinds[UnitKind.PROVINCE] == 1
    assert kinds[UnitKind.COMMUNE] == 3
    assert kinds[UnitKind.HAMLET] == made.hamlets >= 6
    assert session.scalar(select(func.count(Department.id))) == 14
    assert (session.scalar(select(func.count(Ownership.id))) or 0) > 0
    # 2 per commune, coordinator, chairman, one officer per department
    assert session.scalar(select(func.count(User.id))) == made.users == 3 * 2 + 2 + 14

    dossiers = session.scalars(select(Dossier).order_by(Dossier.id)).all()
    assert [d.state for d in dossiers] == list(STATE_CYCLE[:3])
    for dossier in dossiers:
        # the audit log leads to the stored state, and each event bumped the version once
        assert replayed_state(session, dossier) == dossier.state
        assert dossier.version == len(dossier.events) + 1
    appraised = [d for d in dossiers if d.state == "under_appraisal"]
    assert appraised
    for dossier in appraised:
        tasks = session.scalars(select(AppraisalTask).where(AppraisalTask.dossier_id == dossier.id)).all()
        assert len(tasks) == made.tasks_per_dossier
        assert sum(len(t.items) for t in tasks) >= made.indicators
    recognised = sum(1 for d in dossiers if d.state == "recognised")
    assert session.scalar(select(func.count(Recognition.id))) == recognised


def test_every_state_is_reached_and_consistent(session: Session) -> None:
    made = build_dataset(session, communes=20, provinces=1, now=NOW)

    assert set(made.states) == set(STATE_CYCLE)
    assert all(made.states[state] > 0 for state in STATE_CYCLE)
    for dossier in session.scalars(select(Dossier)):
        assert replayed_state(session, dossier) == dossier.state
