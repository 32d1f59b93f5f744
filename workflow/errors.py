"""Domain errors of the workflow. Each carries what a person needs to fix the problem.

`web` maps them once: ActionNotAllowed and StaleDossier → 409, NotPermitted → 403, GuardFailed → 422,
NotFound → 404.
Messages are Vietnamese (they are shown to users); attributes are for code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def join_vi(items: Iterable[str]) -> str:
    """ "a", "a và b", "a, b và c": how a Vietnamese sentence lists things."""
    parts = list(items)
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} và {parts[-1]}"


class WorkflowError(Exception):
    """Base of every error a workflow action can end with."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ActionNotAllowed(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """The action does not exist in this procedure or cannot be taken in the dossier's current state."""

    def __init__(
        self,
        state: str,
        action: str,
        allowed: Sequence[str],
        *,
        state_label: str | None = None,
        action_label: str | None = None,
        allowed_labels: Sequence[str] | None = None,
    ) -> None:
        self.state = state
        self.action = action
        self.allowed = tuple(allowed)
        shown = state_label or state
        if self.allowed:
            hint = f"Các thao tác được phép ở trạng thái này: {', '.join(allowed_labels or self.allowed)}."
        else:
            hint = "Không còn thao tác nào ở trạng thái này."
        super().__init__(
            f"Hồ sơ đang ở trạng thái «{shown}» ({state}): không thể thực hiện «{action_label or action}». {hint}"
        )


class NotPermitted(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """The actor (or the person they substitute for) may not take this action on this dossier."""

    def __init__(self, action: str, reason: str, *, action_label: str | None = None) -> None:
        self.action = action
        self.reason = reason
        super().__init__(f"Không có quyền thực hiện «{action_label or action}»: {reason}.")


class GuardFailed(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """A condition of the action does not hold; `missing` lists what is missing, in Vietnamese."""

    def __init__(self, action: str, missing: Sequence[str], *, action_label: str | None = None) -> None:
        self.action = action
        self.missing = tuple(missing)
        super().__init__(f"Chưa thể thực hiện «{action_label or action}»: {'; '.join(self.missing)}.")


class StaleDossier(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """Someone else changed the dossier since it was read: the action was not applied."""

    def __init__(self, dossier_id: int | None, detail: str | None = None) -> None:
        self.dossier_id = dossier_id
        subject = f"Hồ sơ {dossier_id}" if dossier_id is not None else "Hồ sơ"
        message = f"{subject} vừa được người khác thay đổi; thao tác chưa được ghi nhận, vui lòng tải lại."
        if detail:
            message = f"{message} ({detail})"
        super().__init__(message)


class NotFound(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """The command names a dossier, unit or record that does not exist."""

    def __init__(self, what: str, ident: int) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"Không tìm thấy {what} số {ident}.")
