"""`ntm workflow`: show the procedures the engine runs."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from workflow.diagram import mermaid
from workflow.procedures import PROCEDURES, UnknownProcedure, procedure_for
from workflow.routes import PROVINCE_ROUTES
from workflow.vocabulary import DossierKind, RecognitionLevel

LEVELS = sorted({level.value for level, _kind in PROCEDURES})

# AppGroup keeps the command shape of the other groups; the diagram itself needs no app context
workflow = AppGroup("workflow", help="Quy trình xét, công nhận: sơ đồ trạng thái.")


@workflow.command("diagram")
@click.argument("level", type=click.Choice(LEVELS))
@click.option(
    "--kind",
    type=click.Choice([kind.value for kind in DossierKind]),
    default=DossierKind.RECOGNITION.value,
    show_default=True,
    help="Xét công nhận hoặc xét thu hồi.",
)
@click.option(
    "--route",
    type=click.Choice([route.code for route in PROVINCE_ROUTES]),
    default=None,
    help="Biến thể quy trình tỉnh chọn (vd. commune-via-district-and-province: Sở NN&PTNT thẩm định).",
)
@click.option("--no-guards", is_flag=True, help="Không ghi điều kiện trên các mũi tên.")
def diagram(level: str, kind: str, route: str | None, no_guards: bool) -> None:
    """In sơ đồ Mermaid stateDiagram-v2 của quy trình LEVEL (vd. commune-ntm)."""
    try:
        procedure = procedure_for(RecognitionLevel(level), DossierKind(kind), route)
    except UnknownProcedure as exc:
        raise click.BadParameter(f"không có quy trình {kind} cho cấp {level}", param_hint="LEVEL") from exc
    if route is not None and RecognitionLevel(level) not in next(r for r in PROVINCE_ROUTES if r.code == route).levels:
        raise click.BadParameter(f"quy trình {route} không dành cho cấp {level}", param_hint="--route")
    click.echo(mermaid(procedure, show_guards=not no_guards), nl=False)


COMMANDS = [workflow]
