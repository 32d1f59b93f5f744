"""Routes of the workspace. Each POST: parse the form (schemas), call one service, commit once, redirect
with a flash message. Bad input shows the form again with what was typed and a Vietnamese message (422);
a refusal by the services is rolled back and shown on the page with the status `web.errors` maps it to."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from marshmallow import Schema, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from dossiers import procedure_service as service
from dossiers.access import may_view
from dossiers.evidence import EvidencePolicy, read_evidence, served_type
from dossiers.models import AppraisalTask, CriteriaSet, Dossier, Unit, User
from dossiers.procedure_facts import procedure_of
from dossiers.settings import Settings
from web.clock import request_now
from web.errors import WORKFLOW_STATUS
from web.session import request_session
from web.views import render_unit
from web.workspace import pages, schemas
from web.workspace.forms import FormState
from workflow.engine import Procedure
from workflow.errors import ActionNotAllowed, GuardFailed, NotPermitted, StaleDossier, WorkflowError, join_vi
from workflow.rules import CONDITION_LABELS

bp = Blueprint("workspace", __name__)

INVALID_INPUT = "Dữ liệu nhập chưa hợp lệ, vui lòng sửa các ô được đánh dấu."

Page = str | tuple[str, int]


def signed_in_user() -> User:
    user = current_user._get_current_object()  # the row itself: services compare actors by identity
    if not isinstance(user, User):
        abort(401)
    return user


@bp.app_template_filter("percent")
def percent_filter(share: float) -> str:
    """0.9667 → "96,7 %", as Vietnamese write it."""
    return f"{share * 100:.1f}".replace(".", ",") + " %"


@bp.app_template_filter("state_label")
def state_label_filter(dossier: Dossier) -> str:
    return pages.state_label(dossier)


# --- reading ---------------------------------------------------------------------------------------


def _viewable(session: Session, user: User, now: dt.datetime, dossier_id: int) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        abort(404)
    if not may_view(session, user, now, dossier):
        abort(403)
    return dossier


def _render_dossier(
    session: Session, user: User, now: dt.datetime, dossier: Dossier, form: FormState | None = None, status: int = 200
) -> Page:
    page = pages.dossier_page(session, user, now, dossier)
    html = render_template(
        "dossier.html",
        page=page,
        dossier=dossier,
        form=form or FormState(),
        selected_code=request.args.get("chi-tieu", ""),
    )
    return (html, status) if status != 200 else html


@bp.get("/ho-so/<int:dossier_id>")
@login_required
def dossier(dossier_id: int) -> Page:
    session, user, now = request_session(), signed_in_user(), request_now()
    return _render_dossier(session, user, now, _viewable(session, user, now, dossier_id))


@bp.get("/viec-cua-toi")
@login_required
def my_work() -> str:
    session, user, now = request_session(), signed_in_user(), request_now()
    return render_template("my_work.html", work=pages.my_work(session, user, now))


# --- acting on a dossier ---------------------------------------------------------------------------


def describe(exc: WorkflowError, procedure: Procedure | None) -> str:
    """The domain's message, with actions and states named by their Vietnamese labels."""

    def label(action: str) -> str:
        return pages.action_label(procedure, action) if procedure else pages.OPENING_LABELS.get(action, action)

    if isinstance(exc, GuardFailed):
        return f"Chưa thể thực hiện «{label(exc.action)}»: {'; '.join(exc.missing)}."
    if isinstance(exc, NotPermitted):
        return f"Không có quyền thực hiện «{label(exc.action)}»: {exc.reason}."
    if isinstance(exc, ActionNotAllowed) and procedure is not None:
        hint = (
            f"Các thao tác được phép: {join_vi(label(a) for a in exc.allowed)}."
            if exc.allowed
            else "Không còn thao tác nào ở trạng thái này."
        )
        return (
            f"Hồ sơ đang ở trạng thái «{procedure.state_label(exc.state)}»: "
            f"không thể thực hiện «{label(exc.action)}». {hint}"
        )
    if isinstance(exc, StaleDossier) and exc.dossier_id is None:
        # the conflict was found while writing, where the service no longer knows the dossier's number
        return "Hồ sơ vừa được người khác thay đổi; thao tác chưa được ghi nhận, vui lòng tải lại."
    return exc.message


def status_of(exc: WorkflowError) -> int:
    return next((code for kind, code in WORKFLOW_STATUS.items() if isinstance(exc, kind)), 409)


Call = Callable[[Session, User, dt.datetime, Dossier, dict[str, Any]], str]


def _act(
    dossier_id: int, form_name: str, schema: Schema, call: Call, *, anchor: str, lists: tuple[str, ...] = ()
) -> Page | Response:
    """Parse, call one service, commit once; or show the form again with what went wrong."""
    session, user, now = request_session(), signed_in_user(), request_now()
    dossier = _viewable(session, user, now, dossier_id)
    raw = schemas.form_data(request.form, lists)
    try:
        data = schema.load(raw)
    except ValidationError as error:
        state = FormState(form_name, raw, schemas.error_messages(error), INVALID_INPUT)
        return _render_dossier(session, user, now, dossier, state, 422)
    try:
        done = call(session, user, now, dossier, data)
    except WorkflowError as exc:
        session.rollback()
        fresh = _viewable(session, user, now, dossier_id)
        if isinstance(exc, StaleDossier):
            # the page now shows the current version: sending the form again applies it to what they see
            raw = {key: value for key, value in raw.items() if key != "version"}
        message = describe(exc, procedure_of(fresh))
        return _render_dossier(session, user, now, fresh, FormState(form_name, raw, {}, message), status_of(exc))
    session.commit()
    flash(done, "success")
    return redirect(url_for(".dossier", dossier_id=dossier_id, _anchor=anchor))


def _done(dossier: Dossier, action: str) -> str:
    return f"Đã ghi nhận: {pages.action_label(procedure_of(dossier), action)}."


@bp.post("/ho-so/<int:dossier_id>/thao-tac")
@login_required
def take_action(dossier_id: int) -> Page | Response:
    action = request.form.get("action", "")

    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        service.take_action(
            session,
            user,
            now,
            dossier,
            data["action"],
            comment=data["comment"],
            decision_number=data["decision_number"],
            expected_version=data["version"],
        )
        return f"{_done(dossier, data['action'])} Trạng thái mới: {pages.state_label(dossier)}."

    return _act(dossier_id, f"action:{action}", schemas.PlainActionSchema(), call, anchor="thao-tac")


@bp.post("/ho-so/<int:dossier_id>/tu-danh-gia")
@login_required
def record_assessment(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        service.record_assessment(
            session,
            user,
            now,
            dossier,
            data["code"],
            met=data["met"],
            value=data["value"],
            note=data["note"],
            expected_version=data["version"],
        )
        return f"Đã ghi kết quả tự đánh giá chỉ tiêu {data['code']}."

    return _act(dossier_id, "assessment", schemas.AssessmentSchema(), call, anchor="tu-danh-gia")


@bp.post("/ho-so/<int:dossier_id>/minh-chung")
@login_required
def attach_evidence(dossier_id: int) -> Page | Response:
    upload = request.files.get("file")

    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        if upload is None or not upload.filename:
            raise GuardFailed("attach_evidence", ["chưa chọn tệp minh chứng"])
        settings: Settings = current_app.config["NTM_SETTINGS"]
        evidence = service.attach_evidence(
            session,
            user,
            now,
            dossier,
            storage_root=settings.evidence_path,
            stream=upload.stream,
            original_name=upload.filename,
            code=data["code"],
            mime_type=upload.content_type or None,  # checked for form only: the content decides the type
            expected_version=data["version"],
            policy=EvidencePolicy.from_settings(settings),
        )
        return f"Đã đính kèm “{evidence.original_name}” ({evidence.size:,} byte).".replace(",", ".")

    return _act(dossier_id, "evidence", schemas.EvidenceSchema(), call, anchor="minh-chung")


@bp.get("/ho-so/<int:dossier_id>/minh-chung/<int:evidence_id>")
@login_required
def download_evidence(dossier_id: int, evidence_id: int) -> Response:
    """The stored file, to anyone who may see the dossier; checked against its SHA-256 on the way out."""
    session, user, now = request_session(), signed_in_user(), request_now()
    dossier = _viewable(session, user, now, dossier_id)
    evidence = next((e for e in dossier.evidence if e.id == evidence_id), None) or abort(404)
    settings: Settings = current_app.config["NTM_SETTINGS"]
    try:
        content = read_evidence(settings.evidence_path, evidence)
    except OSError:
        abort(404, "Tệp minh chứng không còn nguyên vẹn hoặc không tìm thấy trên máy chủ.")
    response = send_file(
        io.BytesIO(content),
        mimetype=served_type(evidence, settings.evidence_types),
        as_attachment=True,
        download_name=evidence.original_name,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"  # never rendered as what the browser guesses
    return response


@bp.post("/ho-so/<int:dossier_id>/niem-yet")
@login_required
def record_posting(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        service.record_posting(
            session,
            user,
            now,
            dossier,
            start=data["start"],
            end=data["end"],
            announcements=data["announcements"],
            expected_version=data["version"],
        )
        return _done(dossier, "record_posting")

    return _act(dossier_id, "posting", schemas.PostingSchema(), call, anchor="lay-y-kien")


@bp.post("/ho-so/<int:dossier_id>/lay-y-kien")
@login_required
def record_survey(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        service.record_survey(
            session,
            user,
            now,
            dossier,
            households_total=data["households_total"],
            households_reached=data["households_reached"],
            households_satisfied=data["households_satisfied"],
            expected_version=data["version"],
        )
        return _done(dossier, "record_survey")

    return _act(dossier_id, "survey", schemas.SurveySchema(), call, anchor="lay-y-kien")


@bp.post("/ho-so/<int:dossier_id>/bieu-quyet")
@login_required
def record_vote(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        service.record_vote(
            session,
            user,
            now,
            dossier,
            votes_total=data["votes_total"],
            votes_in_favour=data["votes_in_favour"],
            expected_version=data["version"],
        )
        return _done(dossier, "record_vote")

    return _act(dossier_id, "vote", schemas.VoteSchema(), call, anchor="lay-y-kien")


@bp.post("/ho-so/<int:dossier_id>/thong-bao")
@login_required
def record_announcement(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        service.record_announcement(
            session, user, now, dossier, start=data["start"], end=data["end"], expected_version=data["version"]
        )
        return _done(dossier, "record_announcement")

    return _act(dossier_id, "announcement", schemas.AnnouncementSchema(), call, anchor="lay-y-kien")


@bp.post("/ho-so/<int:dossier_id>/dieu-kien-kieu-mau")
@login_required
def record_model_conditions(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        service.record_model_conditions(
            session,
            user,
            now,
            dossier,
            income_per_capita=data["income_per_capita"],
            advanced_income_level=data["advanced_income_level"],
            smart_hamlet_models=data["smart_hamlet_models"],
            outstanding_field=data["outstanding_field"],
            outstanding_field_met=data["outstanding_field_met"],
            expected_version=data["version"],
        )
        return _done(dossier, "record_model_conditions")

    return _act(dossier_id, "model", schemas.ModelConditionsSchema(), call, anchor="dieu-kien")


@bp.post("/ho-so/<int:dossier_id>/xac-nhan-dieu-kien")
@login_required
def confirm_condition(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        service.confirm_condition(
            session,
            user,
            now,
            dossier,
            data["condition"],
            holds=data["holds"],
            note=data["note"],
            expected_version=data["version"],
        )
        found = "đạt" if data["holds"] else "không đạt"
        return f"Đã xác nhận điều kiện «{CONDITION_LABELS[data['condition']]}»: {found}."

    return _act(dossier_id, "condition", schemas.ConditionSchema(), call, anchor="dieu-kien")


@bp.post("/ho-so/<int:dossier_id>/tham-tra")
@login_required
def appraise(dossier_id: int) -> Page | Response:
    """One department's answer for its own task: the ticked indicators approved, or returned with reasons."""

    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        returning = data["decision"] == schemas.RETURN
        task = session.get(AppraisalTask, data["task"])
        if task is None or task.dossier_id != dossier.id:
            action = "return_indicators" if returning else "approve_indicators"
            raise GuardFailed(action, ["không tìm thấy nhiệm vụ thẩm tra này trong hồ sơ"])
        codes = list(dict.fromkeys(data["codes"]))
        if returning:
            service.return_indicators(
                session,
                user,
                now,
                dossier,
                {code: data["reasons"].get(code, "") for code in codes},
                department=task.department,
                comment=data["comment"],
                expected_version=data["version"],
            )
            return f"Đã trả lại chỉ tiêu {join_vi(codes)}. Trạng thái hồ sơ: {pages.state_label(dossier)}."
        service.approve_indicators(
            session,
            user,
            now,
            dossier,
            codes,
            department=task.department,
            comment=data["comment"],
            expected_version=data["version"],
        )
        return f"Đã thẩm tra đạt chỉ tiêu {join_vi(codes)}. Trạng thái hồ sơ: {pages.state_label(dossier)}."

    task_id = request.form.get("task", "")
    return _act(dossier_id, f"task:{task_id}", schemas.AppraisalSchema(), call, anchor="tham-tra", lists=("codes",))


# --- registering -----------------------------------------------------------------------------------


@bp.post("/don-vi/<int:unit_id>/dang-ky")
@login_required
def register(unit_id: int) -> Page | Response:
    session, user, now = request_session(), signed_in_user(), request_now()
    unit = session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    raw = schemas.form_data(request.form)
    try:
        data = schemas.RegisterSchema().load(raw)
    except ValidationError as error:
        return render_unit(unit, FormState("register", raw, schemas.error_messages(error), INVALID_INPUT), 422)
    criteria_set = session.get(CriteriaSet, data["criteria_set"])
    if criteria_set is None:
        errors = {"criteria_set": "Không có bộ tiêu chí này."}
        return render_unit(unit, FormState("register", raw, errors, INVALID_INPUT), 422)
    try:
        created = service.register_dossier(
            session, user, now, unit=unit, level=data["level"], year=data["year"], criteria_set=criteria_set
        )
    except WorkflowError as exc:
        session.rollback()
        unit = session.get(Unit, unit_id) or abort(404)
        return render_unit(unit, FormState("register", raw, {}, describe(exc, None)), status_of(exc))
    except IntegrityError:
        # someone registered the same dossier at the same moment: the unique constraint caught it
        session.rollback()
        unit = session.get(Unit, unit_id) or abort(404)
        message = f"«{unit.name}» vừa được người khác đăng ký hồ sơ này; vui lòng tải lại trang."
        return render_unit(unit, FormState("register", raw, {}, message), 409)
    session.commit()
    flash(f"Đã đăng ký hồ sơ số {created.id}. Trạng thái: {pages.state_label(created)}.", "success")
    return redirect(url_for(".dossier", dossier_id=created.id))
