"""The command line: create-user, demo-accounts, seed. Bad arguments get a Chinese message, exit 1, and write nothing."""
from __future__ import annotations

import re

import click

import pytest

from models import Campaign, Unit, User, db
from tests.conftest import login

MILUO = "汨罗市“两重”“两新”送解优专项行动"


@pytest.fixture
def cli(seeded):
    runner = seeded.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def users(app) -> dict[str, User]:
    with app.app_context():
        return {u.username: (u.role, u.unit and u.unit.name, u.body and u.body.name, u.campaign and u.campaign.name)
                for u in db.session.query(User)}


def test_create_user_for_each_role(cli, seeded):
    assert cli("create-user", "boss", "--role", "admin", "--password", "long-enough-1").exit_code == 0
    result = cli("create-user", "office", "--role", "coordinator", "--password", "long-enough-1")
    assert result.exit_code == 1 and "请用 --campaign 指定" in result.output or "需要用 --campaign" in result.output
    assert cli("create-user", "office", "--role", "coordinator", "--campaign", MILUO, "--password", "long-enough-1").exit_code == 0
    result = cli("create-user", "g1", "--role", "group", "--group", "工作组（循环园）", "--password", "long-enough-1")
    assert result.exit_code == 0, result.output
    assert "已创建用户“g1”，角色：工作组" in result.output
    assert cli("create-user", "fgj", "--role", "handler", "--unit", "市发改局", "--password", "long-enough-1").exit_code == 0
    assert cli("create-user", "mayor", "--role", "leader", "--campaign", MILUO, "--password", "long-enough-1").exit_code == 0
    assert users(seeded) == {
        "boss": ("admin", None, None, None),
        "office": ("coordinator", None, None, MILUO),
        "g1": ("group", None, "工作组（循环园）", MILUO),
        "fgj": ("handler", "市发改局", None, MILUO),
        "mayor": ("leader", None, None, MILUO),
    }


def test_created_user_can_log_in(cli, seeded):
    cli("create-user", "boss", "--role", "admin", "--password", "long-enough-1")
    client = seeded.test_client()
    assert login(client, "boss", "long-enough-1").status_code == 302


def test_password_is_prompted_when_absent(cli, seeded):
    result = cli("create-user", "boss", "--role", "admin", input="long-enough-1\nlong-enough-1\n")
    assert result.exit_code == 0, result.output
    assert login(seeded.test_client(), "boss", "long-enough-1").status_code == 302


@pytest.mark.parametrize("args, message", [
    (["create-user", "x", "--role", "handler", "--unit", "不存在的局", "--password", "long-enough-1"], "找不到单位“不存在的局”"),
    (["create-user", "x", "--role", "group", "--password", "long-enough-1"], "必须用 --group 指定所属工作组"),
    (["create-user", "x", "--role", "handler", "--password", "long-enough-1"], "必须用 --unit 指定所属单位"),
    (["create-user", "x", "--role", "group", "--group", "综合专班", "--password", "long-enough-1"], "找不到工作组“综合专班”"),
    (["create-user", "x", "--role", "admin", "--password", "short"], "密码至少需要8个字符"),
    (["create-user", "   ", "--role", "admin", "--password", "long-enough-1"], "用户名不能为空"),
])
def test_bad_arguments_get_a_chinese_message_and_write_nothing(cli, seeded, args, message):
    result = cli(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert "错误：" in result.output
    assert users(seeded) == {}


def test_unknown_role_is_refused(cli, seeded):
    result = cli("create-user", "x", "--role", "superuser", "--password", "long-enough-1")
    assert result.exit_code == 2
    assert users(seeded) == {}


def test_duplicate_username_is_refused(cli, seeded):
    cli("create-user", "boss", "--role", "admin", "--password", "long-enough-1")
    result = cli("create-user", "boss", "--role", "coordinator", "--campaign", MILUO, "--password", "long-enough-2")
    assert result.exit_code == 1 and "用户名“boss”已存在" in result.output
    assert users(seeded)["boss"][0] == "admin"


def test_unit_name_shared_by_two_campaigns_needs_campaign(cli, seeded):
    with seeded.app_context():
        anhui = db.session.query(Campaign).filter_by(code="SSYF").one()
        db.session.add(Unit(campaign=anhui, name="市发改局"))
        db.session.commit()
    result = cli("create-user", "x", "--role", "handler", "--unit", "市发改局", "--password", "long-enough-1")
    assert result.exit_code == 1 and "请用 --campaign 指定" in result.output
    result = cli("create-user", "x", "--role", "handler", "--unit", "市发改局", "--campaign", MILUO,
                 "--password", "long-enough-1")
    assert result.exit_code == 0, result.output


def test_demo_accounts_one_per_role_print_their_passwords_once(cli, seeded):
    first = cli("demo-accounts")
    assert first.exit_code == 0, first.output
    passwords = dict(re.findall(r"用户名 (\w+)\s+密码 (\S+)", first.output))
    assert set(passwords) == {"admin", "coordinator", "group", "handler", "leader"}
    for username, password in passwords.items():
        client = seeded.test_client()
        assert login(client, username, password).status_code == 302, username
    assert users(seeded)["group"] == ("group", None, "工作组（循环园）", MILUO)
    assert users(seeded)["handler"] == ("handler", "市发改局", None, MILUO)
    second = cli("demo-accounts")
    assert "已存在" in second.output
    assert not any(p in second.output for p in passwords.values())


def test_seed_refuses_a_missing_file(cli):
    result = cli("seed", "--file", "no/such.yaml")
    assert result.exit_code == 1 and "找不到种子文件" in result.output


def test_seed_refuses_a_bad_excerpt_and_writes_nothing(app, tmp_path):
    from pathlib import Path

    source = Path(__file__).resolve().parent.parent / "seeds" / "data" / "000_anhui_ssyf.yaml"
    broken = tmp_path / "broken.yaml"
    broken.write_text(source.read_text(encoding="utf-8").replace("组织8个联合调研小组", "组织了8个联合调研小组"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["seed", "--file", str(broken)])
    assert result.exit_code == 1
    assert "摘录不在文件中" in result.output
    with app.app_context():
        assert db.session.query(Campaign).count() == 0


def test_seed_refuses_unknown_keys(app, tmp_path):
    from pathlib import Path

    source = Path(__file__).resolve().parent.parent / "seeds" / "data" / "000_anhui_ssyf.yaml"
    broken = tmp_path / "broken.yaml"
    broken.write_text(source.read_text(encoding="utf-8").replace("  - {name: 省政府金融办,", "  - {nmae: 省政府金融办,"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["seed", "--file", str(broken)])
    assert result.exit_code == 1 and "未知字段" in result.output
    with app.app_context():
        assert db.session.query(Campaign).count() == 0


@pytest.mark.parametrize("args, message", [
    (["seed", "--demo", "--problems", "-5"], "--problems"),
    (["seed", "--demo", "--anchor", "9999-99-99"], "--anchor"),
    (["export", "nonsense", "--out", "{tmp}/x.xlsx"], "不认识的报表"),
    (["export", "weekly", "--out", "{tmp}/w.xlsx", "--campaign", MILUO, "--date", "0001-01-01"], "--date"),
    (["export", "dekad", "--out", "{tmp}/d.docx", "--campaign", MILUO, "--date", "9999-12-31"], "--date"),
    (["export", "problems", "--out", "{tmp}/p.xlsx", "--campaign", MILUO, "--unit", "填报\x01单位"], "--unit"),
    (["export", "problems", "--out", "{tmp}/no/such/dir/p.xlsx", "--campaign", MILUO], "目录不存在"),
    (["import", "problems", "{tmp}/garbage.xlsx", "--campaign", MILUO], "不是能导入的表格文件"),
    (["import", "problems", "{tmp}/far.xlsx", "--campaign", MILUO], "超过上限"),
    (["import", "enterprises", "{tmp}/missing.xlsx", "--campaign", MILUO], "找不到文件"),
    (["create-user", "x\x07y", "--role", "admin", "--password", "long-enough-1"], "NAME"),
    (["create-user", "boss", "--role", "admin", "--display-name", "张\x0b三", "--password", "long-enough-1"], "--display-name"),
    (["backup", "{tmp}/no/such/dir/b.dump"], "目录不存在"),
    (["restore", "{tmp}/garbage.xlsx", "--yes"], "不是本数据库"),
    (["restore", "{tmp}/damaged-backup", "--yes"], "已损坏"),
])
def test_every_command_fails_with_a_chinese_sentence_and_changes_nothing(cli, seeded, tmp_path, args, message):
    """No command ends in a traceback: a bad argument, a damaged file or an unexpected failure is one line starting
    错误：, the exit status is 1, and the database is as it was."""
    from tests.helpers import fingerprint
    from tests.workbooks import far_cell

    (tmp_path / "garbage.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    far_cell(tmp_path / "far.xlsx")
    assert cli("backup", str(tmp_path / "whole-backup")).exit_code == 0
    whole = (tmp_path / "whole-backup").read_bytes()
    (tmp_path / "damaged-backup").write_bytes(whole[: len(whole) // 2])
    before = fingerprint(seeded)
    result = cli(*[arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not an exception escaping the command
    assert result.output.startswith("错误：") and message in result.output, result.output
    assert fingerprint(seeded) == before


# --- The command line speaks Chinese (cli/zh.py) ---------------------------------------------------------------

ENGLISH_RUN = re.compile(r"\b[a-z]+(?:[ ,]+[a-z]+){3,}\b")  # four English words in a row: a sentence, not a name
CJK = re.compile(r"[\u4e00-\u9fff]")
EXAMPLE = re.compile(r"flask(?: -{0,2}[\w.\[\]-]+)+")  # a command written out as an example, e.g. flask --app app db upgrade


def all_commands(app):
    """Every command the flask command offers once the app is loaded: the app's, Flask-Migrate's db and its
    subcommands, and Flask's own run, shell and routes."""
    from flask.cli import FlaskGroup

    root = FlaskGroup(create_app=lambda: app)
    ctx = root.make_context("flask", ["--help"], resilient_parsing=True)
    found = []

    def walk(group, path, ctx):
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            found.append(((*path, name), command))
            if hasattr(command, "list_commands"):
                walk(command, (*path, name), ctx)

    with ctx:
        walk(root, (), ctx)
    return found


def test_every_command_and_option_is_explained_in_chinese(app):
    commands = all_commands(app)
    names = {" ".join(path) for path, _ in commands}
    assert {"backup", "restore", "create-user", "demo-accounts", "export", "import", "document", "remind", "seed",
            "workdays", "db", "db upgrade", "db downgrade", "routes", "run", "shell"} <= names
    english = []
    for path, command in commands:
        texts = [("说明", command.help or ""), ("简介", command.get_short_help_str(80))]
        texts += [(max(p.opts, key=len), p.help or "") for p in command.params
                  if isinstance(p, click.Option) and not p.hidden]
        for where, text in texts:
            if not CJK.search(text) or ENGLISH_RUN.search(EXAMPLE.sub("", text)):
                english.append(f"flask {' '.join(path)} {where}：{text!r}")
    assert not english, "\n".join(english)


@pytest.mark.parametrize("args", [["export"], ["import"], ["document"], ["backup"], ["seed"], ["db", "upgrade"]])
def test_help_as_the_user_sees_it_is_chinese(args):
    """The real `flask --app app … --help`, in its own process, as a clerk types it."""
    import subprocess
    import sys
    from pathlib import Path

    flask = Path(sys.executable).with_name("flask")
    out = subprocess.run([str(flask), "--app", "app", *args, "--help"], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parents[1])
    assert out.returncode == 0, out.stderr
    assert "用法：" in out.stdout and "选项" in out.stdout and "显示本帮助后退出" in out.stdout
    for english in ("Usage:", "Options", "Show this message", "[OPTIONS]"):
        assert english not in out.stdout


def test_a_usage_error_is_said_in_chinese(cli):
    result = cli("export", "problems", "--no-such-option")
    assert result.exit_code == 2
    assert "没有选项" in result.output and "No such option" not in result.output
    result = cli("export")
    assert "缺少参数" in result.output and "Missing" not in result.output
