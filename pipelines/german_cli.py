"""Shared parts of the command line: German help pages and options, the error console and
the start of the Dagster UI."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console

console = Console(stderr=True)
PIPED_WIDTH = 200
"""Columns of rich tables written to a file or pipe, where no terminal width is known."""
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
HEADINGS = {"Options": "Optionen", "Commands": "Befehle", "Positional arguments": "Argumente"}


class GermanFormatter(click.HelpFormatter):
    """Click's help page with German headings."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="Aufruf: ")

    def write_heading(self, heading: str) -> None:
        super().write_heading(HEADINGS.get(heading, heading))


class GermanContext(click.Context):
    formatter_class = GermanFormatter


class GermanHelp:
    """Commands whose help page and help option speak German."""

    context_class = GermanContext

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("options_metavar", "[OPTIONEN]")
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = "Diese Hilfe zeigen und beenden."
        return option


class GermanCommand(GermanHelp, click.Command):
    pass


class GermanGroup(GermanHelp, click.Group):
    command_class = GermanCommand


class GermanOption(click.Option):
    """An option whose help says "Pflichtangabe" where click says "required"."""

    def get_help_extra(self, ctx: click.Context) -> dict:
        extra = dict(super().get_help_extra(ctx))
        if "required" in extra:
            extra["required"] = "Pflichtangabe"
        return extra


def option(*names: str, **kwargs: object) -> Callable:
    return click.option(*names, cls=GermanOption, **kwargs)


def exec_dagster_dev(module: str, port: int, env: dict[str, str], cwd: Path) -> None:
    """Replace this process with ``dagster dev`` (webserver and daemon) for ``module``."""
    # The Dagster commands lie beside this interpreter, also when its folder is not on PATH.
    scripts = Path(sys.executable).parent
    env = {**env, "PATH": os.pathsep.join([str(scripts), env.get("PATH", "")])}
    dagster = scripts / "dagster"
    os.chdir(cwd)
    os.execve(dagster, [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port), "-m", module], env)
