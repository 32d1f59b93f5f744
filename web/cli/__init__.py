"""The `ntm` command: Flask's CLI of the app, plus the domain's commands.

Each module of this package exposes `COMMANDS`, a list of click commands or groups; they stay
thin: parse arguments, open a unit of work, call one service, print.
"""

from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import FlaskGroup

COMMAND_MODULES = ["web.cli.criteria", "web.cli.ownership", "web.cli.demo"]


def register_commands(app: Flask) -> None:
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            app.cli.add_command(command)


def _create_app() -> Flask:
    from web import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, load_dotenv=True)
def main() -> None:
    """NTM Dossiers: hồ sơ xét, công nhận nông thôn mới."""
