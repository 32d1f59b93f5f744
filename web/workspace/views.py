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
from sqlalchemy.orm import Session, joinedload
from werkzeug.wrappers import Response

from dossiers import commands as c
from dossiers.access import load_actor
from dossiers.context import DossierContext
from dossiers.evidence import EvidencePolicy, read_evidence, served_type
from dossiers.handlers import handle
from dossiers.models import AppraisalTask, CriteriaSet, Dossier, Unit, User
from dossiers.procedure_facts import procedure_of
from dossiers.settings import Settings
from web.clock import request_now
from web.errors import WORKFLOW_STATUS
from web.messages import action_label, describe
from web.session import request_session
from web.views import render_unit
from web.workspace import inbox as inbox_page
from web.workspace import pages, schemas
from web.workspace.forms import FormState
from web.workspace.xlsx_import import UnreadableWorkbookError, read_assessments
from workflow import permissions
from workflow.actions import Action
from workflow.calendar import local_date
from workflow.errors import GuardFailed, NotPermitted, StaleDossier, WorkflowError, join_vi
from workflow.rules import CONDITION_LABELS

bp = Blueprint("workspace", __name__)

INVALID_INPUT = "Dữ liệu nhập chưa hợp lệ, vui lòng sửa các ô được đánh dấu."
#: a conflict may come from the same person in another tab: no blame, no version numbers
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


def _viewable(session: Session, user: User, now: dt.datetime, dossier_id: int) -> DossierContext:
    """The dossier with what the page reads of it, once the user may read it. A dossier they may not read is
    "not found" (404) like one that does not exist: its number tells nobody that it exists."""
    dossier = session.get(
        Dossier,
        dossier_id,
        options=[
            joinedload(Dossier.unit),
            joinedload(Dossier.criteria_set),
            joinedload(Dossier.authority_unit),
            joinedload(Dossier.decider_unit),
        ],
    )
    if dossier is None:
        abort(404)
    context = DossierContext(session, dossier, load_actor(session, user, now), now)
    if not permissions.may_view(context.actor, context.view_seats):
        abort(404)
    return context


def _render_dossier(context: DossierContext, form: FormState | None = None, status: int = 200) -> Page:
    page = pages.dossier_page(context)
    html = render_template(
        "dossier.html",
        page=page,
        dossier=context.dossier,
        form=form or FormState(),
        selected_code=request.args.get("chi-tieu", ""),
    )
    return (html, status) if status != 200 else html


@bp.get("/ho-so/<int:dossier_id>")
@login_required
def dossier(dossier_id: int) -> Page:
    session, user, now = request_session(), signed_in_user(), request_now()
    return _render_dossier(_viewable(session, user, now, dossier_id))


@bp.get("/viec-cua-toi")
@login_required
def my_work() -> str:
    session, user, now = request_session(), signed_in_user(), request_now()
    return render_template("my_work.html", work=pages.my_work(session, user, now))


# --- acting on a dossier ---------------------------------------------------------------------------


def status_of(exc: WorkflowError) -> int:
    return next((code for kind, code in WORKFLOW_STATUS.items() if isinstance(exc, kind)), 409)


Call = Callable[[Session, User, dt.datetime, Dossier, dict[str, Any]], str]


def _act(
    dossier_id: int, form_name: str, schema: Schema, call: Call, *, anchor: str, lists: tuple[str, ...] = ()
) -> Page | Response:
    """Parse, call one service, commit once; or show the form again with what went wrong."""
    session, user, now = request_session(), signed_in_user(), request_now()
    context = _viewable(session, user, now, dossier_id)
    dossier = context.dossier
    raw = schemas.form_data(request.form, lists)
    try:
        data = schema.load(raw)
    except ValidationError as error:
        state = FormState(form_name, raw, schemas.error_messages(error), INVALID_INPUT)
        return _render_dossier(context, state, 422)
    try:
        done = call(session, user, now, dossier, data)
    except WorkflowError as exc:
        session.rollback()
        fresh = _viewable(session, user, now, dossier_id)
        if isinstance(exc, StaleDossier):
            # the page now shows the current version: sending the form again applies it to what they see
            raw = {key: value for key, value in raw.items() if key != "version"}
        message = describe(exc, fresh.procedure)
        return _render_dossier(fresh, FormState(form_name, raw, {}, message), status_of(exc))
    session.commit()
    flash(done, "success")
    return redirect(url_for(".dossier", dossier_id=dossier_id, _anchor=anchor))


def _done(dossier: Dossier, action: str) -> str:
    return f"Đã ghi nhận: {action_label(procedure_of(dossier), action)}."


@bp.post("/ho-so/<int:dossier_id>/thao-tac")
@login_required
def take_action(dossier_id: int) -> Page | Response:
    action = request.form.get("action", "")

    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        deciding = data["action"] in schemas.DECISION_ACTIONS
        command = c.plain_command(
            data["action"],
            dossier.id,
            expected_version=data["version"],
            comment=data["comment"],
            decision_number=data["decision_number"] if deciding else None,
            decided_on=data["decision_date"] if deciding else None,
        )
        handle(session, user, now, command)
        return f"{_done(dossier, data['action'])} Trạng thái mới: {pages.state_label(dossier)}."

    schema = schemas.PlainActionSchema(today=local_date(request_now()))
    return _act(dossier_id, f"action:{action}", schema, call, anchor="thao-tac")


@bp.post("/ho-so/<int:dossier_id>/tu-danh-gia")
@login_required
def record_assessment(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        entry = c.AssessmentEntry(data["code"], met=data["met"], value=data["value"], note=data["note"])
        command = c.RecordAssessments(dossier_id=dossier.id, expected_version=data["version"], entries=(entry,))
        handle(session, user, now, command)
        return f"Đã ghi kết quả tự đánh giá chỉ tiêu {data['code']}."

    return _act(dossier_id, "assessment", schemas.AssessmentSchema(), call, anchor="tu-danh-gia")


@bp.post("/ho-so/<int:dossier_id>/tu-danh-gia/bang")
@login_required
def record_assessments(dossier_id: int) -> Page | Response:
    """The whole table, or one criterion's rows, saved in one request, one transaction, one audit event."""

    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        criterion = data["criterion"]
        codes = None
        if criterion is not None:
            codes = {
                indicator.code
                for block in dossier.criteria_set.criteria
                if block.number == criterion
                for indicator in block.indicators
            }
        rows = [row for row in data["rows"] if codes is None or row["code"] in codes]
        entries = tuple(c.AssessmentEntry(r["code"], met=r["met"], value=r["value"], note=r["note"]) for r in rows)
        command = c.RecordAssessments(dossier_id=dossier.id, expected_version=data["version"], entries=entries)
        handle(session, user, now, command)
        where = f"tiêu chí {criterion}" if criterion is not None else "cả bộ tiêu chí"
        return f"Đã ghi kết quả tự đánh giá {len(entries)} chỉ tiêu ({where})."

    criterion = request.form.get("criterion", "")
    # back to the criterion just saved: the person keeps their place on the page
    anchor, name = (
        (f"form-criterion-{criterion}", f"criterion:{criterion}")
        if criterion.isdigit() and len(criterion) <= 4
        else ("tu-danh-gia", "assessments")
    )
    return _act(dossier_id, name, schemas.BulkAssessmentSchema(), call, anchor=anchor)


@bp.post("/ho-so/<int:dossier_id>/minh-chung")
@login_required
def attach_evidence(dossier_id: int) -> Page | Response:
    upload = request.files.get("file")

    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        if upload is None or not upload.filename:
            raise GuardFailed(Action.ATTACH_EVIDENCE, ["chưa chọn tệp minh chứng"])
        settings: Settings = current_app.config["NTM_SETTINGS"]
        command = c.AttachEvidence(
            dossier_id=dossier.id,
            expected_version=data["version"],
            storage_root=settings.evidence_path,
            stream=upload.stream,
            original_name=upload.filename,
            code=data["code"],
            mime_type=upload.content_type or None,  # checked for form only: the content decides the type
            policy=EvidencePolicy.from_settings(settings),
        )
        evidence = handle(session, user, now, command).record
        return f"Đã đính kèm “{evidence.original_name}” ({evidence.size:,} byte).".replace(",", ".")

    return _act(dossier_id, "evidence", schemas.EvidenceSchema(), call, anchor="minh-chung")


@bp.get("/ho-so/<int:dossier_id>/minh-chung/<int:evidence_id>")
@login_required
def download_evidence(dossier_id: int, evidence_id: int) -> Response:
    """The stored file, to anyone who may see the dossier; checked against its SHA-256 on the way out."""
    session, user, now = request_session(), signed_in_user(), request_now()
    dossier = _viewable(session, user, now, dossier_id).dossier
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
        command = c.RecordPosting(
            dossier_id=dossier.id,
            expected_version=data["version"],
            start=data["start"],
            end=data["end"],
            announcements=data["announcements"],
        )
        handle(session, user, now, command)
        return _done(dossier, Action.RECORD_POSTING)

    return _act(dossier_id, "posting", schemas.PostingSchema(), call, anchor="lay-y-kien")


@bp.post("/ho-so/<int:dossier_id>/lay-y-kien")
@login_required
def record_survey(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        command = c.RecordSurvey(
            dossier_id=dossier.id,
            expected_version=data["version"],
            households_total=data["households_total"],
            households_reached=data["households_reached"],
            households_satisfied=data["households_satisfied"],
        )
        handle(session, user, now, command)
        return _done(dossier, Action.RECORD_SURVEY)

    return _act(dossier_id, "survey", schemas.SurveySchema(), call, anchor="lay-y-kien")


@bp.post("/ho-so/<int:dossier_id>/bieu-quyet")
@login_required
def record_vote(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        command = c.RecordVote(
            dossier_id=dossier.id,
            expected_version=data["version"],
            votes_total=data["votes_total"],
            votes_in_favour=data["votes_in_favour"],
        )
        handle(session, user, now, command)
        return _done(dossier, Action.RECORD_VOTE)

    return _act(dossier_id, "vote", schemas.VoteSchema(), call, anchor="lay-y-kien")


@bp.post("/ho-so/<int:dossier_id>/thong-bao")
@login_required
def record_announcement(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        command = c.RecordAnnouncement(
            dossier_id=dossier.id, expected_version=data["version"], start=data["start"], end=data["end"]
        )
        handle(session, user, now, command)
        return _done(dossier, Action.RECORD_ANNOUNCEMENT)

    return _act(dossier_id, "announcement", schemas.AnnouncementSchema(), call, anchor="lay-y-kien")


@bp.post("/ho-so/<int:dossier_id>/dieu-kien-kieu-mau")
@login_required
def record_model_conditions(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        command = c.RecordModelConditions(
            dossier_id=dossier.id,
            income_per_capita=data["income_per_capita"],
            advanced_income_level=data["advanced_income_level"],
            smart_hamlets=tuple(
                c.SmartHamlet(hamlet, product, sold_on)
                for hamlet, product, sold_on in schemas.ModelConditionsSchema.smart_hamlets(data)
            ),
            outstanding_field=data["outstanding_field"],
            outstanding_field_met=data["outstanding_field_met"],
            expected_version=data["version"],
        )
        handle(session, user, now, command)
        return _done(dossier, Action.RECORD_MODEL_CONDITIONS)

    return _act(dossier_id, "model", schemas.ModelConditionsSchema(), call, anchor="dieu-kien")


@bp.post("/ho-so/<int:dossier_id>/xac-nhan-dieu-kien")
@login_required
def confirm_condition(dossier_id: int) -> Page | Response:
    def call(session: Session, user: User, now: dt.datetime, dossier: Dossier, data: dict[str, Any]) -> str:
        command = c.ConfirmCondition(
            dossier_id=dossier.id,
            expected_version=data["version"],
            condition=data["condition"],
            holds=data["holds"],
            note=data["note"],
        )
        handle(session, user, now, command)
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
            action = Action.RETURN_INDICATORS if returning else Action.APPROVE_INDICATORS
            raise GuardFailed(action, ["không tìm thấy nhiệm vụ thẩm tra này trong hồ sơ"])
        codes = list(dict.fromkeys(data["codes"]))
        if returning:
            returned = c.ReturnIndicators(
                dossier_id=dossier.id,
                expected_version=data["version"],
                comment=data["comment"],
                reasons={code: data["reasons"].get(code, "") for code in codes},
                department_id=task.department_id,
            )
            handle(session, user, now, returned)
            return f"Đã trả lại chỉ tiêu {join_vi(codes)}. Trạng thái hồ sơ: {pages.state_label(dossier)}."
        approved = c.ApproveIndicators(
            dossier_id=dossier.id,
            expected_version=data["version"],
            comment=data["comment"],
            codes=tuple(codes),
            department_id=task.department_id,
        )
        handle(session, user, now, approved)
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
        command = c.Register(unit_id=unit.id, level=data["level"], year=data["year"], criteria_set_id=criteria_set.id)
        created = handle(session, user, now, command).opened()
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


# --- the department inbox --------------------------------------------------------------------------


def _render_inbox(form: FormState | None = None, status: int = 200) -> Page:
    session, user, now = request_session(), signed_in_user(), request_now()
    html = render_template(
        "inbox.html", groups=inbox_page.inbox(session, user, now), form=form or FormState(), inline_message=True
    )
    return (html, status) if status != 200 else html


@bp.get("/tham-tra")
@login_required
def inbox() -> Page:
    """Every indicator waiting for the officer's departments, across the open dossiers of their area."""
    return _render_inbox()


@bp.post("/tham-tra")
@login_required
def inbox_answer() -> Page | Response:
    """Approve, or return with a reason each, the ticked indicators of any number of dossiers: one request,
    one transaction (one command per dossier and task); a refusal saves nothing and shows the inbox again."""
    session, user, now = request_session(), signed_in_user(), request_now()
    raw = schemas.form_data(request.form, ("pick",))
    try:
        data = schemas.InboxAnswerSchema().load(raw)
    except ValidationError as error:
        return _render_inbox(FormState("inbox", raw, schemas.error_messages(error), INVALID_INPUT), 422)
    returning = data["decision"] == schemas.RETURN
    chosen: dict[tuple[int, int], list[str]] = {}
    for pick in data["picks"]:
        dossier_id, task_id, code = schemas.parse_pick(pick)
        codes = chosen.setdefault((dossier_id, task_id), [])
        if code not in codes:
            codes.append(code)
    seen: set[int] = set()
    try:
        for (dossier_id, task_id), codes in chosen.items():
            task = session.get(AppraisalTask, task_id)
            if task is None or task.dossier_id != dossier_id:
                raise GuardFailed(
                    Action.RETURN_INDICATORS if returning else Action.APPROVE_INDICATORS,
                    ["không tìm thấy nhiệm vụ thẩm tra này trong hồ sơ"],
                )
            # the version the page showed guards the first answer; later ones follow this request's own changes
            version = data["versions"].get(str(dossier_id)) if dossier_id not in seen else None
            seen.add(dossier_id)
            command: c.DossierCommand
            if returning:
                command = c.ReturnIndicators(
                    dossier_id=dossier_id,
                    expected_version=version,
                    comment=data["comment"],
                    reasons={code: data["reasons"][f"{dossier_id}:{code}"] for code in codes},
                    department_id=task.department_id,
                )
            else:
                command = c.ApproveIndicators(
                    dossier_id=dossier_id,
                    expected_version=version,
                    comment=data["comment"],
                    codes=tuple(codes),
                    department_id=task.department_id,
                )
            handle(session, user, now, command)
    except WorkflowError as exc:
        session.rollback()
        return _render_inbox(FormState("inbox", raw, {}, describe(exc, None)), status_of(exc))
    session.commit()
    count = sum(len(codes) for codes in chosen.values())
    verb = "trả lại" if returning else "thẩm tra đạt"
    flash(f"Đã {verb} {count} chỉ tiêu của {len(seen)} hồ sơ.", "success")
    return redirect(url_for(".inbox"))


# --- importing the self-assessment table from Excel ------------------------------------------------


@bp.post("/ho-so/<int:dossier_id>/tu-danh-gia/nhap-excel")
@login_required
def preview_assessment_import(dossier_id: int) -> Page:
    """Read the uploaded .xlsx and show what it would record, row by row, with each row's errors. Nothing is
    saved: the preview's confirmation is the whole-set self-assessment form (`record_assessments`)."""
    session, user, now = request_session(), signed_in_user(), request_now()
    context = _viewable(session, user, now, dossier_id)
    allowed = permissions.allowed_actions(context.procedure, context.dossier.state, context.actor, context.view_seats)
    if Action.RECORD_ASSESSMENT not in allowed:
        exc = NotPermitted(Action.RECORD_ASSESSMENT, "bạn không ghi kết quả tự đánh giá của hồ sơ này lúc này")
        return _render_dossier(context, FormState("import", {}, {}, describe(exc, context.procedure)), 403)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors = {"file": "Chọn tệp Excel (.xlsx) của bảng tự đánh giá."}
        return _render_dossier(context, FormState("import", {}, errors, INVALID_INPUT), 422)
    codes = {
        indicator.code for criterion in context.dossier.criteria_set.criteria for indicator in criterion.indicators
    }
    try:
        preview = read_assessments(upload.read(), codes)
    except UnreadableWorkbookError as exc:
        return _render_dossier(context, FormState("import", {}, {"file": str(exc)}, INVALID_INPUT), 422)
    html = render_template(
        "assessment_import.html",
        dossier=context.dossier,
        preview=preview,
        file_name=upload.filename,
        form=FormState(),
        state_label=pages.state_label(context.dossier),
    )
    return (html, 422) if preview.invalid or not preview.rows else html
