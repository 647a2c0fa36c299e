"""Migrations build the schema on SQLite, PostgreSQL and MariaDB alike, go down cleanly, and match the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from models import db
from models.base import compared
from tests.conftest import MIGRATIONS, make_app, scratch_database


def app_tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_on_a_fresh_database(db_url, tmp_path):
    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            assert app_tables() == set()
            upgrade(directory=MIGRATIONS)
            assert app_tables() == set(db.metadata.tables)
            downgrade(directory=MIGRATIONS, revision="base")
            assert app_tables() == set()
            upgrade(directory=MIGRATIONS)
            assert app_tables() == set(db.metadata.tables)
            db.engine.dispose()


def test_models_and_migrations_agree(app):
    """A model change without a migration fails here (what `flask db migrate` would generate must be nothing)."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                                  "include_object": compared})
        assert compare_metadata(context, db.metadata) == []


def test_db_upgrade_command(db_url, tmp_path):
    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        result = app.test_cli_runner().invoke(args=["db", "upgrade", "--directory", MIGRATIONS])
        assert result.exit_code == 0, result.output
        result = app.test_cli_runner().invoke(args=["seed"])
        assert result.exit_code == 0 and "汨罗市" in result.output
        with app.app_context():
            db.engine.dispose()


def test_seed_before_upgrade_says_what_to_do(db_url, tmp_path):
    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        result = app.test_cli_runner().invoke(args=["seed"])
        assert result.exit_code == 1 and "flask --app app db upgrade" in result.output
        with app.app_context():
            db.engine.dispose()
