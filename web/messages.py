"""The one place where a domain error becomes a sentence, in the reader's language (Flask-Babel).

Domain errors (`workflow.errors`) carry a code and parameters; the web pages and the API both ask
`describe` for the sentence. Message ids are English; `web/translations/vi` holds the Vietnamese
sentences people read by default, `en` the English ones. Actions and states are named by their
Vietnamese labels in Vietnamese and by their codes in English (the labels are data of the procedures).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import get_locale, gettext, lazy_gettext
from flask_babel.speaklater import LazyString

from workflow.engine import Procedure
from workflow.errors import ActionNotAllowed, GuardFailed, NotFound, NotPermitted, StaleDossier, WorkflowError

#: labels of the actions that are in no procedure: those that open a dossier, and a reorganisation's transfer
OPENING_LABELS: dict[str, LazyString] = {
    "register": lazy_gettext("Register a dossier"),
    "reorganisation_transfer": lazy_gettext("Transferred by a reorganisation of administrative units"),
    "open_revocation": lazy_gettext("Open a revocation case (automatic)"),
    "issue_token": lazy_gettext("Create an API token"),
}

#: the sentence of each HTTP status, for pages and the API
HTTP_MESSAGES: dict[int, LazyString] = {
    400: lazy_gettext("The request is not valid."),
    401: lazy_gettext("You need to sign in."),
    403: lazy_gettext("You are not allowed to do this."),
    404: lazy_gettext("The page or data asked for was not found."),
    405: lazy_gettext("This method is not supported."),
    409: lazy_gettext("The data has changed since this page was opened; please reload."),
    412: lazy_gettext("The dossier has changed since you read it; read it again and retry."),
    413: lazy_gettext("The request is too large."),
    415: lazy_gettext("This content type is not supported."),
    422: lazy_gettext("The data sent is not valid."),
    428: lazy_gettext("This change needs an If-Match header with the dossier's ETag."),
    429: lazy_gettext("Too many requests; please wait and try again."),
    500: lazy_gettext("A system error occurred. Please try again later."),
}


def _(text: str, **params: Any) -> str:
    """The sentence in the reader's language (`gettext`, typed)."""
    return str(gettext(text, **params))


def http_message(status: int) -> str:
    return str(HTTP_MESSAGES.get(status) or HTTP_MESSAGES[500 if status >= 500 else 400])


def vietnamese() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "vi"


def join_words(items: Iterable[str]) -> str:
    """ "a", "a and b", "a, b and c" in the reader's language."""
    parts = list(items)
    if len(parts) < 2:
        return "".join(parts)
    return _("%(first)s and %(last)s", first=", ".join(parts[:-1]), last=parts[-1])


def action_label(procedure: Procedure | None, action: str) -> str:
    if action in OPENING_LABELS:
        return str(OPENING_LABELS[action])
    if not vietnamese() or procedure is None:
        return action
    try:
        return procedure.action(action).label
    except KeyError:
        return action


def state_label(procedure: Procedure | None, state: str) -> str:
    if not vietnamese() or procedure is None:
        return state
    return procedure.state_label(state)


def describe(exc: WorkflowError, procedure: Procedure | None = None) -> str:
    """The error's sentence; actions and states named as the reader knows them."""
    if isinstance(exc, GuardFailed):
        return _(
            "Cannot yet do “%(action)s”: %(missing)s.",
            action=action_label(procedure, exc.action),
            missing="; ".join(exc.missing),
        )
    if isinstance(exc, NotPermitted):
        return _(
            "Not allowed to do “%(action)s”: %(reason)s.", action=action_label(procedure, exc.action), reason=exc.reason
        )
    if isinstance(exc, ActionNotAllowed):
        if exc.allowed:
            hint = _("Allowed now: %(actions)s.", actions=join_words(action_label(procedure, a) for a in exc.allowed))
        else:
            hint = _("No action is left in this state.")
        return _(
            "The dossier is “%(state)s”: “%(action)s” cannot be done. %(hint)s",
            state=state_label(procedure, exc.state),
            action=action_label(procedure, exc.action),
            hint=hint,
        )
    if isinstance(exc, StaleDossier):
        # it may be the same person in another tab: no blame, and no version numbers
        return _(
            "The dossier has changed since this page was opened (perhaps in another tab or on another device); "
            "nothing was recorded. Check the latest content and send again."
        )
    if isinstance(exc, NotFound):
        return _("Not found: %(what)s number %(ident)s.", what=exc.what, ident=exc.ident)
    return exc.message
