"""Text that XML 1.0 cannot carry (\\x00–\\x08, \\x0b, \\x0c, \\x0e–\\x1f): refused at every way in with a message
naming the field, and removed on every way out, so that one such text already in the database never makes a report,
an export or a Word document fail for everyone who downloads it. (And the other value an import must not bring in:
a date outside the calendar the system keeps.)"""
from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select, update

from imports import CommandLineUser
from imports.problems import import_problems
from models import Enterprise, Problem, Task, db
from models.errors import DomainError
from tests.conftest import csrf_token, hidden_inputs
from tests.factories import miluo, scoped_world
from tests.helpers import field_errors, fingerprint

MILUO = "汨罗市“两重”“两新”送解优专项行动"
BAD = "厂房漏水\x01\x0b需维修\x1f"
SHOWN = "厂房漏水需维修"


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ufffe"])
def test_a_form_refuses_the_character_and_names_the_field(seeded, world, login_as, character):
    office = login_as("coordinator")
    before = fingerprint(seeded)
    page = office.get("/admin/problem/new/")
    response = office.post("/admin/problem/new/", data={**hidden_inputs(page.text), "campaign": world["C"][1],
                                                        "enterprise": world["EA"][1], "description": f"问题{character}描述"})
    assert response.status_code == 200
    assert any("“问题描述”含有不可见的控制字符" in error for error in field_errors(response.text))
    assert fingerprint(seeded) == before


def test_a_workflow_step_refuses_it_too(seeded, world, login_as):
    office = login_as("coordinator")
    before = fingerprint(seeded)
    url = f"/admin/problem/step/withdraw/?id={world['PA'][1]}"
    response = office.post(url, data={"csrf_token": csrf_token(office.get(url).text), "reason": "重复\x0c录入"})
    assert response.status_code == 200 and any("“撤销理由”含有不可见的控制字符（\\x0c" in e for e in field_errors(response.text))
    assert fingerprint(seeded) == before


def test_the_login_form_refuses_it_without_failing(seeded):
    client = seeded.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"username": "office\x00", "password": "whatever-123", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 400 and "含有不可见的控制字符" in response.text


def test_an_import_names_the_row_and_column(seeded, world, tmp_path):
    out = tmp_path / "p.xlsx"
    assert seeded.test_cli_runner().invoke(args=["export", "problems", "--out", str(out), "--campaign", MILUO]).exit_code == 0
    book = load_workbook(out)
    book.active.cell(4, 7).value = "希望_x0002_尽快解决"  # 企业诉求 of the first row: \x02 as Excel writes it
    data = io.BytesIO()
    book.save(data)
    before = fingerprint(seeded)
    with seeded.app_context():
        result = import_problems(data.getvalue(), miluo(), CommandLineUser())
    assert [str(e) for e in result.errors] == ["第4行第7列（企业诉求）：单元格含有不可见的控制字符（\\x02，常见于从其他系统复制的文字），请删除后重新填写。"]
    assert not result.written and fingerprint(seeded) == before


def test_the_model_layer_refuses_it_for_every_other_way_in(seeded, world):
    with seeded.app_context():
        problem = db.session.get(Problem, world["PA"][1])
        problem.remark = "备注\x07"
        with pytest.raises(DomainError, match="问题的“remark”含有不可见的控制字符"):
            db.session.flush()
        db.session.rollback()


def test_reports_stay_downloadable_when_such_text_is_already_stored(seeded, world, login_as, tmp_path):
    """Text stored before the rule (written here past the ORM, as an old version or a direct SQL edit would have)."""
    with seeded.app_context():
        db.session.execute(update(Problem).where(Problem.id.in_([world["PA"][1], world["PB"][1]]))
                           .values(description=BAD, collected_on=miluo().start_on))
        db.session.execute(update(Enterprise).where(Enterprise.id == world["EA"][1]).values(name="甲企业\x0b（合成）"))
        db.session.execute(update(Task).where(Task.id == world["T"][1]).values(title="任务\x01标题"))
        db.session.commit()
        day = miluo().start_on.isoformat()
    office = login_as("coordinator")
    group = login_as("group")
    for client, url in [(office, "/admin/problem/annex2/"), (group, "/admin/problem/annex2/"),
                        (office, "/admin/reports/download?kind=problems"), (office, "/admin/reports/download?kind=tasks"),
                        (office, f"/admin/reports/download?kind=weekly&date={day}"),
                        (office, f"/admin/reports/download?kind=dekad&date={day}"),
                        (office, "/admin/reports/download?kind=enterprises")]:
        response = client.get(url)
        assert response.status_code == 200, url
        book = load_workbook(io.BytesIO(response.data))
        texts = [str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
        assert not any(ch in t for t in texts for ch in "\x01\x0b\x1f"), url
    annex2 = load_workbook(io.BytesIO(office.get("/admin/problem/annex2/").data)).active
    assert SHOWN in [c.value for row in annex2.iter_rows() for c in row]
    docx = office.get(f"/admin/reports/download?kind=dekad&date={day}&format=docx")
    assert docx.status_code == 200
    words = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    words += "\n".join(c.text for t in Document(io.BytesIO(docx.data)).tables for row in t.rows for c in row.cells)
    assert SHOWN in words and "\x01" not in words
    out = tmp_path / "cli.xlsx"
    result = seeded.test_cli_runner().invoke(args=["export", "problems", "--out", str(out), "--campaign", MILUO])
    assert result.exit_code == 0, result.output
    assert SHOWN in [c.value for row in load_workbook(out).active.iter_rows() for c in row]
    with seeded.app_context():  # the stored text itself is left as it was: the office decides what it should say
        assert db.session.scalar(select(Problem.description).where(Problem.id == world["PA"][1])) == BAD


def test_an_import_refuses_a_date_outside_the_calendar(seeded, world, tmp_path):
    out = tmp_path / "p.xlsx"
    assert seeded.test_cli_runner().invoke(args=["export", "problems", "--out", str(out), "--campaign", MILUO]).exit_code == 0
    book = load_workbook(out)
    book.active.cell(4, 9).value = "0024年9月18日"  # 收集时间, 2024 mistyped
    data = io.BytesIO()
    book.save(data)
    before = fingerprint(seeded)
    with seeded.app_context():
        result = import_problems(data.getvalue(), miluo(), CommandLineUser())
    assert [str(e) for e in result.errors] == ["第4行第9列（收集时间）：日期 0024-09-18 超出范围：应在 1900-01-01 至 2099-12-31 之间。"]
    assert fingerprint(seeded) == before


def test_a_nul_byte_in_a_unique_name_is_refused_before_the_database_sees_it(seeded, login_as):
    """The campaign's name is checked for uniqueness against the database; a NUL byte (which PostgreSQL refuses in
    any text) is refused in Chinese first, and nothing changes."""
    import re

    from sqlalchemy import select

    from models import Campaign, db
    from tests.conftest import csrf_token

    admin = login_as("admin")
    with seeded.app_context():
        pk, name = db.session.execute(select(Campaign.id, Campaign.name).where(Campaign.code == "SSYF")).one()
    form = admin.get(f"/admin/campaign/edit/?id={pk}")
    version = re.search(r'name="version_token"[^>]*value="([^"]*)"', form.text).group(1)
    response = admin.post(f"/admin/campaign/edit/?id={pk}", data={
        "csrf_token": csrf_token(form.text), "version_token": version, "name": "“\x00四送一服”", "code": "SSYF",
        "yellow_days": "3", "stale_days": "7", "due_soon_days": "3", "ranking_min_problems": "3"})
    assert response.status_code == 200 and "控制字符" in response.text
    with seeded.app_context():
        assert db.session.get(Campaign, pk).name == name
