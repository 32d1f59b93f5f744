"""Domain errors of the workflow. Each carries what a person needs to fix the problem.

`web` maps them once: ActionNotAllowed and StaleDossier → 409, NotPermitted → 403, GuardFailed → 422,
NotFound → 404.

Each carries a stable `code` and its `params` (plain values): `web.messages` turns them into the sentence a
person reads, in their language, in one place. `message` is the Vietnamese sentence for logs and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar


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

    #: stable name of the error for clients and message catalogs
    code: ClassVar[str] = "workflow_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def params(self) -> dict[str, Any]:
        """What the sentence of this error is made of (plain values, safe to send to a client)."""
        return {}


class ActionNotAllowed(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """The action does not exist in this procedure or cannot be taken in the dossier's current state."""

    code: ClassVar[str] = "action_not_allowed"

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

    @property
    def params(self) -> dict[str, Any]:
        return {"state": self.state, "action": self.action, "allowed": list(self.allowed)}


class NotPermitted(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """The actor (or the person they substitute for) may not take this action on this dossier."""

    code: ClassVar[str] = "not_permitted"

    def __init__(self, action: str, reason: str, *, action_label: str | None = None) -> None:
        self.action = action
        self.reason = reason
        super().__init__(f"Không có quyền thực hiện «{action_label or action}»: {reason}.")

    @property
    def params(self) -> dict[str, Any]:
        return {"action": self.action, "reason": self.reason}


class GuardFailed(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """A condition of the action does not hold; `missing` lists what is missing, in Vietnamese."""

    code: ClassVar[str] = "guard_failed"

    def __init__(self, action: str, missing: Sequence[str], *, action_label: str | None = None) -> None:
        self.action = action
        self.missing = tuple(missing)
        super().__init__(f"Chưa thể thực hiện «{action_label or action}»: {'; '.join(self.missing)}.")

    @property
    def params(self) -> dict[str, Any]:
        return {"action": self.action, "missing": list(self.missing)}


class StaleDossier(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """Someone else changed the dossier since it was read: the action was not applied."""

    code: ClassVar[str] = "stale_dossier"

    def __init__(self, dossier_id: int | None, detail: str | None = None) -> None:
        self.dossier_id = dossier_id
        self.detail = detail
        subject = f"Hồ sơ {dossier_id}" if dossier_id is not None else "Hồ sơ"
        message = f"{subject} vừa được người khác thay đổi; thao tác chưa được ghi nhận, vui lòng tải lại."
        if detail:
            message = f"{message} ({detail})"
        super().__init__(message)

    @property
    def params(self) -> dict[str, Any]:
        return {"dossier_id": self.dossier_id, "detail": self.detail}


class NotFound(WorkflowError):  # noqa: N818 - the domain names of STYLE.md
    """The command names a dossier, unit or record that does not exist."""

    code: ClassVar[str] = "not_found"

    def __init__(self, what: str, ident: int) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"Không tìm thấy {what} số {ident}.")

    @property
    def params(self) -> dict[str, Any]:
        return {"what": self.what, "ident": self.ident}
