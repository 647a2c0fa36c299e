"""Undoing an import (models.batches) when rows added since hang on what it created: the undo is refused with a
message naming them, changes nothing, and never answers with an error page."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from sqlalchemy import select

from imports import CommandLineUser
from imports.enterprises import import_enterprises
from imports.problems import import_problems
from models import Body, Enterprise, ImportBatch, PolicyDocument, PolicyPush, Problem, User, Visit, db
from models.documents import Kind
from tests.conftest import csrf_token
from tests.factories import miluo, named
from tests.helpers import flashes

FIRM = "汨罗市撤销测试食品有限公司"


def workbook(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def imported_firm(app) -> int:
    """An enterprise list that creates FIRM: the batch's id."""
    with app.app_context():
        result = import_enterprises(workbook(["企业名称", "统一社会信用代码"], [FIRM, None]), miluo(), CommandLineUser(),
                                    file_name="企业.xlsx")
        assert not result.errors, result.errors
        return result.batch.id


def refused(app, office, batch_id) -> str:
    """Ask to undo through the import page: what it says (and that the batch stands)."""
    token = csrf_token(office.get("/admin/import/").text)
    response = office.post("/admin/import/undo", data={"csrf_token": token, "batch": batch_id}, follow_redirects=True)
    assert response.status_code == 200, response.text[-2000:]
    with app.app_context():
        assert db.session.get(ImportBatch, batch_id).undone_at is None
    return " ".join(flashes(response.text))


def test_a_visit_to_an_imported_enterprise_holds_the_undo_back_and_is_named(seeded, login_as):
    batch_id = imported_firm(seeded)
    with seeded.app_context():
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == FIRM))
        db.session.add(Visit(campaign=miluo(), body=named(Body, "工作组（循环园）"), enterprise=firm,
                             visited_on=date(2026, 12, 1)))
        db.session.commit()
    told = refused(seeded, login_as("coordinator"), batch_id)
    assert f"未能撤销：导入新建的企业“{FIRM}”已有走访记录（2026-12-01 工作组（循环园）），不能撤销。" in told, told
    with seeded.app_context():
        assert db.session.scalar(select(Visit.id).join(Enterprise).where(Enterprise.name == FIRM)) is not None


def test_a_problem_or_a_policy_push_on_an_imported_enterprise_holds_the_undo_back(seeded, login_as):
    batch_id = imported_firm(seeded)
    office = login_as("coordinator")
    with seeded.app_context():
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == FIRM))
        policy = PolicyDocument(campaign=miluo(), title="稳岗返还政策")
        db.session.add(PolicyPush(policy=policy, enterprise=firm, pushed_on=date(2026, 12, 2)))
        db.session.commit()
    assert f"企业“{FIRM}”已有政策推送（稳岗返还政策），不能撤销。" in refused(seeded, office, batch_id)
    with seeded.app_context():
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == FIRM))
        problem = Problem(campaign=miluo(), enterprise=firm, description="用电报装周期长",
                          collected_by_body=named(Body, "工作组（循环园）"))
        db.session.add(problem)
        db.session.commit()
        number = problem.number
    assert f"企业“{FIRM}”已有问题{number}，不能撤销。" in refused(seeded, office, batch_id)


def test_a_paper_issued_for_an_imported_problem_holds_the_undo_back(seeded, login_as):
    from models.documents import take_number

    office = login_as("coordinator")
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "coordinator"))
        firm = Enterprise(campaign=miluo(), name=FIRM)
        db.session.add(firm)
        db.session.commit()
        result = import_problems(workbook(["企业名称", "问题描述", "收集工作组"], [FIRM, "用工缺口较大", "工作组（循环园）"]),
                                 miluo(), user, file_name="问题.xlsx")
        assert not result.errors, result.errors
        batch_id = result.batch.id
        problem = db.session.scalar(select(Problem).where(Problem.description == "用工缺口较大"))
        paper = take_number(miluo(), Kind.URGE, 2026, [problem], user)
        db.session.commit()
        number, paper_number = problem.number, paper.number
    told = refused(seeded, office, batch_id)
    assert f"导入新建的问题{number}已有文书{paper_number}（催办单），不能撤销。" in told, told


def test_an_import_that_created_a_problem_with_its_enterprise_still_undoes(seeded, login_as):
    """The problems an import created with an enterprise go with it: they do not hold it back."""
    office = login_as("coordinator")
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "coordinator"))
        result = import_problems(workbook(["企业名称", "问题描述", "收集工作组"], [FIRM, "用工缺口较大", "工作组（循环园）"]),
                                 miluo(), user, choices={"new": {FIRM: "91430681MA4L1234XQ"}}, file_name="问题.xlsx")
        assert not result.errors, result.errors
        batch_id = result.batch.id
    token = csrf_token(office.get("/admin/import/").text)
    done = office.post("/admin/import/undo", data={"csrf_token": token, "batch": batch_id}, follow_redirects=True)
    assert "已撤销" in " ".join(flashes(done.text)), flashes(done.text)
    with seeded.app_context():
        assert db.session.scalar(select(Enterprise.id).where(Enterprise.name == FIRM)) is None
