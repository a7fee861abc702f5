"""Errors a user can cause: each carries the one line the CLI prints and its exit code."""

from __future__ import annotations

import click


class OnetagError(click.ClickException):
    """A user-facing error: ``str(err)`` is one line saying what is wrong and what to do."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"onetag: error: {self.format_message()}", err=True, file=file)


class ConfigError(OnetagError):
    """Bad configuration file or value (exit 2)."""


class UsageError(OnetagError):
    """Bad command-line input (exit 2)."""
