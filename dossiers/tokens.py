"""Personal access tokens: made, listed, revoked, and recognised from the secret a client presents.

The secret is `ntm_` + 43 random URL-safe characters (256 bits). Only its SHA-256 is stored: a secret of
that strength needs no slow hash, and a lookup by hash costs one indexed query per call. A token is
refused the moment it is revoked or expires, or its user is locked: every call reads the row again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from dossiers.models import ApiCall, ApiToken, User
from workflow.errors import GuardFailed, NotFound

SECRET_PREFIX = "ntm_"  # noqa: S105 - the marker every secret starts with, not a secret
#: how long a token lives when nobody says; the longest one may ask for
DEFAULT_DAYS = 90
MAX_DAYS = 366
#: characters of the secret kept in clear to tell tokens apart ("ntm_" and four more)
SHOWN_CHARACTERS = 8


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A token just made and its secret, which exists nowhere else: shown once, then forgotten."""

    token: ApiToken
    secret: str


def issue_token(
    session: Session,
    by: User | None,
    owner: User,
    now: dt.datetime,
    *,
    name: str,
    days: int = DEFAULT_DAYS,
) -> IssuedToken:
    """A new token of `owner`, made by the owner themselves or by the server's operator (`by` None). Flushes."""
    name = name.strip()
    problems = []
    if not name or len(name) > 100:
        problems.append("tên khóa phải có từ 1 đến 100 ký tự")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        # PostgreSQL refuses NUL in text, and no one names a token with control characters
        problems.append("tên khóa có ký tự không hợp lệ")
    if not 1 <= days <= MAX_DAYS:
        problems.append(f"thời hạn phải từ 1 đến {MAX_DAYS} ngày")
    if not owner.active:
        problems.append("tài khoản đã bị khóa")
    if problems:
        raise GuardFailed("issue_token", problems)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id,
        name=name,
        prefix=secret[:SHOWN_CHARACTERS],
        secret_hash=secret_hash(secret),
        created_at=now,
        created_by_id=by.id if by is not None else None,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def tokens_of(session: Session, owner: User | None = None) -> list[ApiToken]:
    """The tokens of one user (or of everyone), newest first."""
    query = select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.id.desc())
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    return list(session.scalars(query))


def revoke_token(
    session: Session, by: User | None, token_id: int, now: dt.datetime, *, admin: bool = False
) -> ApiToken:
    """Ends a token at once. Its owner or an administrator (`admin`) may; `by` None is the server's operator.
    Revoking twice keeps the first time. Flushes."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("khóa API", token_id)
    if by is not None and not admin and token.user_id != by.id:
        # someone else's token is as good as unknown to them
        raise NotFound("khóa API", token_id)
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token


def is_usable(token: ApiToken, now: dt.datetime) -> bool:
    return token.revoked_at is None and token.expires_at > now and token.user.active


def authenticate(session: Session, secret: str, now: dt.datetime) -> ApiToken | None:
    """The live token this secret belongs to; None for an unknown, revoked or expired one."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = session.scalars(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.secret_hash == secret_hash(secret))
    ).one_or_none()
    if token is None or not is_usable(token, now):
        return None
    return token


def record_call(
    session: Session,
    token_id: int,
    now: dt.datetime,
    *,
    method: str,
    endpoint: str,
    status: int,
    dossier_id: int | None,
) -> None:
    """The audit row of one call, and the token's last use. Flushes."""
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = now
    session.add(
        ApiCall(
            token_id=token_id,
            occurred_at=now,
            method=method[:10],
            endpoint=endpoint[:200],
            status=status,
            dossier_id=dossier_id,
        )
    )
    session.flush()
