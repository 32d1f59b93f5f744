"""Criteria sets as versioned data files: parse, validate and load them.

One YAML file holds one version of one criteria set (format: docs/criteria-format.md, schema:
dossiers/data/criteria/schema.json). A batch of files is parsed and validated completely, against
the schema, against the rules the schema cannot say, and against what the database already holds,
before a single row is added to the session, so a bad file leaves nothing half-loaded. Like every
service here, loading flushes and never commits: the caller owns the transaction.

Versioning: (code, version) identifies a set. Loading content that is already there is a no-op;
loading different content under a (code, version) that exists is refused (bump the version); a new
version of a known code is added beside the old one, and dossiers keep the version they point at.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dossiers.models.criteria import CriteriaSet, Criterion, Indicator
from workflow.measures import fold
from workflow.thresholds import parse_threshold
from workflow.vocabulary import Confidence, Measure

CRITERIA_DATA_DIR = Path(__file__).resolve().parent / "data" / "criteria"
SCHEMA_PATH = CRITERIA_DATA_DIR / "schema.json"

#: where a value sits in a document: mapping keys and list indexes from the root
KeyPath = tuple[str | int, ...]

_SOURCE_FILE_MAX = 300  # length of CriteriaSet.source_file


@dataclass(frozen=True)
class CriteriaProblem:
    """One thing wrong with a criteria file, at a line and column (1-based) and a key path."""

    file: str
    line: int
    column: int
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.key_path}: {self.message}" if self.key_path else f"{where}: {self.message}"


class CriteriaFileError(Exception):
    """A criteria file cannot be loaded. Each line of the message names the file, line:column, key path and problem."""

    def __init__(self, problems: Sequence[CriteriaProblem]) -> None:
        if not problems:
            raise ValueError("CriteriaFileError needs at least one problem")
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column))
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def files(self) -> list[str]:
        return sorted({problem.file for problem in self.problems})


@dataclass(frozen=True)
class LoadResult:
    """What loading one file did: the set it holds, and whether it was created or already present."""

    criteria_set: CriteriaSet
    created: bool
    path: Path


@dataclass(frozen=True)
class ParsedCriteriaFile:
    """A file that passed every check that does not need the database."""

    path: Path
    data: dict[str, Any]
    #: (line, column) of every key and list item, to point at problems found later
    positions: dict[KeyPath, tuple[int, int]]
    #: SHA-256 of the parsed content in canonical JSON: comments and layout do not count as changes
    sha256: str

    @property
    def code(self) -> str:
        code: str = self.data["code"]
        return code

    @property
    def version(self) -> int:
        return int(self.data["version"])  # the schema also accepts 2.0 as an integer

    @property
    def prerequisite(self) -> str | None:
        prerequisite: str | None = self.data.get("prerequisite")
        return prerequisite

    @property
    def label(self) -> str:
        return f"{self.code} v{self.version}"

    def problem(self, key_path: KeyPath, message: str) -> CriteriaProblem:
        return _problem(self.path, self.positions, key_path, message)


# --- public API ---------------------------------------------------------------------------------


def builtin_criteria_files() -> list[Path]:
    """The criteria files shipped inside the package."""
    return sorted(CRITERIA_DATA_DIR.glob("*.yaml"))


def load_builtin_criteria(session: Session, now: dt.datetime) -> list[LoadResult]:
    """Load every shipped criteria file (idempotent)."""
    return load_criteria_files(session, builtin_criteria_files(), now)


def load_criteria_file(session: Session, path: Path | str, now: dt.datetime) -> LoadResult:
    """Load one criteria file; see `load_criteria_files`."""
    return load_criteria_files(session, [path], now)[0]


def load_criteria_files(session: Session, paths: Iterable[Path | str], now: dt.datetime) -> list[LoadResult]:
    """Validate every file, then add the sets not yet loaded; results come in load order.

    Files may be given in any order: a set whose prerequisite is in the same batch is loaded
    after it. Raises `CriteriaFileError` (listing every problem of every file) before adding
    anything when any file is invalid, conflicts with a loaded version, or needs a prerequisite
    that is neither loaded nor in the batch. Flushes; never commits.
    """
    documents: list[ParsedCriteriaFile] = []
    problems: list[CriteriaProblem] = []
    for path in paths:
        try:
            documents.append(parse_criteria_file(path))
        except CriteriaFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CriteriaFileError(problems)

    ordered = _order_by_prerequisite(documents)
    plan = _plan(session, ordered)

    results: list[LoadResult] = []
    created: dict[tuple[str, int], CriteriaSet] = {}
    for document, existing in plan:
        key = (document.code, document.version)
        if existing is not None:
            results.append(LoadResult(existing, created=False, path=document.path))
        elif key in created:  # the same content given twice in one batch
            results.append(LoadResult(created[key], created=False, path=document.path))
        else:
            criteria_set = _build_criteria_set(document, now)
            session.add(criteria_set)
            created[key] = criteria_set
            results.append(LoadResult(criteria_set, created=True, path=document.path))
    session.flush()
    return results


def parse_criteria_file(path: Path | str) -> ParsedCriteriaFile:
    """Read and check one file without touching the database: YAML syntax, schema, and the semantic rules."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise CriteriaFileError(
            [CriteriaProblem(str(path), 1, 1, "", f"cannot read the file: {exc.strerror}")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise CriteriaFileError([CriteriaProblem(str(path), 1, 1, "", f"not UTF-8 text: {exc.reason}")]) from exc

    data, positions = _parse_yaml(path, text)
    # a province's amendment to a shipped set becomes the province's set, then is checked like any file
    from dossiers import criteria_amendments  # imported here: it builds on this module

    if criteria_amendments.is_amendment(data):
        data, positions = criteria_amendments.resolve_amendment(path, data, positions)
    problems = _schema_problems(path, data, positions)
    if not problems:
        # the semantic rules assume the shape the schema guarantees
        problems = _semantic_problems(path, data, positions)
    if problems:
        raise CriteriaFileError(problems)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return ParsedCriteriaFile(path, data, positions, hashlib.sha256(canonical.encode("utf-8")).hexdigest())


def list_criteria_sets(session: Session, code: str | None = None, version: int | None = None) -> list[CriteriaSet]:
    """Loaded sets, by code then version, optionally only one code and/or one version."""
    query = (
        select(CriteriaSet)
        .order_by(CriteriaSet.code, CriteriaSet.version)
        .options(selectinload(CriteriaSet.criteria).selectinload(Criterion.indicators))
    )
    if code is not None:
        query = query.where(CriteriaSet.code == code)
    if version is not None:
        query = query.where(CriteriaSet.version == version)
    return list(session.scalars(query))


def find_criteria_set(session: Session, code: str, version: int | None = None) -> CriteriaSet | None:
    """One set by code: the given version, or the highest loaded version."""
    query = select(CriteriaSet).where(CriteriaSet.code == code)
    if version is not None:
        query = query.where(CriteriaSet.version == version)
    return session.scalars(query.order_by(CriteriaSet.version.desc()).limit(1)).first()


# --- YAML with positions --------------------------------------------------------------------------


try:  # libyaml's parser is several times faster; the constructor and resolver stay PyYAML's
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """SafeLoader that keeps dates as the text written, so the schema and the hash see exactly that."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


def _parse_yaml(path: Path, text: str) -> tuple[Any, dict[KeyPath, tuple[int, int]]]:
    positions: dict[KeyPath, tuple[int, int]] = {}
    problems: list[CriteriaProblem] = []
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise CriteriaFileError([CriteriaProblem(str(path), 1, 1, "", "the file is empty")])
        positions[()] = _mark(node)
        data = _construct(loader, node, (), positions, problems, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        detail = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and exc.context_mark is not None:
            detail += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        raise CriteriaFileError([CriteriaProblem(str(path), line, column, "", f"YAML syntax error: {detail}")]) from exc
    except yaml.YAMLError as exc:
        raise CriteriaFileError([CriteriaProblem(str(path), 1, 1, "", f"YAML error: {exc}")]) from exc
    finally:
        loader.dispose()
    if problems:
        raise CriteriaFileError(problems)
    return data, positions


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _construct(
    loader: _Loader,
    node: yaml.Node,
    path: KeyPath,
    positions: dict[KeyPath, tuple[int, int]],
    problems: list[CriteriaProblem],
    file: Path,
) -> Any:
    """Build plain Python data from the node tree, recording where every key and item starts."""
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP_TAG:
            problems.append(_problem(file, positions, path, f"YAML tag {node.tag} is not supported here"))
        loader.flatten_mapping(node)  # resolves `<<: *anchor` merges
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            raw_key = loader.construct_object(key_node, deep=True)
            key = raw_key if isinstance(raw_key, str) else str(raw_key)
            child = (*path, key)
            if not isinstance(raw_key, str):
                positions[child] = _mark(key_node)
                problems.append(_problem(file, positions, child, f"key {raw_key!r} must be text; put it in quotes"))
            elif key in mapping:
                line, column = _mark(key_node)
                problems.append(
                    CriteriaProblem(
                        str(file),
                        line,
                        column,
                        format_key_path(child),
                        f"duplicate key (first given on line {positions[child][0]})",
                    )
                )
                continue
            positions[child] = _mark(key_node)
            mapping[key] = _construct(loader, value_node, child, positions, problems, file)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ_TAG:
            problems.append(_problem(file, positions, path, f"YAML tag {node.tag} is not supported here"))
        items: list[Any] = []
        for index, item_node in enumerate(node.value):
            child = (*path, index)
            positions[child] = _mark(item_node)
            items.append(_construct(loader, item_node, child, positions, problems, file))
        return items
    return loader.construct_object(node, deep=True)


def _problem(file: Path, positions: dict[KeyPath, tuple[int, int]], key_path: KeyPath, message: str) -> CriteriaProblem:
    """A problem at the position of `key_path`, or of its nearest parent that has one."""
    for length in range(len(key_path), -1, -1):
        position = positions.get(key_path[:length])
        if position is not None:
            line, column = position
            break
    else:
        line, column = 1, 1
    return CriteriaProblem(str(file), line, column, format_key_path(key_path), message)


def format_key_path(key_path: KeyPath) -> str:
    """`("criteria", 16, "indicators", 2, "measure")` → `criteria[16].indicators[2].measure`."""
    text = ""
    for part in key_path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


# --- schema -----------------------------------------------------------------------------------------


@cache
def criteria_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a criteria file."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = criteria_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _schema_problems(file: Path, data: Any, positions: dict[KeyPath, tuple[int, int]]) -> list[CriteriaProblem]:
    problems: list[CriteriaProblem] = []
    for error in _validator().iter_errors(data):
        problems.extend(_explain(file, positions, error))
    return problems


def _explain(file: Path, positions: dict[KeyPath, tuple[int, int]], error: ValidationError) -> list[CriteriaProblem]:
    """Turn a schema error into problems that point at the offending key, in words an editor can act on."""
    path: KeyPath = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict) and isinstance(error.validator_value, list):
        missing = [key for key in error.validator_value if key not in error.instance]
        return [_problem_at(file, positions, path, (*path, key), "required key is missing") for key in missing]
    if (
        error.validator == "additionalProperties"
        and isinstance(error.instance, dict)
        and isinstance(error.schema, dict)
    ):
        allowed = list(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in allowed]
        return [
            _problem(file, positions, (*path, key), f"unknown key; allowed keys are: {', '.join(allowed)}")
            for key in unknown
        ]
    if (
        error.validator == "type"
        and path
        and path[-1] == "code"
        and isinstance(error.instance, int | float)
        and not isinstance(error.instance, bool)
    ):
        return [
            _problem(
                file,
                positions,
                path,
                f'{error.instance!r} is a number: write the code in quotes, e.g. "17.10" '
                "(unquoted, YAML reads 17.10 as the number 17.1)",
            )
        ]
    return [_problem(file, positions, path, error.message)]


def _problem_at(
    file: Path, positions: dict[KeyPath, tuple[int, int]], where: KeyPath, key_path: KeyPath, message: str
) -> CriteriaProblem:
    """A problem named by `key_path` (which may not exist in the file) at the position of `where`."""
    located = _problem(file, positions, where, message)
    return CriteriaProblem(located.file, located.line, located.column, format_key_path(key_path), message)


# --- rules the schema cannot express -------------------------------------------------------------


def _semantic_problems(
    file: Path, data: dict[str, Any], positions: dict[KeyPath, tuple[int, int]]
) -> list[CriteriaProblem]:
    problems: list[CriteriaProblem] = []

    def report(key_path: KeyPath, message: str) -> None:
        problems.append(_problem(file, positions, key_path, message))

    def line_of(key_path: KeyPath) -> int:
        return positions.get(key_path, (0, 0))[0]

    effective_from = data.get("effective_from")
    if effective_from is not None:
        try:
            dt.date.fromisoformat(effective_from)
        except ValueError:
            report(("effective_from",), f"{effective_from!r} is not a valid date (YYYY-MM-DD)")

    if data["period"]["start"] > data["period"]["end"]:
        report(("period", "end"), f"period ends ({data['period']['end']}) before it starts ({data['period']['start']})")

    if data.get("prerequisite") == data["code"]:
        report(("prerequisite",), "a set cannot be its own prerequisite")

    for list_key in ("regions", "commune_groups", "conditions", "outstanding_fields"):
        seen_codes: dict[str, int] = {}
        for index, entry in enumerate(data.get(list_key, [])):
            if entry["code"] in seen_codes:
                first = seen_codes[entry["code"]]
                report((list_key, index, "code"), f"duplicate code {entry['code']!r} (first at {list_key}[{first}])")
            else:
                seen_codes[entry["code"]] = index
    region_codes = [region["code"] for region in data.get("regions", [])]
    group_codes = [group["code"] for group in data.get("commune_groups", [])]

    criterion_at: dict[int, int] = {}
    indicator_at: dict[str, KeyPath] = {}
    for c_index, criterion in enumerate(data["criteria"]):
        number = int(criterion["number"])
        if number in criterion_at:
            first_path: KeyPath = ("criteria", criterion_at[number], "number")
            report(
                ("criteria", c_index, "number"),
                f"duplicate criterion number {number} (first at {format_key_path(first_path[:2])}, "
                f"line {line_of(first_path)})",
            )
        else:
            criterion_at[number] = c_index
        whole = str(number)
        codes = [indicator["code"] for indicator in criterion["indicators"]]
        for i_index, indicator in enumerate(criterion["indicators"]):
            code = indicator["code"]
            here: KeyPath = ("criteria", c_index, "indicators", i_index, "code")
            if code in indicator_at:
                first_code = indicator_at[code]
                report(
                    here,
                    f"duplicate indicator code {code!r} (first at {format_key_path(first_code[:4])}, "
                    f"line {line_of(first_code)})",
                )
            else:
                indicator_at[code] = here
            if code != whole and not code.startswith(f"{whole}."):
                report(
                    here,
                    f"indicator {code!r} is not under criterion {number}: "
                    f'its code must be "{whole}" or start with "{whole}."',
                )
            if code == whole and len(codes) > 1:
                report(
                    here,
                    f'indicator "{whole}" stands for the whole criterion {number}, so it must be the '
                    f"criterion's only indicator (it has {len(codes)}: {', '.join(codes)})",
                )
            thresholds = indicator.get("thresholds", {})
            for sub_key, declared, what in (
                ("by_region", region_codes, "regions"),
                ("by_group", group_codes, "commune_groups"),
            ):
                for name in thresholds.get(sub_key, {}):
                    if name not in declared:
                        allowed = ", ".join(declared) if declared else "none"
                        report(
                            ("criteria", c_index, "indicators", i_index, "thresholds", sub_key, name),
                            f"{name!r} is not one of the set's {what} ({allowed})",
                        )
            problems.extend(_measure_problems(file, positions, data, (c_index, i_index), indicator))
    return problems


def _threshold_values(thresholds: dict[str, Any]) -> list[tuple[KeyPath, Any]]:
    """Every threshold an indicator states, with its key path under `thresholds`."""
    values: list[tuple[KeyPath, Any]] = [(("default",), thresholds.get("default"))]
    for sub_key in ("by_region", "by_group", "by_year"):
        values.extend(((sub_key, name), value) for name, value in (thresholds.get(sub_key) or {}).items())
    return [(where, value) for where, value in values if value is not None]


def _measure_problems(
    file: Path,
    positions: dict[KeyPath, tuple[int, int]],
    data: dict[str, Any],
    index: tuple[int, int],
    indicator: dict[str, Any],
) -> list[CriteriaProblem]:
    """A threshold the engine must be able to compare with the indicator's measure; answers only for text;
    years within the set's period."""
    here: KeyPath = ("criteria", index[0], "indicators", index[1])
    measure = Measure(indicator["measure"])
    answers = indicator.get("answers") or []
    thresholds = indicator.get("thresholds", {})
    problems = []
    if answers and measure is not Measure.TEXT:
        problems.append(_problem(file, positions, (*here, "answers"), f"answers are for a text measure, not {measure}"))
    period = data["period"]
    for year in thresholds.get("by_year") or {}:
        if not (str(year).isdigit() and period["start"] <= int(year) <= period["end"]):
            problems.append(
                _problem(
                    file,
                    positions,
                    (*here, "thresholds", "by_year", year),
                    f"{year!r} is not a year of the set's period {period['start']}-{period['end']}",
                )
            )
    for where, value in _threshold_values(thresholds):
        at = (*here, "thresholds", *where)
        if measure in (Measure.PERCENTAGE, Measure.NUMBER, Measure.MONEY):
            # a threshold that is no comparison ("≥ 110% mức thu nhập của xã nâng cao") stays a judgement
            parsed = parse_threshold(value)
            if parsed is not None and parsed.percent != (measure is Measure.PERCENTAGE):
                wrong = "needs '%'" if measure is Measure.PERCENTAGE else "takes no '%'"
                problems.append(_problem(file, positions, at, f"{value!r}: a {measure} threshold {wrong}"))
        elif measure is Measure.YES_NO and fold(str(value)) not in ("dat", "co", "khong"):
            problems.append(_problem(file, positions, at, f"{value!r}: a yes_no threshold is 'Đạt', 'Có' or 'Không'"))
        elif measure is Measure.TEXT and answers and fold(str(value)) not in {fold(a) for a in answers}:
            problems.append(_problem(file, positions, at, f"{value!r} is not one of the indicator's answers"))
    return problems


# --- the database -----------------------------------------------------------------------------------


def _order_by_prerequisite(documents: list[ParsedCriteriaFile]) -> list[ParsedCriteriaFile]:
    """Stable order in which every set comes after its prerequisite when both are in the batch."""
    by_code: dict[str, list[ParsedCriteriaFile]] = {}
    for document in documents:
        by_code.setdefault(document.code, []).append(document)
    ordered: list[ParsedCriteriaFile] = []
    done: set[int] = set()
    problems: list[CriteriaProblem] = []

    def visit(document: ParsedCriteriaFile, chain: list[str]) -> None:
        if id(document) in done:
            return
        if document.code in chain:
            cycle = " → ".join([*chain[chain.index(document.code) :], document.code])
            problems.append(document.problem(("prerequisite",), f"prerequisites form a cycle: {cycle}"))
            return
        prerequisite = document.prerequisite
        for required in by_code.get(prerequisite, []) if prerequisite else []:
            visit(required, [*chain, document.code])
        if id(document) not in done:
            done.add(id(document))
            ordered.append(document)

    for document in documents:
        visit(document, [])
    if problems:
        raise CriteriaFileError(problems)
    return ordered


def _plan(session: Session, documents: list[ParsedCriteriaFile]) -> list[tuple[ParsedCriteriaFile, CriteriaSet | None]]:
    """Pair each document with the set already loaded under its (code, version), refusing conflicts."""
    problems: list[CriteriaProblem] = []
    plan: list[tuple[ParsedCriteriaFile, CriteriaSet | None]] = []
    in_batch: dict[tuple[str, int], ParsedCriteriaFile] = {}
    batch_codes = {document.code for document in documents}
    with session.no_autoflush:
        for document in documents:
            key = (document.code, document.version)
            existing = session.scalars(
                select(CriteriaSet).where(CriteriaSet.code == document.code, CriteriaSet.version == document.version)
            ).first()
            if existing is not None and existing.content_sha256 != document.sha256:
                problems.append(
                    document.problem(
                        ("version",),
                        f"{document.label} is already loaded with different content (from {existing.source_file}, "
                        f"loaded {existing.loaded_at:%Y-%m-%d %H:%M} UTC); a changed set needs a new version: "
                        f"bump 'version' to {_next_version(session, document.code)}",
                    )
                )
            earlier = in_batch.get(key)
            if earlier is not None and earlier.sha256 != document.sha256:
                problems.append(
                    document.problem(
                        ("version",),
                        f"{earlier.path} in the same batch holds {document.label} with different content",
                    )
                )
            in_batch.setdefault(key, document)
            prerequisite = document.prerequisite
            if prerequisite and prerequisite not in batch_codes and find_criteria_set(session, prerequisite) is None:
                problems.append(
                    document.problem(
                        ("prerequisite",),
                        f"prerequisite set {prerequisite!r} is not loaded; load it first or in the same command",
                    )
                )
            plan.append((document, existing))
    if problems:
        raise CriteriaFileError(problems)
    return plan


def _next_version(session: Session, code: str) -> int:
    latest = find_criteria_set(session, code)
    return (latest.version if latest is not None else 0) + 1


def _source_file(path: Path) -> str:
    resolved = path.resolve()
    if resolved.parent == CRITERIA_DATA_DIR:
        return f"dossiers/data/criteria/{resolved.name}"
    text = str(path)
    return text if len(text) <= _SOURCE_FILE_MAX else "…" + text[-(_SOURCE_FILE_MAX - 1) :]


def _build_criteria_set(document: ParsedCriteriaFile, now: dt.datetime) -> CriteriaSet:
    data = document.data
    effective_from = data.get("effective_from")
    criteria_set = CriteriaSet(
        code=data["code"],
        version=document.version,
        name=data["name"],
        levels=list(data["levels"]),
        legal_source=data["legal_source"],
        period_start=int(data["period"]["start"]),
        period_end=int(data["period"]["end"]),
        effective_from=dt.date.fromisoformat(effective_from) if effective_from else None,
        issued_by=data.get("issued_by"),
        prerequisite_code=data.get("prerequisite"),
        regions=list(data.get("regions", [])),
        commune_groups=list(data.get("commune_groups", [])),
        conditions=list(data.get("conditions", [])),
        outstanding_fields=list(data.get("outstanding_fields", [])),
        confidence=Confidence(data["confidence"]),
        verification_note=data.get("verification_note"),
        source_file=_source_file(document.path),
        content_sha256=document.sha256,
        loaded_at=now,
    )
    for item in data["criteria"]:
        criterion = Criterion(
            number=int(item["number"]),
            name=item["name"],
            group_name=item.get("group"),
            is_key=item.get("key", False),
            confidence=Confidence(item["confidence"]),
            source=item.get("source") or criteria_set.legal_source,
            note=item.get("note"),
        )
        for position, entry in enumerate(item["indicators"], start=1):
            thresholds = entry.get("thresholds", {})
            criterion.indicators.append(
                Indicator(
                    code=entry["code"],
                    position=position,
                    name=entry["name"],
                    measure=Measure(entry["measure"]),
                    unit_of_measure=entry.get("unit"),
                    thresholds={
                        "default": thresholds.get("default"),
                        "by_region": dict(thresholds.get("by_region", {})),
                        "by_group": dict(thresholds.get("by_group", {})),
                        "by_year": {str(year): value for year, value in (thresholds.get("by_year") or {}).items()},
                        "source": thresholds.get("source"),
                        "confidence": thresholds.get("confidence"),
                    },
                    answers=list(entry.get("answers") or []) or None,
                    evidence=list(entry.get("evidence", [])),
                    source=entry.get("source") or criterion.source,
                    confidence=Confidence(entry["confidence"]),
                    reconstructed=entry["reconstructed"],
                    note=entry.get("note"),
                )
            )
        criteria_set.criteria.append(criterion)
    return criteria_set
