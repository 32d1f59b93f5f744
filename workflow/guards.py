"""Guards: pure functions of a facts snapshot that say what is missing (an empty list: the guard holds)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workflow.errors import join_vi
from workflow.facts import Facts, Posting
from workflow.rules import CONDITION_LABELS, NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY, Rules
from workflow.vocabulary import RECOGNITION_LEVEL_LABELS, RecognitionLevel


@dataclass(frozen=True)
class Guard:
    """A named check; `missing(facts, rules)` lists, in Vietnamese, what prevents the action."""

    name: str
    missing: Callable[[Facts, Rules], list[str]]

    def holds(self, facts: Facts, rules: Rules) -> bool:
        return not self.missing(facts, rules)


def _codes(codes: Iterable[str], facts: Facts) -> str:
    order = {code: index for index, code in enumerate(facts.indicators)}
    return join_vi(sorted(codes, key=lambda code: (order.get(code, len(order)), code)))


def _pct(share: float) -> str:
    text = f"{share * 100:.1f}".replace(".", ",")
    return f"{text.removesuffix(',0')} %"


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def _date(day: object) -> str:
    return f"{day:%d/%m/%Y}"


def _all_assessed(facts: Facts, _rules: Rules) -> list[str]:
    missing = [code for code in facts.indicators if code not in facts.assessed]
    if not facts.indicators:
        return ["bộ tiêu chí của hồ sơ chưa có chỉ tiêu nào"]
    return [f"chỉ tiêu {_codes(missing, facts)} chưa tự đánh giá"] if missing else []


def _all_met(facts: Facts, _rules: Rules) -> list[str]:
    missing = [f"chỉ tiêu {_codes(facts.unmet, facts)} chưa đạt chuẩn theo kết quả đánh giá"] if facts.unmet else []
    for code in sorted(facts.below_threshold, key=lambda c: facts.indicators.index(c) if c in facts.indicators else 0):
        value, threshold = facts.below_threshold[code]
        missing.append(f"chỉ tiêu {code}: giá trị {value} chưa đạt ngưỡng «{threshold}» áp dụng cho đơn vị")
    return missing


def _posting_missing(posting: Posting | None, facts: Facts, days: int, announcements: int, what: str) -> list[str]:
    if posting is None:
        return [f"chưa ghi nhận việc {what}"]
    missing = []
    if posting.days < days:
        missing.append(f"{what} mới {posting.days} ngày, cần ít nhất {days} ngày")
    if posting.announcements < announcements:
        missing.append(f"mới thông báo {posting.announcements} lần, cần ít nhất {announcements} lần")
    if posting.end >= facts.today:
        missing.append(f"việc {what} chưa kết thúc (đến hết ngày {_date(posting.end)})")
    return missing


def _posting_done(facts: Facts, rules: Rules) -> list[str]:
    return _posting_missing(
        facts.posting, facts, rules.posting_days.value, rules.posting_announcements.value, "niêm yết công khai báo cáo"
    )


def _revocation_posting_done(facts: Facts, _rules: Rules) -> list[str]:
    if facts.posting is None:
        return ["chưa ghi nhận việc lấy ý kiến, niêm yết công khai kết quả đánh giá"]
    if facts.posting.end >= facts.today:
        return [f"việc niêm yết chưa kết thúc (đến hết ngày {_date(facts.posting.end)})"]
    return []


def _announcement_done(facts: Facts, rules: Rules) -> list[str]:
    return _posting_missing(
        facts.announcement, facts, rules.hamlet_announcement_days.value, 0, "thông báo trên đài truyền thanh xã"
    )


def _survey_met(facts: Facts, rules: Rules) -> list[str]:
    if facts.survey is None:
        return ["chưa có kết quả lấy ý kiến sự hài lòng của người dân (Mặt trận Tổ quốc)"]
    missing = []
    reach = rules.survey_reach_for(facts.applicant_kind)
    if reach is not None and facts.survey.reach < reach.value:
        missing.append(f"lấy ý kiến mới đạt {_pct(facts.survey.reach)} số hộ, cần ít nhất {_pct(reach.value)}")
    satisfaction = rules.satisfaction_for(facts.level)
    if satisfaction is not None and facts.survey.satisfaction < satisfaction.value:
        missing.append(
            f"tỷ lệ người dân hài lòng {_pct(facts.survey.satisfaction)}, cần ít nhất {_pct(satisfaction.value)}"
        )
    return missing


def _vote_with(share: float, facts: Facts, what: str) -> list[str]:
    if facts.vote is None:
        return [f"chưa có biên bản họp {what}"]
    if facts.vote.share < share:
        return [f"tỷ lệ đồng ý tại cuộc họp {_pct(facts.vote.share)}, cần ít nhất {_pct(share)}"]
    return []


def _vote_met(facts: Facts, rules: Rules) -> list[str]:
    return _vote_with(rules.vote_share.value, facts, "đề nghị xét công nhận")


def _hamlet_vote_met(facts: Facts, rules: Rules) -> list[str]:
    return _vote_with(rules.hamlet_vote_share.value, facts, "Ban Chỉ đạo xã xét thôn")


def _appraisal_answered(facts: Facts, _rules: Rules) -> list[str]:
    return [f"còn chờ kết quả thẩm tra của {join_vi(facts.open_tasks)}"] if facts.open_tasks else []


def _nothing_returned(facts: Facts, _rules: Rules) -> list[str]:
    return [f"chỉ tiêu {_codes(facts.returned, facts)} bị trả lại để bổ sung"] if facts.returned else []


def _something_returned(facts: Facts, _rules: Rules) -> list[str]:
    return [] if facts.returned else ["không có chỉ tiêu nào bị trả lại"]


def _all_approved(facts: Facts, _rules: Rules) -> list[str]:
    if facts.unapproved:
        return [f"chỉ tiêu {_codes(facts.unapproved, facts)} chưa được các phòng phụ trách thẩm tra đạt"]
    return []


def _ownership_complete(facts: Facts, rules: Rules) -> list[str]:
    if facts.unowned and not rules.unowned_to_coordinator.value:
        return [f"chỉ tiêu {_codes(facts.unowned, facts)} chưa được phân công phòng thẩm tra"]
    return []


def _condition(code: str) -> Callable[[Facts, Rules], list[str]]:
    def missing(facts: Facts, rules: Rules) -> list[str]:
        if not rules.requires(code, facts.level):
            return []  # the regime (or the province) asks no such confirmation for this level
        found = facts.conditions.get(code)
        if found is None:
            return [f"chưa có xác nhận «{CONDITION_LABELS[code]}»"]
        if not found:
            return [f"không đáp ứng điều kiện «{CONDITION_LABELS[code]}»"]
        return []

    return missing


def _prerequisite(required: RecognitionLevel) -> Callable[[Facts, Rules], list[str]]:
    def missing(facts: Facts, _rules: Rules) -> list[str]:
        if facts.prerequisite_held is False:
            return [f"chưa được công nhận «{RECOGNITION_LEVEL_LABELS[required]}» (điều kiện tiên quyết)"]
        return []

    return missing


def _model_conditions(facts: Facts, rules: Rules) -> list[str]:
    model = facts.model
    if model is None:
        return ["chưa kê khai các điều kiện của xã nông thôn mới kiểu mẫu"]
    missing = []
    # rounded first: 60 000 000 × 1.1 is 66 000 000.000…01 in floating point
    required_income = math.ceil(round(model.advanced_income_level * (1 + rules.model_income_margin.value), 6))
    if model.income_per_capita < required_income:
        margin = _pct(rules.model_income_margin.value)
        missing.append(
            f"thu nhập bình quân {_money(model.income_per_capita)} đồng/người/năm thấp hơn mức yêu cầu "
            f"{_money(required_income)} đồng (cao hơn {margin} mức xã nâng cao)"
        )
    if model.smart_hamlet_models < rules.model_smart_hamlets.value:
        missing.append(f"cần ít nhất {rules.model_smart_hamlets.value} mô hình thôn thông minh")
    if not model.outstanding_field:
        missing.append("chưa chọn lĩnh vực nổi trội")
    elif not model.outstanding_field_met:
        missing.append(f"lĩnh vực nổi trội «{model.outstanding_field}» chưa đạt")
    return missing


def _communes_recognised(facts: Facts, _rules: Rules) -> list[str]:
    if facts.communes_total == 0 or facts.communes_recognised < facts.communes_total:
        return [f"mới có {facts.communes_recognised}/{facts.communes_total} xã đạt chuẩn nông thôn mới"]
    return []


def _revocation_fires(facts: Facts, _rules: Rules) -> list[str]:
    if not facts.revocation_rule_fires:
        return ["kết quả đánh giá, thẩm tra không còn thuộc trường hợp thu hồi quyết định công nhận"]
    return []


def _comment_given(facts: Facts, _rules: Rules) -> list[str]:
    return [] if facts.comment and facts.comment.strip() else ["cần ghi rõ lý do"]


def _supervision_given(facts: Facts, _rules: Rules) -> list[str]:
    return [] if facts.comment and facts.comment.strip() else ["cần ghi nội dung ý kiến giám sát"]


ALL_ASSESSED = Guard("all_assessed", _all_assessed)
ALL_MET = Guard("all_met", _all_met)
POSTING_DONE = Guard("posting_done", _posting_done)
REVOCATION_POSTING_DONE = Guard("posting_done", _revocation_posting_done)
ANNOUNCEMENT_DONE = Guard("announcement_done", _announcement_done)
SURVEY_MET = Guard("survey_met", _survey_met)
VOTE_MET = Guard("vote_met", _vote_met)
HAMLET_VOTE_MET = Guard("vote_met", _hamlet_vote_met)
APPRAISAL_ANSWERED = Guard("appraisal_answered", _appraisal_answered)
NOTHING_RETURNED = Guard("nothing_returned", _nothing_returned)
SOMETHING_RETURNED = Guard("something_returned", _something_returned)
ALL_APPROVED = Guard("all_approved", _all_approved)
OWNERSHIP_COMPLETE = Guard("ownership_complete", _ownership_complete)
NO_DEBT_CONFIRMED = Guard("no_construction_debt", _condition(NO_CONSTRUCTION_DEBT))
SECURITY_CONFIRMED = Guard("not_complex_security", _condition(NOT_COMPLEX_SECURITY))
MODEL_CONDITIONS = Guard("model_conditions", _model_conditions)
COMMUNES_RECOGNISED = Guard("communes_recognised", _communes_recognised)
REVOCATION_FIRES = Guard("revocation_rule_fires", _revocation_fires)
COMMENT_GIVEN = Guard("comment_given", _comment_given)
SUPERVISION_GIVEN = Guard("supervision_given", _supervision_given)


def prerequisite(required: RecognitionLevel) -> Guard:
    return Guard(f"holds_{required.value}", _prerequisite(required))


def missing_of(guards: Iterable[Guard], facts: Facts, rules: Rules) -> list[str]:
    """Everything the guards find missing, each item once, in guard order."""
    found: list[str] = []
    for guard in guards:
        for item in guard.missing(facts, rules):
            if item not in found:
                found.append(item)
    return found
