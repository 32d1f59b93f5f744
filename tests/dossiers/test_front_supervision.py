"""The Fatherland Front's supervision (giám sát, seeds 000-003 and 004 mục VI.14): the Front's officer of the
applicant commune records supervision comments on the dossier at any step from the confirmed registration to the
decision; each is an event of the dossier's history with its text; nobody else records them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.handlers import handle
from dossiers.models import AuditEvent, Dossier
from tests.dossiers.procedure_world import BEFORE, World, build_world, commune_dossier_submitted, later
from workflow.errors import ActionNotAllowed, GuardFailed, NotPermitted
from workflow.vocabulary import RecognitionLevel


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, BEFORE)


def history(session: Session, dossier: Dossier) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.id)))


def test_the_front_records_supervision_at_any_step(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    assert dossier.state == "under_appraisal"
    version = dossier.version
    text = "Giám sát tại thôn Nà: 12 hộ chưa có nhà tiêu hợp vệ sinh, đề nghị xã kiểm tra lại chỉ tiêu 17.8."
    event = handle(
        session, world.user("mttq"), later(BEFORE, 30), c.RecordSupervision(dossier_id=dossier.id, comment=f"  {text} ")
    ).event
    assert event is not None
    assert (event.action, event.role, event.from_state, event.to_state) == (
        "record_supervision",
        "front_officer",
        "under_appraisal",
        "under_appraisal",
    )
    assert event.comment == text and event.payload["supervision"] == text
    assert dossier.state == "under_appraisal" and dossier.version == version + 1
    assert history(session, dossier)[-1].id == event.id


def test_a_supervision_without_text_is_refused(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    before = len(history(session, dossier))
    with pytest.raises(GuardFailed, match="cần ghi nội dung ý kiến giám sát"):
        handle(session, world.user("mttq"), later(BEFORE, 30), c.RecordSupervision(dossier_id=dossier.id, comment=" "))
    assert len(history(session, dossier)) == before


@pytest.mark.parametrize("who", ["xa", "dieuphoi", "phong.tn-mt", "mttq.moi", "chutich.xa"])
def test_only_the_front_of_the_applicant_commune_supervises(session: Session, world: World, who: str) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    with pytest.raises(NotPermitted):
        handle(
            session, world.user(who), later(BEFORE, 30), c.RecordSupervision(dossier_id=dossier.id, comment="Ý kiến")
        )


def test_not_before_the_registration_is_confirmed(session: Session, world: World) -> None:
    dossier = handle(
        session,
        world.user("xa"),
        BEFORE,
        c.Register(
            unit_id=world.commune.id,
            level=RecognitionLevel.COMMUNE_NTM,
            year=2025,
            criteria_set_id=world.commune_set.id,
        ),
    ).opened()
    with pytest.raises(ActionNotAllowed):
        handle(session, world.user("mttq"), BEFORE, c.RecordSupervision(dossier_id=dossier.id, comment="Ý kiến"))
    handle(session, world.user("dieuphoi"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    handle(session, world.user("mttq"), later(BEFORE, 2), c.RecordSupervision(dossier_id=dossier.id, comment="Ý kiến"))
    assert dossier.state == "self_assessment"
