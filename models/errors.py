"""Errors with a message meant for users (in Chinese)."""
import click


class DomainError(ValueError):
    """A rule of the domain refused an operation; str(error) is the Chinese message to show."""


class CliError(click.ClickException):
    """A command-line error, printed as “错误：…” with exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)
