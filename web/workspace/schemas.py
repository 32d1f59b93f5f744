"""Form schemas of the dossier workspace (marshmallow): raw form text in, typed values or Vietnamese messages out.

Only the shape of the input is checked here (numbers are numbers, dates are dates, a reason is given
for each returned indicator, text fits its column); whether the action is allowed and whether its
conditions hold is the services' answer, never the schemas'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, types, validate, validates_schema
from werkzeug.datastructures import MultiDict

from dossiers.commands import PLAIN_COMMANDS
from workflow.actions import Action
from workflow.procedures import PROCEDURES
from workflow.rules import CONDITION_LABELS
from workflow.vocabulary import DossierKind

#: PostgreSQL's integer column; larger numbers would fail in the database instead of in the form
MAX_INT = 2**31 - 1
#: money columns are BigInteger; no commune earns more than this per person and year
MAX_MONEY = 10**15
MAX_TEXT = 4000

REQUIRED = "Chưa nhập."
#: levels a dossier can be registered for: those with a recognition procedure
REGISTRABLE_LEVELS = tuple(level.value for level, kind in PROCEDURES if kind == DossierKind.RECOGNITION)


class _Vietnamese:
    """Vietnamese messages for the errors every field shares."""

    default_error_messages: types.ErrorMessages = {  # noqa: RUF012 - marshmallow's declarative protocol
        "required": REQUIRED,
        "null": REQUIRED,
        "validator_failed": "Giá trị không hợp lệ.",
    }


class Integer(_Vietnamese, fields.Integer):
    default_error_messages: types.ErrorMessages = {  # noqa: RUF012
        "invalid": "Phải là số nguyên.",
        "too_large": "Số quá lớn.",
    }

    def __init__(self, *, minimum: int = 0, maximum: int = MAX_INT, **kwargs: Any) -> None:
        super().__init__(
            strict=False,
            validate=validate.Range(min=minimum, max=maximum, error="Phải là số từ {min} đến {max}."),
            **kwargs,
        )


class Boolean(_Vietnamese, fields.Boolean):
    default_error_messages: types.ErrorMessages = {"invalid": "Chọn có hoặc không."}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={"1", "true", "on", "yes", "co"}, falsy={"0", "false", "off", "no", "khong"}, **kwargs)


class Text(_Vietnamese, fields.String):
    """Trimmed text without control characters (PostgreSQL refuses NUL), at most `max_length` characters."""

    default_error_messages: types.ErrorMessages = {  # noqa: RUF012
        "invalid": "Phải là văn bản.",
        "control": "Có ký tự không hợp lệ.",
        "too_long": "Dài quá {max} ký tự.",
    }

    def __init__(self, *, max_length: int = MAX_TEXT, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
            raise self.make_error("control")
        if len(text) > self.max_length:
            raise self.make_error("too_long", max=self.max_length)
        return text


class VnDate(_Vietnamese, fields.Field[dt.date]):
    """A day as people write it in Vietnam (dd/mm/yyyy); the ISO form a date picker sends is accepted too."""

    default_error_messages: types.ErrorMessages = {"invalid": "Ngày không hợp lệ (nhập theo dạng dd/mm/yyyy)."}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> dt.date:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = value.strip()
        for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
            try:
                day = dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
            if 2000 <= day.year <= 2100:
                return day
        raise self.make_error("invalid")


def _one_of(choices: Any) -> validate.OneOf:
    return validate.OneOf(list(choices), error="Giá trị không hợp lệ.")


class FormSchema(Schema):
    """Blank inputs count as not given; unknown inputs (the CSRF token, buttons) are ignored."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _prepare(self, data: Mapping[str, Any], **_kwargs: Any) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, str) and not value.strip():
                continue
            if isinstance(value, list):
                value = [v for v in value if not (isinstance(v, str) and not v.strip())]
            kept[key] = value
        return self.reshape(kept)

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Subclasses regroup inputs here (after blanks are dropped)."""
        return data


class DossierFormSchema(FormSchema):
    """Every form that changes a dossier carries the version the person saw."""

    version = Integer(required=True, minimum=1)


#: actions that cannot be undone: the form carries a confirmation box, and a post without it is refused
CONFIRMED_ACTIONS = frozenset({Action.WITHDRAW, Action.REFUSE, Action.RECOGNISE, Action.REVOKE})
#: actions where the law issues a decision: its number and date are recorded with the action
DECISION_ACTIONS = frozenset({Action.RECOGNISE, Action.REVOKE})
NOT_CONFIRMED = "Đánh dấu ô xác nhận để thực hiện thao tác này (không thể hoàn tác)."


class PlainActionSchema(DossierFormSchema):
    """A plain action; irreversible ones need `confirm`, decisions their number and date (not after `today`)."""

    action = Text(required=True, max_length=60, validate=_one_of(sorted(PLAIN_COMMANDS)))
    comment = Text(load_default=None)
    decision_number = Text(load_default=None, max_length=80)
    decision_date = VnDate(load_default=None)
    confirm = Boolean(load_default=False)

    def __init__(self, *, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.today = today

    @validates_schema
    def _confirmed_and_decided(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, str] = {}
        action = data["action"]
        if action in CONFIRMED_ACTIONS and not data["confirm"]:
            errors["confirm"] = NOT_CONFIRMED
        if action in DECISION_ACTIONS:
            if not data["decision_number"]:
                errors["decision_number"] = "Nhập số quyết định."
            if data["decision_date"] is None:
                errors["decision_date"] = "Nhập ngày ký quyết định (dd/mm/yyyy)."
            elif self.today is not None and data["decision_date"] > self.today:
                errors["decision_date"] = "Ngày ký quyết định không được sau ngày hôm nay."
        if errors:
            raise ValidationError(errors)


class AssessmentSchema(DossierFormSchema):
    code = Text(required=True, max_length=20)
    met = Boolean(required=True)
    value = Text(load_default=None)
    note = Text(load_default=None)


class AssessmentRowSchema(FormSchema):
    code = Text(required=True, max_length=20)
    met = Boolean(required=True)
    value = Text(load_default=None)
    note = Text(load_default=None)


class BulkAssessmentSchema(DossierFormSchema):
    """The self-assessment table sent in one request: `met:<code>`, `value:<code>`, `note:<code>` per
    row; rows without a chosen result are left as they are. `criterion` (the button pressed) keeps the
    save to that criterion's rows; without it, every row is saved."""

    criterion = Integer(load_default=None, maximum=1000)
    rows = fields.List(fields.Nested(AssessmentRowSchema), load_default=list)

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        rows: dict[str, dict[str, Any]] = {}
        kept: dict[str, Any] = {}
        for key, value in data.items():
            field_name, _, code = key.partition(":")
            if code and field_name in ("met", "value", "note"):
                rows.setdefault(code, {"code": code})[field_name] = value
            else:
                kept[key] = value
        kept["rows"] = [row for row in rows.values() if "met" in row]
        return kept

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs: Any) -> None:
        """A row's error goes next to its input (`value:<code>`), not to the table as a whole."""
        messages = error.messages if isinstance(error.messages, dict) else {}
        row_errors = messages.get("rows")
        if not isinstance(row_errors, dict) or not isinstance(data, Mapping):
            raise error
        blank_free = {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        rows = self.reshape(dict(blank_free))["rows"]
        placed: dict[str, Any] = {key: value for key, value in messages.items() if key != "rows"}
        for index, fields_errors in row_errors.items():
            if not isinstance(index, int) or index >= len(rows) or not isinstance(fields_errors, dict):
                placed.setdefault("rows", []).append(fields_errors)
                continue
            for field_name, lines in fields_errors.items():
                placed[f"{field_name}:{rows[index]['code']}"] = lines
        raise ValidationError(placed)


class EvidenceSchema(DossierFormSchema):
    code = Text(load_default=None, max_length=20)


class PostingSchema(DossierFormSchema):
    start = VnDate(required=True)
    end = VnDate(required=True)
    announcements = Integer(required=True, maximum=1000)

    @validates_schema
    def _ordered(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if data["end"] < data["start"]:
            raise ValidationError("Ngày kết thúc phải từ ngày bắt đầu trở đi.", "end")


class AnnouncementSchema(DossierFormSchema):
    start = VnDate(required=True)
    end = VnDate(required=True)

    @validates_schema
    def _ordered(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if data["end"] < data["start"]:
            raise ValidationError("Ngày kết thúc phải từ ngày bắt đầu trở đi.", "end")


class SurveySchema(DossierFormSchema):
    households_total = Integer(required=True)
    households_reached = Integer(required=True)
    households_satisfied = Integer(required=True)


class VoteSchema(DossierFormSchema):
    votes_total = Integer(required=True)
    votes_in_favour = Integer(required=True)


#: rows of the kiểu mẫu form for smart-hamlet models (hamlet, product, where sold online)
SMART_HAMLET_ROWS = 5


class ModelConditionsSchema(DossierFormSchema):
    income_per_capita = Integer(required=True, maximum=MAX_MONEY)
    advanced_income_level = Integer(required=True, maximum=MAX_MONEY)
    outstanding_field = Text(required=True, max_length=40)
    outstanding_field_met = Boolean(required=True)
    # hamlet_1, product_1, sold_on_1 … one trio per row of the form, declared in the class namespace (where
    # marshmallow collects fields) rather than written out fifteen times
    locals().update(
        {
            f"{name}_{row}": field
            for row in range(1, SMART_HAMLET_ROWS + 1)
            for name, field in (
                ("hamlet", Integer(load_default=None, minimum=1)),
                ("product", Text(load_default=None, max_length=200)),
                ("sold_on", Text(load_default=None, max_length=300)),
            )
        }
    )

    @validates_schema
    def _rows_complete(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        """A row begun is a row finished: the hamlet, its product and where it is sold online."""
        errors: dict[str, str] = {}
        for row in range(1, SMART_HAMLET_ROWS + 1):
            keys = (f"hamlet_{row}", f"product_{row}", f"sold_on_{row}")
            if any(data.get(key) for key in keys):
                errors.update({key: REQUIRED for key in keys if not data.get(key)})
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def smart_hamlets(data: Mapping[str, Any]) -> list[tuple[int, str, str]]:
        """The rows filled in, in order."""
        return [
            (data[f"hamlet_{row}"], data[f"product_{row}"], data[f"sold_on_{row}"])
            for row in range(1, SMART_HAMLET_ROWS + 1)
            if data.get(f"hamlet_{row}")
        ]


class ConditionSchema(DossierFormSchema):
    condition = Text(required=True, max_length=40, validate=_one_of(CONDITION_LABELS))
    holds = Boolean(required=True)
    note = Text(load_default=None)


APPROVE = "approve"
RETURN = "return"


class AppraisalSchema(DossierFormSchema):
    """One department's answer: the indicators ticked, approved or returned (each returned one with a reason)."""

    task = Integer(required=True, minimum=1)
    decision = Text(required=True, max_length=10, validate=_one_of((APPROVE, RETURN)))
    codes = fields.List(
        Text(max_length=20),
        required=True,
        validate=validate.Length(min=1, max=500, error="Chọn ít nhất một chỉ tiêu."),
        error_messages={"required": "Chọn ít nhất một chỉ tiêu.", "invalid": "Danh sách chỉ tiêu không hợp lệ."},
    )
    reasons = fields.Dict(keys=fields.String(), values=Text(), load_default=dict)
    comment = Text(load_default=None)

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """`reason-<code>` inputs become one mapping (blank reasons were dropped already)."""
        gathered = {key: value for key, value in data.items() if not key.startswith("reason-")}
        gathered["reasons"] = {
            key.removeprefix("reason-"): value for key, value in data.items() if key.startswith("reason-")
        }
        return gathered

    @validates_schema
    def _reasons_given(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if data["decision"] != RETURN:
            return
        blank = [code for code in data["codes"] if not data["reasons"].get(code)]
        if blank:
            raise ValidationError(f"Cần ghi lý do trả lại cho chỉ tiêu {', '.join(blank)}.", "reasons")


class RegisterSchema(FormSchema):
    level = Text(required=True, max_length=30, validate=_one_of(REGISTRABLE_LEVELS))
    year = Integer(required=True, minimum=2000, maximum=2100)
    criteria_set = Integer(required=True, minimum=1)


def form_data(form: MultiDict[str, str], list_fields: tuple[str, ...] = ()) -> dict[str, Any]:
    """The submitted form as a dict: one value per name, a list for names a schema reads as a list."""
    return {key: form.getlist(key) if key in list_fields else form.get(key, "") for key in form}


def error_messages(error: ValidationError) -> dict[str, str]:
    """field name → one Vietnamese line (marshmallow nests messages in lists and dicts)."""

    def flatten(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, Mapping):
            return [line for inner in value.values() for line in flatten(inner)]
        if isinstance(value, list | tuple):
            return [line for inner in value for line in flatten(inner)]
        return [str(value)]

    messages = error.messages if isinstance(error.messages, Mapping) else {"_schema": error.messages}
    return {str(field): " ".join(dict.fromkeys(flatten(value))) for field, value in messages.items()}


class InboxAnswerSchema(FormSchema):
    """The inbox's answer: ticked `pick` values (`<dossier>:<task>:<code>`), approved or returned; a
    returned one needs its `reason:<dossier>:<code>`; `version:<dossier>` is the version each dossier had."""

    decision = Text(required=True, max_length=10, validate=_one_of((APPROVE, RETURN)))
    picks = fields.List(
        Text(max_length=60),
        required=True,
        validate=validate.Length(min=1, max=5000, error="Chọn ít nhất một chỉ tiêu."),
        error_messages={"required": "Chọn ít nhất một chỉ tiêu.", "invalid": "Danh sách chỉ tiêu không hợp lệ."},
    )
    reasons = fields.Dict(keys=fields.String(), values=Text(), load_default=dict)
    versions = fields.Dict(keys=fields.String(), values=Integer(minimum=1), load_default=dict)
    comment = Text(load_default=None)

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        gathered: dict[str, Any] = {"reasons": {}, "versions": {}}
        for key, value in data.items():
            if key.startswith("reason:"):
                gathered["reasons"][key.removeprefix("reason:")] = value
            elif key.startswith("version:"):
                gathered["versions"][key.removeprefix("version:")] = value
            elif key == "pick":
                gathered["picks"] = value if isinstance(value, list) else [value]
            else:
                gathered[key] = value
        return gathered

    @validates_schema
    def _well_formed(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, str] = {}
        for pick in data["picks"]:
            dossier, _, rest = pick.partition(":")
            task, _, code = rest.partition(":")
            if not (dossier.isdigit() and task.isdigit() and code and len(dossier) < 10 and len(task) < 10):
                errors["picks"] = "Danh sách chỉ tiêu không hợp lệ."
                continue
            if data["decision"] == RETURN and not data["reasons"].get(f"{dossier}:{code}"):
                errors[f"reason:{dossier}:{code}"] = "Cần ghi lý do trả lại."
        if errors:
            raise ValidationError(errors)


def parse_pick(pick: str) -> tuple[int, int, str]:
    """`<dossier>:<task>:<code>` (checked by `InboxAnswerSchema`) → its parts."""
    dossier, task, code = pick.split(":", 2)
    return int(dossier), int(task), code
