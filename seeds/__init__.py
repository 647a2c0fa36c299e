"""Seed data: the source documents, one YAML file per campaign, and the `seed` command."""
from flask import Flask

from .loader import seed_command


def init_app(app: Flask) -> None:
    """Register the seed command."""
    app.cli.add_command(seed_command)
