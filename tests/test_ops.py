"""Production serving: the health check, one log line per request, reverse proxies, backup and restore, and two
server processes on one database behaving as one (sessions, login lockout, edit conflicts, workflow steps)."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from models import Person, Problem, Unit, Visit, db, workflow
from ops import request_log
from seeds.demo import load_demo
from tests.conftest import hidden_inputs, login, make_app, make_user
from tests.factories import named, scoped_world
from tests.servers import Client, gunicorn
from tests.test_seeds import table_counts


def test_health_check(app, tmp_path):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}
    broken = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db", "REQUEST_LOG": False})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "error"


def test_one_log_line_per_request_with_user_and_status(seeded, caplog):
    app = make_app(seeded.config["SQLALCHEMY_DATABASE_URI"], REQUEST_LOG=True, TRUSTED_PROXIES=1)
    make_user(app, "office", "coordinator")
    request_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="zhuqi.requests"):
            client = app.test_client()
            client.get("/admin/")
            login(client, "office")
            client.get("/admin/problem/", headers={"X-Forwarded-For": "10.1.2.3"})
    finally:
        request_log.removeHandler(caplog.handler)
    lines = [r.getMessage() for r in caplog.records if r.name == "zhuqi.requests"]
    assert any(re.match(r"GET /admin/ 302 user=- \d+ms", line) for line in lines)
    assert any(re.match(r"POST /login 302 user=office \d+ms", line) for line in lines)
    assert any(re.match(r"GET /admin/problem/ 200 user=office \d+ms addr=10\.1\.2\.3$", line) for line in lines)


def test_backup_and_restore_bring_back_every_row(seeded, tmp_path):
    with seeded.app_context():
        load_demo(30)
        before = table_counts()
        sample = db.session.scalar(select(Problem).order_by(Problem.id.desc()).limit(1))
        sample = (sample.number, sample.description, sample.status, sample.deadline)
    runner = seeded.test_cli_runner()
    target = tmp_path / "backup.dump"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["backup", str(target)]).exit_code == 1  # never overwrites a backup
    with seeded.app_context():  # something goes wrong after the backup
        db.session.execute(Visit.__table__.delete())
        db.session.execute(Unit.__table__.update().values(full_name="被误改"))
        db.session.commit()
        assert table_counts() != before
    assert runner.invoke(args=["restore", str(target)], input="n\n").exit_code == 1
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        assert table_counts() == before
        row = db.session.scalar(select(Problem).where(Problem.number == sample[0]))
        assert (row.number, row.description, row.status, row.deadline) == sample
        assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.full_name == "被误改")) == 0
    bogus = tmp_path / "bogus.dump"
    bogus.write_bytes(b"not a backup at all")
    result = runner.invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code == 1 and "不是本数据库" in result.output
    assert "找不到备份文件" in runner.invoke(args=["restore", str(tmp_path / "none"), "--yes"]).output


# --- two server processes on one database ---

@pytest.fixture
def two_servers(seeded, tmp_path):
    """Two gunicorn processes, each with one worker, on the test database."""
    url = seeded.config["SQLALCHEMY_DATABASE_URI"]
    with gunicorn(url, tmp_path) as first, gunicorn(url, tmp_path) as second:
        yield first.base, second.base


def test_two_processes_behave_as_one(seeded, two_servers):
    first, second = two_servers
    make_user(seeded, "office", "coordinator")
    make_user(seeded, "office2", "coordinator")
    make_user(seeded, "h", "handler")
    with seeded.app_context():
        world = scoped_world()
        unit, person = named(Unit, "市发改局").id, named(Person, "周雄伟").id
    # a session opened on one process is valid on the other
    a = Client(first)
    assert a.login("office") == 302
    b = Client(second, a.jar)
    assert b.request("/admin/problem/")[0] == 200
    # two people edit the same record on different processes: the second save is refused
    url = f"/admin/unit/edit/?id={world['U'][1]}"
    other = Client(second)
    assert other.login("office2") == 302
    form_a, form_b = hidden_inputs(a.request(url)[1]), hidden_inputs(other.request(url)[1])
    assert other.request(url, {**form_b, "campaign": world["C"][1], "name": "市发改局", "full_name": "第二个进程的修改"})[0] == 302
    status, page, _ = a.request(url, {**form_a, "campaign": world["C"][1], "name": "市发改局", "full_name": "第一个进程的修改"})
    assert status == 200 and "本次保存未生效" in page and "office2" in page
    with seeded.app_context():
        assert db.session.get(Unit, world["U"][1]).full_name == "第二个进程的修改"
    # a workflow step taken on one process is seen, and continued, on the other
    pb = world["PB"][1]
    step = f"/admin/problem/step/assign/?id={pb}"
    deadline = (workflow.today() + timedelta(days=10)).isoformat()
    status, _, _ = a.request(step, {**hidden_inputs(a.request(step)[1]), "responsible_unit": unit, "lead_person": person,
                                    "deadline": deadline})
    assert status == 302
    assert "已交办" in b.request(f"/admin/problem/details/?id={pb}")[1]
    status, _, headers = b.request(step)  # assigning it again is refused on the other process too
    assert status == 302 and "details" in headers["Location"]
    with seeded.app_context():
        assert db.session.get(Problem, pb).status == "已交办"
    # a login lockout earned on one process holds on the other (last: it locks this address too)
    attacker = Client(first)
    for _ in range(5):
        assert attacker.login("h", "wrong-password") == 401
    assert Client(second).login("h") == 429


def test_a_worker_compiles_the_templates_before_its_first_request(seeded):
    """gunicorn.conf.py's hook (ops.warm_up): every template of the panel is in Jinja's cache before any page is asked."""
    import runpy
    from pathlib import Path

    hook = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))["post_worker_init"]
    seeded.jinja_env.cache.clear()
    hook(type("Worker", (), {"wsgi": seeded})())
    cached = {key[1] for key in seeded.jinja_env.cache.keys()}
    assert {"admin/desk.html", "admin/ledger_list.html", "admin/problem_details.html", "admin/model/list.html"} <= cached
