"""Part (a): the real service path, one action per transaction, with 1 and N processes.

Each process has its own engine (one connection) and a disjoint list of communes. For each commune it
opens a 2025 commune NTM dossier (in a xã the dataset left without one) and carries it through every step
to recognition; every step is one action run as a web request runs it: a new session, load the actor
and the dossier (and for registration the unit and the criteria set), one call of `bench.drive`, commit.
Statements are counted with a `before_cursor_execute` listener: every SELECT/INSERT/UPDATE, the loads
included; psycopg sends BEGIN and COMMIT itself, so they are not counted (an executemany counts once).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench import dataset as ds
from bench import drive
from dossiers.db import make_engine
from dossiers.models import CriteriaSet, Department, Dossier, Ownership, Unit, User
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import UnitKind

#: the year the driven dossiers are opened for: a year of the 2021-2025 regime, whose set (`xa-ntm-2021`) and
#: provincial ownership table the dataset holds; the xã driven are those the dataset left without a 2025 dossier
DRIVE_YEAR = 2025
#: 09:00 in Vietnam on 6/10/2025 (after the 1/7/2025 reform, and after the dataset's own dossiers opened): day 0
#: of every driven dossier
DRIVE_START = dt.datetime(2025, 10, 6, 2, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Plan:
    """Who does what for one commune's dossier (user ids), in the order the procedure needs them."""

    unit_id: int
    criteria_set_id: int
    officer: int
    front: int
    coordinator: int
    chairman: int
    #: one user per appraisal task: the owning department's officer, or the coordinator (fallback seat)
    appraisers: tuple[int, ...]
    finance: int
    police: int
    #: the indicator codes of the criteria set, in order (what the bulk self-assessment records)
    codes: tuple[str, ...] = ()


def engine_for(url: str, schema: str, **kwargs: Any) -> Engine:
    return make_engine(url, connect_args={"options": f"-c search_path={schema}"}, **kwargs)


def count_statements(engine: Engine) -> list[int]:
    """A one-element counter the listener bumps for every statement sent through a cursor."""
    counter = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        counter[0] += 1

    return counter


def plans(session: Session) -> list[Plan]:
    """One plan per xã of the dataset, provinces interleaved so every slice spreads over the country."""
    criteria_set = session.scalars(select(CriteriaSet).where(CriteriaSet.code == ds.SET_CODE)).one()
    users = {username: user_id for username, user_id in session.execute(select(User.username, User.id))}
    indicators = {i.id for i in criteria_set.indicators()}
    codes = tuple(i.code for i in criteria_set.indicators())
    by_province: dict[str, list[Plan]] = {}
    provinces = session.scalars(select(Unit).where(Unit.kind == UnitKind.PROVINCE).order_by(Unit.code)).all()
    for province in provinces:
        pcode = province.code or ""
        owned = session.execute(
            select(Ownership.indicator_id, Department.code)
            .join(Department, Department.id == Ownership.department_id)
            .where(Ownership.authority_unit_id == province.id, Ownership.year == DRIVE_YEAR)
        ).all()
        departments = sorted({code for indicator_id, code in owned if indicator_id in indicators})
        appraisers = [users[ds.department_officer(pcode, code)] for code in departments]
        if indicators - {indicator_id for indicator_id, _ in owned}:
            appraisers.append(users[ds.coordinator(pcode)])
        has_dossier = select(Dossier.id).where(Dossier.unit_id == Unit.id, Dossier.year == DRIVE_YEAR).exists()
        communes = session.scalars(
            select(Unit)
            .where(Unit.parent_id == province.id, Unit.kind == UnitKind.COMMUNE, ~has_dossier)
            .order_by(Unit.code)
        ).all()
        by_province[pcode] = [
            Plan(
                unit_id=commune.id,
                criteria_set_id=criteria_set.id,
                officer=users[ds.commune_officer(commune.code or "")],
                front=users[ds.front_officer(commune.code or "")],
                coordinator=users[ds.coordinator(pcode)],
                chairman=users[ds.chairman(pcode)],
                appraisers=tuple(appraisers),
                finance=users[ds.department_officer(pcode, "so-tc")],
                police=users[ds.department_officer(pcode, "so-ca")],
                codes=codes,
            )
            for commune in communes
        ]
    interleaved: list[Plan] = []
    queues = list(by_province.values())
    while any(queues):
        for queue in queues:
            if queue:
                interleaved.append(queue.pop(0))
    return interleaved


Step = tuple[str, Callable[[Session], None]]


def steps(plan: Plan, dossier_ids: list[int]) -> Iterator[Step]:
    """The actions of one dossier, each a function of a fresh session; `dossier_ids` receives the new id."""

    def at(days: int) -> dt.datetime:
        return DRIVE_START + dt.timedelta(days=days)

    def dossier(session: Session) -> Dossier:
        return session.get_one(Dossier, dossier_ids[0])

    def user(session: Session, user_id: int) -> User:
        return session.get_one(User, user_id)

    def register(session: Session) -> None:
        unit = session.get_one(Unit, plan.unit_id)
        criteria_set = session.get_one(CriteriaSet, plan.criteria_set_id)
        made = drive.register(session, user(session, plan.officer), at(0), unit, criteria_set, DRIVE_YEAR)
        dossier_ids.append(made.id)

    def simple(
        days: int, who: int, action: Callable[[Session, User, dt.datetime, Dossier], None]
    ) -> Callable[[Session], None]:
        return lambda session: action(session, user(session, who), at(days), dossier(session))

    first = at(4).date()
    yield "register", register
    yield "confirm_registration", simple(1, plan.coordinator, drive.confirm_registration)
    yield (
        "assess_all",
        lambda session: drive.assess_all(
            session, user(session, plan.officer), at(2), dossier(session), list(plan.codes)
        ),
    )
    yield "finish_self_assessment", simple(3, plan.officer, drive.finish_self_assessment)
    yield (
        "record_posting",
        lambda s: drive.record_posting(
            s, user(s, plan.officer), at(4), dossier(s), first, first + dt.timedelta(days=14)
        ),
    )
    yield "record_survey", simple(10, plan.front, drive.record_survey)
    yield "record_vote", simple(19, plan.officer, drive.record_vote)
    yield "submit", simple(20, plan.officer, drive.submit)
    for appraiser in plan.appraisers:
        yield "approve", simple(30, appraiser, drive.approve)
    yield (
        "confirm_condition",
        lambda s: drive.confirm_condition(s, user(s, plan.finance), at(36), dossier(s), NO_CONSTRUCTION_DEBT),
    )
    yield (
        "confirm_condition",
        lambda s: drive.confirm_condition(s, user(s, plan.police), at(36), dossier(s), NOT_COMPLEX_SECURITY),
    )
    yield "forward", simple(37, plan.coordinator, drive.forward)
    yield "recognise", simple(45, plan.chairman, drive.recognise)


@dataclass
class Sample:
    step: str
    statements: int
    seconds: float


@dataclass
class WorkerResult:
    samples: list[Sample] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    dossiers_done: int = 0
    errors: list[str] = field(default_factory=list)


def _act(factory: sessionmaker[Session], counter: list[int], name: str, action: Callable[[Session], None]) -> Sample:
    before, t0 = counter[0], time.perf_counter()
    with factory() as session:
        action(session)
        session.commit()
    return Sample(name, counter[0] - before, time.perf_counter() - t0)


def _worker(url: str, schema: str, mine: list[Plan], limit: float, barrier: Any, results: Any) -> None:
    """Warm up on the first plan (registration and its confirmation, not measured: connected, statements
    compiled), then carry every other plan's dossier through all its steps; stop early only at `limit`
    seconds, a safety bound."""
    engine = engine_for(url, schema, pool_size=1)
    counter = count_statements(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    result = WorkerResult()
    try:
        for name, action in list(steps(mine[0], []))[:2]:
            _act(factory, counter, name, action)
        barrier.wait()
        result.started = time.perf_counter()
        for plan in mine[1:]:
            for name, action in steps(plan, []):
                result.samples.append(_act(factory, counter, name, action))
                if time.perf_counter() - result.started > limit:
                    break
            else:
                result.dossiers_done += 1
                continue
            break
    except Exception as exc:  # reported by the parent, which fails the run
        result.errors.append(f"{type(exc).__name__}: {exc}")
    result.ended = time.perf_counter()
    engine.dispose()
    results.put(result)


@dataclass
class LevelResult:
    connections: int
    actions: int
    seconds: float
    dossiers_done: int
    samples: list[Sample]
    errors: list[str]

    @property
    def rate(self) -> float:
        return self.actions / self.seconds if self.seconds else 0.0

    def statements(self, quantile: float) -> float:
        values = sorted(s.statements for s in self.samples)
        if not values:
            return 0.0
        if quantile == 0.5:
            return float(statistics.median(values))
        return float(values[min(len(values) - 1, int(quantile * len(values)))])


def run_level(url: str, schema: str, pool: list[Plan], connections: int, dossiers: int, limit: float) -> LevelResult:
    """`connections` processes share `dossiers` dossiers (disjoint communes of `pool`), all started together;
    the rate is every action taken over the time from the start to the last process done."""
    context = mp.get_context("spawn")
    barrier = context.Barrier(connections)
    results = context.Queue()
    per_worker = [dossiers // connections + (1 if i < dossiers % connections else 0) for i in range(connections)]
    slices, taken = [], 0
    for count in per_worker:
        slices.append(pool[taken : taken + count + 1])  # +1: the warm-up dossier
        taken += count + 1
    processes = [context.Process(target=_worker, args=(url, schema, mine, limit, barrier, results)) for mine in slices]
    for process in processes:
        process.start()
    collected: list[WorkerResult] = [results.get() for _ in processes]
    for process in processes:
        process.join()
    samples = [s for r in collected for s in r.samples]
    started = [r.started for r in collected if r.started]
    return LevelResult(
        connections=connections,
        actions=len(samples),
        seconds=max(r.ended for r in collected) - min(started) if started else 0.0,
        dossiers_done=sum(r.dossiers_done for r in collected),
        samples=samples,
        errors=[e for r in collected for e in r.errors],
    )


def step_table(samples: list[Sample]) -> list[tuple[str, int, float, float, float]]:
    """Per step: actions, median and p90 statements, median ms."""
    by_step: dict[str, list[Sample]] = {}
    for sample in samples:
        by_step.setdefault(sample.step, []).append(sample)
    rows = []
    for name, found in by_step.items():
        counts = sorted(s.statements for s in found)
        rows.append(
            (
                name,
                len(found),
                float(statistics.median(counts)),
                float(counts[min(len(counts) - 1, int(0.9 * len(counts)))]),
                1000 * statistics.median(s.seconds for s in found),
            )
        )
    return rows


def driven_dossiers(session: Session) -> dict[str, int]:
    query = (
        select(Dossier.state, func.count(Dossier.id))
        .where(Dossier.year == DRIVE_YEAR, Dossier.created_at >= DRIVE_START)
        .group_by(Dossier.state)
    )
    return {state: count for state, count in session.execute(query)}
