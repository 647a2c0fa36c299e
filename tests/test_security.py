"""Audit trail, lost-edit protection, withdrawing problems, login throttling, sessions, cookies, production settings."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import create_app
from models import AuditLog, LoginAttempt, Problem, ProblemUpdate, Unit, User, Visit, db
from models.errors import DomainError
from tests.conftest import PASSWORD, csrf_token, hidden_inputs, login, make_app, make_user
from tests.factories import named, scoped_world
from tests.helpers import field_errors, fingerprint, flashes
from tests.servers import ROOT


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def audit_rows(app, table, row_id):
    with app.app_context():
        return [(a.action, a.username, a.changes) for a in db.session.scalars(
            select(AuditLog).where(AuditLog.table_name == table, AuditLog.row_id == str(row_id)).order_by(AuditLog.id))]


# --- audit trail ---

def test_screen_edits_are_audited_with_who_and_old_and_new_values(seeded, world, login_as):
    client = login_as("coordinator", "office")
    url = f"/admin/visit/edit/?id={world['VA'][1]}"
    form = hidden_inputs(client.get(url).text)
    response = client.post(url, data={**form, "campaign": world["C"][1], "body": world["GA"][1], "enterprise": world["EA"][1],
                                      "visited_on": "2024-09-20", "form": "座谈会", "summary": "改期座谈"})
    assert response.status_code == 302, flashes(response.text)
    rows = audit_rows(seeded, "visit", world["VA"][1])
    assert rows[0][0] == "insert"  # written when the test world was built, from the command line
    action, who, changes = rows[-1]
    assert (action, who) == ("update", "office")
    assert changes["visited_on"] == ["2024-09-12", "2024-09-20"]
    assert changes["form"] == ["实地走访", "座谈会"]
    token = csrf_token(client.get("/admin/").text)
    client.post("/admin/visit/delete/", data={"csrf_token": token, "id": world["VA"][1]})
    action, who, changes = audit_rows(seeded, "visit", world["VA"][1])[-1]
    assert (action, who) == ("delete", "office") and changes["summary"] == ["改期座谈", None]


def test_command_line_writes_are_audited(app):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0
    with app.app_context():
        entries = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "unit")).all()
        assert entries and all(e.username.startswith("命令行:") and e.action == "insert" for e in entries)
        assert {e.changes["name"][1] for e in entries} >= {"市发改局", "省政府金融办"}


def test_many_to_many_changes_and_passwords_in_the_trail(seeded, world):
    with seeded.app_context():
        problem = db.session.get(Problem, world["PA"][1])
        problem.co_units.append(named(Unit, "市工信局"))
        db.session.commit()
        user = User(username="u1", role="admin")
        user.set_password("a-long-password")
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    changes = audit_rows(seeded, "problem", world["PA"][1])[-1][2]
    assert changes["co_units"]["added"][0].endswith("市工信局")
    user_changes = audit_rows(seeded, "app_user", user_id)[-1][2]
    assert user_changes["password_hash"] == [None, "******"]


def test_coordinator_reads_only_its_campaigns_audit_entries(seeded, world, login_as):
    client = login_as("coordinator")
    page = client.get("/admin/audit_log/", query_string={"search": "安徽光明槐祥"})
    with seeded.app_context():
        anhui_entry = db.session.scalar(select(AuditLog.id).where(AuditLog.table_name == "enterprise", AuditLog.row_id == str(world["AHE"][1])))
        own_entry = db.session.scalar(select(AuditLog.id).where(AuditLog.table_name == "visit", AuditLog.row_id == str(world["VA"][1])))
    assert page.status_code == 200
    assert client.get(f"/admin/audit_log/details/?id={own_entry}").status_code == 200
    assert client.get(f"/admin/audit_log/details/?id={anhui_entry}").status_code == 302


# --- lost edits ---

def test_second_save_of_the_same_record_is_refused_with_a_chinese_message(seeded, world, login_as):
    first = login_as("coordinator", "office")
    second = login_as("coordinator", "office2")
    url = f"/admin/unit/edit/?id={world['U'][1]}"
    form_one, form_two = hidden_inputs(first.get(url).text), hidden_inputs(second.get(url).text)
    assert form_one["version_token"] == form_two["version_token"]
    assert first.post(url, data={**form_one, "campaign": world["C"][1], "name": "市发改局", "full_name": "汨罗市发展和改革局"}).status_code == 302
    response = second.post(url, data={**form_two, "campaign": world["C"][1], "name": "市发改局", "full_name": "别的全称"})
    assert response.status_code == 200
    message = " ".join(flashes(response.text))
    assert "保存失败" in message and "office" in message and "全称" in message and "本次保存未生效" in message
    with seeded.app_context():
        assert db.session.get(Unit, world["U"][1]).full_name == "汨罗市发展和改革局"


def test_a_save_without_its_version_is_refused(seeded, world, login_as):
    client = login_as("coordinator")
    url = f"/admin/unit/edit/?id={world['U'][1]}"
    form = hidden_inputs(client.get(url).text)
    form.pop("version_token")
    response = client.post(url, data={**form, "campaign": world["C"][1], "name": "市发改局", "full_name": "某全称"})
    assert "表单缺少版本信息" in " ".join(flashes(response.text))
    with seeded.app_context():
        assert db.session.get(Unit, world["U"][1]).full_name is None


def test_the_database_refuses_a_racing_update_too(seeded, world):
    """If both saves pass the form check at once, the versioned UPDATE of the second finds no row."""
    from sqlalchemy.orm.exc import StaleDataError

    with seeded.app_context():
        unit = db.session.get(Unit, world["U"][1])
        with db.engine.begin() as other:
            other.execute(Unit.__table__.update().where(Unit.id == unit.id).values(full_name="他人的修改", version=unit.version + 1))
        unit.full_name = "我的修改"
        with pytest.raises(StaleDataError):
            db.session.commit()


# --- withdrawing problems ---

def test_coordinator_withdraws_a_problem_with_a_reason(seeded, world, login_as):
    client = login_as("coordinator")
    url = f"/admin/problem/step/withdraw/?id={world['PB2'][1]}"
    page = client.get(url)
    assert page.status_code == 200 and "撤销理由" in page.text
    response = client.post(url, data={"csrf_token": csrf_token(page.text), "reason": "  "})
    assert "请填写撤销理由。" in response.text
    response = client.post(url, data={"csrf_token": csrf_token(page.text), "reason": "企业已自行解决"})
    assert response.status_code == 302
    with seeded.app_context():
        problem = db.session.get(Problem, world["PB2"][1])
        assert problem.status == "已撤销"
        step = problem.updates[-1]
        assert (step.action, step.from_status, step.to_status, step.note) == ("撤销", "待交办", "已撤销", "企业已自行解决")
    assert audit_rows(seeded, "problem", world["PB2"][1])[-1][2]["status"] == ["待交办", "已撤销"]
    again = client.post(url, data={"csrf_token": csrf_token(page.text), "reason": "再撤一次"}, follow_redirects=True)
    assert "当前为“已撤销”，不能“撤销”" in again.text


def test_group_withdraws_only_its_own_unassigned_problems(seeded, world, login_as):
    client = login_as("group")
    token = csrf_token(client.get("/admin/").text)
    refused = client.get(f"/admin/problem/step/withdraw/?id={world['PA2'][1]}", follow_redirects=True)  # assigned already
    assert "已交办，工作组不能再撤销" in refused.text
    assert client.get(f"/admin/problem/step/withdraw/?id={world['PB'][1]}").status_code == 302  # another group's
    assert client.post(f"/admin/problem/step/withdraw/?id={world['PA'][1]}", data={"csrf_token": token, "reason": "重复录入"}).status_code == 302
    with seeded.app_context():
        assert db.session.get(Problem, world["PA"][1]).status == "已撤销"


@pytest.mark.parametrize("role", ["handler", "leader"])
def test_handler_and_leader_cannot_withdraw(seeded, world, login_as, role):
    client = login_as(role)
    assert client.get(f"/admin/problem/step/withdraw/?id={world['PB'][1]}").status_code == 403


def set_status(app, key_ids, status):
    """Put problems in a status directly, as earlier steps would have (the test's starting point)."""
    with app.app_context():
        db.session.execute(update(Problem).where(Problem.id.in_(key_ids)).values(status=status))
        db.session.commit()


def post_note(client, problem_id, note):
    page = client.get("/admin/problem_update/new/")
    return client.post("/admin/problem_update/new/", data={**hidden_inputs(page.text), "problem": problem_id, "note": note})


def test_notes_on_a_problem_carry_author_and_kind(seeded, world, login_as):
    set_status(seeded, [world["PB"][1], world["PB2"][1]], "办理中")
    client = login_as("handler", "h")
    assert post_note(client, world["PB"][1], "已联系企业，正在协调").status_code == 302
    assert post_note(client, world["PB2"][1], "越权的说明").status_code == 200  # not its unit's: not even offered
    with seeded.app_context():
        notes = db.session.scalars(select(ProblemUpdate).where(ProblemUpdate.action == "报告进展")).all()
        assert [(n.problem_id, n.note, n.author.username) for n in notes] == [(world["PB"][1], "已联系企业，正在协调", "h")]
        assert db.session.get(Problem, world["PB"][1]).progress.endswith("报告进展：已联系企业，正在协调")


# --- the workflow has one door ---

@pytest.mark.parametrize("status", ["待交办", "已办结", "已销号", "已撤销"])
def test_a_progress_note_outside_the_handling_statuses_is_refused(seeded, world, login_as, status):
    set_status(seeded, [world["PB"][1]], status)
    client = login_as("handler")
    before = fingerprint(seeded)
    response = post_note(client, world["PB"][1], "补一条进展")
    assert response.status_code == 200
    assert f"当前为“{status}”，不能“报告进展”" in " ".join(flashes(response.text))
    assert fingerprint(seeded) == before  # 办理进展 of the problem kept, nothing on its timeline


def test_a_leaders_comment_follows_the_comment_steps_rules(seeded, world, login_as):
    leader = login_as("leader")
    set_status(seeded, [world["PB"][1]], "已销号")
    assert post_note(leader, world["PB"][1], "请总结经验").status_code == 302  # the workflow allows 批示 on 已销号
    set_status(seeded, [world["PB2"][1]], "已撤销")
    before = fingerprint(seeded)
    response = post_note(leader, world["PB2"][1], "批示一个已撤销的问题")
    assert "当前为“已撤销”，不能“领导批示”" in " ".join(flashes(response.text))
    assert fingerprint(seeded) == before
    with seeded.app_context():
        notes = db.session.scalars(select(ProblemUpdate).where(ProblemUpdate.action == "领导批示")).all()
        assert [(n.problem_id, n.note) for n in notes] == [(world["PB"][1], "请总结经验")]


def test_no_screen_rewrites_or_removes_the_timeline(seeded, world, login_as):
    admin = login_as("admin")
    office = login_as("coordinator")
    entry = world["UPB"][1]
    before = fingerprint(seeded)
    assert admin.get(f"/admin/problem_update/edit/?id={entry}").status_code == 403
    token = csrf_token(admin.get("/admin/").text)
    assert admin.post(f"/admin/problem_update/edit/?id={entry}", data={"csrf_token": token, "note": "改写"}).status_code == 403
    assert admin.post("/admin/problem_update/delete/", data={"csrf_token": token, "id": entry}).status_code == 403
    assert office.get("/admin/problem_update/new/").status_code == 403
    # the generic problem screens offer none of the workflow's columns, whatever is posted
    owned = ("status", "progress", "flagged", "satisfaction", "deadline", "responsible_unit_id", "last_progress_at")

    def workflow_columns():
        with seeded.app_context():
            problem = db.session.get(Problem, world["PA"][1])
            return {name: getattr(problem, name) for name in owned}

    original = workflow_columns()
    url = f"/admin/problem/edit/?id={world['PA'][1]}"
    form = hidden_inputs(office.get(url).text)
    response = office.post(url, data={**form, "campaign": world["C"][1], "enterprise": world["EA"][1],
                                      "description": "甲问题：改了描述", "status": "已销号", "progress": "伪造的进展",
                                      "flagged": "y", "satisfaction": "满意", "responsible_unit": world["U"][1],
                                      "deadline": "2030-01-01"})
    assert response.status_code == 302
    assert workflow_columns() == original
    changed = {k for k, v in fingerprint(seeded).items() if before[k] != v}
    assert changed == {"problem", "audit_log"}  # the description, and its audit line; the timeline untouched


def test_the_model_layer_keeps_the_one_door(seeded, world):
    """Whatever screen or command comes next: an entry made outside the workflow, or a change to a stored one, is
    refused when it is written."""
    with seeded.app_context():
        problem = db.session.get(Problem, world["PB"][1])
        db.session.add(ProblemUpdate(problem=problem, action="进展说明", note="旁门"))
        with pytest.raises(DomainError, match="只能通过问题的办理步骤添加"):
            db.session.flush()
        db.session.rollback()
        db.session.get(ProblemUpdate, world["UPB"][1]).note = "改写历史"
        with pytest.raises(DomainError, match="一经写入不能修改"):
            db.session.flush()
        db.session.rollback()


def test_a_form_with_a_workflow_column_stops_the_app_at_start_up(seeded, monkeypatch):
    from admin.ledger import ProblemView

    monkeypatch.setattr(ProblemView, "form_columns", (*ProblemView.form_columns, "status"))
    with pytest.raises(RuntimeError, match="problem.*只能由办理流程修改的字段.*status"):
        make_app(seeded.config["SQLALCHEMY_DATABASE_URI"])


# --- login throttling ---

def test_five_failures_lock_the_account_even_for_the_right_password(seeded):
    make_user(seeded, "office", "coordinator")
    client = seeded.test_client()
    for _ in range(5):
        assert login(client, "office", "wrong-password").status_code == 401
    response = login(client, "office")
    assert response.status_code == 429 and "登录失败次数过多" in response.text
    # the lock is kept in the database: another server process sees it
    other = make_app(seeded.config["SQLALCHEMY_DATABASE_URI"]).test_client()
    assert login(other, "office").status_code == 429
    # fifteen minutes later it may try again
    with seeded.app_context():
        for attempt in db.session.scalars(select(LoginAttempt)):
            attempt.at -= timedelta(minutes=16)
        db.session.commit()
    assert login(client, "office").status_code == 302


def test_failures_from_one_address_lock_that_address(seeded):
    make_user(seeded, "office", "coordinator")
    client = seeded.test_client()
    for name in ("a1", "a2", "a3", "a4", "a5"):
        login(client, name, "wrong-password")
    assert login(client, "office").status_code == 429
    elsewhere = seeded.test_client()
    page = elsewhere.get("/login")
    response = elsewhere.post("/login", data={"username": "office", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
                              environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302


def test_four_failures_do_not_lock(seeded):
    make_user(seeded, "office", "coordinator")
    client = seeded.test_client()
    for _ in range(4):
        login(client, "office", "wrong-password")
    assert login(client, "office").status_code == 302


# --- sessions, passwords, cookies ---

def test_changing_the_password_ends_other_sessions(seeded):
    make_user(seeded, "office", "coordinator")
    mine, other = seeded.test_client(), seeded.test_client()
    login(mine, "office")
    login(other, "office")
    page = mine.get("/admin/account/")
    assert page.status_code == 200 and "修改密码" in page.text
    wrong = mine.post("/admin/account/", data={"csrf_token": csrf_token(page.text), "current": "nope",
                                               "new": "brand-new-pass", "confirm": "brand-new-pass"})
    assert "当前密码不正确。" in field_errors(wrong.text)
    short = mine.post("/admin/account/", data={"csrf_token": csrf_token(page.text), "current": PASSWORD, "new": "short", "confirm": "short"})
    assert "新密码至少需要8个字符。" in field_errors(short.text)
    done = mine.post("/admin/account/", data={"csrf_token": csrf_token(page.text), "current": PASSWORD,
                                              "new": "brand-new-pass", "confirm": "brand-new-pass"})
    assert done.status_code == 302
    assert mine.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302
    assert login(seeded.test_client(), "office", "brand-new-pass").status_code == 302


def test_session_cookie_is_httponly_and_samesite(seeded):
    make_user(seeded, "office", "coordinator")
    client = seeded.test_client()
    response = login(client, "office")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.parametrize("secret", [
    None, "short", "x" * 48, "password" * 5, "zhuqi-secret-key-for-production-2024", "0123456789abcdef" * 2,
    "qwertyuiopasdfghjklzxcvbnm1234567890", "dev-only-not-secret",
])
def test_production_refuses_to_start_with_a_missing_short_or_guessable_secret(monkeypatch, tmp_path, secret):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("make_secret", [lambda: secrets.token_hex(32), lambda: secrets.token_urlsafe(32)],
                         ids=["hex32", "urlsafe32"])  # 32 random bytes, as the README says (zxcvbn: 41 and up)
def test_production_starts_with_a_random_secret(monkeypatch, tmp_path, make_secret):
    secret = make_secret()
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    monkeypatch.setenv("SECRET_KEY", secret)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


@pytest.mark.parametrize("value", ["prod", "Production", "staging", "test", " "])
def test_an_unknown_app_env_refuses_to_start(monkeypatch, tmp_path, value):
    monkeypatch.setenv("APP_ENV", value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    with pytest.raises(RuntimeError, match="APP_ENV 只能是 development"):
        create_app()


def test_a_refused_setting_is_one_chinese_line_on_the_command_line(tmp_path):
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "x" * 48, "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "seed"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith("错误：APP_ENV=production 时必须") and "Traceback" not in done.stderr


def test_admin_creates_an_account_in_the_panel(seeded, world, login_as):
    client = login_as("admin")
    page = client.get("/admin/user/new/")
    data = {**hidden_inputs(page.text), "username": "cadre", "role": "group", "body": world["GA"][1], "active": "y"}
    response = client.post("/admin/user/new/", data=data)
    assert "新建用户必须设置密码。" in " ".join(flashes(response.text))
    response = client.post("/admin/user/new/", data={**data, "role": "handler", "body": "", "password": "long-enough-1"})
    assert "责任单位角色的账号必须指定所属单位。" in " ".join(flashes(response.text))
    response = client.post("/admin/user/new/", data={**data, "password": "long-enough-1"})
    assert response.status_code == 302
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "cadre"))
        assert user.campaign_id == world["C"][1]  # taken from the working group
    assert login(seeded.test_client(), "cadre", "long-enough-1").status_code == 302


def test_visits_of_another_group_cannot_be_reached_by_editing_the_url(seeded, world, login_as):
    client = login_as("group")
    url = f"/admin/visit/edit/?id={world['VB'][1]}"
    assert client.get(url).status_code == 302
    client.post(url, data={"csrf_token": csrf_token(client.get("/admin/").text), "summary": "篡改"})
    with seeded.app_context():
        assert db.session.get(Visit, world["VB"][1]).summary is None
