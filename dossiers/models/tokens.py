"""Personal access tokens of the API and the log of the calls made with them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base
from dossiers.models.people import User


class ApiToken(Base):
    """A bearer token acting as its user (the same "who may" as the user's web session).

    Only the SHA-256 of the secret is stored: the secret is shown once, when it is made. A token ends
    at `expires_at` or when revoked, whichever comes first."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: the first characters of the secret, shown in lists so a person can tell their tokens apart
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… of user {self.user_id}>"


class ApiCall(Base):
    """One call of the API: which token, when, what, and how it ended. Rows are only ever added."""

    __tablename__ = "api_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column()
    method: Mapped[str] = mapped_column(String(10))
    #: the route's pattern (e.g. /api/v1/dossiers/<int:dossier_id>), never the query string
    endpoint: Mapped[str] = mapped_column(String(200))
    dossier_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[int] = mapped_column(Integer)

    token: Mapped[ApiToken] = relationship()
