"""What every command of the app shares: its error type, the lookup of the campaign it works on, and the way it
fails.

Every command ends the same way on failure: 错误：… on standard error and exit status 1, nothing half written. A
text argument with a control character is refused before the command runs; a domain rule's refusal becomes its
message; anything unexpected (a damaged file, a database that went away) is named without a traceback, its
transaction rolled back. Commands live next to what they act on (seeds, exports, imports, ops); this is their
common helper.
"""
from __future__ import annotations

import functools
import logging

import click

from models.errors import DomainError
from models.org import Campaign, campaign_named
from models.text import refusal

log = logging.getLogger("zhuqi.cli")


class CliError(click.ClickException):
    """A command-line error, printed as “错误：…” with exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


def find_campaign(name: str | None) -> Campaign:
    """The campaign a command works on (CliError in Chinese when it cannot tell)."""
    try:
        return campaign_named(name)
    except DomainError as error:
        raise CliError(str(error)) from None


def option_name(param: click.Parameter) -> str:
    return max(param.opts, key=len) if isinstance(param, click.Option) else param.human_readable_name


def guarded(command: click.Command) -> click.Command:
    """`command` with its callback wrapped as this module says."""
    callback = command.callback
    if callback is None or getattr(callback, "guarded", False):
        return command
    names = {param.name: option_name(param) for param in command.params}

    @functools.wraps(callback)
    def run(*args, **kwargs):
        for name, value in kwargs.items():
            message = refusal(f"参数 {names.get(name, name)} ", value)
            if message:
                raise CliError(message)
        try:
            return callback(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except DomainError as error:
            raise CliError(str(error)) from None
        except Exception as error:  # whatever else fails, the user gets a sentence (the app context's teardown
            # has already rolled the session back, so nothing is half written)
            log.debug("command failed", exc_info=True)
            raise CliError(f"命令未能完成（{type(error).__name__}：{str(error)[:300]}）。") from None

    run.guarded = True
    command.callback = run
    return command


def guard_commands(group: click.Group) -> None:
    """Guard every command of `group` and of its subgroups."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            guard_commands(command)
        else:
            guarded(command)
