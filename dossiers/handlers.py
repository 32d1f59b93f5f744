"""The one command path: `handle(session, actor, now, command)`.

For a command on a dossier it loads the dossier and the actor once, decides with the pure engine
(state, then who, then guards: a refusal writes nothing), applies the command's own change, writes
the audit event, bumps the dossier's version and flushes; then runs what the action declares should
follow (an appraisal answered by every department completes by itself). It never commits: the caller
owns the transaction. A dossier changed by someone else since it was read raises `StaleDossier`.

Delegation: a substitute acts with the grants of an officer who named them for a period covering
today; the audit event records both (`actor` and `on_behalf_of`).

A new action is one definition (`workflow.procedures`), one command (`dossiers.commands`) and one
handler here, registered with `@handles(TheCommand)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from dossiers import commands as c
from dossiers.access import load_actor
from dossiers.context import DossierContext
from dossiers.criteria_amendments import province_mismatch
from dossiers.evidence import EvidenceRejectedError, store_evidence
from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    Assessment,
    AuditEvent,
    ConditionConfirmation,
    Consultation,
    CriteriaSet,
    Department,
    Dossier,
    Evidence,
    Indicator,
    ModelConditions,
    Reassessment,
    Recognition,
    SmartHamletModel,
    SupplementItem,
    SupplementRequest,
    Unit,
    User,
)
from dossiers.models.appraisal import APPROVED, RETURNED
from dossiers.planning import obligations
from dossiers.regimes import set_terms, with_province
from dossiers.territory import Place, load_territory
from workflow import permissions
from workflow.actions import Action
from workflow.calendar import local_date
from workflow.engine import SYSTEM, Grant, Party, Transit
from workflow.errors import GuardFailed, NotFound, NotPermitted, StaleDossier, join_vi
from workflow.measures import InvalidValue, fold, read_value
from workflow.permissions import Person
from workflow.procedures import fallback_appraiser, procedure_for
from workflow.regimes import regime_for
from workflow.revocation import revocation_finding
from workflow.routes import route_for
from workflow.rules import CONDITION_LABELS, Rules
from workflow.vocabulary import (
    RECOGNITION_LEVEL_LABELS,
    UNIT_KIND_LABELS,
    DossierKind,
    RecognitionLevel,
    UnitKind,
)


@dataclass
class Outcome:
    """What a command did: the dossier it acted on (or opened), its audit event, the row it wrote."""

    dossier: Dossier | None = None
    event: AuditEvent | None = None
    record: Any = None

    def opened(self) -> Dossier:
        """The dossier the command acted on or opened (registration, a revocation case)."""
        if self.dossier is None:
            raise ValueError("the command acted on no dossier")
        return self.dossier


@dataclass
class Acting:
    """Who acts, under which grant, on which context, and what the engine decided."""

    context: DossierContext
    user: User
    principal: Person
    grants: Collection[Grant]
    transit: Transit

    @property
    def session(self) -> Session:
        return self.context.session

    @property
    def dossier(self) -> Dossier:
        return self.context.dossier

    @property
    def now(self) -> dt.datetime:
        return self.context.now

    @property
    def on_behalf_of_id(self) -> int | None:
        return None if self.principal.user_id == self.user.id else self.principal.user_id


@dataclass
class Applied:
    """A handler's change: the audit payload, the row it wrote, and (when it differs from the engine's)
    the grant and comment the audit event records."""

    payload: dict[str, Any] = field(default_factory=dict)
    record: Any = None
    grant: Grant | None = None
    comment: str | None = None


C = TypeVar("C", bound=c.DossierCommand)


@dataclass(frozen=True)
class Handler(Generic[C]):
    apply: Callable[[Acting, C], Applied]
    #: what follows the action by itself, in the same transaction (None: nothing)
    then: Callable[[Acting], AuditEvent | None] | None = None
    #: the guards are evaluated on a full facts snapshot (False: the action's transitions have none)
    reads_facts: bool = True


HANDLERS: dict[type[c.DossierCommand], Handler[Any]] = {}


def handles(
    command: type[C], *, then: Callable[[Acting], AuditEvent | None] | None = None
) -> Callable[[Callable[[Acting, C], Applied]], Callable[[Acting, C], Applied]]:
    def register(apply: Callable[[Acting, C], Applied]) -> Callable[[Acting, C], Applied]:
        HANDLERS[command] = Handler(apply, then)
        return apply

    return register


# --- the entry point ---------------------------------------------------------------------------------


def handle(
    session: Session, actor: User, now: dt.datetime, command: c.Command, *, rules: Rules | None = None
) -> Outcome:
    """Carry out one command. Raises the domain error that explains a refusal; writes nothing then.

    The thresholds are those of the dossier's pinned regime with its province's figures (`dossiers.regimes`)
    unless `rules` is given (a test, a what-if)."""
    dossier_id = getattr(command, "dossier_id", None)
    try:
        if isinstance(command, c.DossierCommand):
            return _handle_dossier_command(session, actor, now, command, rules)
        opener = OPENERS.get(type(command))
        if opener is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        return opener(session, actor, now, command, rules)
    except StaleDataError as exc:
        raise StaleDossier(dossier_id) from exc


def _load_dossier(session: Session, dossier_id: int) -> Dossier:
    dossier = session.get(Dossier, dossier_id, options=[joinedload(Dossier.unit), joinedload(Dossier.decider_unit)])
    if dossier is None:
        raise NotFound("hồ sơ", dossier_id)
    return dossier


def _handle_dossier_command(
    session: Session, user: User, now: dt.datetime, command: c.DossierCommand, rules: Rules | None
) -> Outcome:
    handler = HANDLERS[type(command)]
    dossier = _load_dossier(session, command.dossier_id)
    if command.expected_version is not None and dossier.version != command.expected_version:
        raise StaleDossier(dossier.id, f"phiên bản {command.expected_version}, hiện tại {dossier.version}")
    context = DossierContext(session, dossier, load_actor(session, user, now), now, rules)
    acting = _decide(context, user, command)
    from_state = dossier.state
    applied = handler.apply(acting, command)
    event = record_event(
        context,
        acting.transit,
        actor_id=user.id,
        on_behalf_of_id=acting.on_behalf_of_id,
        grant=applied.grant or acting.transit.grant,
        comment=applied.comment if applied.comment is not None else command.comment,
        payload=applied.payload,
    )
    last = handler.then(acting) if handler.then is not None else None
    # the obligations this action met (a milestone reached, a working-day step left)
    obligations.dossier_moved(session, dossier, from_state, (last or event).action, now)
    return Outcome(dossier=dossier, event=event, record=applied.record if applied.record is not None else event)


def _decide(context: DossierContext, user: User, command: c.DossierCommand) -> Acting:
    """Whose grants the actor uses, and the engine's decision; nothing is written."""
    procedure, dossier, actor = context.procedure, context.dossier, context.actor
    action = command.action

    def grants(person: Person) -> Collection[Grant]:
        return permissions.grants_of(person, context.seats, context.rules)

    if command.on_behalf_of_id is not None and command.on_behalf_of_id != user.id:
        principal = actor.delegator(command.on_behalf_of_id)
        if principal is None:
            substitute_for = context.session.get(User, command.on_behalf_of_id)
            name = substitute_for.full_name if substitute_for else f"người dùng số {command.on_behalf_of_id}"
            raise NotPermitted(
                "ủy quyền", f"{name} không ủy quyền cho {user.full_name} vào ngày {context.today:%d/%m/%Y}"
            )
        held: Collection[Grant] = grants(principal)
    else:
        principal, held = permissions.choose_principal(
            actor, grants, lambda g: action in procedure.allowed_actions(dossier.state, g)
        )
    # the cheap refusals (state, then who) before reading the facts
    procedure.check(dossier.state, action, held)
    guarded = any(t.guards for t in procedure.machine_transitions(action, dossier.state))
    facts = context.facts(command.comment) if guarded else context.minimal_facts(command.comment)
    transit = procedure.fire(dossier.state, action, grants=held, facts=facts, rules=context.rules)
    return Acting(context, user, principal, held, transit)


def record_event(
    context: DossierContext,
    transit: Transit,
    *,
    actor_id: int | None,
    on_behalf_of_id: int | None,
    grant: Grant,
    comment: str | None = None,
    payload: Mapping[str, Any] | None = None,
    opening: bool = False,
) -> AuditEvent:
    """Apply the engine's decision to the row, write its audit event, bump the version, flush.

    An opening event (registration, a revocation case opened) has no "from" state: replaying the
    log starts there."""
    dossier, now = context.dossier, context.now
    dossier.state = transit.to_state
    dossier.updated_at = now
    # internal actions change no dossier column: force the UPDATE so the version check guards them too
    flag_modified(dossier, "updated_at")
    event = AuditEvent(
        dossier_id=dossier.id,
        occurred_at=now,
        action=transit.action,
        actor_id=actor_id,
        on_behalf_of_id=on_behalf_of_id,
        role=grant.role.value if grant.role else Party.SYSTEM.value,
        from_state=None if opening else transit.from_state,
        to_state=transit.to_state,
        comment=comment,
        payload={"party": grant.party.value, **(payload or {})},
    )
    context.session.add(event)
    _flush(context.session, dossier)
    return event


def _flush(session: Session, dossier: Dossier) -> None:
    # read before flushing: after a failed flush the row cannot be refreshed until the caller rolls back
    dossier_id = dossier.__dict__.get("id")
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleDossier(dossier_id) from exc


# --- actions that carry no input beyond a comment ----------------------------------------------------


def _nothing(_acting: Acting, _command: c.DossierCommand) -> Applied:
    return Applied()


for _plain in (c.ConfirmRegistration, c.Withdraw, c.FinishSelfAssessment, c.Forward, c.Refuse, c.Keep):
    HANDLERS[_plain] = Handler(_nothing)
# the provincial appraisal stage: the Sở's finding, its supplement request and the district's answer are the
# action's comment in the audit log (what to supplement, what was supplemented)
for _stage in (c.AppraiseAtProvince, c.RequestSupplement, c.ResubmitToProvince):
    HANDLERS[_stage] = Handler(_nothing)


@handles(c.RecordSupervision)
def _record_supervision(acting: Acting, command: c.RecordSupervision) -> Applied:
    """The Front's supervision comment: the audit event is the record (its comment, the step it was made at),
    shown in the dossier's history; the state does not change."""
    text = " ".join((command.comment or "").split())
    return Applied({"supervision": text, "state": acting.dossier.state}, comment=text)


@handles(c.Submit)
def _submit(acting: Acting, _command: c.Submit) -> Applied:
    """One task per owning department with exactly the indicators it owns; a shared indicator is in
    both tasks. Indicators nobody owns go to the authority's fallback seat (rules permitting)."""
    context, dossier = acting.context, acting.dossier
    if context.tasks:
        raise GuardFailed(Action.SUBMIT, ["hồ sơ đã có nhiệm vụ thẩm tra"])
    fallback_role = fallback_appraiser(context.procedure, dossier.level)
    tasks: dict[int | None, AppraisalTask] = {}
    for indicator in context.indicators:
        seats_: list[int | None] = list(context.owners.get(indicator.id, [])) or [None]
        for department_id in seats_:
            task = tasks.get(department_id)
            if task is None:
                task = AppraisalTask(
                    dossier_id=dossier.id,
                    department_id=department_id,
                    fallback_role=None if department_id is not None else fallback_role.value,
                    round=1,
                    opened_at=acting.now,
                )
                acting.session.add(task)
                tasks[department_id] = task
            task.items.append(AppraisalItem(indicator_id=indicator.id))
    acting.session.flush()
    context.forget_tasks()
    return Applied({"tasks": [seat.label for seat in context.task_seats]})


def _changed_since(session: Session, dossier: Dossier) -> dict[int, dt.datetime]:
    """indicator id → when its assessment or evidence last changed."""
    changed: dict[int, dt.datetime] = {}
    for indicator_id, at in session.execute(
        select(Assessment.indicator_id, Assessment.assessed_at).where(Assessment.dossier_id == dossier.id)
    ).all():
        if at is not None:
            changed[indicator_id] = max(at, changed.get(indicator_id, at))
    for evidence_indicator_id, at in session.execute(
        select(Evidence.indicator_id, func.max(Evidence.uploaded_at))
        .where(Evidence.dossier_id == dossier.id, Evidence.indicator_id.is_not(None))
        .group_by(Evidence.indicator_id)
    ).all():
        if evidence_indicator_id is not None and at is not None:
            changed[evidence_indicator_id] = max(at, changed.get(evidence_indicator_id, at))
    return changed


@handles(c.Resubmit)
def _resubmit(acting: Acting, _command: c.Resubmit) -> Applied:
    """Reopen, in each task, the items returned or changed since decided; approvals not affected stay."""
    context, now = acting.context, acting.now
    changed = _changed_since(acting.session, acting.dossier)
    reopened: dict[str, list[str]] = {}
    for task, seat_ in zip(context.tasks, context.task_seats, strict=True):
        again = []
        for item in task.items:
            moved = changed.get(item.indicator_id)
            if item.decision == RETURNED or (
                item.decided_at is not None and moved is not None and moved > item.decided_at
            ):
                item.decision = item.reason = item.decided_at = None
                item.decided_by_id = item.on_behalf_of_id = None
                again.append(context.code_of[item.indicator_id])
        if again:
            task.answered_at = None
            task.round += 1
            task.opened_at = now
            reopened[seat_.label] = again
    for request in acting.session.scalars(
        select(SupplementRequest).where(
            SupplementRequest.dossier_id == acting.dossier.id, SupplementRequest.resolved_at.is_(None)
        )
    ):
        request.resolved_at = now
    context.forget_tasks()
    return Applied({"reopened": reopened})


@handles(c.Recognise)
def _recognise(acting: Acting, command: c.Recognise) -> Applied:
    dossier = acting.dossier
    recognition = Recognition(
        unit_id=dossier.unit_id,
        level=dossier.level,
        year=dossier.year,
        dossier_id=dossier.id,
        decision_number=command.decision_number,
        decided_on=command.decided_on or acting.context.today,
        recorded_at=acting.now,
    )
    acting.session.add(recognition)
    return Applied({"decision_number": command.decision_number, "decided_on": recognition.decided_on.isoformat()})


@handles(c.Revoke)
def _revoke(acting: Acting, command: c.Revoke) -> Applied:
    revoked = acting.session.scalars(
        select(Recognition).where(Recognition.revocation_dossier_id == acting.dossier.id)
    ).all()
    revoked_on = command.decided_on or acting.context.today
    for recognition in revoked:
        recognition.revoked_on = revoked_on
    return Applied(
        {
            "recognitions": [r.id for r in revoked],
            "decision_number": command.decision_number,
            "decided_on": revoked_on.isoformat(),
        }
    )


# --- self-assessment and evidence --------------------------------------------------------------------


def _indicator(acting: Acting, code: str) -> int:
    ref = acting.context.by_code.get(code)
    if ref is None:
        label = acting.dossier.criteria_set.label
        raise GuardFailed(acting.transit.action, [f"bộ tiêu chí {label} không có chỉ tiêu {code}"])
    return ref.id


@handles(c.RecordAssessments)
def _record_assessments(acting: Acting, command: c.RecordAssessments) -> Applied:
    """Every entry in one go; the audit event lists what changed (old → new). Entries that change
    nothing are kept out of the list but still stamped with who assessed and when."""
    if not command.entries:
        raise GuardFailed(Action.RECORD_ASSESSMENT, ["chưa có chỉ tiêu nào để ghi"])
    codes = [entry.code for entry in command.entries]
    duplicated = sorted({code for code in codes if codes.count(code) > 1})
    if duplicated:
        raise GuardFailed(Action.RECORD_ASSESSMENT, [f"chỉ tiêu {join_vi(duplicated)} được ghi hai lần"])
    ids = {entry.code: _indicator(acting, entry.code) for entry in command.entries}
    invalid = []
    for entry in command.entries:
        if entry.value is not None and entry.value.strip():
            ref = acting.context.by_code[entry.code]
            try:
                read_value(ref.measure, entry.value, ref.answers, code=entry.code)
            except InvalidValue as exc:
                invalid.append(str(exc))
    if invalid:
        raise GuardFailed(Action.RECORD_ASSESSMENT, invalid)
    existing = acting.context.assessments
    changes = []
    last: Assessment | None = None
    for entry in command.entries:
        assessment = existing.get(ids[entry.code])
        before = (
            None if assessment is None else {"met": assessment.met, "value": assessment.value, "note": assessment.note}
        )
        if assessment is None:
            assessment = Assessment(dossier_id=acting.dossier.id, indicator_id=ids[entry.code])
            acting.session.add(assessment)
            existing[ids[entry.code]] = assessment
        after = {"met": entry.met, "value": entry.value, "note": entry.note}
        assessment.met, assessment.value, assessment.note = entry.met, entry.value, entry.note
        assessment.assessed_by_id = acting.user.id
        assessment.assessed_at = acting.now
        if before != after:
            changes.append({"indicator": entry.code, "old": before, "new": after})
        last = assessment
    payload: dict[str, Any] = {"changes": changes}
    if len(command.entries) == 1:
        # the single save keeps the shape every reader of the log knows
        entry = command.entries[0]
        payload.update({"indicator": entry.code, "met": entry.met, "value": entry.value})
    else:
        payload["indicators"] = codes
    return Applied(payload, record=last)


@handles(c.AttachEvidence)
def _attach_evidence(acting: Acting, command: c.AttachEvidence) -> Applied:
    indicator = None
    if command.code:
        indicator = acting.session.get(Indicator, _indicator(acting, command.code))
    try:
        evidence = store_evidence(
            acting.session,
            command.storage_root,
            dossier=acting.dossier,
            stream=command.stream,
            original_name=command.original_name,
            uploaded_by=acting.user,
            now=acting.now,
            indicator=indicator,
            mime_type=command.mime_type,
            policy=command.policy,
        )
    except EvidenceRejectedError as exc:
        raise GuardFailed(Action.ATTACH_EVIDENCE, [str(exc).rstrip(".")]) from exc
    payload = {
        "evidence": evidence.id,
        "sha256": evidence.sha256,
        "name": evidence.original_name,
        "indicator": command.code,
    }
    return Applied(payload, record=evidence)


def outstanding_field_code(criteria_set: CriteriaSet, chosen: str, action: str) -> str:
    """The code of the outstanding field (lĩnh vực nổi trội) chosen from the set's list, by code or by name;
    anything outside the list is refused, naming the list."""
    fields = criteria_set.outstanding_fields or []
    for field_spec in fields:
        if fold(chosen) in (fold(str(field_spec["code"])), fold(str(field_spec["name"]))):
            return str(field_spec["code"])
    if not fields:
        raise GuardFailed(action, [f"bộ tiêu chí {criteria_set.label} không có lĩnh vực nổi trội để chọn"])
    names = ", ".join(str(field_spec["name"]) for field_spec in fields)
    message = f"lĩnh vực nổi trội “{chosen}” không có trong danh sách của bộ {criteria_set.label} ({names})"
    raise GuardFailed(action, [message])


@handles(c.RecordModelConditions)
def _record_model_conditions(acting: Acting, command: c.RecordModelConditions) -> Applied:
    if command.income_per_capita < 0 or command.advanced_income_level <= 0:
        raise GuardFailed(Action.RECORD_MODEL_CONDITIONS, ["thu nhập và mức thu nhập xã nâng cao phải là số dương"])
    field_code = outstanding_field_code(
        acting.dossier.criteria_set, command.outstanding_field, Action.RECORD_MODEL_CONDITIONS
    )
    if acting.context.tasks and field_code != acting.dossier.outstanding_field:
        # its criterion was given to the field's department at submission: a returned dossier keeps its field
        raise GuardFailed(
            Action.RECORD_MODEL_CONDITIONS,
            [f"hồ sơ đã nộp với lĩnh vực nổi trội «{acting.dossier.outstanding_field}», không đổi được khi bổ sung"],
        )
    hamlets = _smart_hamlets(acting, command)
    declared = acting.context.model_conditions
    if declared is None:
        declared = ModelConditions(dossier_id=acting.dossier.id, updated_at=acting.now)
        acting.session.add(declared)
    declared.income_per_capita = command.income_per_capita
    declared.advanced_income_level = command.advanced_income_level
    declared.smart_hamlet_models = len({entry.hamlet_id for entry, _ in hamlets})
    declared.outstanding_field_met = command.outstanding_field_met
    declared.updated_at = acting.now
    acting.dossier.outstanding_field = field_code
    acting.session.execute(delete(SmartHamletModel).where(SmartHamletModel.dossier_id == acting.dossier.id))
    acting.session.add_all(
        SmartHamletModel(
            dossier_id=acting.dossier.id,
            hamlet_unit_id=entry.hamlet_id,
            product=entry.product,
            sold_on=entry.sold_on,
            recorded_at=acting.now,
        )
        for entry, _ in hamlets
    )
    return Applied(
        {
            "income_per_capita": command.income_per_capita,
            "advanced_income_level": command.advanced_income_level,
            "smart_hamlet_models": declared.smart_hamlet_models,
            "smart_hamlets": [
                {"hamlet_id": entry.hamlet_id, "hamlet": name, "product": entry.product, "sold_on": entry.sold_on}
                for entry, name in hamlets
            ],
            "outstanding_field": field_code,
            "outstanding_field_met": command.outstanding_field_met,
        }
    )


def _smart_hamlets(acting: Acting, command: c.RecordModelConditions) -> list[tuple[c.SmartHamlet, str]]:
    """The smart-hamlet models named, each checked: a hamlet of the commune in force today, a product and where
    it is sold online, no model named twice; a count given beside them must be the number of hamlets named."""
    problems: list[str] = []
    entries = [
        c.SmartHamlet(entry.hamlet_id, " ".join(entry.product.split()), " ".join(entry.sold_on.split()))
        for entry in command.smart_hamlets
    ]
    units = {
        unit.id: unit
        for unit in acting.session.scalars(select(Unit).where(Unit.id.in_({e.hamlet_id for e in entries})))
    }
    seen: set[tuple[int, str]] = set()
    named: list[tuple[c.SmartHamlet, str]] = []
    for number, entry in enumerate(entries, start=1):
        unit = units.get(entry.hamlet_id)
        if unit is None or unit.kind != UnitKind.HAMLET or unit.parent_id != acting.dossier.unit_id:
            problems.append(f"mô hình {number}: không phải thôn của {acting.dossier.unit.name}")
            continue
        if not unit.is_valid_on(acting.context.today):
            problems.append(f"mô hình {number}: thôn {unit.name} không còn hiệu lực")
        if not entry.product or not entry.sold_on:
            problems.append(f"mô hình {number} (thôn {unit.name}): ghi sản phẩm và nơi bán trực tuyến")
        elif len(entry.product) > 200 or len(entry.sold_on) > 300:
            problems.append(f"mô hình {number} (thôn {unit.name}): sản phẩm tối đa 200, nơi bán tối đa 300 ký tự")
        key = (entry.hamlet_id, fold(entry.product))
        if key in seen:
            problems.append(f"mô hình {number}: thôn {unit.name} đã có sản phẩm «{entry.product}»")
        seen.add(key)
        named.append((entry, unit.name))
    hamlets = len({entry.hamlet_id for entry, _ in named})
    if command.smart_hamlet_models is not None and command.smart_hamlet_models != hamlets and not problems:
        problems.append(
            f"số mô hình thôn thông minh ({command.smart_hamlet_models}) khác số thôn đã nêu ({hamlets}): "
            "ghi từng mô hình — thôn nào, sản phẩm nào bán trực tuyến, ở đâu"
        )
    if problems:
        raise GuardFailed(Action.RECORD_MODEL_CONDITIONS, problems)
    return named


# --- consultation ------------------------------------------------------------------------------------


def _consultation(acting: Acting) -> Consultation:
    found = acting.context.consultation
    if found is None:
        found = Consultation(dossier_id=acting.dossier.id, updated_at=acting.now)
        acting.session.add(found)
    found.updated_at = acting.now
    return found


@handles(c.RecordPosting)
def _record_posting(acting: Acting, command: c.RecordPosting) -> Applied:
    if command.end < command.start or command.announcements < 0:
        raise GuardFailed(
            Action.RECORD_POSTING, ["ngày kết thúc niêm yết trước ngày bắt đầu, hoặc số lần thông báo âm"]
        )
    consultation = _consultation(acting)
    consultation.posting_start, consultation.posting_end = command.start, command.end
    consultation.announcements = command.announcements
    return Applied(
        {"start": command.start.isoformat(), "end": command.end.isoformat(), "announcements": command.announcements}
    )


@handles(c.RecordSurvey)
def _record_survey(acting: Acting, command: c.RecordSurvey) -> Applied:
    total, reached, satisfied = command.households_total, command.households_reached, command.households_satisfied
    if not 0 <= satisfied <= reached <= total or total == 0:
        raise GuardFailed(
            Action.RECORD_SURVEY,
            ["số hộ không hợp lệ: cần 0 ≤ hài lòng ≤ được hỏi ý kiến ≤ tổng số hộ, tổng số hộ > 0"],
        )
    consultation = _consultation(acting)
    consultation.households_total = total
    consultation.households_reached = reached
    consultation.households_satisfied = satisfied
    return Applied({"total": total, "reached": reached, "satisfied": satisfied})


@handles(c.RecordVote)
def _record_vote(acting: Acting, command: c.RecordVote) -> Applied:
    if not 0 <= command.votes_in_favour <= command.votes_total or command.votes_total == 0:
        raise GuardFailed(
            Action.RECORD_VOTE, ["số phiếu không hợp lệ: cần 0 ≤ đồng ý ≤ tổng số phiếu, tổng số phiếu > 0"]
        )
    consultation = _consultation(acting)
    consultation.votes_total, consultation.votes_in_favour = command.votes_total, command.votes_in_favour
    return Applied({"total": command.votes_total, "in_favour": command.votes_in_favour})


@handles(c.RecordAnnouncement)
def _record_announcement(acting: Acting, command: c.RecordAnnouncement) -> Applied:
    if command.end < command.start:
        raise GuardFailed(Action.RECORD_ANNOUNCEMENT, ["ngày kết thúc thông báo trước ngày bắt đầu"])
    consultation = _consultation(acting)
    consultation.announcement_start, consultation.announcement_end = command.start, command.end
    return Applied({"start": command.start.isoformat(), "end": command.end.isoformat()})


# --- appraisal ---------------------------------------------------------------------------------------


def _answer(acting: Acting, command: c.ApproveIndicators | c.ReturnIndicators) -> Applied:
    """A department's answer on its own task: the named indicators (or all it still has pending)."""
    action = command.action
    context = acting.context
    returning = isinstance(command, c.ReturnIndicators)
    requested: dict[str, str | None] | None
    if returning:
        requested = dict(cast(c.ReturnIndicators, command).reasons)
    else:
        codes = cast(c.ApproveIndicators, command).codes
        requested = {code: None for code in codes} if codes else None
    department_name = ""
    if command.department_id is not None:
        department = acting.session.get(Department, command.department_id)
        department_name = department.name if department else ""
    seat_, grant = permissions.task_to_answer(
        acting.principal,
        acting.grants,
        context.task_seats,
        action,
        department_id=command.department_id,
        department_name=department_name,
        codes=list(requested) if requested else (),
    )
    task = next(t for t in context.tasks if t.id == seat_.task_id)
    items = {context.code_of[item.indicator_id]: item for item in task.items}
    pending = {code: item for code, item in items.items() if item.decision is None}
    wanted = requested if requested is not None else dict.fromkeys(pending)
    if not wanted:
        raise GuardFailed(action, [f"{seat_.label} không còn chỉ tiêu nào chờ thẩm tra"])
    foreign = [code for code in wanted if code not in items]
    if foreign:
        raise NotPermitted(action, f"{seat_.label} không phụ trách thẩm tra chỉ tiêu {join_vi(foreign)}")
    done = [code for code in wanted if code not in pending]
    if done:
        raise GuardFailed(action, [f"chỉ tiêu {join_vi(done)} đã được {seat_.label} trả lời trong lượt này"])
    if returning:
        blank = [code for code, reason in wanted.items() if not (reason and reason.strip())]
        if blank:
            raise GuardFailed(action, [f"cần ghi lý do trả lại chỉ tiêu {join_vi(blank)}"])

    for code, reason in wanted.items():
        item = pending[code]
        item.decision = RETURNED if returning else APPROVED
        item.reason = reason.strip() if returning and reason else None
        item.decided_at = acting.now
        item.decided_by_id = acting.user.id
        item.on_behalf_of_id = acting.on_behalf_of_id
    if all(item.decision is not None for item in task.items):
        task.answered_at = acting.now
    context.forget_tasks(rows_too=False)
    payload: dict[str, Any] = {
        "task_id": task.id,
        "department": task.department.code if task.department else None,
        "indicators": list(wanted),
    }
    if returning:
        payload["reasons"] = {code: (reason or "").strip() for code, reason in wanted.items()}
    return Applied(payload, grant=grant)


def _complete_if_answered(acting: Acting) -> AuditEvent | None:
    """When no task is open any more, the system moves the dossier: all approved → appraised; anything
    returned → returned for supplement, with ONE consolidated supplement request."""
    context = acting.context
    if any(seat_.pending for seat_ in context.task_seats):
        return None
    facts = context.facts()
    transit = context.procedure.fire(
        acting.dossier.state, Action.COMPLETE_APPRAISAL, grants={SYSTEM}, facts=facts, rules=context.rules
    )
    payload: dict[str, Any] = {}
    if transit.to_state == "returned":
        request = _supplement_request(context)
        payload = {"supplement_request_id": request.id, "returned": sorted(facts.returned)}
    return record_event(context, transit, actor_id=None, on_behalf_of_id=None, grant=SYSTEM, payload=payload)


def _supplement_request(context: DossierContext) -> SupplementRequest:
    session, dossier = context.session, context.dossier
    rounds = (
        session.scalar(select(func.count(SupplementRequest.id)).where(SupplementRequest.dossier_id == dossier.id)) or 0
    )
    request = SupplementRequest(dossier_id=dossier.id, round=rounds + 1, issued_at=context.now, text="")
    lines = [f"Yêu cầu bổ sung hồ sơ (lần {rounds + 1}) — {dossier.unit.name}, năm {dossier.year}:"]
    for task, seat_ in zip(context.tasks, context.task_seats, strict=True):
        for item in task.items:
            if item.decision == RETURNED:
                request.items.append(
                    SupplementItem(
                        indicator_id=item.indicator_id, department_id=task.department_id, reason=item.reason or ""
                    )
                )
                lines.append(f"- Chỉ tiêu {context.code_of[item.indicator_id]} ({seat_.label}): {item.reason}")
    request.text = "\n".join(lines)
    session.add(request)
    session.flush()
    return request


HANDLERS[c.ApproveIndicators] = Handler(_answer, then=_complete_if_answered)
HANDLERS[c.ReturnIndicators] = Handler(_answer, then=_complete_if_answered)


@handles(c.ConfirmCondition)
def _confirm_condition(acting: Acting, command: c.ConfirmCondition) -> Applied:
    """The department in charge confirms a QĐ 18/2022 condition (finance: no construction debt;
    police: not a complex security area), or records that it does not hold."""
    if command.condition not in CONDITION_LABELS:
        raise GuardFailed(Action.CONFIRM_CONDITION, [f"không có điều kiện «{command.condition}»"])
    rules, dossier = acting.context.rules, acting.dossier
    if not rules.requires(command.condition, dossier.level):
        raise GuardFailed(
            Action.CONFIRM_CONDITION,
            [
                f"hồ sơ «{RECOGNITION_LEVEL_LABELS[RecognitionLevel(dossier.level)]}» không cần xác nhận "
                f"«{CONDITION_LABELS[command.condition]}» theo quy định áp dụng"
            ],
        )
    confirming_unit = acting.context.condition_unit_id or dossier.authority_unit_id
    holding = permissions.confirming_department(acting.principal, confirming_unit, command.condition, rules)
    if holding is None or holding.department_id is None:
        codes = acting.context.rules.confirmers_of(command.condition)
        raise NotPermitted(
            Action.CONFIRM_CONDITION,
            f"chỉ phòng, ban có mã {join_vi(codes)} xác nhận «{CONDITION_LABELS[command.condition]}»",
        )
    confirmation = acting.context.confirmations.get(command.condition)
    if confirmation is None:
        confirmation = ConditionConfirmation(dossier_id=acting.dossier.id, condition=command.condition)
        acting.session.add(confirmation)
    confirmation.holds = command.holds
    confirmation.note = command.note
    confirmation.department_id = holding.department_id
    confirmation.confirmed_by_id = acting.user.id
    confirmation.on_behalf_of_id = acting.on_behalf_of_id
    confirmation.confirmed_at = acting.now
    return Applied(
        {"condition": command.condition, "holds": command.holds, "department": holding.department_code},
        record=confirmation,
        comment=command.note,
    )


# --- opening a dossier, and recognitions outside a dossier -------------------------------------------


Opener = Callable[[Session, User, dt.datetime, Any, Rules | None], Outcome]


def _register(session: Session, user: User, now: dt.datetime, command: c.Register, rules: Rules | None) -> Outcome:
    """Open a recognition dossier for the unit, level and year on the route and under the regime in force today.

    The appraising authority and the deciding unit are fixed here from the unit tree (nearest valid
    district, else the province, for a commune before 1/7/2025; the province after; the commune for a
    hamlet) and stored on the dossier, so a later change of the tree does not move a running dossier.
    The regime (2021-2025 until 14/02/2026, then 2026-2030, with the province's own figures) is pinned
    too: it decides which levels may be registered, on which criteria sets, for which years.
    """
    unit = session.get(Unit, command.unit_id)
    if unit is None:
        raise NotFound("đơn vị", command.unit_id)
    criteria_set = session.get(CriteriaSet, command.criteria_set_id)
    if criteria_set is None:
        raise NotFound("bộ tiêu chí", command.criteria_set_id)
    outstanding_field = (
        outstanding_field_code(criteria_set, command.outstanding_field, Action.REGISTER)
        if command.outstanding_field
        else None
    )
    level = RecognitionLevel(command.level)
    today = local_date(now)
    territory = load_territory(session, [unit.id])
    regime = with_province(regime_for(today), unit, command.year, province=territory.province_of(unit.id))
    # the province's rules may choose a variant of the route (its hamlet model, the Sở's appraisal stage)
    route = route_for(level, today, regime.routes)
    procedure = procedure_for(level, DossierKind.RECOGNITION, route.code)
    authority = territory.seat(unit.id, route.authority_kinds, today)
    decider = territory.seat(unit.id, route.decider_kinds, today)
    opened_by = procedure.definition.opened_by
    actor = load_actor(session, user, now)

    def held(person: Person) -> Collection[Grant]:
        return permissions.seat_grants(
            person,
            unit_id=unit.id,
            authority_unit_id=authority.id if authority else None,
            decider_unit_id=decider.id if decider else None,
            superior_unit_id=unit.parent_id,
        )

    if command.on_behalf_of_id is not None and command.on_behalf_of_id != user.id:
        principal = actor.delegator(command.on_behalf_of_id)
        if principal is None:
            raise NotPermitted("ủy quyền", f"không có ủy quyền cho {user.full_name} vào ngày {today:%d/%m/%Y}")
        grants = held(principal)
    else:
        principal, grants = permissions.choose_principal(actor, held, lambda g: any(o in g for o in opened_by))
    grant = next((g for g in opened_by if g in grants), None)
    if grant is None:
        raise NotPermitted(Action.REGISTER, f"chỉ {join_vi(g.label() for g in opened_by)} được đăng ký hồ sơ")

    missing = []
    if unit.kind != route.applicant_kind:
        missing.append(
            f"«{unit.name}» là {UNIT_KIND_LABELS[UnitKind(unit.kind)].lower()}, "
            f"cấp «{RECOGNITION_LEVEL_LABELS[level]}» dành cho {UNIT_KIND_LABELS[route.applicant_kind].lower()}"
        )
    if not territory.is_valid_on(unit.id, today):
        missing.append(f"đơn vị «{unit.name}» không còn hiệu lực vào ngày {today:%d/%m/%Y}")
    missing.extend(
        regime.registration_refusals(
            level,
            command.year,
            set_terms(criteria_set),
            today,
            commune_group=unit.commune_group,
            grouped_unit=unit.kind == UnitKind.COMMUNE,
        )
    )
    # a province's own set (its amendments to a national one) is for that province's units only
    province = territory.province_of(unit.id)
    if province_mismatch(criteria_set.issued_by, province.name if province else None):
        missing.append(
            f"bộ tiêu chí {criteria_set.label} do tỉnh {criteria_set.issued_by} ban hành, "
            f"không áp dụng cho «{unit.name}»" + (f" (tỉnh {province.name})" if province else "")
        )
    if authority is None:
        missing.append(f"không tìm thấy cơ quan thẩm tra ({', '.join(route.authority_kinds)}) của «{unit.name}»")
    if decider is None:
        missing.append(f"không tìm thấy cấp công nhận ({route.decider_title}) của «{unit.name}»")
    existing = session.scalars(
        select(Dossier.id).where(
            Dossier.unit_id == unit.id,
            Dossier.level == level.value,
            Dossier.year == command.year,
            Dossier.kind == DossierKind.RECOGNITION.value,
        )
    ).first()
    if existing is not None:
        missing.append(
            f"«{unit.name}» đã có hồ sơ «{RECOGNITION_LEVEL_LABELS[level]}» năm {command.year} (số {existing})"
        )
    if missing or authority is None or decider is None:
        raise GuardFailed(Action.REGISTER, missing)

    dossier = _open(
        session,
        now,
        unit=unit,
        level=level,
        year=command.year,
        kind=DossierKind.RECOGNITION,
        criteria_set_id=criteria_set.id,
        initial=procedure.definition.initial,
        seats=(authority, decider),
        route=route.code,
        regime=regime.code,
        outstanding_field=outstanding_field,
    )
    event = record_event(
        DossierContext(session, dossier, actor, now, rules or regime.rules),
        Transit(Action.REGISTER, "", procedure.definition.initial, grant),
        opening=True,
        actor_id=user.id,
        on_behalf_of_id=None if principal.user_id == user.id else principal.user_id,
        grant=grant,
        payload={
            "route": route.code,
            "regime": regime.code,
            "authority_unit_id": authority.id,
            "decider_unit_id": decider.id,
            "criteria_set": criteria_set.label,
        },
    )
    return Outcome(dossier=dossier, event=event, record=dossier)


def _open(
    session: Session,
    now: dt.datetime,
    *,
    unit: Unit,
    level: RecognitionLevel,
    year: int,
    kind: DossierKind,
    criteria_set_id: int,
    initial: str,
    seats: tuple[Place, Place],
    route: str,
    regime: str,
    outstanding_field: str | None = None,
) -> Dossier:
    """A new dossier row in its procedure's first state, its appraising and deciding units fixed now."""
    authority, decider = seats
    dossier = Dossier(
        unit_id=unit.id,
        level=level.value,
        year=year,
        kind=kind.value,
        criteria_set_id=criteria_set_id,
        state=initial,
        authority_unit_id=authority.id,
        decider_unit_id=decider.id,
        route=route,
        regime=regime,
        outstanding_field=outstanding_field,
        created_at=now,
        updated_at=now,
    )
    session.add(dossier)
    _flush(session, dossier)
    return dossier


def _record_prior_recognition(
    session: Session, user: User, now: dt.datetime, command: c.RecordPriorRecognition, _rules: Rules | None
) -> Outcome:
    """An administrator records a recognition decided before the system (a prerequisite for higher levels)."""
    if not permissions.may_manage(load_actor(session, user, now)):
        raise NotPermitted(
            Action.RECORD_PRIOR_RECOGNITION, "chỉ quản trị hệ thống ghi nhận quyết định công nhận trước đây"
        )
    if session.get(Unit, command.unit_id) is None:
        raise NotFound("đơn vị", command.unit_id)
    recognition = Recognition(
        unit_id=command.unit_id,
        level=RecognitionLevel(command.level).value,
        year=command.year,
        decision_number=command.decision_number,
        decided_on=command.decided_on,
        recorded_at=now,
    )
    session.add(recognition)
    session.flush()
    return Outcome(record=recognition)


def _record_yearly_reassessment(
    session: Session, user: User, now: dt.datetime, command: c.RecordYearlyReassessment, rules: Rules | None
) -> Outcome:
    """Record a recognised unit's yearly re-assessment. When the QĐ 18/2022 rule fires (30 %–<50 % of
    the criteria failed including a key criterion, or ≥ 50 %), a revocation case is opened
    automatically, on the route in force today, with an audit event by the system."""
    recognition = session.get(Recognition, command.recognition_id)
    if recognition is None:
        raise NotFound("quyết định công nhận", command.recognition_id)
    criteria_set = session.get(CriteriaSet, command.criteria_set_id)
    if criteria_set is None:
        raise NotFound("bộ tiêu chí", command.criteria_set_id)
    unit = recognition.unit
    today = local_date(now)
    actor = load_actor(session, user, now)
    territory = load_territory(session, [unit.id])
    if not permissions.may_record_reassessment(actor, unit.id, territory.scope_ids(unit.id)):
        raise NotPermitted(
            Action.RECORD_YEARLY_REASSESSMENT,
            "chỉ cán bộ của đơn vị hoặc cơ quan điều phối cấp trên ghi kết quả đánh giá lại",
        )
    if not recognition.active:
        raise GuardFailed(Action.RECORD_YEARLY_REASSESSMENT, ["quyết định công nhận đã bị thu hồi"])
    numbers = {criterion.number for criterion in criteria_set.criteria}
    failed = sorted(set(command.failed_criteria))
    unknown = [n for n in failed if n not in numbers]
    if unknown or not numbers:
        raise GuardFailed(
            Action.RECORD_YEARLY_REASSESSMENT,
            [f"bộ tiêu chí {criteria_set.label} không có tiêu chí {join_vi(map(str, unknown))}"],
        )
    key = [criterion.number for criterion in criteria_set.criteria if criterion.is_key]
    # a revocation case opens under the regime of today (its route too), with the province's figures
    regime = with_province(regime_for(today), unit, command.year)
    rules = rules or regime.rules
    finding = revocation_finding(len(numbers), failed, key, rules=rules)
    reassessment = Reassessment(
        recognition_id=recognition.id,
        year=command.year,
        criteria_set_id=criteria_set.id,
        total_criteria=len(numbers),
        failed_criteria=failed,
        key_failed=list(finding.key_failed) if finding else [n for n in failed if n in key],
        finding=finding.reason if finding else None,
        recorded_by_id=user.id,
        recorded_at=now,
    )
    session.add(reassessment)
    session.flush()
    if finding is None:
        return Outcome(record=reassessment)

    level = RecognitionLevel(recognition.level)
    procedure = procedure_for(level, DossierKind.REVOCATION)
    route = route_for(level, today)
    authority = territory.seat(unit.id, route.authority_kinds, today)
    decider = territory.seat(unit.id, route.decider_kinds, today)
    if authority is None or decider is None:
        raise GuardFailed(
            Action.OPEN_REVOCATION, [f"không tìm thấy cơ quan thẩm tra hoặc cấp quyết định của «{unit.name}»"]
        )
    case = _open(
        session,
        now,
        unit=unit,
        level=level,
        year=command.year,
        kind=DossierKind.REVOCATION,
        criteria_set_id=criteria_set.id,
        initial=procedure.definition.initial,
        seats=(authority, decider),
        route=route.code,
        regime=regime.code,
    )
    recognition.revocation_dossier_id = case.id
    reassessment.revocation_dossier_id = case.id
    event = record_event(
        DossierContext(session, case, actor, now, rules),
        Transit(Action.OPEN_REVOCATION, "", procedure.definition.initial, SYSTEM),
        opening=True,
        actor_id=None,
        on_behalf_of_id=None,
        grant=SYSTEM,
        comment=finding.reason,
        payload={
            "recognition_id": recognition.id,
            "reassessment_id": reassessment.id,
            "recorded_by": user.id,
            "failed": list(finding.failed),
            "key_failed": list(finding.key_failed),
        },
    )
    return Outcome(dossier=case, event=event, record=reassessment)


OPENERS: dict[type[c.Command], Opener] = {
    c.Register: _register,
    c.RecordPriorRecognition: _record_prior_recognition,
    c.RecordYearlyReassessment: _record_yearly_reassessment,
}


# --- reading -----------------------------------------------------------------------------------------


def replayed_state(session: Session, dossier: Dossier) -> str | None:
    """The state the dossier's audit log leads to, walked through its procedure's machine."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.id)
    ).all()
    return procedure_for(dossier.level, dossier.kind, dossier.route).replay(
        (e.action, e.from_state, e.to_state) for e in events
    )


def supplement_requests(session: Session, dossier: Dossier) -> list[SupplementRequest]:
    return list(
        session.scalars(
            select(SupplementRequest)
            .where(SupplementRequest.dossier_id == dossier.id)
            .order_by(SupplementRequest.round)
        )
    )
