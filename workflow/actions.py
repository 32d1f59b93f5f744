"""The names of every action, one enum shared by the procedures, the command path, the web and the API.

A `StrEnum`: the stored audit rows and the procedure definitions hold the same strings, so
`Action.SUBMIT == "submit"` and an action read back from the database compares equal.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    # opening a dossier (not in any procedure's list of actions: they create the row)
    REGISTER = "register"
    OPEN_REVOCATION = "open_revocation"
    # self-assessment
    CONFIRM_REGISTRATION = "confirm_registration"
    WITHDRAW = "withdraw"
    RECORD_ASSESSMENT = "record_assessment"
    ATTACH_EVIDENCE = "attach_evidence"
    RECORD_MODEL_CONDITIONS = "record_model_conditions"
    FINISH_SELF_ASSESSMENT = "finish_self_assessment"
    # consultation
    RECORD_POSTING = "record_posting"
    RECORD_SURVEY = "record_survey"
    RECORD_VOTE = "record_vote"
    RECORD_ANNOUNCEMENT = "record_announcement"
    # the Fatherland Front's supervision (giám sát) of the whole procedure, at any step
    RECORD_SUPERVISION = "record_supervision"
    # submission and appraisal
    SUBMIT = "submit"
    RESUBMIT = "resubmit"
    APPROVE_INDICATORS = "approve_indicators"
    RETURN_INDICATORS = "return_indicators"
    COMPLETE_APPRAISAL = "complete_appraisal"
    CONFIRM_CONDITION = "confirm_condition"
    # decision
    FORWARD = "forward"
    RECOGNISE = "recognise"
    REFUSE = "refuse"
    REVOKE = "revoke"
    KEEP = "keep"
    # the provincial appraisal (thẩm định) of a commune dossier a district forwarded, where the province's
    # rules have that stage (route "commune-via-district-and-province")
    APPRAISE_AT_PROVINCE = "appraise_at_province"
    REQUEST_SUPPLEMENT = "request_supplement"
    RESUBMIT_TO_PROVINCE = "resubmit_to_province"
    # recognitions outside a dossier's procedure
    RECORD_PRIOR_RECOGNITION = "record_prior_recognition"
    RECORD_YEARLY_REASSESSMENT = "record_yearly_reassessment"


#: actions that open a dossier: they name no state to come from
OPENING_ACTIONS = frozenset({Action.REGISTER, Action.OPEN_REVOCATION})
#: a department's answer on its own appraisal task
APPRAISAL_ACTIONS = frozenset({Action.APPROVE_INDICATORS, Action.RETURN_INDICATORS})
#: actions a party may take at any step, which nobody waits for: not listed as anyone's work to do
STANDING_ACTIONS = frozenset({Action.RECORD_SUPERVISION})
