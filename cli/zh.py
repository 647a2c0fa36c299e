"""The command line in Chinese: click's own words (用法, 选项, 显示本帮助后退出, its error messages) and the help of
Flask's and Flask-Migrate's commands and options, from the catalogue cli/translations (cli.po, compiled to cli.mo);
the app's own commands write their help in Chinese in their docstrings and options.

click reads its words through gettext at the moment it needs them, from a name each of its modules imports
(`_`, `ngettext`); those names are pointed at our catalogue. Help texts are attributes of the commands and options,
replaced by their translation when the catalogue has one. Both happen once the app is loaded (ops.init_app), so a
command's --help, its usage errors and the list of commands read in Chinese. (Flask prints `flask --help`'s own
lines before it loads any app: those stay Flask's.)"""
from __future__ import annotations

import gettext
import inspect
from pathlib import Path

import click

CATALOGUE = gettext.translation("cli", localedir=Path(__file__).parent / "translations", languages=["zh_Hans_CN"])
# click's modules that say something to the user (each imports gettext's _ and ngettext under these names)
SPEAKING = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")


def key(text: str) -> str:
    """A help text as the catalogue keys it: its words with every run of white space one space."""
    return " ".join(inspect.cleandoc(text).split())


def translated(text: str | None) -> str | None:
    """The Chinese of a help text, or the text itself when the catalogue has none."""
    if not text:
        return text
    found = CATALOGUE.gettext(key(text))
    return found if found != key(text) else text


def speak_chinese(*roots: click.Command) -> None:
    """Point click's words at the catalogue and translate the help of the `roots`, of every command below them and of
    the plugin commands the flask command adds (flask db, which it may add after the app is loaded). Idempotent."""
    import importlib

    from flask.cli import routes_command, run_command, shell_command  # the flask command's own
    from flask_migrate.cli import db  # the object of Flask-Migrate's flask.commands entry point

    for name in SPEAKING:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = CATALOGUE.gettext
        if hasattr(module, "ngettext"):
            module.ngettext = CATALOGUE.ngettext
    for command in {id(c): c for root in (*roots, db, run_command, shell_command, routes_command) for c in commands(root)}.values():
        command.help, command.short_help = translated(command.help), translated(command.short_help)
        command.options_metavar = "[选项]"
        if isinstance(command, click.Group):
            command.subcommand_metavar = "命令 [参数]..."
        for param in command.params:
            if isinstance(param, click.Option):
                param.help = translated(param.help)


def commands(root: click.Command):
    """`root` and every command below it."""
    yield root
    for command in getattr(root, "commands", {}).values():
        yield from commands(command)
