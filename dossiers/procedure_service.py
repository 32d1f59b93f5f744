"""Services that move dossiers through their procedure. Callable from web, CLI and tests alike.

Every service takes `session`, `actor`, `now`; checks the action with the pure engine first (state,
then who, then guards) so a refusal writes nothing; applies the change, writes its `AuditEvent` and
bumps the dossier's version in the same flush; never commits. A dossier changed by someone else
since it was read raises `StaleDossier` (the optimistic `version` column), and the caller rolls back.

Delegation: a substitute acts with the grants of the officer who named them for a period covering
today; the audit event records both (`actor` and `on_behalf_of`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from dossiers.evidence import DEFAULT_POLICY, EvidencePolicy, EvidenceRejectedError, store_evidence
from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    Assessment,
    AuditEvent,
    ConditionConfirmation,
    Consultation,
    CriteriaSet,
    Delegation,
    Department,
    Dossier,
    Evidence,
    ModelConditions,
    Reassessment,
    Recognition,
    SupplementItem,
    SupplementRequest,
    Unit,
    User,
)
from dossiers.models.appraisal import APPROVED, RETURNED
from dossiers.procedure_facts import (
    Snapshot,
    active_delegators,
    build_facts,
    grants_of,
    owners_by_indicator,
    procedure_of,
    seat,
    seat_grants,
    vietnam_today,
)
from workflow.engine import SYSTEM, Grant, Party, Procedure, Transit
from workflow.errors import GuardFailed, NotPermitted, StaleDossier, join_vi
from workflow.procedures import ATTACH_EVIDENCE, FALLBACK_APPRAISER, procedure_for
from workflow.revocation import revocation_finding
from workflow.routes import route_for
from workflow.rules import CONDITION_LABELS, DEFAULT_RULES, Rules
from workflow.vocabulary import (
    RECOGNITION_LEVEL_LABELS,
    UNIT_KIND_LABELS,
    DossierKind,
    RecognitionLevel,
    Role,
    UnitKind,
)

#: actions `take_action` performs; the others carry inputs and have their own service
PLAIN_ACTIONS = frozenset(
    {
        "confirm_registration",
        "withdraw",
        "finish_self_assessment",
        "submit",
        "resubmit",
        "forward",
        "recognise",
        "refuse",
        "revoke",
        "keep",
    }
)


@dataclass
class _Acting:
    """Who acts, under which grant, on which facts, and what the engine decided."""

    procedure: Procedure
    user: User
    principal: User
    grants: set[Grant]
    snapshot: Snapshot
    transit: Transit

    @property
    def on_behalf_of(self) -> User | None:
        return None if self.principal is self.user else self.principal


# --- the common path -----------------------------------------------------------------------------


def _delegation_active(session: Session, delegator: User, substitute: User, day: dt.date) -> bool:
    found = session.scalars(
        select(Delegation.id).where(
            Delegation.delegator_id == delegator.id,
            Delegation.substitute_id == substitute.id,
            Delegation.starts_on <= day,
            Delegation.ends_on >= day,
        )
    ).first()
    return found is not None


def _principal(
    session: Session,
    actor: User,
    now: dt.datetime,
    on_behalf_of: User | None,
    grants: Callable[[User], set[Grant]],
    allows: Callable[[set[Grant]], bool],
) -> tuple[User, set[Grant]]:
    """Whose grants the actor uses: their own, or (explicitly, or when their own do not allow the
    action) those of an officer who named them substitute for today."""
    today = vietnam_today(now)
    if on_behalf_of is not None and on_behalf_of.id != actor.id:
        if not _delegation_active(session, on_behalf_of, actor, today):
            raise NotPermitted(
                "ủy quyền", f"{on_behalf_of.full_name} không ủy quyền cho {actor.full_name} vào ngày {today:%d/%m/%Y}"
            )
        return on_behalf_of, grants(on_behalf_of)
    own = grants(actor)
    if allows(own):
        return actor, own
    for delegator in active_delegators(session, actor, today):
        theirs = grants(delegator)
        if allows(theirs):
            return delegator, theirs
    return actor, own


def _check_version(dossier: Dossier, expected_version: int | None) -> None:
    if expected_version is not None and dossier.version != expected_version:
        raise StaleDossier(dossier.id, f"phiên bản {expected_version}, hiện tại {dossier.version}")


def _begin(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    action: str,
    *,
    on_behalf_of: User | None,
    expected_version: int | None,
    comment: str | None = None,
    rules: Rules,
) -> _Acting:
    """Decide the action without writing anything: raises the domain error that explains a refusal."""
    _check_version(dossier, expected_version)
    procedure = procedure_of(dossier)
    owners = owners_by_indicator(session, dossier)
    principal, grants = _principal(
        session,
        actor,
        now,
        on_behalf_of,
        lambda user: grants_of(session, user, dossier, rules, owners),
        lambda held: action in procedure.allowed_actions(dossier.state, held),
    )
    # the cheap refusals (state, then who) before reading the facts
    procedure.check(dossier.state, action, grants)
    snapshot = build_facts(session, dossier, now, comment=comment, rules=rules, owners=owners)
    transit = procedure.fire(dossier.state, action, grants=grants, facts=snapshot.facts, rules=rules)
    return _Acting(procedure, actor, principal, grants, snapshot, transit)


P = ParamSpec("P")
R = TypeVar("R")


def _conflicts_are_stale(service: Callable[P, R]) -> Callable[P, R]:
    """Any flush of the service (explicit or an autoflush before a query) that finds the dossier's
    version moved means someone else acted first: report it as StaleDossier."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except StaleDataError as exc:
            dossier = next((arg for arg in (*args, *kwargs.values()) if isinstance(arg, Dossier)), None)
            # read without a refresh: after a failed flush the row cannot be loaded until the caller rolls back
            raise StaleDossier(dossier.__dict__.get("id") if dossier is not None else None) from exc

    return wrapper


def _flush(session: Session, dossier: Dossier) -> None:
    # read before flushing: after a failed flush the row cannot be refreshed until the caller rolls back
    dossier_id = dossier.__dict__.get("id")
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleDossier(dossier_id) from exc


def _record(
    session: Session,
    now: dt.datetime,
    dossier: Dossier,
    transit: Transit,
    *,
    actor: User | None,
    on_behalf_of: User | None,
    grant: Grant,
    comment: str | None = None,
    payload: Mapping[str, Any] | None = None,
    opening: bool = False,
) -> AuditEvent:
    """Apply the engine's decision to the row, write its audit event, bump the version, flush.

    An opening event (registration, a revocation case opened) has no "from" state: replaying the
    log starts there."""
    dossier.state = transit.to_state
    dossier.updated_at = now
    # internal actions change no dossier column: force the UPDATE so the version check guards them too
    flag_modified(dossier, "updated_at")
    event = AuditEvent(
        dossier_id=dossier.id,
        occurred_at=now,
        action=transit.action,
        actor_id=actor.id if actor else None,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
        role=grant.role.value if grant.role else Party.SYSTEM.value,
        from_state=None if opening else transit.from_state,
        to_state=transit.to_state,
        comment=comment,
        payload={"party": grant.party.value, **(payload or {})},
    )
    session.add(event)
    _flush(session, dossier)
    return event


def _acted(
    session: Session,
    now: dt.datetime,
    dossier: Dossier,
    acting: _Acting,
    grant: Grant | None = None,
    comment: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> AuditEvent:
    return _record(
        session,
        now,
        dossier,
        acting.transit,
        actor=acting.user,
        on_behalf_of=acting.on_behalf_of,
        grant=grant or acting.transit.grant,
        comment=comment,
        payload=payload,
    )


# --- registration --------------------------------------------------------------------------------


@_conflicts_are_stale
def register_dossier(
    session: Session,
    actor: User,
    now: dt.datetime,
    *,
    unit: Unit,
    level: RecognitionLevel | str,
    year: int,
    criteria_set: CriteriaSet,
    outstanding_field: str | None = None,
    on_behalf_of: User | None = None,
    rules: Rules = DEFAULT_RULES,
) -> Dossier:
    """Open a recognition dossier for `unit`, `level` and `year` on the route in force today.

    The appraising authority and the deciding unit are fixed here from the unit tree (nearest valid
    district, else the province, for a commune before 1/7/2025; the province after; the commune for a
    hamlet) and stored on the dossier, so a later change of the tree does not move a running dossier.
    """
    level = RecognitionLevel(level)
    procedure = procedure_for(level)
    today = vietnam_today(now)
    route = route_for(level, today)
    authority = seat(unit, route.authority_kinds, today)
    decider = seat(unit, route.decider_kinds, today)
    opened_by = procedure.definition.opened_by

    def held(user: User) -> set[Grant]:
        return seat_grants(
            user,
            unit_id=unit.id,
            authority_unit_id=authority.id if authority else None,
            decider_unit_id=decider.id if decider else None,
        )

    principal, grants = _principal(
        session, actor, now, on_behalf_of, held, lambda grants: any(g in grants for g in opened_by)
    )
    grant = next((g for g in opened_by if g in grants), None)
    if grant is None:
        raise NotPermitted("register", f"chỉ {join_vi(g.label() for g in opened_by)} được đăng ký hồ sơ")

    missing = []
    if unit.kind != route.applicant_kind:
        missing.append(
            f"«{unit.name}» là {UNIT_KIND_LABELS[UnitKind(unit.kind)].lower()}, "
            f"cấp «{RECOGNITION_LEVEL_LABELS[level]}» dành cho {UNIT_KIND_LABELS[route.applicant_kind].lower()}"
        )
    if not unit.is_valid_on(today):
        missing.append(f"đơn vị «{unit.name}» không còn hiệu lực vào ngày {today:%d/%m/%Y}")
    if not criteria_set.applies_to(level):
        missing.append(f"bộ tiêu chí {criteria_set.label} không áp dụng cho «{RECOGNITION_LEVEL_LABELS[level]}»")
    if authority is None:
        missing.append(f"không tìm thấy cơ quan thẩm tra ({', '.join(route.authority_kinds)}) của «{unit.name}»")
    if decider is None:
        missing.append(f"không tìm thấy cấp công nhận ({route.decider_title}) của «{unit.name}»")
    existing = session.scalars(
        select(Dossier.id).where(
            Dossier.unit_id == unit.id,
            Dossier.level == level.value,
            Dossier.year == year,
            Dossier.kind == DossierKind.RECOGNITION.value,
        )
    ).first()
    if existing is not None:
        missing.append(f"«{unit.name}» đã có hồ sơ «{RECOGNITION_LEVEL_LABELS[level]}» năm {year} (số {existing})")
    if missing or authority is None or decider is None:
        raise GuardFailed("register", missing)

    dossier = Dossier(
        unit_id=unit.id,
        level=level.value,
        year=year,
        kind=DossierKind.RECOGNITION.value,
        criteria_set_id=criteria_set.id,
        state=procedure.definition.initial,
        authority_unit_id=authority.id,
        decider_unit_id=decider.id,
        route=route.code,
        outstanding_field=outstanding_field,
        created_at=now,
        updated_at=now,
    )
    session.add(dossier)
    _flush(session, dossier)
    _record(
        session,
        now,
        dossier,
        Transit("register", "", procedure.definition.initial, grant),
        opening=True,
        actor=actor,
        on_behalf_of=None if principal is actor else principal,
        grant=grant,
        payload={
            "route": route.code,
            "authority_unit_id": authority.id,
            "decider_unit_id": decider.id,
            "criteria_set": criteria_set.label,
        },
    )
    return dossier


# --- plain actions -------------------------------------------------------------------------------


@_conflicts_are_stale
def take_action(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    action: str,
    *,
    comment: str | None = None,
    decision_number: str | None = None,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> AuditEvent:
    """Take an action that carries no input beyond a comment: confirm_registration, withdraw,
    finish_self_assessment, submit, resubmit, forward, recognise, refuse, revoke, keep.

    submit opens one appraisal task per owning department for exactly its indicators; resubmit
    reopens only what was returned or changed since it was decided; recognise records the
    recognition; revoke ends it.
    """
    if action not in PLAIN_ACTIONS:
        raise ValueError(f"{action!r} has its own service (record_*, approve_indicators, ...)")
    acting = _begin(
        session,
        actor,
        now,
        dossier,
        action,
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        comment=comment,
        rules=rules,
    )
    payload: dict[str, Any] = {}
    if action == "submit":
        payload["tasks"] = _open_tasks(session, now, dossier, acting.snapshot.tasks)
    elif action == "resubmit":
        payload["reopened"] = _reopen_tasks(session, now, dossier, acting.snapshot.tasks)
    elif action == "recognise":
        recognition = Recognition(
            unit_id=dossier.unit_id,
            level=dossier.level,
            year=dossier.year,
            dossier_id=dossier.id,
            decision_number=decision_number,
            decided_on=vietnam_today(now),
            recorded_at=now,
        )
        session.add(recognition)
        payload["decision_number"] = decision_number
    elif action == "revoke":
        revoked = session.scalars(select(Recognition).where(Recognition.revocation_dossier_id == dossier.id)).all()
        for recognition in revoked:
            recognition.revoked_on = vietnam_today(now)
        payload["recognitions"] = [r.id for r in revoked]
        payload["decision_number"] = decision_number
    return _acted(session, now, dossier, acting, comment=comment, payload=payload)


def _open_tasks(session: Session, now: dt.datetime, dossier: Dossier, existing: Sequence[AppraisalTask]) -> list[str]:
    """One task per owning department with exactly the indicators it owns; a shared indicator is in
    both tasks. Indicators nobody owns go to the authority's fallback seat (rules permitting)."""
    if existing:
        raise GuardFailed("submit", ["hồ sơ đã có nhiệm vụ thẩm tra"])
    owners = owners_by_indicator(session, dossier)
    fallback_role = FALLBACK_APPRAISER[RecognitionLevel(dossier.level)]
    tasks: dict[int | None, AppraisalTask] = {}
    for indicator in dossier.criteria_set.indicators():
        seats: list[int | None] = list(owners.get(indicator.id, [])) or [None]
        for department_id in seats:
            task = tasks.get(department_id)
            if task is None:
                task = AppraisalTask(
                    dossier_id=dossier.id,
                    department_id=department_id,
                    fallback_role=None if department_id is not None else fallback_role.value,
                    round=1,
                    opened_at=now,
                )
                session.add(task)
                tasks[department_id] = task
            task.items.append(AppraisalItem(indicator_id=indicator.id))
    session.flush()
    return [task.label for task in tasks.values()]


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


def _reopen_tasks(
    session: Session, now: dt.datetime, dossier: Dossier, tasks: Sequence[AppraisalTask]
) -> dict[str, list[str]]:
    """Reopen, in each task, the items returned or changed since decided; approvals not affected stay."""
    changed = _changed_since(session, dossier)
    reopened: dict[str, list[str]] = {}
    for task in tasks:
        again = []
        for item in task.items:
            moved = changed.get(item.indicator_id)
            if item.decision == RETURNED or (
                item.decided_at is not None and moved is not None and moved > item.decided_at
            ):
                item.decision = item.reason = item.decided_at = None
                item.decided_by_id = item.on_behalf_of_id = None
                again.append(item.indicator.code)
        if again:
            task.answered_at = None
            task.round += 1
            task.opened_at = now
            reopened[task.label] = again
    for request in session.scalars(
        select(SupplementRequest).where(
            SupplementRequest.dossier_id == dossier.id, SupplementRequest.resolved_at.is_(None)
        )
    ):
        request.resolved_at = now
    return reopened


# --- appraisal -----------------------------------------------------------------------------------


def _task_for(
    acting: _Acting,
    action: str,
    department: Department | None,
    codes: Sequence[str] | None,
) -> tuple[AppraisalTask, Grant]:
    """The task the actor answers, and the grant they answer it under."""
    tasks = acting.snapshot.tasks
    mine = {
        a.department_id
        for a in acting.principal.roles
        if a.role == Role.DEPARTMENT_OFFICER and a.department_id is not None
    }
    if department is not None:
        if department.id not in mine:
            raise NotPermitted(action, f"bạn không phải cán bộ của {department.name}")
        candidates = [t for t in tasks if t.department_id == department.id]
    else:
        candidates = [t for t in tasks if t.department_id is not None and t.department_id in mine]
        candidates += [
            t
            for t in tasks
            if t.department_id is None
            and t.fallback_role is not None
            and Grant(Role(t.fallback_role), Party.AUTHORITY) in acting.grants
        ]
    if not candidates:
        raise NotPermitted(action, "hồ sơ không có nhiệm vụ thẩm tra nào của phòng, ban của bạn")
    if len(candidates) > 1 and codes:
        covering = [t for t in candidates if set(codes) <= {i.indicator.code for i in t.items}]
        candidates = covering or candidates
    if len(candidates) > 1:
        waiting = [t for t in candidates if t.pending()]
        candidates = waiting or candidates
    if len(candidates) > 1:
        raise GuardFailed(action, [f"cần chọn phòng, ban: {join_vi(t.label for t in candidates)}"])
    task = candidates[0]
    if task.department_id is not None:
        return task, Grant(Role.DEPARTMENT_OFFICER, Party.OWNING_DEPARTMENT)
    return task, Grant(Role(task.fallback_role or Role.COORDINATOR), Party.AUTHORITY)


@_conflicts_are_stale
def approve_indicators(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    codes: Sequence[str] | None = None,
    *,
    department: Department | None = None,
    comment: str | None = None,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> AuditEvent:
    """A department approves indicators of its own task (all it still has pending when `codes` is None).

    When this answers the last open task, the dossier moves on by itself (see `_complete_if_answered`).
    """
    return _decide(
        session,
        actor,
        now,
        dossier,
        "approve_indicators",
        {code: None for code in codes} if codes else None,
        department=department,
        comment=comment,
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )


@_conflicts_are_stale
def return_indicators(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    reasons: Mapping[str, str],
    *,
    department: Department | None = None,
    comment: str | None = None,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> AuditEvent:
    """A department returns indicators of its own task, with a reason for each."""
    return _decide(
        session,
        actor,
        now,
        dossier,
        "return_indicators",
        dict(reasons),
        department=department,
        comment=comment,
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )


def _decide(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    action: str,
    requested: dict[str, str | None] | None,
    *,
    department: Department | None,
    comment: str | None,
    on_behalf_of: User | None,
    expected_version: int | None,
    rules: Rules,
) -> AuditEvent:
    acting = _begin(
        session, actor, now, dossier, action, on_behalf_of=on_behalf_of, expected_version=expected_version, rules=rules
    )
    task, grant = _task_for(acting, action, department, list(requested) if requested else None)
    items = {item.indicator.code: item for item in task.items}
    pending = {code: item for code, item in items.items() if item.decision is None}
    wanted = requested if requested is not None else dict.fromkeys(pending)
    if not wanted:
        raise GuardFailed(action, [f"{task.label} không còn chỉ tiêu nào chờ thẩm tra"])
    foreign = [code for code in wanted if code not in items]
    if foreign:
        raise NotPermitted(action, f"{task.label} không phụ trách thẩm tra chỉ tiêu {join_vi(foreign)}")
    done = [code for code in wanted if code not in pending]
    if done:
        raise GuardFailed(action, [f"chỉ tiêu {join_vi(done)} đã được {task.label} trả lời trong lượt này"])
    returning = action == "return_indicators"
    if returning:
        blank = [code for code, reason in wanted.items() if not (reason and reason.strip())]
        if blank:
            raise GuardFailed(action, [f"cần ghi lý do trả lại chỉ tiêu {join_vi(blank)}"])

    for code, reason in wanted.items():
        item = pending[code]
        item.decision = RETURNED if returning else APPROVED
        item.reason = reason.strip() if returning and reason else None
        item.decided_at = now
        item.decided_by_id = acting.user.id
        item.on_behalf_of_id = acting.on_behalf_of.id if acting.on_behalf_of else None
    if not task.pending():
        task.answered_at = now
    payload: dict[str, Any] = {
        "task_id": task.id,
        "department": task.department.code if task.department else None,
        "indicators": list(wanted),
    }
    if returning:
        payload["reasons"] = {code: (reason or "").strip() for code, reason in wanted.items()}
    event = _acted(session, now, dossier, acting, grant=grant, comment=comment, payload=payload)
    _complete_if_answered(session, now, dossier, rules)
    return event


def _complete_if_answered(session: Session, now: dt.datetime, dossier: Dossier, rules: Rules) -> AuditEvent | None:
    """When no task is open any more, the system moves the dossier: all approved → appraised; anything
    returned → returned for supplement, with ONE consolidated supplement request."""
    snapshot = build_facts(session, dossier, now, rules=rules)
    if snapshot.facts.open_tasks:
        return None
    procedure = procedure_of(dossier)
    transit = procedure.fire(dossier.state, "complete_appraisal", grants={SYSTEM}, facts=snapshot.facts, rules=rules)
    payload: dict[str, Any] = {}
    if transit.to_state == "returned":
        request = _supplement_request(session, now, dossier, snapshot.tasks)
        payload = {"supplement_request_id": request.id, "returned": sorted(snapshot.facts.returned)}
    return _record(session, now, dossier, transit, actor=None, on_behalf_of=None, grant=SYSTEM, payload=payload)


def _supplement_request(
    session: Session, now: dt.datetime, dossier: Dossier, tasks: Sequence[AppraisalTask]
) -> SupplementRequest:
    rounds = (
        session.scalar(select(func.count(SupplementRequest.id)).where(SupplementRequest.dossier_id == dossier.id)) or 0
    )
    request = SupplementRequest(dossier_id=dossier.id, round=rounds + 1, issued_at=now, text="")
    lines = [f"Yêu cầu bổ sung hồ sơ (lần {rounds + 1}) — {dossier.unit.name}, năm {dossier.year}:"]
    for task in tasks:
        for item in task.items:
            if item.decision == RETURNED:
                request.items.append(
                    SupplementItem(
                        indicator_id=item.indicator_id, department_id=task.department_id, reason=item.reason or ""
                    )
                )
                lines.append(f"- Chỉ tiêu {item.indicator.code} ({task.label}): {item.reason}")
    request.text = "\n".join(lines)
    session.add(request)
    session.flush()
    return request


# --- facts of the steps --------------------------------------------------------------------------


def _consultation(session: Session, dossier: Dossier, now: dt.datetime) -> Consultation:
    found = session.scalars(select(Consultation).where(Consultation.dossier_id == dossier.id)).first()
    if found is None:
        found = Consultation(dossier_id=dossier.id, updated_at=now)
        session.add(found)
    found.updated_at = now
    return found


@_conflicts_are_stale
def record_assessment(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    code: str,
    *,
    met: bool,
    value: str | None = None,
    note: str | None = None,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> Assessment:
    """Record (or correct) the self-assessment of one indicator of the dossier's criteria set."""
    acting = _begin(
        session,
        actor,
        now,
        dossier,
        "record_assessment",
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )
    indicator = next((i for i in dossier.criteria_set.indicators() if i.code == code), None)
    if indicator is None:
        raise GuardFailed("record_assessment", [f"bộ tiêu chí {dossier.criteria_set.label} không có chỉ tiêu {code}"])
    assessment = session.scalars(
        select(Assessment).where(Assessment.dossier_id == dossier.id, Assessment.indicator_id == indicator.id)
    ).first()
    if assessment is None:
        assessment = Assessment(dossier_id=dossier.id, indicator_id=indicator.id)
        session.add(assessment)
    assessment.met, assessment.value, assessment.note = met, value, note
    assessment.assessed_by_id = acting.user.id
    assessment.assessed_at = now
    _acted(session, now, dossier, acting, payload={"indicator": code, "met": met, "value": value})
    return assessment


@_conflicts_are_stale
def attach_evidence(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    *,
    storage_root: Path,
    stream: IO[bytes],
    original_name: str,
    code: str | None = None,
    mime_type: str | None = None,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
    policy: EvidencePolicy = DEFAULT_POLICY,
) -> Evidence:
    """Attach a file to the dossier (to one indicator when `code` is given), stored by its SHA-256."""
    acting = _begin(
        session,
        actor,
        now,
        dossier,
        ATTACH_EVIDENCE,
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )
    indicator = None
    if code:
        indicator = next((i for i in dossier.criteria_set.indicators() if i.code == code), None)
        if indicator is None:
            raise GuardFailed(ATTACH_EVIDENCE, [f"bộ tiêu chí {dossier.criteria_set.label} không có chỉ tiêu {code}"])
    try:
        evidence = store_evidence(
            session,
            storage_root,
            dossier=dossier,
            stream=stream,
            original_name=original_name,
            uploaded_by=acting.user,
            now=now,
            indicator=indicator,
            mime_type=mime_type,
            policy=policy,
        )
    except EvidenceRejectedError as exc:
        raise GuardFailed(ATTACH_EVIDENCE, [str(exc).rstrip(".")]) from exc
    _acted(
        session,
        now,
        dossier,
        acting,
        payload={"evidence": evidence.id, "sha256": evidence.sha256, "name": evidence.original_name, "indicator": code},
    )
    return evidence


@_conflicts_are_stale
def record_posting(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    *,
    start: dt.date,
    end: dt.date,
    announcements: int,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> AuditEvent:
    """Record the public posting of the report (first and last day, number of announcements)."""
    acting = _begin(
        session,
        actor,
        now,
        dossier,
        "record_posting",
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )
    if end < start or announcements < 0:
        raise GuardFailed("record_posting", ["ngày kết thúc niêm yết trước ngày bắt đầu, hoặc số lần thông báo âm"])
    consultation = _consultation(session, dossier, now)
    consultation.posting_start, consultation.posting_end, consultation.announcements = start, end, announcements
    return _acted(
        session,
        now,
        dossier,
        acting,
        payload={"start": start.isoformat(), "end": end.isoformat(), "announcements": announcements},
    )


@_conflicts_are_stale
def record_survey(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    *,
    households_total: int,
    households_reached: int,
    households_satisfied: int,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> AuditEvent:
    """The Fatherland Front records its satisfaction survey: households in the unit, reached, satisfied."""
    acting = _begin(
        session,
        actor,
        now,
        dossier,
        "record_survey",
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )
    if not 0 <= households_satisfied <= households_reached <= households_total or households_total == 0:
        raise GuardFailed(
            "record_survey", ["số hộ không hợp lệ: cần 0 ≤ hài lòng ≤ được hỏi ý kiến ≤ tổng số hộ, tổng số hộ > 0"]
        )
    consultation = _consultation(session, dossier, now)
    consultation.households_total = households_total
    consultation.households_reached = households_reached
    consultation.households_satisfied = households_satisfied
    return _acted(
        session,
        now,
        dossier,
        acting,
        payload={"total": households_total, "reached": households_reached, "satisfied": households_satisfied},
    )


@_conflicts_are_stale
def record_vote(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    *,
    votes_total: int,
    votes_in_favour: int,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> AuditEvent:
    """Record the meeting minutes: how many voted, how many agreed."""
    acting = _begin(
        session,
        actor,
        now,
        dossier,
        "record_vote",
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )
    if not 0 <= votes_in_favour <= votes_total or votes_total == 0:
        raise GuardFailed("record_vote", ["số phiếu không hợp lệ: cần 0 ≤ đồng ý ≤ tổng số phiếu, tổng số phiếu > 0"])
    consultation = _consultation(session, dossier, now)
    consultation.votes_total, consultation.votes_in_favour = votes_total, votes_in_favour
    return _acted(session, now, dossier, acting, payload={"total": votes_total, "in_favour": votes_in_favour})


@_conflicts_are_stale
def record_announcement(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    *,
    start: dt.date,
    end: dt.date,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> AuditEvent:
    """Hamlets: the commune announced the hamlets proposed on its radio from `start` to `end`."""
    acting = _begin(
        session,
        actor,
        now,
        dossier,
        "record_announcement",
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )
    if end < start:
        raise GuardFailed("record_announcement", ["ngày kết thúc thông báo trước ngày bắt đầu"])
    consultation = _consultation(session, dossier, now)
    consultation.announcement_start, consultation.announcement_end = start, end
    return _acted(session, now, dossier, acting, payload={"start": start.isoformat(), "end": end.isoformat()})


@_conflicts_are_stale
def record_model_conditions(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    *,
    income_per_capita: int,
    advanced_income_level: int,
    smart_hamlet_models: int,
    outstanding_field: str,
    outstanding_field_met: bool,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> AuditEvent:
    """Kiểu mẫu: the commune declares income, smart-hamlet models and its outstanding field."""
    acting = _begin(
        session,
        actor,
        now,
        dossier,
        "record_model_conditions",
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )
    if income_per_capita < 0 or advanced_income_level <= 0 or smart_hamlet_models < 0:
        raise GuardFailed(
            "record_model_conditions", ["thu nhập, mức thu nhập xã nâng cao và số mô hình phải là số dương"]
        )
    declared = session.scalars(select(ModelConditions).where(ModelConditions.dossier_id == dossier.id)).first()
    if declared is None:
        declared = ModelConditions(dossier_id=dossier.id, updated_at=now)
        session.add(declared)
    declared.income_per_capita = income_per_capita
    declared.advanced_income_level = advanced_income_level
    declared.smart_hamlet_models = smart_hamlet_models
    declared.outstanding_field_met = outstanding_field_met
    declared.updated_at = now
    dossier.outstanding_field = outstanding_field
    return _acted(
        session,
        now,
        dossier,
        acting,
        payload={
            "income_per_capita": income_per_capita,
            "advanced_income_level": advanced_income_level,
            "smart_hamlet_models": smart_hamlet_models,
            "outstanding_field": outstanding_field,
            "outstanding_field_met": outstanding_field_met,
        },
    )


@_conflicts_are_stale
def confirm_condition(
    session: Session,
    actor: User,
    now: dt.datetime,
    dossier: Dossier,
    condition: str,
    *,
    holds: bool,
    note: str | None = None,
    on_behalf_of: User | None = None,
    expected_version: int | None = None,
    rules: Rules = DEFAULT_RULES,
) -> ConditionConfirmation:
    """The department in charge confirms a QĐ 18/2022 condition (finance: no construction debt;
    police: not a complex security area), or records that it does not hold."""
    acting = _begin(
        session,
        actor,
        now,
        dossier,
        "confirm_condition",
        on_behalf_of=on_behalf_of,
        expected_version=expected_version,
        rules=rules,
    )
    if condition not in CONDITION_LABELS:
        raise GuardFailed("confirm_condition", [f"không có điều kiện «{condition}»"])
    codes = rules.confirmers_of(condition)
    department = next(
        (
            a.department
            for a in acting.principal.roles
            if a.role == Role.DEPARTMENT_OFFICER
            and a.department is not None
            and a.department.unit_id == dossier.authority_unit_id
            and a.department.code in codes
        ),
        None,
    )
    if department is None:
        raise NotPermitted(
            "confirm_condition", f"chỉ phòng, ban có mã {join_vi(codes)} xác nhận «{CONDITION_LABELS[condition]}»"
        )
    confirmation = session.scalars(
        select(ConditionConfirmation).where(
            ConditionConfirmation.dossier_id == dossier.id, ConditionConfirmation.condition == condition
        )
    ).first()
    if confirmation is None:
        confirmation = ConditionConfirmation(dossier_id=dossier.id, condition=condition)
        session.add(confirmation)
    confirmation.holds = holds
    confirmation.note = note
    confirmation.department_id = department.id
    confirmation.confirmed_by_id = acting.user.id
    confirmation.on_behalf_of_id = acting.on_behalf_of.id if acting.on_behalf_of else None
    confirmation.confirmed_at = now
    _acted(
        session,
        now,
        dossier,
        acting,
        comment=note,
        payload={"condition": condition, "holds": holds, "department": department.code},
    )
    return confirmation


# --- recognitions and revocation -----------------------------------------------------------------


def record_prior_recognition(
    session: Session,
    actor: User,
    now: dt.datetime,
    *,
    unit: Unit,
    level: RecognitionLevel | str,
    year: int,
    decided_on: dt.date,
    decision_number: str | None = None,
) -> Recognition:
    """An administrator records a recognition decided before the system (a prerequisite for higher levels)."""
    if not actor.has_role(Role.ADMIN):
        raise NotPermitted("record_prior_recognition", "chỉ quản trị hệ thống ghi nhận quyết định công nhận trước đây")
    recognition = Recognition(
        unit_id=unit.id,
        level=RecognitionLevel(level).value,
        year=year,
        decision_number=decision_number,
        decided_on=decided_on,
        recorded_at=now,
    )
    session.add(recognition)
    session.flush()
    return recognition


@_conflicts_are_stale
def record_yearly_reassessment(
    session: Session,
    actor: User,
    now: dt.datetime,
    *,
    recognition: Recognition,
    year: int,
    criteria_set: CriteriaSet,
    failed_criteria: Iterable[int],
    rules: Rules = DEFAULT_RULES,
) -> Reassessment:
    """Record a recognised unit's yearly re-assessment. When the QĐ 18/2022 rule fires (30 %–<50 % of
    the criteria failed including a key criterion, or ≥ 50 %), a revocation case is opened
    automatically, on the route in force today, with an audit event by the system."""
    unit = recognition.unit
    today = vietnam_today(now)
    scope = {unit.id, *(a.id for a in unit.ancestors())}
    if not any(
        (a.role == Role.UNIT_OFFICER and a.unit_id == unit.id) or (a.role == Role.COORDINATOR and a.unit_id in scope)
        for a in actor.roles
    ):
        raise NotPermitted(
            "record_yearly_reassessment",
            "chỉ cán bộ của đơn vị hoặc cơ quan điều phối cấp trên ghi kết quả đánh giá lại",
        )
    if not recognition.active:
        raise GuardFailed("record_yearly_reassessment", ["quyết định công nhận đã bị thu hồi"])
    numbers = {criterion.number for criterion in criteria_set.criteria}
    failed = sorted(set(failed_criteria))
    unknown = [n for n in failed if n not in numbers]
    if unknown or not numbers:
        raise GuardFailed(
            "record_yearly_reassessment",
            [f"bộ tiêu chí {criteria_set.label} không có tiêu chí {join_vi(map(str, unknown))}"],
        )
    key = [criterion.number for criterion in criteria_set.criteria if criterion.is_key]
    finding = revocation_finding(len(numbers), failed, key, rules=rules)
    reassessment = Reassessment(
        recognition_id=recognition.id,
        year=year,
        criteria_set_id=criteria_set.id,
        total_criteria=len(numbers),
        failed_criteria=failed,
        key_failed=list(finding.key_failed) if finding else [n for n in failed if n in key],
        finding=finding.reason if finding else None,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    session.add(reassessment)
    session.flush()
    if finding is None:
        return reassessment

    level = RecognitionLevel(recognition.level)
    procedure = procedure_for(level, DossierKind.REVOCATION)
    route = route_for(level, today)
    authority = seat(unit, route.authority_kinds, today)
    decider = seat(unit, route.decider_kinds, today)
    if authority is None or decider is None:
        raise GuardFailed("open_revocation", [f"không tìm thấy cơ quan thẩm tra hoặc cấp quyết định của «{unit.name}»"])
    case = Dossier(
        unit_id=unit.id,
        level=level.value,
        year=year,
        kind=DossierKind.REVOCATION.value,
        criteria_set_id=criteria_set.id,
        state=procedure.definition.initial,
        authority_unit_id=authority.id,
        decider_unit_id=decider.id,
        route=route.code,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    _flush(session, case)
    recognition.revocation_dossier_id = case.id
    reassessment.revocation_dossier_id = case.id
    _record(
        session,
        now,
        case,
        Transit("open_revocation", "", procedure.definition.initial, SYSTEM),
        opening=True,
        actor=None,
        on_behalf_of=None,
        grant=SYSTEM,
        comment=finding.reason,
        payload={
            "recognition_id": recognition.id,
            "reassessment_id": reassessment.id,
            "recorded_by": actor.id,
            "failed": list(finding.failed),
            "key_failed": list(finding.key_failed),
        },
    )
    return reassessment


# --- reading -------------------------------------------------------------------------------------


def available_actions(
    session: Session, actor: User, now: dt.datetime, dossier: Dossier, rules: Rules = DEFAULT_RULES
) -> list[str]:
    """Actions the actor (or someone they substitute for today) may take now, guards not evaluated."""
    procedure = procedure_of(dossier)
    grants = grants_of(session, actor, dossier, rules)
    for delegator in active_delegators(session, actor, vietnam_today(now)):
        grants |= grants_of(session, delegator, dossier, rules)
    return list(procedure.allowed_actions(dossier.state, grants))


def replayed_state(session: Session, dossier: Dossier) -> str | None:
    """The state the dossier's audit log leads to, walked through its procedure's machine."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.id)
    ).all()
    return procedure_of(dossier).replay((e.action, e.from_state, e.to_state) for e in events)


def supplement_requests(session: Session, dossier: Dossier) -> list[SupplementRequest]:
    return list(
        session.scalars(
            select(SupplementRequest)
            .where(SupplementRequest.dossier_id == dossier.id)
            .order_by(SupplementRequest.round)
        )
    )
