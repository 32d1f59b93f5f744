"""The benchmark: build the national dataset at each size, measure the pages and the scheduler's scan with
the obligations list, drive the engine, run the anchors, print tables and then one `name: value` line per
figure. Entry point: `bash bench/run.sh`."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import dossiers.models  # noqa: F401 - registers every table on Base.metadata
import notifications.models  # noqa: F401 - and the outbox, calendar and deadline-override tables
from bench import anchors, engine_rate, obligations, pages
from bench.dataset import Dataset, build_dataset
from dossiers.db import Base

#: the provinces after the 1/7/2025 reform (every dataset size holds them all)
PROVINCES = 34
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/ntm_bench"


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("select 1 from pg_database where datname = :n"), {"n": parsed.database}).scalar():
            conn.execute(text(f'create database "{parsed.database}"'))
    admin.dispose()


def build(url: str, schema: str, communes: int, undriven_per_province: int) -> Dataset:
    engine = engine_rate.engine_for(url, schema)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        made = build_dataset(session, communes=communes, undriven_per_province=undriven_per_province)
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # fresh statistics: the planner sees the bulk-loaded tables as they are
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return made


def _table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 1 else f"{value:.1f}"
        return str(value)

    cells = [[str(c) for c in header], *[[cell(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print(
            "  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=os.environ.get("NTM_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sizes", default="100,1000,3321", help="communes per dataset (the last is driven)")
    parser.add_argument("--connections", default="1,8", help="processes (one connection each) per engine level")
    parser.add_argument("--dossiers", default="3,8", help="dossiers carried to recognition at each level")
    parser.add_argument("--limit", type=float, default=150.0, help="safety bound (s) of one engine level")
    parser.add_argument("--anchor-python", default=None, help="python of the anchors' venv (skip them if absent)")
    parser.add_argument("--anchor-seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    url: str = args.url
    sizes = [int(x) for x in args.sizes.split(",")]
    levels = [int(x) for x in args.connections.split(",")]
    per_level = [int(x) for x in args.dossiers.split(",")]
    # each level drives its share of the xã left without a 2025 dossier, a warm-up dossier per connection
    # included (`engine_rate.run_level`): leave enough of them in every province
    needed = len(levels) * max(count + connections for connections, count in zip(levels, per_level, strict=True))
    undriven_per_province = -(-needed // PROVINCES)
    ensure_database(url)
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"NTM Dossiers benchmark on {shown}; {dt.datetime.now():%Y-%m-%d %H:%M}")

    datasets: dict[int, Dataset] = {}
    page_figures: dict[int, list[pages.PageFigure]] = {}
    obligation_figures: dict[int, obligations.ObligationFigures] = {}
    for size in sizes:
        schema = f"bench_{size}"
        made = datasets[size] = build(url, schema, size, undriven_per_province)
        print(
            f"dataset {schema}: {made.provinces} provinces, {made.communes} communes, {made.hamlets} hamlets, "
            f"{made.users} users, {made.dossiers} dossiers, {made.rows.get('audit_events', 0)} audit events "
            f"in {made.seconds:.1f} s",
            flush=True,
        )
        engine = engine_rate.engine_for(url, schema)
        counter = engine_rate.count_statements(engine)
        t0 = time.perf_counter()
        page_figures[size] = pages.measure(
            sessionmaker(bind=engine, expire_on_commit=False), counter, made.focus_province
        )
        print(f"  pages measured in {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        obligation_figures[size] = obligations.measure(sessionmaker(bind=engine, expire_on_commit=False), counter)
        engine.dispose()
        print(f"  scan and obligations list measured in {time.perf_counter() - t0:.1f} s", flush=True)

    largest = sizes[-1]
    schema = f"bench_{largest}"
    k = datasets[largest].tasks_per_dossier
    engine = engine_rate.engine_for(url, schema)
    with Session(engine) as session:
        pool = engine_rate.plans(session)
    share = len(pool) // len(levels)
    results = []
    for index, (connections, count) in enumerate(zip(levels, per_level, strict=True)):
        print(f"engine: {connections} connection(s), {count} dossiers ...", flush=True)
        t0 = time.perf_counter()
        mine = pool[index * share : (index + 1) * share]
        results.append(engine_rate.run_level(url, schema, mine, connections, count, args.limit))
        print(f"  {results[-1].actions} actions [{time.perf_counter() - t0:.0f} s]", flush=True)
    with Session(engine) as session:
        driven = engine_rate.driven_dossiers(session)
    engine.dispose()

    anchor_results: dict[str, anchors.AnchorResult] = {}
    if args.anchor_python:
        dsn = anchors.dsn_from_url(url)
        for script, extra in (("pg_limit.py", []), ("spiff_peer.py", ["--engine-seconds", "2"])):
            print(f"anchor: {script} --dsn '{dsn}' -k {k} --seconds {args.anchor_seconds:g} ...", flush=True)
            t0 = time.perf_counter()
            found = anchors.run_anchor(args.anchor_python, script, dsn, k, args.anchor_seconds, extra)
            anchor_results[found.name] = found
            print(f"  {found.summary} [{time.perf_counter() - t0:.0f} s]", flush=True)

    # --- tables
    _table(
        "Datasets",
        ["communes", "provinces", "hamlets", "users", "dossiers", "audit events", "appraisal items", "build s"],
        [
            [d.communes, d.provinces, d.hamlets, d.users, d.dossiers, d.rows.get("audit_events", 0),
             d.rows.get("appraisal_items", 0), d.seconds]
            for d in datasets.values()
        ],
    )  # fmt: skip
    print("  dossiers by state (largest): " + ", ".join(f"{s} {n}" for s, n in datasets[largest].states.items()))
    print(f"  appraisal tasks per commune NTM dossier (K): {k}; indicators: {datasets[largest].indicators}")

    _table(
        f"Engine, real service path on {schema} (one action = one transaction; statements exclude BEGIN/COMMIT)",
        ["connections", "actions", "seconds", "actions/s", "dossiers done", "stmts p50", "stmts p90", "errors"],
        [
            [r.connections, r.actions, r.seconds, r.rate, r.dossiers_done, r.statements(0.5), r.statements(0.9),
             len(r.errors)]
            for r in results
        ],
    )  # fmt: skip
    print(
        f"  driven {engine_rate.DRIVE_YEAR} dossiers by state: "
        + ", ".join(f"{s} {n}" for s, n in sorted(driven.items()))
    )
    for r in results:
        for error in r.errors[:3]:
            print(f"  ERROR ({r.connections} connections): {error}")
    _table(
        "Per step (1 connection)",
        ["step", "actions", "stmts p50", "stmts p90", "ms p50"],
        [list(row) for row in engine_rate.step_table(results[0].samples)],
    )

    engine_rates = {r.connections: r.rate for r in results}
    limit = anchor_results.get("pg_limit")
    spiff = anchor_results.get("spiff_peer")
    comparison = []
    for n in levels:
        row: list[Any] = [n, engine_rates[n]]
        for anchor in (limit, spiff):
            rate = anchor.rates.get(n) if anchor else None
            row += [rate if rate else "-", engine_rates[n] / rate if rate else "-"]
        comparison.append(row)
    _table(
        f"Engine beside the anchors (K={k}; ratio = engine ÷ anchor)",
        ["connections", "engine/s", "pg_limit/s", "engine÷limit", "spiff/s", "engine÷spiff"],
        comparison,
    )

    _table(
        "Pages (queries / ms), focus province " + datasets[largest].focus_province,
        ["page", *[f"{size} communes" for size in sizes]],
        [
            [f"{f.page} ({f.role})", *[f"{page_figures[size][i].queries} q / {page_figures[size][i].ms:.0f} ms"
                                       f" / {page_figures[size][i].rows} rows" for size in sizes]]
            for i, f in enumerate(page_figures[sizes[0]])
        ],
    )  # fmt: skip

    _table(
        f"Obligations (issue #13): the scheduler's scan and the 2025 list, at {obligations.SCAN_AT:%d/%m/%Y %H:%M} UTC",
        ["communes", "first scan q", "first scan s", "scan q", "scan s", "list q", "list s", "open", "planned"],
        [
            [size, f.first_scan_queries, f.first_scan_s, f.scan_queries, f.scan_s, f.list_queries, f.list_s,
             f.open_obligations, f.planned]
            for size, f in obligation_figures.items()
        ],
    )  # fmt: skip

    # --- figures
    figures: dict[str, float | int | str] = {}
    for n in levels:
        figures[f"engine-actions-per-s-{n}"] = round(engine_rates[n], 1)
    for label, anchor in (("limit", limit), ("spiff", spiff)):
        for n in levels:
            rate = anchor.rates.get(n) if anchor else None
            figures[f"{label}-actions-per-s-{n}"] = round(rate, 1) if rate else "n/a"
    for label, anchor in (("limit", limit), ("spiff", spiff)):
        for n in levels:
            rate = anchor.rates.get(n) if anchor else None
            figures[f"{label}-ratio-{n}"] = round(engine_rates[n] / rate, 3) if rate else "n/a"
    figures["statements-per-action"] = results[0].statements(0.5)
    figures["statements-per-action-p90"] = results[0].statements(0.9)
    figures["appraisal-tasks-k"] = k
    for size in sizes:
        for f in page_figures[size]:
            if f.page == "my-work":
                figures[f"my-work-queries-{f.role}-{size}"] = f.queries
                figures[f"my-work-ms-{f.role}-{size}"] = round(f.ms, 1)
        for f in page_figures[size]:
            if f.page == "dossier-page":
                figures[f"dossier-page-queries-{size}"] = f.queries
                figures[f"dossier-page-ms-{size}"] = round(f.ms, 1)
    for size, found in obligation_figures.items():
        figures.update(obligations.as_dict(size, found))
    figures["run-seconds"] = round(time.perf_counter() - started, 1)
    print()
    for name, value in figures.items():
        print(f"{name}: {value}")

    failed = any(r.errors for r in results) or any(not a.ok for a in anchor_results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
