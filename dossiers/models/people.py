"""Departments, users, their scoped roles and delegations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from dossiers.db import Base, allowed_values_check
from dossiers.models.units import Unit
from workflow.vocabulary import Role


class Department(Base):
    """An appraising body attached to a unit: a district "Phòng" or, without districts, a provincial "Sở"."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: short stable code within the unit, e.g. "nn-ptnt"
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    #: the last day it acted (a reorganisation moved or dissolved it); None while it exists
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    #: the department that took over its work, when it was moved rather than dissolved
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    unit: Mapped[Unit] = relationship()
    successor: Mapped[Department | None] = relationship(remote_side=[id])

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_to is None or day <= self.valid_to

    def __repr__(self) -> str:
        return f"<Department {self.name!r}>"


class User(Base):
    """A person who signs in. Flask-Login's attributes are provided without importing Flask."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: part of the id every session of this user carries: raising it ends every copy of every session
    #: (sign-out, a password change, deactivation), since a cookie holds the generation it was issued for
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleAssignment.id"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    def end_sessions(self) -> None:
        """Every session issued so far stops working at its next request."""
        self.session_generation = (self.session_generation or 0) + 1

    def has_role(self, role: Role) -> bool:
        return any(assignment.role == role for assignment in self.roles)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleAssignment(Base):
    """A role held by a user, scoped to a unit or to a department (admin: neither)."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "unit_id", "department_id"),
        CheckConstraint("(role = 'admin') OR (unit_id IS NOT NULL) OR (department_id IS NOT NULL)", name="scoped"),
        allowed_values_check("role", Role),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit | None] = relationship()
    department: Mapped[Department | None] = relationship()


class Delegation(Base):
    """An officer names a substitute for a period; the substitute acts on their behalf."""

    __tablename__ = "delegations"
    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column()

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id])
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id])
