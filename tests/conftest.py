"""Fixtures: a fresh app per test on the database named by TEST_DATABASE_URL (default: a temporary SQLite file),
the schema built once per run by the real migrations, every table emptied after each test, seeded data,
and a logged-in client per role (login_as)."""
from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app import create_app
from config import normalise_database_url
from models import User, db
from seeds.loader import load_seeds

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
PASSWORD = "test-password-123"


def database_url(tmp_dir) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_database_url(url) if url else f"sqlite:///{tmp_dir}/test.db"


def make_app(url: str, **extra):
    # a cheap hash keeps the suite fast; test_passwords_are_stored_hashed_with_scrypt checks the real default
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "REQUEST_LOG": False, **extra})


def worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own database on the server: <name>_gw0, <name>_gw1 …"""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    parsed = make_url(url)
    if not worker or parsed.get_backend_name() == "sqlite":
        return url
    name = f"{parsed.database}_{worker}"
    admin_engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        if parsed.get_backend_name() == "mysql":
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    admin_engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_worker_database(base: str, url: str) -> None:
    if url == base or make_url(url).get_backend_name() == "sqlite":
        return
    parsed = make_url(url)
    admin_engine = create_engine(make_url(base), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        if parsed.get_backend_name() == "mysql":
            conn.execute(text(f"DROP DATABASE IF EXISTS `{parsed.database}`"))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory):
    """The test database, built once by the migrations (so tests also prove the migrations match the models)."""
    base = database_url(tmp_path_factory.mktemp("db"))
    url = worker_database(base)
    app = make_app(url)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    yield url
    drop_worker_database(base, url)


def empty_all_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(db_url):
    """A fresh app on an empty database."""
    app = make_app(db_url)
    with app.app_context():
        empty_all_tables()
    yield app
    with app.app_context():  # the next test empties the tables before it starts
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def seed_snapshot(db_url):
    """Every row the seed loader writes, captured once per run (seed tests run the loader itself)."""
    app = make_app(db_url)
    with app.app_context():
        empty_all_tables()
        load_seeds()
        snapshot = [(t, [dict(r._mapping) for r in db.session.execute(select(*stored_columns(t)))])
                    for t in db.metadata.sorted_tables]
        empty_all_tables()
        db.engine.dispose()
    return snapshot


def stored_columns(table):
    """The columns a row is written with: all but those the database generates."""
    return [c for c in table.columns if c.computed is None]


def restore(snapshot) -> None:
    """Write the captured seed rows back, with their ids, and move PostgreSQL's id sequences past them."""
    for table, rows in snapshot:
        if rows:
            db.session.execute(table.insert(), rows)
    if db.engine.dialect.name == "postgresql":
        for table, rows in snapshot:
            if rows and "id" in table.c:
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :n)"),
                                   {"n": max(r["id"] for r in rows)})
    db.session.commit()


@pytest.fixture
def seeded(app, seed_snapshot):
    """The app with both campaigns seeded."""
    with app.app_context():
        restore(seed_snapshot)
    return app


@pytest.fixture
def client(seeded):
    return seeded.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


DEFAULT_SCOPE = {"group": ("body", "工作组（循环园）"), "handler": ("unit", "市发改局")}


def hidden_inputs(html: str) -> dict[str, str]:
    """The hidden inputs of a page's forms (CSRF token, version token), as a browser would send them."""
    found = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name and name.group(1) not in found:
                found[name.group(1)] = value.group(1) if value else ""
    return found


def make_user(app, username: str, role: str, **scope) -> int:
    """An account with the given role; its scope defaults to the 汨罗 campaign, 循环园's group or 市发改局."""
    from models import Body, Campaign, Unit

    with app.app_context():
        miluo = db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))
        if not scope and role in ("coordinator", "leader"):
            scope = {"campaign": miluo}
        elif not scope and role in DEFAULT_SCOPE:
            attr, name = DEFAULT_SCOPE[role]
            model = Body if attr == "body" else Unit
            scope = {attr: db.session.scalar(select(model).where(model.campaign_id == miluo.id, model.name == name))}
        user = User(username=username, role=role, display_name=username, active=True, **scope)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user.id


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(page.text)})


@pytest.fixture
def login_as(seeded):
    """Log a fresh test client in as an account of `role` and return it, as flaskr's `auth` fixture does.

    `login_as(role, username=None, **scope)` makes the account with make_user (its default scope: the 汨罗 campaign for
    a coordinator or leader, 工作组（循环园） for a group, 市发改局 for a handler) unless an account of that name exists
    already; the user name defaults to the role. Each call returns another client, logged in on its own session.
    Tests of logging in itself (failures, lockouts, sessions) call make_user and login explicitly instead.
    """

    def log_in_as(role: str, username: str | None = None, **scope):
        username = username or role
        with seeded.app_context():
            existing = db.session.scalar(select(User.role).where(User.username == username))
            db.session.rollback()
        if existing is None:
            make_user(seeded, username, role, **scope)
        else:  # the same account again: another client, logged in on its own
            assert existing == role, f"{username} is a {existing} already, not a {role}: pick another user name"
            assert not scope, f"{username} exists already: its scope was set when it was made"
        client = seeded.test_client()
        response = login(client, username)
        assert response.status_code == 302, response.text
        return client

    return log_in_as


@pytest.fixture
def admin_client(login_as):
    return login_as("admin")


@contextmanager
def scratch_database(base_url: str, tmp_path):
    """A brand-new empty database on the same server as `base_url`, dropped afterwards."""
    url = make_url(base_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path}/scratch-{uuid.uuid4().hex[:8]}.db"
        return
    name = f"{url.database}_scratch_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        if url.get_backend_name() == "mysql":
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        else:
            conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            if url.get_backend_name() == "mysql":
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            else:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
