"""Alerts of watched indicators: once per episode below the threshold, to the owning department and the commune.

The scheduler's scan calls `queue_watch_alerts`: it writes one e-mail per person for each open episode
not yet alerted. Episodes are kept in step with the values by the one service that records them
(`dossiers.planning.watch.record_watched_values` → `sync_episodes`), so the scan reads only the open,
unalerted episodes: one query when there is nothing to tell, whatever the number of values. Each e-mail's
`notice_key` is "<episode key>:user:<id>" and is unique in the outbox, so a
rerun, a second scheduler or a crash between queueing and committing never tells anyone twice; the
episode's `alerted_at` spares later scans the work. Recovering closes the episode; falling again opens a
new one ("watch:<unit>:<indicator>:<first month below>") and so a new alert.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dossiers.models import Department, RoleAssignment, Unit, User, WatchedValue, WatchEpisode
from dossiers.planning.watch import month_label, owning_department_ids_for
from dossiers.territory import load_whole_territory
from notifications.models import OutboxMessage
from notifications.notices import queue_notice
from notifications.obligations import department_label, unit_label
from notifications.rendering import sender_domain
from workflow.vocabulary import Role


def watch_notice_key(episode: WatchEpisode, user_id: int) -> str:
    return f"{episode.key}:user:{user_id}"


def queue_watch_alerts(session: Session, now: dt.datetime, *, sender: str, base_url: str) -> int:
    """Queue the alerts of every open episode not yet alerted (each person once); flushes; returns how many.

    Queries do not grow with the number of units: episodes, ownership, people and keys are read in one
    query each.
    """
    episodes = session.scalars(
        select(WatchEpisode)
        .options(selectinload(WatchEpisode.indicator), selectinload(WatchEpisode.unit))
        .where(WatchEpisode.recovered_month.is_(None), WatchEpisode.alerted_at.is_(None))
        .order_by(WatchEpisode.id)
    ).all()
    if not episodes:
        return 0
    territory = load_whole_territory(session)
    indicators = list({episode.indicator.id: episode.indicator for episode in episodes}.values())
    unit_ids = {episode.unit_id for episode in episodes}
    owners = owning_department_ids_for(session, territory, indicators, unit_ids)
    department_ids = {d for found in owners.values() for d in found}
    departments = {
        d.id: d
        for d in session.scalars(
            select(Department).options(selectinload(Department.unit)).where(Department.id.in_(department_ids))
        )
    }
    people: dict[tuple[str, int], list[User]] = defaultdict(list)
    assignments = session.execute(
        select(RoleAssignment, User)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            User.active.is_(True),
            (
                (RoleAssignment.role == Role.UNIT_OFFICER) & RoleAssignment.unit_id.in_(unit_ids)
                | (RoleAssignment.role == Role.DEPARTMENT_OFFICER) & RoleAssignment.department_id.in_(department_ids)
            ),
        )
        .order_by(User.id)
    ).all()
    for assignment, user in assignments:
        if assignment.role == Role.UNIT_OFFICER and assignment.unit_id is not None:
            people["unit", assignment.unit_id].append(user)
        elif assignment.department_id is not None:
            people["department", assignment.department_id].append(user)
    latest = _latest_values(session, episodes)
    keys = {watch_notice_key(episode, user.id) for episode in episodes for user in _recipients(episode, owners, people)}
    known = set(session.scalars(select(OutboxMessage.notice_key).where(OutboxMessage.notice_key.in_(keys))))
    domain = sender_domain(sender)
    queued = 0
    for episode in episodes:
        owner_names = [
            department_label(departments[d]) for d in owners.get((episode.indicator.id, episode.unit_id), [])
        ]
        value = latest.get(episode.id)
        for user in _recipients(episode, owners, people):
            key = watch_notice_key(episode, user.id)
            if key in known:
                continue
            queue_notice(
                session,
                user,
                subject=f"{episode.indicator.name} của {unit_label(episode.unit).lower()} dưới ngưỡng",
                body=_body(user, episode, value, owner_names, base_url),
                notice_key=key,
                now=now,
                domain=domain,
            )
            known.add(key)
            queued += 1
        episode.alerted_at = now
    session.flush()
    return queued


def _recipients(
    episode: WatchEpisode, owners: dict[tuple[int, int], list[int]], people: dict[tuple[str, int], list[User]]
) -> list[User]:
    found: dict[int, User] = {}
    for department_id in owners.get((episode.watched_indicator_id, episode.unit_id), []):
        for user in people.get(("department", department_id), []):
            found.setdefault(user.id, user)
    for user in people.get(("unit", episode.unit_id), []):
        found.setdefault(user.id, user)
    return list(found.values())


def _latest_values(session: Session, episodes: Sequence[WatchEpisode]) -> dict[int, WatchedValue]:
    """episode id → the latest value of its unit and indicator (the one below the threshold)."""
    rows = session.scalars(
        select(WatchedValue)
        .where(
            WatchedValue.unit_id.in_({e.unit_id for e in episodes}),
            WatchedValue.watched_indicator_id.in_({e.watched_indicator_id for e in episodes}),
        )
        .order_by(WatchedValue.month)
    ).all()
    by_pair = {(row.watched_indicator_id, row.unit_id): row for row in rows}
    return {
        episode.id: by_pair[episode.watched_indicator_id, episode.unit_id]
        for episode in episodes
        if (episode.watched_indicator_id, episode.unit_id) in by_pair
    }


def _body(user: User, episode: WatchEpisode, value: WatchedValue | None, owners: list[str], base_url: str) -> str:
    unit: Unit = episode.unit
    indicator = episode.indicator
    figure = f"{value.text} (tháng {month_label(value.month)})" if value is not None else "chưa rõ"
    owned = "; ".join(owners) if owners else "chưa có phòng, sở phụ trách trong bảng phân công"
    return (
        f"Kính gửi {user.full_name},\n\n"
        f"Chỉ tiêu «{indicator.name}» của {unit_label(unit).lower()} dưới ngưỡng {indicator.threshold} "
        f"từ tháng {month_label(episode.first_month)}. Số liệu gần nhất: {figure}.\n"
        f"Cơ quan phụ trách chỉ tiêu: {owned}.\n"
        f"Căn cứ: {indicator.source}\n\n"
        "Thư này chỉ gửi một lần cho mỗi đợt dưới ngưỡng; khi chỉ tiêu đạt lại rồi lại giảm, hệ thống gửi thư mới.\n"
        f"Xem số liệu: {base_url.rstrip('/')}/chi-tieu-theo-doi?don-vi={unit.id}\n\n"
        "Thư này được gửi tự động từ hệ thống Hồ sơ nông thôn mới, xin đừng trả lời thư này.\n"
    )
