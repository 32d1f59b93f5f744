"""Administrative units and their lineage across the July 2025 reform."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, ForeignKey, String, Table, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from workflow.vocabulary import UnitKind

#: A unit formed by merging records the units it was formed from (successor ← predecessor).
unit_lineage = Table(
    "unit_lineage",
    Base.metadata,
    Column("successor_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
    Column("predecessor_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(Base):
    """A node of the administrative tree. Nothing assumes a district between province and commune."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("code", "valid_from"), allowed_values_check("kind", UnitKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the statistics office's administrative code where known (e.g. "01807"), else None
    code: Mapped[str | None] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    #: one of the 7 regions of the 2021-2025 criteria sets (e.g. "TDMNPB"): which thresholds apply
    region: Mapped[str | None] = mapped_column(String(20))
    #: one of the 3 commune groups of the 2026-2030 set ("nhom-1", "nhom-2", "nhom-3")
    commune_group: Mapped[str | None] = mapped_column(String(20))
    #: where the code or the lineage came from, and how sure it is
    source_note: Mapped[str | None] = mapped_column(String(500))

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")
    predecessors: Mapped[list[Unit]] = relationship(
        secondary=unit_lineage,
        primaryjoin=lambda: Unit.id == unit_lineage.c.successor_id,
        secondaryjoin=lambda: Unit.id == unit_lineage.c.predecessor_id,
        back_populates="successors",
    )
    successors: Mapped[list[Unit]] = relationship(
        secondary=unit_lineage,
        primaryjoin=lambda: Unit.id == unit_lineage.c.predecessor_id,
        secondaryjoin=lambda: Unit.id == unit_lineage.c.successor_id,
        back_populates="predecessors",
    )

    def __repr__(self) -> str:
        return f"<Unit {self.kind} {self.name!r} {self.code or ''}>"

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def ancestors(self) -> list[Unit]:
        """Parents from the nearest up to the province, for breadcrumbs on a page; decisions walk the
        tree through `dossiers.territory`, which knows dates and lineage."""
        chain: list[Unit] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


def find_unit(session: Session, name: str, kind: UnitKind | None = None) -> Unit | None:
    """Find a unit by its name, with or without its kind prefix ("Thạch An" or "huyện Thạch An")."""
    query = select(Unit).where(Unit.name == name)
    if kind is not None:
        query = query.where(Unit.kind == kind)
    return session.scalars(query.order_by(Unit.id)).first()
