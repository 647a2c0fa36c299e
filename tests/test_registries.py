"""The registries of reports (exports.REPORTS), imports (imports.IMPORTERS) and papers (documents.PAPERS) are the one
truth of who may run what: for every role, what a page offers is what the server accepts, and the access table's
pages and actions are the registries' roles."""
from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from admin.access import ACTIONS, PAGES
from documents import ALIASES, PAPERS, issue, papers_for
from exports import COMMAND_LINE_REPORTS, REPORTS
from imports import IMPORTERS, importers_for
from models import db
from models.errors import DomainError
from models.vocab import ROLES

from .conftest import csrf_token
from .factories import miluo


def test_the_access_table_reads_the_registries():
    assert PAGES["reports"] == frozenset().union(*(r.roles for r in REPORTS.values()))
    assert PAGES["imports"] == frozenset().union(*(i.roles for i in IMPORTERS.values()))
    assert ACTIONS["problem"]["document"] == frozenset().union(*(p.roles for p in PAPERS.values()))
    assert set(ALIASES.values()) == set(PAPERS) and set(COMMAND_LINE_REPORTS) < set(REPORTS)
    for registry in (REPORTS, IMPORTERS, PAPERS):
        for entry in registry.values():
            assert entry.roles and entry.roles <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_the_import_page_offers_what_the_server_accepts(seeded, login_as, role):
    client = login_as(role)
    page = client.get("/admin/import/")
    if role not in PAGES["imports"]:
        assert page.status_code == 403 and not importers_for(role)
        return
    select_kind = re.search(r'<select name="kind"[^>]*>(.*?)</select>', page.text, re.S)
    offered = set(re.findall(r'<option value="(\w+)"', select_kind.group(1))) if select_kind else set()
    assert offered == set(importers_for(role)) and offered
    token = csrf_token(page.text)
    for kind in IMPORTERS:
        response = client.post("/admin/import/", data={"csrf_token": token, "kind": kind,
                                                       "file": (io.BytesIO(b"not a workbook"), "x.xlsx")},
                               content_type="multipart/form-data")
        if kind in offered:  # checked, and refused as the text file it is
            assert response.status_code == 200 and "不是能导入的表格文件" in response.text, (role, kind)
        else:
            assert response.status_code == 403, (role, kind)


@pytest.mark.parametrize("role", ROLES)
def test_the_reports_page_offers_what_the_server_sends(seeded, login_as, role):
    client = login_as(role)
    page = client.get("/admin/reports/")
    assert page.status_code == (200 if role in PAGES["reports"] else 403)
    offered = set(re.findall(r'id="download-(\w+)"', page.text))
    assert offered == {kind for kind, report in REPORTS.items() if role in report.roles}
    for kind in REPORTS:
        response = client.get("/admin/reports/download", query_string={"kind": kind, "date": "2024-09-14"})
        assert response.status_code == (200 if kind in offered else 404), (role, kind)
        if kind in offered:
            assert response.data[:2] == b"PK"  # a workbook (xlsx, the first format)


@pytest.mark.parametrize("role", ROLES)
def test_papers_are_issued_by_the_roles_that_are_offered_them(seeded, role):
    with seeded.app_context():
        user = SimpleNamespace(role=role, id=None)
        for kind in PAPERS:
            with pytest.raises(DomainError) as refused:
                issue(kind, [], user, miluo().start_on)
            if kind in papers_for(role):  # past the role: refused only for having no problem chosen
                assert str(refused.value) == "请先选择问题。", (role, kind)
            else:
                assert "不能出具" in str(refused.value), (role, kind)
        db.session.rollback()


def test_the_commands_name_the_registries_kinds(seeded, tmp_path):
    runner = seeded.test_cli_runner()
    wrong = runner.invoke(args=["import", "nonsense", str(tmp_path / "x.xlsx")])
    assert wrong.exit_code == 1
    assert all(f"{kind}（{importer.label}）" in wrong.output for kind, importer in IMPORTERS.items())
    panel_only = runner.invoke(args=["export", "enterprises", "--out", str(tmp_path / "e.xlsx")])
    assert panel_only.exit_code == 1 and "不认识的报表" in panel_only.output
    assert all(f"{kind}（{REPORTS[kind].label}）" in panel_only.output for kind in COMMAND_LINE_REPORTS)
    paper = runner.invoke(args=["document", "nonsense", "--problem", "X", "--out", str(tmp_path / "p.docx")])
    assert paper.exit_code == 1 and all(alias in paper.output for alias in ALIASES)
    with seeded.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(db.metadata.tables["official_document"])) == 0


def test_the_reports_page_builds_each_card_from_the_registry(seeded, login_as):
    """Each card is the registry's report: its label, what it says, the day it asks, and every format it is made in
    (the 周调度's Word form is offered, not only reachable by typing its URL), each downloading what it names."""
    client = login_as("coordinator")
    page = client.get("/admin/reports/").text
    cards = re.findall(r'<div class="card-body">(.*?)</form>', page, re.S)
    assert len(cards) == len(REPORTS)
    for card, (kind, report) in zip(cards, REPORTS.items()):
        assert f"<h6>{report.label}</h6>" in card and f'value="{kind}"' in card
        assert ('type="date"' in card) == (report.day is not None)
        assert re.findall(r'<option value="(\w+)"', card) == (list(report.formats) if len(report.formats) > 1 else [])
    weekly = client.get("/admin/reports/download", query_string={"kind": "weekly", "date": "2024-09-14", "format": "docx"})
    assert weekly.status_code == 200 and ".docx" in weekly.headers["Content-Disposition"]
    assert weekly.data[:2] == b"PK"
