"""The `ntm` command: Flask's CLI of the app, plus the domain's commands.

Each module of this package exposes `COMMANDS`, a list of click commands or groups; they stay
thin: parse arguments, open a unit of work, call one service, print.
"""

from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

COMMAND_MODULES = [
    "web.cli.criteria",
    "web.cli.ownership",
    "web.cli.demo",
    "web.cli.scheduler",
    "web.cli.deadlines",
    "web.cli.workflow",
    "web.cli.users",
    "web.cli.evidence",
    "web.cli.units",
    "web.cli.reorganisation",
    "web.cli.regimes",
    "web.cli.tokens",
    "web.cli.plans",
    "web.cli.watch",
]


def register_commands(app: Flask) -> None:
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            app.cli.add_command(_in_app_context(command))


def _in_app_context(command: click.Command) -> click.Command:
    """Run every (sub)command inside the app context, however it is invoked (`ntm …` or tests' runner)."""
    if command.callback is not None and not getattr(command.callback, "__ntm_app_context__", False):
        command.callback = with_appcontext(command.callback)
        command.callback.__ntm_app_context__ = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _in_app_context(subcommand)
    return command


def _create_app() -> Flask:
    from web import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, load_dotenv=True)
def main() -> None:
    """NTM Dossiers: hồ sơ xét, công nhận nông thôn mới."""
