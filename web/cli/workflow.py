"""`ntm workflow`: show the procedures the engine runs."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from workflow.diagram import mermaid
from workflow.procedures import PROCEDURES, UnknownProcedure, procedure_for
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
@click.option("--no-guards", is_flag=True, help="Không ghi điều kiện trên các mũi tên.")
def diagram(level: str, kind: str, no_guards: bool) -> None:
    """In sơ đồ Mermaid stateDiagram-v2 của quy trình LEVEL (vd. commune-ntm)."""
    try:
        procedure = procedure_for(RecognitionLevel(level), DossierKind(kind))
    except UnknownProcedure as exc:
        raise click.BadParameter(f"không có quy trình {kind} cho cấp {level}", param_hint="LEVEL") from exc
    click.echo(mermaid(procedure, show_guards=not no_guards), nl=False)


COMMANDS = [workflow]
