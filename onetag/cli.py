"""Command-line entry point: a click group whose subcommands load lazily.

Each command lives in the module that owns its layer; this file only names them, so that
``onetag --version`` and ``onetag lint`` import nothing they do not use.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import click

from onetag import __version__
from onetag.errors import OnetagError

# name -> "module:attribute"; the one place a reader finds every command.
COMMANDS: dict[str, str] = {
    "lint": "onetag.commands:lint",
    "migrate": "onetag.commands:migrate",
    "rules": "onetag.commands:rules",
    "verify": "onetag.verify.command:verify",
    "build": "onetag.build.command:build",
    "doctor": "onetag.build.command:doctor",
    "ci": "onetag.build.command:ci",
    "retire": "onetag.verify.retire_command:retire",
}

_HELP = {
    "lint": "Report architecture-specific image references (exit 1 on findings).",
    "migrate": "Rewrite architecture-specific references to the unified image.",
    "rules": "Show the documentation of every rule, or of one.",
    "verify": "Check that an image tag resolves on every required platform.",
    "build": "Build (and push) one multi-platform image.",
    "doctor": "Check what build and verify need on this machine.",
    "ci": "Write a release workflow that publishes the multi-platform image.",
    "retire": "Repoint or delete the old per-architecture image names.",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._available(name)]

    def _available(self, name: str) -> bool:
        module = COMMANDS[name].split(":")[0]
        return importlib.util.find_spec(module) is not None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None or not self._available(name):
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context):
        # Commands return their exit code; make it the process's (and CliRunner's) exit code.
        rv = super().invoke(ctx)
        if isinstance(rv, int) and not isinstance(rv, bool) and rv != 0:
            ctx.exit(rv)
        return rv

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _HELP.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="onetag")
@click.option("-v", "--verbose", is_flag=True, help="Show more detail (and tracebacks of internal errors).")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """onetag: one image tag for every CPU architecture.

    Typical order: lint -> migrate -> build --push -> verify.
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; map our errors to one line and their exit code, anything else to exit 3."""
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        rv = cli.main(args=argv, prog_name="onetag", standalone_mode=False)
    except OnetagError as err:
        click.echo(f"onetag: error: {err}", err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        click.echo("onetag: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(2 if err.exit_code == 2 else err.exit_code)
    except KeyboardInterrupt:
        click.echo("onetag: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except Exception as err:  # pragma: no cover - the last resort
        if verbose:
            raise
        click.echo(f"onetag: internal error: {type(err).__name__}: {err} (run with --verbose for the traceback; please report it)", err=True)
        sys.exit(3)
    sys.exit(rv if isinstance(rv, int) else 0)
