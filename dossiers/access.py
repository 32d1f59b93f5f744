"""Who may see what: read access derived from scoped roles (actions are checked by the workflow services)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from dossiers.models import Dossier, Unit, User
from dossiers.procedure_facts import active_delegators, vietnam_today
from workflow.vocabulary import Role


def unit_scope_ids(unit: Unit) -> set[int]:
    """The unit and all its ancestors: a role on any of them covers the unit."""
    return {unit.id, *(ancestor.id for ancestor in unit.ancestors())}


def can_view_dossier(user: User, dossier: Dossier) -> bool:
    """Admins; anyone with a role on the dossier's unit or above; officers of the appraising authority's departments."""
    scope = unit_scope_ids(dossier.unit)
    for assignment in user.roles:
        if assignment.role == Role.ADMIN:
            return True
        if assignment.unit_id is not None and assignment.unit_id in scope:
            return True
        if assignment.department is not None and assignment.department.unit_id in (
            {dossier.authority_unit_id} | unit_scope_ids(dossier.authority_unit)
        ):
            return True
    return False


def principals(session: Session, user: User, now: dt.datetime) -> list[User]:
    """The user and the officers who named them substitute for today (whose work they may do)."""
    return [user, *active_delegators(session, user, vietnam_today(now))]


def may_view(
    session: Session, user: User, now: dt.datetime, dossier: Dossier, people: Sequence[User] | None = None
) -> bool:
    """Read access of the user, or of any officer they substitute for today (`people`, when already known)."""
    return any(can_view_dossier(person, dossier) for person in people or principals(session, user, now))
