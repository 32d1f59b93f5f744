"""The procedures of every recognition level, as data, each compiled once at import.

Sources: QĐ 18/2022/QĐ-TTg (communes, districts, revocation), QĐ 319/QĐ-TTg (kiểu mẫu), provincial
rules for hamlets (Thanh Hóa's as the example); see shared/reference/procedure.md §3-§6 and §8.
Every number a guard uses is a configurable default in `workflow.rules`. The route (who appraises,
who decides) is in `workflow.routes`; the definitions below name seats, not units.

Every procedure names its submission action `Action.SUBMIT`, so callers (deadlines, reminders) can rely
on it, and `milestone_reached` answers "submitted" and "complete" for any level and state.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.actions import Action
from workflow.engine import (
    SYSTEM,
    ActionDef,
    Grant,
    Party,
    Procedure,
    ProcedureDef,
    StateDef,
    TransitionDef,
)
from workflow.guards import (
    ALL_APPROVED,
    ALL_ASSESSED,
    ALL_MET,
    ANNOUNCEMENT_DONE,
    APPRAISAL_ANSWERED,
    COMMENT_GIVEN,
    COMMUNES_RECOGNISED,
    HAMLET_VOTE_MET,
    MODEL_CONDITIONS,
    NO_DEBT_CONFIRMED,
    NOTHING_RETURNED,
    OWNERSHIP_COMPLETE,
    POSTING_DONE,
    REVOCATION_FIRES,
    REVOCATION_POSTING_DONE,
    SECURITY_CONFIRMED,
    SOMETHING_RETURNED,
    SURVEY_MET,
    VOTE_MET,
    Guard,
    prerequisite,
)
from workflow.routes import COMMUNE_LEVELS, DISTRICT_LEVELS, DISTRICT_TOWN_LEVELS, HAMLET_LEVELS, TOWN_LEVELS
from workflow.rules import DEFAULT_RULES, Rules, Sourced
from workflow.vocabulary import RECOGNITION_LEVEL_LABELS, DossierKind, RecognitionLevel, Role, UnitKind

#: the milestones other modules may ask about
SUBMITTED = "submitted"
COMPLETE = "complete"
MILESTONES = (SUBMITTED, COMPLETE)


UNIT = Grant(Role.UNIT_OFFICER, Party.APPLICANT)
FRONT = Grant(Role.FRONT_OFFICER, Party.APPLICANT)
COORDINATOR = Grant(Role.COORDINATOR, Party.AUTHORITY)
OWNER = Grant(Role.DEPARTMENT_OFFICER, Party.OWNING_DEPARTMENT)
CONFIRMER = Grant(Role.DEPARTMENT_OFFICER, Party.CONDITION_DEPARTMENT)
APPROVER = Grant(Role.APPROVER, Party.DECIDER)
TEAM = Grant(Role.APPRAISAL_TEAM, Party.AUTHORITY)
COMMUNE_OF_HAMLET = Grant(Role.UNIT_OFFICER, Party.AUTHORITY)
#: districts: the Prime Minister decides; the province's coordinator records the decision
NATIONAL_RECORDER = Grant(Role.COORDINATOR, Party.DECIDER)

PREREQUISITES: dict[RecognitionLevel, RecognitionLevel] = {
    RecognitionLevel.COMMUNE_ADVANCED: RecognitionLevel.COMMUNE_NTM,
    RecognitionLevel.COMMUNE_MODEL: RecognitionLevel.COMMUNE_ADVANCED,
    # QĐ 51/2025 Phụ lục II (not collected): a pilot for communes already NTM (assumed)
    RecognitionLevel.COMMUNE_MODERN: RecognitionLevel.COMMUNE_NTM,
    RecognitionLevel.HAMLET_MODEL: RecognitionLevel.HAMLET_NTM,
    RecognitionLevel.DISTRICT_ADVANCED: RecognitionLevel.DISTRICT_NTM,
}

#: which role of the authority appraises indicators no department owns
FALLBACK_APPRAISER: dict[RecognitionLevel, Role] = {
    **{level: Role.COORDINATOR for level in (*COMMUNE_LEVELS, *DISTRICT_LEVELS)},
    **{level: Role.APPRAISAL_TEAM for level in HAMLET_LEVELS},
}

_S_REGISTERED = StateDef("registered", "Đã đăng ký, chờ xác nhận", time_limit="registration_confirmation_days")
_S_SELF = StateDef("self_assessment", "Tự đánh giá")
_S_CONSULTATION = StateDef("consultation", "Lấy ý kiến, hoàn thiện hồ sơ")
_S_APPRAISAL = StateDef("under_appraisal", "Đã nộp, đang thẩm tra", time_limit="appraisal_days")
_S_RETURNED = StateDef("returned", "Trả lại để bổ sung")
_S_APPRAISED = StateDef("appraised", "Đã thẩm tra đạt")
_S_FORWARDED = StateDef("forwarded", "Đã trình xét công nhận", time_limit="decision_days")
_S_RECOGNISED = StateDef("recognised", "Đã công nhận", final=True)
_S_REFUSED = StateDef("refused", "Không công nhận", final=True)
_S_WITHDRAWN = StateDef("withdrawn", "Đã rút hồ sơ", final=True)


def _appraisal_actions(appraisers: tuple[Grant, ...]) -> tuple[ActionDef, ...]:
    return (
        ActionDef(Action.APPROVE_INDICATORS, "Thẩm tra đạt các chỉ tiêu được phân công", appraisers),
        ActionDef(Action.RETURN_INDICATORS, "Trả lại chỉ tiêu, nêu lý do", appraisers),
        ActionDef(Action.COMPLETE_APPRAISAL, "Tổng hợp kết quả thẩm tra (tự động)", (SYSTEM,)),
    )


def _appraisal_transitions() -> tuple[TransitionDef, ...]:
    return (
        TransitionDef(Action.APPROVE_INDICATORS, ("under_appraisal",), None),
        TransitionDef(Action.RETURN_INDICATORS, ("under_appraisal",), None),
        TransitionDef(
            Action.COMPLETE_APPRAISAL, ("under_appraisal",), "appraised", (APPRAISAL_ANSWERED, NOTHING_RETURNED)
        ),
        TransitionDef(
            Action.COMPLETE_APPRAISAL, ("under_appraisal",), "returned", (APPRAISAL_ANSWERED, SOMETHING_RETURNED)
        ),
    )


def _level_guards(level: RecognitionLevel) -> tuple[Guard, ...]:
    guards: tuple[Guard, ...] = ()
    if level in PREREQUISITES:
        guards += (prerequisite(PREREQUISITES[level]),)
    if level == RecognitionLevel.COMMUNE_MODEL:
        guards += (MODEL_CONDITIONS,)
    return guards


@dataclass(frozen=True)
class _Decision:
    """How a recognition procedure ends: who decides, what the steps are called, what the law adds."""

    submit_label: str
    forward_label: str
    recognise_label: str
    refuse_label: str
    decider: Grant
    #: the applicant's meeting votes on the dossier (communes; districts have no such step)
    meeting_vote: bool
    #: what shows the applicant's support: the vote (communes), or its communes recognised (districts)
    support: Guard
    legal_basis: str


def _recognition(level: RecognitionLevel, decision: _Decision) -> ProcedureDef:
    """register → self-assess → consult → submit → parallel appraisal by owning departments → forward →
    decide; the QĐ 18/2022 conditions guard the decision. Communes and districts differ only by `decision`."""
    extra = _level_guards(level)
    model = level == RecognitionLevel.COMMUNE_MODEL
    votes = decision.meeting_vote
    actions = (
        ActionDef(Action.CONFIRM_REGISTRATION, "Xác nhận đăng ký", (COORDINATOR,)),
        ActionDef(Action.WITHDRAW, "Rút hồ sơ", (UNIT,)),
        ActionDef(Action.RECORD_ASSESSMENT, "Ghi kết quả tự đánh giá chỉ tiêu", (UNIT,)),
        ActionDef(Action.ATTACH_EVIDENCE, "Đính kèm minh chứng", (UNIT,)),
        *((ActionDef(Action.RECORD_MODEL_CONDITIONS, "Kê khai điều kiện xã kiểu mẫu", (UNIT,)),) if model else ()),
        ActionDef(Action.FINISH_SELF_ASSESSMENT, "Hoàn thành tự đánh giá", (UNIT,)),
        ActionDef(Action.RECORD_POSTING, "Ghi nhận niêm yết công khai báo cáo", (UNIT,)),
        ActionDef(Action.RECORD_SURVEY, "Ghi kết quả lấy ý kiến sự hài lòng", (FRONT,)),
        *((ActionDef(Action.RECORD_VOTE, "Ghi biên bản họp đề nghị xét công nhận", (UNIT,)),) if votes else ()),
        ActionDef(Action.SUBMIT, decision.submit_label, (UNIT,)),
        *_appraisal_actions((OWNER, COORDINATOR)),
        ActionDef(Action.CONFIRM_CONDITION, "Xác nhận điều kiện (nợ đọng XDCB, an ninh trật tự)", (CONFIRMER,)),
        ActionDef(Action.RESUBMIT, "Nộp lại hồ sơ đã bổ sung", (UNIT,)),
        ActionDef(Action.FORWARD, decision.forward_label, (COORDINATOR,)),
        ActionDef(Action.RECOGNISE, decision.recognise_label, (decision.decider,)),
        ActionDef(Action.REFUSE, decision.refuse_label, (decision.decider,)),
    )
    editable = ("self_assessment", "consultation", "returned")
    support = decision.support
    transitions = (
        TransitionDef(Action.CONFIRM_REGISTRATION, ("registered",), "self_assessment"),
        TransitionDef(Action.WITHDRAW, ("registered", *editable), "withdrawn"),
        TransitionDef(Action.RECORD_ASSESSMENT, editable, None),
        TransitionDef(Action.ATTACH_EVIDENCE, editable, None),
        *((TransitionDef(Action.RECORD_MODEL_CONDITIONS, editable, None),) if model else ()),
        TransitionDef(Action.FINISH_SELF_ASSESSMENT, ("self_assessment",), "consultation", (ALL_ASSESSED,)),
        TransitionDef(Action.RECORD_POSTING, ("consultation",), None),
        TransitionDef(Action.RECORD_SURVEY, ("consultation",), None),
        *((TransitionDef(Action.RECORD_VOTE, ("consultation",), None),) if votes else ()),
        TransitionDef(
            Action.SUBMIT,
            ("consultation",),
            "under_appraisal",
            (ALL_ASSESSED, ALL_MET, POSTING_DONE, SURVEY_MET, support, OWNERSHIP_COMPLETE, *extra),
        ),
        *_appraisal_transitions(),
        TransitionDef(Action.CONFIRM_CONDITION, ("under_appraisal", "appraised"), None),
        TransitionDef(Action.RESUBMIT, ("returned",), "under_appraisal", (ALL_ASSESSED, ALL_MET, *extra)),
        TransitionDef(
            Action.FORWARD, ("appraised",), "forwarded", (ALL_APPROVED, NO_DEBT_CONFIRMED, SECURITY_CONFIRMED)
        ),
        TransitionDef(
            Action.RECOGNISE,
            ("forwarded",),
            "recognised",
            (ALL_APPROVED, ALL_MET, SURVEY_MET, support, NO_DEBT_CONFIRMED, SECURITY_CONFIRMED, *extra),
        ),
        TransitionDef(Action.REFUSE, ("forwarded",), "refused", (COMMENT_GIVEN,)),
    )
    return ProcedureDef(
        name=level.value,
        label=RECOGNITION_LEVEL_LABELS[level],
        levels=(level,),
        kind=DossierKind.RECOGNITION,
        states=(
            _S_REGISTERED,
            _S_SELF,
            _S_CONSULTATION,
            _S_APPRAISAL,
            _S_RETURNED,
            _S_APPRAISED,
            _S_FORWARDED,
            _S_RECOGNISED,
            _S_REFUSED,
            _S_WITHDRAWN,
        ),
        initial="registered",
        actions=actions,
        transitions=transitions,
        opened_by=(UNIT,),
        submitted_state="under_appraisal",
        complete_state="appraised",
        abandoned=("withdrawn",),
        prerequisite=PREREQUISITES.get(level),
        legal_basis=decision.legal_basis + (", QĐ 319/QĐ-TTg" if model else ""),
    )


def commune_recognition(level: RecognitionLevel) -> ProcedureDef:
    """QĐ 18/2022 for xã NTM, nâng cao, kiểu mẫu: the provincial chairman decides."""
    return _recognition(
        level,
        _Decision(
            submit_label="Nộp hồ sơ đề nghị thẩm tra",
            forward_label="Trình xét công nhận",
            recognise_label="Quyết định công nhận",
            refuse_label="Không công nhận, nêu lý do",
            decider=APPROVER,
            meeting_vote=True,
            support=VOTE_MET,
            legal_basis="QĐ 18/2022/QĐ-TTg",
        ),
    )


def hamlet_recognition(level: RecognitionLevel) -> ProcedureDef:
    """Hamlets (provincial rules; Thanh Hóa's as the example): the hamlet board self-assesses, the
    commune's team appraises, the commune announces the hamlets on its radio for 10 days, the commune
    steering board votes (≥ 90 %), the district (after the reform the commune) chairman recognises."""
    extra = _level_guards(level)
    editable = ("self_assessment", "returned")
    actions = (
        ActionDef(Action.WITHDRAW, "Rút hồ sơ", (UNIT,)),
        ActionDef(Action.RECORD_ASSESSMENT, "Ghi kết quả tự đánh giá chỉ tiêu", (UNIT,)),
        ActionDef(Action.ATTACH_EVIDENCE, "Đính kèm minh chứng", (UNIT,)),
        ActionDef(Action.SUBMIT, "Gửi hồ sơ lên UBND xã", (UNIT,)),
        *_appraisal_actions((TEAM, OWNER)),
        ActionDef(Action.RESUBMIT, "Gửi lại hồ sơ đã bổ sung", (UNIT,)),
        ActionDef(Action.RECORD_ANNOUNCEMENT, "Ghi nhận thông báo trên đài truyền thanh xã", (COMMUNE_OF_HAMLET,)),
        ActionDef(Action.RECORD_VOTE, "Ghi biên bản họp Ban Chỉ đạo xã", (COMMUNE_OF_HAMLET,)),
        # only where the province's rules ask it (Cao Bằng: seed 004 VI.3); the guards read the rules
        ActionDef(Action.CONFIRM_CONDITION, "Xác nhận điều kiện (nợ đọng XDCB)", (CONFIRMER,)),
        ActionDef(Action.FORWARD, "Trình xét công nhận", (COMMUNE_OF_HAMLET,)),
        ActionDef(Action.RECOGNISE, "Quyết định công nhận", (APPROVER,)),
        ActionDef(Action.REFUSE, "Không công nhận, nêu lý do", (APPROVER,)),
    )
    transitions = (
        TransitionDef(Action.WITHDRAW, editable, "withdrawn"),
        TransitionDef(Action.RECORD_ASSESSMENT, editable, None),
        TransitionDef(Action.ATTACH_EVIDENCE, editable, None),
        TransitionDef(
            Action.SUBMIT, ("self_assessment",), "under_appraisal", (ALL_ASSESSED, ALL_MET, OWNERSHIP_COMPLETE, *extra)
        ),
        *_appraisal_transitions(),
        TransitionDef(Action.RESUBMIT, ("returned",), "under_appraisal", (ALL_ASSESSED, ALL_MET, *extra)),
        TransitionDef(Action.RECORD_ANNOUNCEMENT, ("appraised",), None),
        TransitionDef(Action.RECORD_VOTE, ("appraised",), None),
        TransitionDef(Action.CONFIRM_CONDITION, ("under_appraisal", "appraised"), None),
        TransitionDef(
            Action.FORWARD,
            ("appraised",),
            "forwarded",
            (ALL_APPROVED, ANNOUNCEMENT_DONE, HAMLET_VOTE_MET, NO_DEBT_CONFIRMED, SECURITY_CONFIRMED),
        ),
        TransitionDef(
            Action.RECOGNISE,
            ("forwarded",),
            "recognised",
            (ALL_APPROVED, ALL_MET, ANNOUNCEMENT_DONE, HAMLET_VOTE_MET, NO_DEBT_CONFIRMED, SECURITY_CONFIRMED, *extra),
        ),
        TransitionDef(Action.REFUSE, ("forwarded",), "refused", (COMMENT_GIVEN,)),
    )
    return ProcedureDef(
        name=level.value,
        label=RECOGNITION_LEVEL_LABELS[level],
        levels=(level,),
        kind=DossierKind.RECOGNITION,
        states=(
            _S_SELF,
            _S_APPRAISAL,
            _S_RETURNED,
            _S_APPRAISED,
            _S_FORWARDED,
            _S_RECOGNISED,
            _S_REFUSED,
            _S_WITHDRAWN,
        ),
        initial="self_assessment",
        actions=actions,
        transitions=transitions,
        opened_by=(UNIT,),
        submitted_state="under_appraisal",
        complete_state="appraised",
        abandoned=("withdrawn",),
        prerequisite=PREREQUISITES.get(level),
        legal_basis="Quy định của tỉnh (ví dụ QĐ 2392/2017/QĐ-UBND Thanh Hóa)",
    )


def district_recognition(level: RecognitionLevel) -> ProcedureDef:
    """QĐ 18/2022 and QĐ 320 for huyện NTM / nâng cao: as for communes, appraised by the province's
    departments; the Prime Minister decides and the province records the decision. Only before 1/7/2025."""
    return _recognition(
        level,
        _Decision(
            submit_label="Nộp hồ sơ đề nghị thẩm định",
            forward_label="Trình Bộ, Thủ tướng xét công nhận",
            recognise_label="Ghi nhận quyết định công nhận của Thủ tướng",
            refuse_label="Ghi nhận không công nhận, nêu lý do",
            decider=NATIONAL_RECORDER,
            meeting_vote=False,
            support=COMMUNES_RECOGNISED,
            legal_basis="QĐ 18/2022/QĐ-TTg, QĐ 320/QĐ-TTg",
        ),
    )


def revocation(level: RecognitionLevel) -> ProcedureDef:
    """QĐ 18/2022: revocation follows the recognition path (assess → consult → appraise → decide).
    Opened by the system when a yearly re-assessment falls under the revocation rule."""
    decider = NATIONAL_RECORDER if level in DISTRICT_LEVELS else APPROVER
    editable = ("self_assessment", "consultation", "returned")
    actions = (
        ActionDef(Action.RECORD_ASSESSMENT, "Ghi kết quả đánh giá lại chỉ tiêu", (UNIT,)),
        ActionDef(Action.ATTACH_EVIDENCE, "Đính kèm minh chứng", (UNIT,)),
        ActionDef(Action.FINISH_SELF_ASSESSMENT, "Hoàn thành đánh giá", (UNIT,)),
        ActionDef(Action.RECORD_POSTING, "Ghi nhận lấy ý kiến, niêm yết kết quả", (UNIT,)),
        ActionDef(Action.SUBMIT, "Hoàn thiện, nộp hồ sơ xét thu hồi", (UNIT,)),
        *_appraisal_actions((OWNER, COORDINATOR)),
        ActionDef(Action.RESUBMIT, "Nộp lại hồ sơ đã bổ sung", (UNIT,)),
        ActionDef(Action.FORWARD, "Trình xét thu hồi", (COORDINATOR,)),
        ActionDef(Action.REVOKE, "Quyết định thu hồi quyết định công nhận", (decider,)),
        ActionDef(Action.KEEP, "Không thu hồi, nêu lý do", (decider,)),
    )
    transitions = (
        TransitionDef(Action.RECORD_ASSESSMENT, editable, None),
        TransitionDef(Action.ATTACH_EVIDENCE, editable, None),
        TransitionDef(Action.FINISH_SELF_ASSESSMENT, ("self_assessment",), "consultation", (ALL_ASSESSED,)),
        TransitionDef(Action.RECORD_POSTING, ("consultation",), None),
        TransitionDef(
            Action.SUBMIT,
            ("consultation",),
            "under_appraisal",
            (ALL_ASSESSED, REVOCATION_POSTING_DONE, OWNERSHIP_COMPLETE),
        ),
        *_appraisal_transitions(),
        TransitionDef(Action.RESUBMIT, ("returned",), "under_appraisal", (ALL_ASSESSED,)),
        TransitionDef(Action.FORWARD, ("appraised",), "forwarded", (ALL_APPROVED,)),
        TransitionDef(Action.REVOKE, ("forwarded",), "revoked", (ALL_APPROVED, REVOCATION_FIRES)),
        TransitionDef(Action.KEEP, ("forwarded",), "kept", (COMMENT_GIVEN,)),
    )
    return ProcedureDef(
        name=f"{level.value}-revocation",
        label=f"Thu hồi quyết định công nhận: {RECOGNITION_LEVEL_LABELS[level]}",
        levels=(level,),
        kind=DossierKind.REVOCATION,
        states=(
            _S_SELF,
            _S_CONSULTATION,
            _S_APPRAISAL,
            _S_RETURNED,
            _S_APPRAISED,
            StateDef("forwarded", "Đã trình xét thu hồi", time_limit="decision_days"),
            StateDef("revoked", "Đã thu hồi quyết định công nhận", final=True),
            StateDef("kept", "Không thu hồi", final=True),
        ),
        initial="self_assessment",
        actions=actions,
        transitions=transitions,
        opened_by=(SYSTEM,),
        submitted_state="under_appraisal",
        complete_state="appraised",
        legal_basis="QĐ 18/2022/QĐ-TTg (thu hồi quyết định công nhận)",
    )


def _build() -> dict[tuple[RecognitionLevel, DossierKind], Procedure]:
    built: dict[tuple[RecognitionLevel, DossierKind], Procedure] = {}
    for level in COMMUNE_LEVELS:
        built[level, DossierKind.RECOGNITION] = Procedure(commune_recognition(level))
        built[level, DossierKind.REVOCATION] = Procedure(revocation(level))
    for level in HAMLET_LEVELS:
        built[level, DossierKind.RECOGNITION] = Procedure(hamlet_recognition(level))
    for level in DISTRICT_LEVELS:
        built[level, DossierKind.RECOGNITION] = Procedure(district_recognition(level))
        built[level, DossierKind.REVOCATION] = Procedure(revocation(level))
    return built


#: every procedure, compiled once: (level, kind) → Procedure with its shared machine
PROCEDURES: dict[tuple[RecognitionLevel, DossierKind], Procedure] = _build()


def town_recognition(level: RecognitionLevel) -> ProcedureDef:
    """QĐ 04/2022/QĐ-TTg for thị trấn "đô thị văn minh" (seed 000): its full text is not collected, so the
    steps are those of a commune (QĐ 18/2022): the town self-assesses, posts its report, the Front surveys
    satisfaction, the town's meeting votes, the district's departments appraise, the provincial chairman
    decides (route "town-via-district", low confidence). Only before 1/7/2025: there are no towns after it."""
    return _recognition(
        level,
        _Decision(
            submit_label="Nộp hồ sơ đề nghị thẩm tra",
            forward_label="Trình xét công nhận",
            recognise_label="Quyết định công nhận",
            refuse_label="Không công nhận, nêu lý do",
            decider=APPROVER,
            meeting_vote=True,
            support=VOTE_MET,
            legal_basis="QĐ 04/2022/QĐ-TTg (trình tự tạm theo QĐ 18/2022/QĐ-TTg)",
        ),
    )


def district_town_recognition(level: RecognitionLevel) -> ProcedureDef:
    """QĐ 320/QĐ-TTg for a thị xã / thành phố thuộc tỉnh completing the NTM task: the district flow (the
    province's departments appraise, the Prime Minister decides, the province records the decision), its
    communes all recognised NTM. Only before 1/7/2025."""
    return _recognition(
        level,
        _Decision(
            submit_label="Nộp hồ sơ đề nghị thẩm định",
            forward_label="Trình Bộ, Thủ tướng xét công nhận",
            recognise_label="Ghi nhận quyết định công nhận của Thủ tướng",
            refuse_label="Ghi nhận không công nhận, nêu lý do",
            decider=NATIONAL_RECORDER,
            meeting_vote=False,
            support=COMMUNES_RECOGNISED,
            legal_basis="QĐ 18/2022/QĐ-TTg, QĐ 320/QĐ-TTg (thị xã, thành phố thuộc tỉnh hoàn thành nhiệm vụ)",
        ),
    )


def _build_urban() -> dict[tuple[RecognitionLevel, DossierKind], Procedure]:
    """The town and district-town levels (no revocation procedure is defined for them yet)."""
    built: dict[tuple[RecognitionLevel, DossierKind], Procedure] = {}
    for level in TOWN_LEVELS:
        built[level, DossierKind.RECOGNITION] = Procedure(town_recognition(level))
    for level in DISTRICT_TOWN_LEVELS:
        built[level, DossierKind.RECOGNITION] = Procedure(district_town_recognition(level))
    return built


PROCEDURES.update(_build_urban())
FALLBACK_APPRAISER.update({level: Role.COORDINATOR for level in (*TOWN_LEVELS, *DISTRICT_TOWN_LEVELS)})


class UnknownProcedure(KeyError):  # noqa: N818 - reads as a domain fact, like the workflow errors
    """No procedure is defined for this level and kind (e.g. a hamlet's revocation)."""


def procedure_for(level: RecognitionLevel | str, kind: DossierKind | str = DossierKind.RECOGNITION) -> Procedure:
    try:
        return PROCEDURES[RecognitionLevel(level), DossierKind(kind)]
    except (KeyError, ValueError) as exc:
        raise UnknownProcedure(f"no procedure for level {level!r} and kind {kind!r}") from exc


def procedure_named(name: str) -> Procedure:
    """By definition name: "commune-ntm", "commune-ntm-revocation", ..."""
    for procedure in PROCEDURES.values():
        if procedure.name == name:
            return procedure
    raise UnknownProcedure(f"no procedure named {name!r}; known: {', '.join(p.name for p in PROCEDURES.values())}")


def milestone_reached(
    level: RecognitionLevel | str,
    state: str,
    milestone: str,
    kind: DossierKind | str = DossierKind.RECOGNITION,
) -> bool:
    """Whether a dossier of `level` in `state` has reached `milestone`.

    "submitted": the dossier went to the appraising authority (the state is at or after the
    submission, withdrawn excluded). "complete": the appraisal passed (appraised or later).
    """
    if milestone not in MILESTONES:
        raise ValueError(f"unknown milestone {milestone!r}; known: {', '.join(MILESTONES)}")
    procedure = procedure_for(level, kind)
    if state not in procedure.states:
        raise ValueError(f"{procedure.name} has no state {state!r}")
    return state in procedure.milestones[milestone]


def step_limit(
    procedure: Procedure, state: str, authority_kind: UnitKind, rules: Rules = DEFAULT_RULES
) -> Sourced[int] | None:
    """The time limit (working days) of the step that starts when a dossier enters `state`, if any."""
    key = procedure.time_limit_key(state)
    if key is None:
        return None
    if key == "appraisal_days":
        return rules.appraisal_days.get(authority_kind)
    value = getattr(rules, key)
    if not isinstance(value, Sourced):
        raise TypeError(f"rules.{key} is not a time limit")
    return value
