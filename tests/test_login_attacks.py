"""Logging in under attack: 30 wrong passwords sent at once to several gunicorn workers check at most 5 (per account
and per address); an unknown user name costs as much time as a wrong password; logging out ends the session on the
server, so that a copy of the cookie taken before opens nothing after."""
from __future__ import annotations

import statistics
import threading
import time

import pytest
from sqlalchemy import func, select

from models import LoginAttempt, db
from models.user import MAX_LOGIN_FAILURES
from tests.conftest import PASSWORD, csrf_token, login, make_app, make_user
from tests.servers import Client, gunicorn

ATTACKERS = 30


def all_at_once(server, logins: list[tuple[str, str]]) -> list[int]:
    """Each (user name, address) tries a wrong password, all released at the same instant; their status codes."""
    ready = []
    for username, address in logins:
        client = Client(server.base)
        page = client.request("/login", headers={"X-Forwarded-For": address})[1]
        ready.append((client, username, address, csrf_token(page)))
    start, statuses = threading.Barrier(len(ready)), [None] * len(ready)

    def attempt(index, client, username, address, token):
        start.wait()
        statuses[index] = client.request("/login", {"username": username, "password": "wrong-password", "csrf_token": token},
                                         headers={"X-Forwarded-For": address})[0]

    threads = [threading.Thread(target=attempt, args=(i, *args)) for i, args in enumerate(ready)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def checked_passwords(app, **where) -> int:
    """Attempts recorded: one per password the server checked."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LoginAttempt).filter_by(**where))


@pytest.fixture
def server(seeded, tmp_path):
    """Four gunicorn workers of eight threads each (32 requests at a time), behind a trusted proxy so that each
    attacker may come from its own address; real scrypt password hashes, as in production."""
    with gunicorn(seeded.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=4, threads=8, TRUSTED_PROXIES="1") as running:
        yield running


def test_parallel_wrong_passwords_for_one_account_check_at_most_five(seeded, server):
    make_user(seeded, "office", "coordinator")
    statuses = all_at_once(server, [("office", f"10.0.{n}.1") for n in range(ATTACKERS)])
    assert sorted(statuses) == [401] * MAX_LOGIN_FAILURES + [429] * (ATTACKERS - MAX_LOGIN_FAILURES), statuses
    assert checked_passwords(seeded, username="office") == MAX_LOGIN_FAILURES
    assert Client(server.base).login("office") == 429  # the right password waits out the lock too


def test_parallel_wrong_passwords_from_one_address_check_at_most_five(seeded, server):
    statuses = all_at_once(server, [(f"guess{n}", "10.9.9.9") for n in range(ATTACKERS)])
    assert sorted(statuses) == [401] * MAX_LOGIN_FAILURES + [429] * (ATTACKERS - MAX_LOGIN_FAILURES), statuses
    assert checked_passwords(seeded, address="10.9.9.9") == MAX_LOGIN_FAILURES


def test_an_unknown_user_name_costs_as_much_as_a_wrong_password(seeded):
    """With the production hash (scrypt): without a dummy hash to check, an unknown name answered in a few
    milliseconds, telling an attacker which names exist."""
    app = make_app(seeded.config["SQLALCHEMY_DATABASE_URI"], PASSWORD_HASH_METHOD="scrypt")
    make_user(app, "office", "coordinator")
    client = app.test_client()
    token = csrf_token(client.get("/login").text)

    def seconds(username, address):
        start = time.perf_counter()
        response = client.post("/login", data={"username": username, "password": "wrong-password", "csrf_token": token},
                               environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 401
        return time.perf_counter() - start

    seconds("office", "10.3.0.1")  # warm up (the first scrypt and the first query of each kind cost more)
    known, unknown = [], []
    for n in range(3):  # in turns, so that both meet the same load (fewer than five, which would lock the account)
        known.append(seconds("office", f"10.1.0.{n}"))
        unknown.append(seconds(f"nobody{n}", f"10.2.0.{n}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, (known, unknown)


def test_logout_ends_the_session_on_the_server(seeded):
    make_user(seeded, "office", "coordinator")
    mine, other = seeded.test_client(), seeded.test_client()
    assert login(mine, "office").status_code == 302 and login(other, "office").status_code == 302
    copied = mine.get_cookie("session").value
    thief = seeded.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/admin/").status_code == 200  # a copy works while the login lasts ...
    page = mine.get("/admin/")
    assert mine.post("/logout", data={"csrf_token": csrf_token(page.text)}).status_code == 302
    assert thief.get("/admin/").status_code == 302  # ... and not after its logout
    assert other.get("/admin/").status_code == 200  # the same account's other login goes on
    assert login(seeded.test_client(), "office", PASSWORD).status_code == 302


def test_the_administrator_ends_someone_elses_login(seeded, login_as):
    make_user(seeded, "office", "coordinator")
    office = seeded.test_client()
    assert login(office, "office").status_code == 302  # the login the administrator ends
    root = login_as("admin")
    with seeded.app_context():
        from models import User, UserSession

        login_id = db.session.scalar(select(UserSession.id).join(User).where(User.username == "office"))
    page = root.get("/admin/user_session/")
    assert page.status_code == 200 and "office" in page.text and "登录时间" in page.text
    assert root.post("/admin/user_session/delete/", data={"csrf_token": csrf_token(page.text), "id": login_id}).status_code == 302
    assert office.get("/admin/").status_code == 302
    assert office.get("/admin/user_session/").status_code in (302, 403)
