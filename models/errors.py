"""Errors with a message meant for users (in Chinese)."""


class DomainError(ValueError):
    """A rule of the domain refused an operation; str(error) is the Chinese message to show."""
