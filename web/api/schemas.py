"""The API's marshmallow schemas: the same ones validate the input and generate the OpenAPI document.

Input is strict: unknown fields are refused (`additionalProperties: false` in the spec), numbers must be
JSON integers within range, booleans JSON booleans, text without control characters and within its
column's length. Whether an action is allowed is the services' answer, never the schemas'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from dossiers.dashboard import MATRIX_LEVELS, CriterionStatus
from notifications.dashboard import COMING_DAYS
from web.workspace.schemas import REGISTRABLE_LEVELS
from workflow.actions import Action
from workflow.rules import CONDITION_LABELS
from workflow.vocabulary import DossierKind, RecognitionLevel, UnitKind

#: PostgreSQL's integer: every id and count fits in it
MAX_INT = 2**31 - 1
MAX_MONEY = 10**15
MAX_TEXT = 4000
MAX_PER_PAGE = 100
#: a bulk assessment call carries at most this many indicators (a criteria set has fewer than 100)
MAX_ENTRIES = 500


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Int(fields.Integer):
    """A JSON integer (no strings, no floats) within a range."""

    strict_type = True

    def __init__(self, *, minimum: int = 0, maximum: int = MAX_INT, **kwargs: Any) -> None:
        super().__init__(strict=self.strict_type, validate=validate.Range(min=minimum, max=maximum), **kwargs)


class Id(Int):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(minimum=1, **kwargs)


class QueryInt(Int):
    """An integer in the query string, where everything is text: digits only, within a range."""

    strict_type = False

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int:
        if not isinstance(value, str) or not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 12:
            raise self.make_error("invalid", input=value)
        return int(super()._deserialize(value, attr, data, **kwargs))


class QueryId(QueryInt):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(minimum=1, **kwargs)


class QueryBool(fields.Boolean):
    """`true` or `false` in the query string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={"true"}, falsy={"false"}, **kwargs)


class Bool(fields.Boolean):
    """A JSON boolean: `true` or `false`, nothing that merely looks like one."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Text(fields.String):
    """Trimmed text without control characters (PostgreSQL refuses NUL), within `max_length`."""

    def __init__(self, *, max_length: int = MAX_TEXT, min_length: int = 0, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=min_length, max=max_length), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
            raise ValidationError("Có ký tự điều khiển không hợp lệ.")
        return text.strip()


class Date(fields.Date):
    """A calendar day between 2000 and 2100."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=dt.date(2000, 1, 1), max=dt.date(2100, 12, 31)), **kwargs)


def Choice(values: Any, **kwargs: Any) -> fields.String:  # noqa: N802 - a field factory reads like a field
    choices = [str(v) for v in values]
    return fields.String(validate=validate.OneOf(choices), **kwargs)


# --- errors and pages ---------------------------------------------------------------------------------


class ErrorSchema(Schema):
    status = fields.Integer(required=True, metadata={"description": "HTTP status"})
    code = fields.String(
        required=True,
        metadata={"description": "stable name of the error, e.g. validation_error, action_not_allowed"},
    )
    message = fields.String(required=True, metadata={"description": "a sentence in the language asked for"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "field (dotted path) → what is wrong with it"},
    )
    allowed_actions = fields.List(
        fields.String(), metadata={"description": "409 action_not_allowed: the actions allowed now"}
    )


class PageQuery(Strict):
    page = QueryInt(minimum=1, maximum=100_000, load_default=1)
    per_page = QueryInt(minimum=1, maximum=MAX_PER_PAGE, load_default=20)


class PageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


# --- units, criteria, ownership -------------------------------------------------------------------------


class UnitQuery(PageQuery):
    parent_id = QueryId()
    kind = Choice(UnitKind)
    valid_on = Date(metadata={"description": "only units valid on this day"})
    name = Text(max_length=200, metadata={"description": "part of the name"})


class UnitSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(allow_none=True, required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    valid_from = fields.Date(allow_none=True, required=True)
    valid_to = fields.Date(allow_none=True, required=True)
    region = fields.String(allow_none=True, required=True)
    commune_group = fields.String(allow_none=True, required=True)


class UnitPageSchema(PageSchema):
    items = fields.List(fields.Nested(UnitSchema), required=True)


class IndicatorSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    measure = fields.String(required=True)
    unit_of_measure = fields.String(allow_none=True, required=True)
    thresholds = fields.Dict(required=True)


class CriterionSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    name = fields.String(required=True)
    group_name = fields.String(allow_none=True, required=True)
    is_key = fields.Boolean(required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)


class CriteriaSetSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    levels = fields.List(fields.String(), required=True)
    legal_source = fields.String(required=True)
    period_start = fields.Integer(required=True)
    period_end = fields.Integer(required=True)
    effective_from = fields.Date(allow_none=True, required=True)


class CriteriaSetDetailSchema(CriteriaSetSchema):
    criteria = fields.List(fields.Nested(CriterionSchema), required=True)


class CriteriaSetListSchema(Schema):
    items = fields.List(fields.Nested(CriteriaSetSchema), required=True)


class OwnershipQuery(Strict):
    authority_unit_id = QueryId(
        required=True, metadata={"description": "the district (or province) whose departments appraise"}
    )
    year = QueryInt(minimum=2000, maximum=2100, required=True)
    criteria_set_id = QueryId(required=True)


class OwnershipRowSchema(Schema):
    indicator_code = fields.String(required=True)
    department_id = fields.Integer(required=True)
    department_code = fields.String(required=True)
    department_name = fields.String(required=True)
    source = fields.String(allow_none=True, required=True)
    confidence = fields.String(
        allow_none=True,
        load_default=None,
        metadata={"description": "how sure a (reconstructed) table is of the row; null: as its source states it"},
    )
    outstanding_fields = fields.List(
        fields.String(),
        allow_none=True,
        load_default=None,
        metadata={"description": "kiểu mẫu: the row holds only for dossiers that chose one of these fields"},
    )


class OwnershipSchema(Schema):
    authority_unit_id = fields.Integer(required=True)
    year = fields.Integer(required=True)
    criteria_set_id = fields.Integer(required=True)
    rows = fields.List(fields.Nested(OwnershipRowSchema), required=True)
    unowned = fields.List(fields.String(), required=True, metadata={"description": "indicator codes nobody owns"})


# --- dossiers ---------------------------------------------------------------------------------------------


class DossierQuery(PageQuery):
    state = Text(max_length=40)
    year = QueryInt(minimum=2000, maximum=2100)
    unit_id = QueryId()
    level = Choice(RecognitionLevel)
    kind = Choice(DossierKind)


class UnitRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


class DossierSchema(Schema):
    id = fields.Integer(required=True)
    unit = fields.Nested(UnitRefSchema, required=True)
    unit_id = fields.Integer(required=True)
    level = fields.String(required=True)
    year = fields.Integer(required=True)
    kind = fields.String(required=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True)
    route = fields.String(allow_none=True, required=True)
    criteria_set_id = fields.Integer(required=True)
    authority_unit_id = fields.Integer(required=True)
    decider_unit_id = fields.Integer(allow_none=True, required=True)
    version = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class DossierPageSchema(PageSchema):
    items = fields.List(fields.Nested(DossierSchema), required=True)


class AssessmentSchema(Schema):
    code = fields.String(required=True)
    met = fields.Boolean(allow_none=True, required=True)
    value = fields.String(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)
    assessed_at = fields.AwareDateTime(allow_none=True, required=True)


class AssessmentListSchema(Schema):
    dossier_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    items = fields.List(fields.Nested(AssessmentSchema), required=True)


class AppraisalItemSchema(Schema):
    code = fields.String(required=True)
    decision = fields.String(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    decided_at = fields.AwareDateTime(allow_none=True, required=True)


class SignOffSchema(Schema):
    task_id = fields.Integer(required=True)
    label = fields.String(required=True)
    department_id = fields.Integer(allow_none=True, required=True)
    round = fields.Integer(required=True)
    opened_at = fields.AwareDateTime(required=True)
    answered_at = fields.AwareDateTime(allow_none=True, required=True)
    items = fields.List(fields.Nested(AppraisalItemSchema), required=True)


class SupplementItemSchema(Schema):
    code = fields.String(required=True)
    department_id = fields.Integer(allow_none=True, required=True)
    reason = fields.String(required=True)


class SupplementRequestSchema(Schema):
    id = fields.Integer(required=True)
    round = fields.Integer(required=True)
    issued_at = fields.AwareDateTime(required=True)
    resolved_at = fields.AwareDateTime(allow_none=True, required=True)
    text = fields.String(required=True)
    items = fields.List(fields.Nested(SupplementItemSchema), required=True)


class EventSchema(Schema):
    id = fields.Integer(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    action = fields.String(required=True)
    actor_id = fields.Integer(allow_none=True, required=True)
    on_behalf_of_id = fields.Integer(allow_none=True, required=True)
    role = fields.String(allow_none=True, required=True)
    from_state = fields.String(allow_none=True, required=True)
    to_state = fields.String(allow_none=True, required=True)
    comment = fields.String(allow_none=True, required=True)


class DossierDetailSchema(DossierSchema):
    allowed_actions = fields.List(
        fields.String(), required=True, metadata={"description": "what the caller may do now"}
    )
    assessments = fields.List(fields.Nested(AssessmentSchema), required=True)
    sign_offs = fields.List(fields.Nested(SignOffSchema), required=True, metadata={"description": "appraisal tasks"})
    supplement_requests = fields.List(fields.Nested(SupplementRequestSchema), required=True)
    history = fields.List(fields.Nested(EventSchema), required=True)


class RegisterSchema(Strict):
    unit_id = Id(required=True)
    level = Choice(REGISTRABLE_LEVELS, required=True, metadata={"description": "a level with a recognition procedure"})
    year = Int(minimum=2000, maximum=2100, required=True)
    criteria_set_id = Id(required=True)
    outstanding_field = Text(max_length=40, allow_none=True, load_default=None)


# --- assessments and actions ------------------------------------------------------------------------------


class AssessmentEntrySchema(Strict):
    code = Text(min_length=1, max_length=20, required=True)
    met = Bool(required=True)
    value = Text(allow_none=True, load_default=None)
    note = Text(allow_none=True, load_default=None)


class AssessmentsUpdateSchema(Strict):
    entries = fields.List(
        fields.Nested(AssessmentEntrySchema), required=True, validate=validate.Length(min=1, max=MAX_ENTRIES)
    )
    comment = Text(allow_none=True, load_default=None)

    @validates_schema
    def _codes_once(self, data: dict[str, Any], **_kwargs: Any) -> None:
        codes = [entry["code"] for entry in data.get("entries", [])]
        if len(codes) != len(set(codes)):
            raise ValidationError("Mỗi chỉ tiêu chỉ được ghi một lần trong một lần gửi.", "entries")


class ActionSchema(Strict):
    """What every action takes: a comment, and the officer the caller substitutes for (when explicit)."""

    comment = Text(allow_none=True, load_default=None)
    on_behalf_of_id = Id(allow_none=True, load_default=None)


class DecisionSchema(ActionSchema):
    decision_number = Text(max_length=100, allow_none=True, load_default=None)
    #: the day the decision was signed (recorded on the recognition, as the pages record it)
    decision_date = Date(allow_none=True, load_default=None)


class PeriodSchema(ActionSchema):
    start = Date(required=True)
    end = Date(required=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "start" in data and "end" in data and data["end"] < data["start"]:
            raise ValidationError("Ngày kết thúc phải sau ngày bắt đầu.", "end")


class PostingSchema(PeriodSchema):
    announcements = Int(maximum=10_000, required=True)


class AnnouncementSchema(PeriodSchema):
    pass


class SurveySchema(ActionSchema):
    households_total = Int(minimum=1, maximum=10_000_000, required=True)
    households_reached = Int(maximum=10_000_000, required=True)
    households_satisfied = Int(maximum=10_000_000, required=True)

    @validates_schema
    def _within(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if {"households_total", "households_reached"} <= data.keys() and data["households_reached"] > data[
            "households_total"
        ]:
            raise ValidationError("Không thể lớn hơn tổng số hộ.", "households_reached")
        if {"households_reached", "households_satisfied"} <= data.keys() and data["households_satisfied"] > data[
            "households_reached"
        ]:
            raise ValidationError("Không thể lớn hơn số hộ được lấy ý kiến.", "households_satisfied")


class VoteSchema(ActionSchema):
    votes_total = Int(minimum=1, maximum=100_000, required=True)
    votes_in_favour = Int(maximum=100_000, required=True)

    @validates_schema
    def _within(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if {"votes_total", "votes_in_favour"} <= data.keys() and data["votes_in_favour"] > data["votes_total"]:
            raise ValidationError("Không thể lớn hơn tổng số phiếu.", "votes_in_favour")


class SmartHamletSchema(Strict):
    hamlet_id = Id(required=True, metadata={"description": "a hamlet (unit) of the dossier's commune"})
    product = Text(min_length=1, max_length=200, required=True, metadata={"description": "the product sold online"})
    sold_on = Text(min_length=1, max_length=300, required=True, metadata={"description": "where it is sold online"})


class ModelConditionsSchema(ActionSchema):
    income_per_capita = Int(maximum=MAX_MONEY, required=True)
    advanced_income_level = Int(maximum=MAX_MONEY, required=True)
    smart_hamlets = fields.List(
        fields.Nested(SmartHamletSchema),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "each smart-hamlet model: which hamlet, which product sold online, where"},
    )
    smart_hamlet_models = Int(
        maximum=10_000,
        allow_none=True,
        load_default=None,
        metadata={"description": "when given, the number of hamlets named in smart_hamlets"},
    )
    outstanding_field = Text(min_length=1, max_length=40, required=True)
    outstanding_field_met = Bool(required=True)


class ApproveSchema(ActionSchema):
    codes = fields.List(
        Text(min_length=1, max_length=20),
        allow_none=True,
        load_default=None,
        validate=validate.Length(min=1, max=MAX_ENTRIES),
        metadata={"description": "the indicators approved; all still pending in the caller's task when omitted"},
    )
    department_id = Id(allow_none=True, load_default=None)


class ReturnedIndicatorSchema(Strict):
    code = Text(min_length=1, max_length=20, required=True)
    reason = Text(min_length=1, required=True)


class ReturnSchema(ActionSchema):
    indicators = fields.List(
        fields.Nested(ReturnedIndicatorSchema), required=True, validate=validate.Length(min=1, max=MAX_ENTRIES)
    )
    department_id = Id(allow_none=True, load_default=None)


class ConditionSchema(ActionSchema):
    condition = Choice(CONDITION_LABELS, required=True)
    holds = Bool(required=True)
    note = Text(allow_none=True, load_default=None)


class AssessmentsActionSchema(ActionSchema):
    entries = AssessmentsUpdateSchema._declared_fields["entries"]


#: the body each action takes (`POST /api/v1/dossiers/{id}/actions/{action}`)
ACTION_SCHEMAS: dict[str, type[ActionSchema]] = {
    Action.CONFIRM_REGISTRATION: ActionSchema,
    Action.WITHDRAW: ActionSchema,
    Action.FINISH_SELF_ASSESSMENT: ActionSchema,
    Action.SUBMIT: ActionSchema,
    Action.RESUBMIT: ActionSchema,
    Action.FORWARD: ActionSchema,
    Action.REFUSE: ActionSchema,
    Action.KEEP: ActionSchema,
    Action.RECOGNISE: DecisionSchema,
    Action.REVOKE: DecisionSchema,
    Action.RECORD_POSTING: PostingSchema,
    Action.RECORD_SURVEY: SurveySchema,
    Action.RECORD_VOTE: VoteSchema,
    Action.RECORD_ANNOUNCEMENT: AnnouncementSchema,
    Action.RECORD_MODEL_CONDITIONS: ModelConditionsSchema,
    Action.APPROVE_INDICATORS: ApproveSchema,
    Action.RETURN_INDICATORS: ReturnSchema,
    Action.CONFIRM_CONDITION: ConditionSchema,
    Action.APPRAISE_AT_PROVINCE: ActionSchema,
    Action.REQUEST_SUPPLEMENT: ActionSchema,
    Action.RESUBMIT_TO_PROVINCE: ActionSchema,
    # the Front's supervision comment: the `comment` is its text (required by the procedure's guard)
    Action.RECORD_SUPERVISION: ActionSchema,
}


# --- evidence ---------------------------------------------------------------------------------------------


class EvidenceSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(allow_none=True, required=True)
    original_name = fields.String(required=True)
    size = fields.Integer(required=True)
    mime_type = fields.String(required=True)
    sha256 = fields.String(required=True)
    uploaded_at = fields.AwareDateTime(required=True)


class EvidenceListSchema(Schema):
    items = fields.List(fields.Nested(EvidenceSchema), required=True)


class EvidenceFormSchema(Strict):
    code = Text(max_length=20, allow_none=True, load_default=None)
    comment = Text(allow_none=True, load_default=None)


class EvidenceFileSchema(Strict):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


# --- the caller, decisions, obligations -----------------------------------------------------------------


class MeSchema(Schema):
    user_id = fields.Integer(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    token_id = fields.Integer(required=True)
    token_expires_at = fields.AwareDateTime(required=True)
    roles = fields.List(fields.Dict(), required=True)


class DecisionQuery(PageQuery):
    year = QueryInt(minimum=2000, maximum=2100)
    pending = QueryBool(metadata={"description": "only indicators not yet decided (true) or only decided ones (false)"})


class DepartmentDecisionSchema(Schema):
    dossier_id = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    task_id = fields.Integer(required=True)
    round = fields.Integer(required=True)
    code = fields.String(required=True)
    decision = fields.String(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    decided_at = fields.AwareDateTime(allow_none=True, required=True)


class DepartmentDecisionPageSchema(PageSchema):
    department_id = fields.Integer(required=True)
    items = fields.List(fields.Nested(DepartmentDecisionSchema), required=True)


class ObligationQuery(PageQuery):
    year = QueryInt(minimum=2000, maximum=2100, required=True)
    unit_id = QueryId(metadata={"description": "only obligations of this unit and the units under it"})


class ObligationSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    last_day = fields.Date(required=True)
    dossier_id = fields.Integer(allow_none=True, required=True)
    unit_id = fields.Integer(allow_none=True, required=True)
    department_id = fields.Integer(allow_none=True, required=True)
    rule = fields.String(required=True)


class ObligationPageSchema(PageSchema):
    items = fields.List(fields.Nested(ObligationSchema), required=True)


# --- the dashboard ------------------------------------------------------------------------------------------


class DashboardQuery(Strict):
    unit_id = QueryId(
        metadata={"description": "the area: a district or province the caller oversees (their first when omitted)"}
    )
    year = QueryInt(minimum=2000, maximum=2100, metadata={"description": "the current year when omitted"})
    level = Choice(MATRIX_LEVELS, metadata={"description": "the level the matrix shows (commune-ntm when omitted)"})


class DashboardAreaSchema(UnitRefSchema):
    code = fields.String(allow_none=True, required=True)
    label = fields.String(required=True)


class FigureSchema(Schema):
    key = fields.String(required=True, metadata={"description": "stable name, as on the page and in the export"})
    label = fields.String(required=True)
    value = fields.Float(allow_none=True, required=True)


class TargetSchema(Schema):
    value = fields.Float(required=True)
    source = fields.String(required=True)
    confidence = fields.String(required=True)


class MatrixColumnSchema(Schema):
    number = fields.Integer(required=True)
    name = fields.String(required=True)
    communes_met = fields.Integer(required=True, metadata={"description": "communes meeting this criterion"})


class CriterionStatusSchema(Schema):
    number = fields.Integer(required=True)
    status = Choice(CriterionStatus, required=True)


class CommuneRowSchema(Schema):
    unit_id = fields.Integer(required=True)
    name = fields.String(required=True)
    dossier_id = fields.Integer(allow_none=True, required=True)
    state = fields.String(allow_none=True, required=True)
    state_label = fields.String(required=True)
    criteria_met = fields.Integer(allow_none=True, required=True, metadata={"description": "null without a dossier"})
    criteria_total = fields.Integer(required=True)
    overdue = fields.Boolean(required=True, metadata={"description": "its dossier owes something past its last day"})
    statuses = fields.List(fields.Nested(CriterionStatusSchema), required=True)


class StateCountSchema(Schema):
    level = fields.String(required=True)
    kind = fields.String(required=True)
    level_label = fields.String(required=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True)
    count = fields.Integer(required=True)


class DeadlineSchema(ObligationSchema):
    period_label = fields.String(required=True)
    days_left = fields.Integer(required=True, metadata={"description": "negative once the last day passed"})
    overdue = fields.Boolean(required=True)
    status = fields.String(required=True)
    owed_by = fields.String(required=True, metadata={"description": "the unit or department that owes it"})
    reminded = fields.List(fields.String(), required=True, metadata={"description": "the people reminded"})


class TaskSummarySchema(Schema):
    label = fields.String(required=True)
    round = fields.Integer(required=True)
    approved = fields.Integer(required=True)
    returned = fields.Integer(required=True)
    pending = fields.Integer(required=True)


class ConditionSummarySchema(Schema):
    label = fields.String(required=True)
    holds = fields.Boolean(allow_none=True, required=True, metadata={"description": "null: not confirmed yet"})
    department_name = fields.String(required=True)


class DecisionSummarySchema(Schema):
    dossier_id = fields.Integer(required=True)
    unit = fields.Nested(UnitRefSchema, required=True)
    level = fields.String(required=True)
    level_label = fields.String(required=True)
    kind = fields.String(required=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True)
    decider_name = fields.String(required=True)
    criteria_met = fields.Integer(required=True)
    criteria_total = fields.Integer(required=True)
    indicators_approved = fields.Integer(required=True)
    indicators_returned = fields.Integer(required=True)
    tasks = fields.List(fields.Nested(TaskSummarySchema), required=True)
    conditions = fields.List(fields.Nested(ConditionSummarySchema), required=True)
    households_total = fields.Integer(allow_none=True, required=True)
    households_reached = fields.Integer(allow_none=True, required=True)
    households_satisfied = fields.Integer(allow_none=True, required=True)
    satisfaction = fields.Float(allow_none=True, required=True, metadata={"description": "satisfied / reached"})
    votes_total = fields.Integer(allow_none=True, required=True)
    votes_in_favour = fields.Integer(allow_none=True, required=True)
    vote_share = fields.Float(allow_none=True, required=True, metadata={"description": "in favour / total"})


class DashboardSchema(Schema):
    area = fields.Nested(DashboardAreaSchema, required=True)
    year = fields.Integer(required=True)
    level = fields.String(required=True)
    level_label = fields.String(required=True)
    today = fields.Date(required=True, metadata={"description": "the day the figures are counted at"})
    figures = fields.List(
        fields.Nested(FigureSchema), required=True, metadata={"description": "the headline numbers of the page"}
    )
    average_met = fields.Float(
        allow_none=True, required=True, metadata={"description": "criteria met per commune with a dossier, unrounded"}
    )
    target = fields.Nested(TargetSchema, allow_none=True, required=True, metadata={"description": "the plan's aim"})
    columns = fields.List(fields.Nested(MatrixColumnSchema), required=True, metadata={"description": "criteria"})
    communes = fields.List(fields.Nested(CommuneRowSchema), required=True, metadata={"description": "matrix rows"})
    by_state = fields.List(fields.Nested(StateCountSchema), required=True)
    overdue = fields.List(fields.Nested(DeadlineSchema), required=True)
    coming = fields.List(
        fields.Nested(DeadlineSchema),
        required=True,
        metadata={"description": f"not overdue, last day within {COMING_DAYS} days"},
    )
    awaiting_decision = fields.List(fields.Nested(DecisionSummarySchema), required=True)


# --- periodic reports (web/api/reports.py) -------------------------------------------------------------------


class ReportSectionsSchema(Strict):
    results = Text(max_length=20_000, load_default="")
    difficulties = Text(max_length=20_000, load_default="")
    proposals = Text(max_length=20_000, load_default="")


class ReportBody(Strict):
    """A unit's (or a department's) report of one period: saved as a draft, or submitted at once."""

    code = Choice(
        ("report-monthly", "report-quarterly", "report-half-year", "report-yearly", "department-difficulties",
         "department-yearly-report", "commune-plan"),
        required=True, metadata={"description": "the deadline rule the report meets"},
    )  # fmt: skip
    period = Text(
        min_length=4, max_length=20, required=True, metadata={"description": "2025-03, 2025-Q3, 2025-H1, 2025"}
    )
    unit_id = Id(allow_none=True, load_default=None, metadata={"description": "the reporting unit (or department_id)"})
    department_id = Id(allow_none=True, load_default=None)
    sections = fields.Nested(ReportSectionsSchema, load_default=dict)
    figures = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,9}$")),
        values=Text(max_length=40),
        load_default=dict,
        validate=validate.Length(max=50),
        metadata={"description": 'watched indicator id → value of the report\'s month, e.g. {"12": "62,5"}'},
    )
    submit = Bool(load_default=False, metadata={"description": "submit after saving"})
    document_ref = Text(max_length=200, allow_none=True, load_default=None)

    @validates_schema
    def _one_obligor(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data.get("unit_id") is None) == (data.get("department_id") is None):
            raise ValidationError("Cần đúng một trong unit_id, department_id.", "unit_id")


class ReportSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    period = fields.String(required=True)
    period_label = fields.String(required=True)
    unit_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    state = fields.String(required=True, metadata={"description": "draft or submitted"})
    due_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(allow_none=True)
    late = fields.Boolean(allow_none=True)
    sections = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    figures = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    version = fields.Integer(required=True)
