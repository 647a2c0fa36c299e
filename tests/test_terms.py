"""Vocabularies as data (models.terms): each campaign's own terms, renamed with their rows, retired without losing
old rows, checked whoever writes; the 推进办 edits them in the panel."""
from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from models import Campaign, Enterprise, Problem, Term, Vocabulary, db, ledger, terms, workflow
from models.errors import DomainError
from models.vocab import PROBLEM_CATEGORIES

from .conftest import csrf_token
from .helpers import flashes
from .factories import miluo


def anhui() -> Campaign:
    return db.session.scalar(select(Campaign).where(Campaign.code == "SSYF"))


def term(campaign, vocabulary, value) -> Term:
    return db.session.scalar(select(Term).where(Term.campaign_id == campaign.id, Term.vocabulary == vocabulary,
                                                Term.value == value))


def problem_of(campaign, category, **extra) -> Problem:
    firm = db.session.scalars(select(Enterprise).where(Enterprise.campaign_id == campaign.id)).first()
    problem = Problem(campaign=campaign, enterprise=firm, description="词表测试（合成数据）", category=category, **extra)
    db.session.add(problem)
    db.session.commit()
    return problem


def test_a_new_campaign_starts_with_the_default_vocabularies(app):
    with app.app_context():
        campaign = Campaign(name="新专项行动", code="XIN")
        db.session.add(campaign)
        db.session.commit()
        assert terms.values(campaign.id, Vocabulary.CATEGORY) == list(PROBLEM_CATEGORIES)
        assert terms.values(campaign.id, Vocabulary.ESCALATION) == ["本级", "市级", "省级"]
        assert term(campaign, Vocabulary.ESCALATION, "本级").locked
        assert [t.value for t in terms.terms(campaign.id, Vocabulary.SATISFACTION) if t.satisfied] == ["满意", "基本满意"]


def test_each_campaign_takes_only_its_own_terms(seeded):
    with seeded.app_context():
        mine, other = miluo(), anhui()
        db.session.add(Term(campaign=mine, vocabulary=Vocabulary.CATEGORY, value="融资", position=10))
        db.session.commit()
        assert problem_of(mine, "融资").category == "融资"
        with pytest.raises(DomainError, match="“融资”不在本专项行动的问题类型中"):
            problem_of(other, "融资")
        db.session.rollback()
        with pytest.raises(DomainError, match="问题类型“吃饭”不在本专项行动"):
            problem_of(mine, "吃饭")


def test_a_retired_term_stays_on_old_rows_and_is_refused_on_new_ones(seeded):
    with seeded.app_context():
        mine = miluo()
        old = problem_of(mine, "资金")
        term(mine, Vocabulary.CATEGORY, "资金").retired = True
        db.session.commit()
        assert "资金" not in terms.values(mine.id, Vocabulary.CATEGORY)
        old.remark = "其他字段照常修改"
        db.session.commit()  # the row keeps its retired term
        assert db.session.get(Problem, old.id).category == "资金"
        with pytest.raises(DomainError, match="资金"):
            problem_of(mine, "资金")
        db.session.rollback()
        with pytest.raises(DomainError):
            db.session.get(Problem, old.id).category = "资金 "
            db.session.commit()


def test_a_rename_takes_the_campaigns_rows_along_and_remembers_the_old_name(seeded):
    with seeded.app_context():
        mine, other = miluo(), anhui()
        renamed, kept = problem_of(mine, "用工"), problem_of(other, "用工")
        version = renamed.version
        term(mine, Vocabulary.CATEGORY, "用工").value = "人才"
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Problem, renamed.id).category == "人才"
        assert db.session.get(Problem, renamed.id).version == version + 1  # an edit begun before is refused
        assert db.session.get(Problem, kept.id).category == "用工"  # the other campaign's term is its own
        renamed_term = term(mine, Vocabulary.CATEGORY, "人才")
        assert renamed_term.formers() == ["用工"]
        assert terms.resolver(mine.id, Vocabulary.CATEGORY)("用工") == "人才"  # what an old file says still reads
        assert db.session.scalar(select(Problem.id).where(Problem.campaign_id == mine.id, Problem.category == "用工")) is None


def test_a_rename_onto_another_term_a_locked_term_and_a_used_term_are_refused(seeded):
    with seeded.app_context():
        mine = miluo()
        term(mine, Vocabulary.CATEGORY, "用工").value = "用能"
        with pytest.raises(DomainError, match="已有“用能”"):
            db.session.commit()
        db.session.rollback()
        term(mine, Vocabulary.ESCALATION, "本级").value = "县级"
        with pytest.raises(DomainError, match="由系统使用"):
            db.session.commit()
        db.session.rollback()
        term(mine, Vocabulary.ESCALATION, "本级").retired = True
        with pytest.raises(DomainError, match="由系统使用"):
            db.session.commit()
        db.session.rollback()
        problem_of(mine, "审批")
        db.session.delete(term(mine, Vocabulary.CATEGORY, "审批"))
        with pytest.raises(DomainError, match="不能删除；可以停用"):
            db.session.commit()
        db.session.rollback()
        unused = Term(campaign=mine, vocabulary=Vocabulary.CATEGORY, value="临时", position=99)
        db.session.add(unused)
        db.session.commit()
        db.session.delete(unused)
        db.session.commit()
        assert term(mine, Vocabulary.CATEGORY, "临时") is None


def test_the_workflow_follows_the_campaigns_levels_and_satisfaction_scale(seeded):
    with seeded.app_context():
        mine = miluo()
        db.session.add(Term(campaign=mine, vocabulary=Vocabulary.ESCALATION, value="国家级", position=9))
        db.session.add(Term(campaign=mine, vocabulary=Vocabulary.SATISFACTION, value="非常满意", position=0,
                            satisfied=True))
        term(mine, Vocabulary.SATISFACTION, "基本满意").satisfied = False
        db.session.commit()
        problem = problem_of(mine, "资金", escalation_level="省级")
        assert workflow.next_level(problem) == "国家级"
        problem.escalation_level = "国家级"
        assert workflow.next_level(problem) is None
        scale = terms.values(mine.id, Vocabulary.SATISFACTION)
        assert scale[0] == "非常满意"
        figures_before = ledger.figures(Problem.campaign_id == mine.id, date(2024, 12, 1))
        closed = [problem_of(mine, "资金", status="已销号", satisfaction=s) for s in ("非常满意", "基本满意")]
        figures = ledger.figures(Problem.campaign_id == mine.id, date(2024, 12, 1))
        assert figures.satisfied - figures_before.satisfied == 1  # 非常满意 counts, 基本满意 no longer does
        assert figures.rated - figures_before.rated == len(closed)


def test_the_coordinator_edits_the_vocabulary_in_the_panel_and_forms_offer_it(seeded, login_as):
    client = login_as("coordinator")
    page = client.get("/admin/term/new/")
    assert page.status_code == 200
    with seeded.app_context():
        campaign_id = miluo().id
    response = client.post("/admin/term/new/", data={
        "csrf_token": csrf_token(page.text), "campaign": str(campaign_id), "vocabulary": Vocabulary.CATEGORY,
        "value": "融资", "position": "10", "default_days": "15"})
    assert response.status_code == 302, response.text
    form = client.get("/admin/problem/new/").text
    options = re.findall(r'<option[^>]*value="([^"]*)"', form.split('name="category"')[1].split("</select>")[0])
    assert "融资" in options and "资金" in options and "__None" in options
    ledger_page = client.get("/admin/problem/").text
    groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', ledger_page, re.S).group(1))
    assert [name for name, _ in groups["问题类型"][0]["options"]][-1] == "融资"  # the ledger's filter, in its order
    with seeded.app_context():
        added = term(miluo(), Vocabulary.CATEGORY, "融资")
        assert added.default_days == 15
        assert term(anhui(), Vocabulary.CATEGORY, "融资") is None


def test_a_term_outside_the_campaign_is_refused_in_the_form(seeded, login_as):
    client = login_as("coordinator")
    page = client.get("/admin/visit/new/")
    response = client.post("/admin/visit/new/", data={"csrf_token": csrf_token(page.text), "form": "飞鸽传书",
                                                        "visited_on": "2024-09-20"})
    assert response.status_code == 200
    assert "“飞鸽传书”不是可选的走访形式" in response.text


@pytest.mark.parametrize("role", ["group", "handler", "leader"])
def test_other_roles_neither_see_nor_change_the_vocabulary(seeded, login_as, role):
    client = login_as(role)
    assert client.get("/admin/term/").status_code == 403
    assert client.get("/admin/term/new/").status_code == 403
    assert "/admin/term/" not in client.get("/admin/").text  # no menu entry
    with seeded.app_context():
        pk = term(miluo(), Vocabulary.CATEGORY, "资金").id
    page = client.get("/admin/")
    response = client.post("/admin/term/delete/", data={"id": str(pk), "csrf_token": csrf_token(page.text)})
    assert response.status_code == 403
    with seeded.app_context():
        assert term(miluo(), Vocabulary.CATEGORY, "资金") is not None


def test_a_term_stays_in_its_vocabulary_and_campaign(seeded):
    with seeded.app_context():
        moved = term(miluo(), Vocabulary.CATEGORY, "政策")
        moved.vocabulary = Vocabulary.SOURCE
        with pytest.raises(DomainError, match="不能移到另一个词表或专项行动"):
            db.session.commit()
        db.session.rollback()
        term(miluo(), Vocabulary.CATEGORY, "政策").campaign_id = anhui().id
        with pytest.raises(DomainError, match="不能移到另一个词表或专项行动"):
            db.session.commit()


def test_an_import_reads_the_campaigns_own_terms_and_their_former_names(seeded):
    from imports import CommandLineUser
    from imports.problems import import_problems

    from .test_new_campaign import annex2_file

    with seeded.app_context():
        db.session.add(Term(campaign=anhui(), vocabulary=Vocabulary.CATEGORY, value="融资", position=10))
        term(miluo(), Vocabulary.CATEGORY, "用工").value = "人才"
        db.session.commit()
        row = {"问题描述": "导入词条测试", "收集工作组": "工作组（循环园）"}
        refused = import_problems(annex2_file([{**row, "问题类型": "融资"}]), miluo(), CommandLineUser())
        assert [str(e) for e in refused.errors] == [
            "第4行第5列（问题类型）：“融资”不是本专项行动的问题类型（可选：资金、人才、用能、用地、供应链、审批、政策、基础设施、其他；可在下方指定它是哪一个）"]
        done = import_problems(annex2_file([{**row, "问题类型": "用工"}]), miluo(), CommandLineUser())
        assert not done.errors
        assert db.session.scalar(select(Problem.category).where(Problem.description == "导入词条测试")) == "人才"


def test_a_rename_in_the_panel_is_in_the_audit_log_in_chinese(seeded, login_as):
    office = login_as("coordinator")
    with seeded.app_context():
        pk = term(miluo(), Vocabulary.CATEGORY, "用工").id
    form = office.get(f"/admin/term/edit/?id={pk}")
    version = re.search(r'name="version_token"[^>]*value="([^"]*)"', form.text).group(1)
    values = {"value": "人才", "vocabulary": Vocabulary.CATEGORY, "campaign": str(miluo_id(seeded)), "position": "2",
              "version_token": version, "csrf_token": csrf_token(form.text)}
    response = office.post(f"/admin/term/edit/?id={pk}", data=values)
    assert response.status_code == 302, flashes(response.text) + re.findall(r"text-danger[^>]*>(.*?)<", response.text, re.S)
    log = login_as("admin").get("/admin/audit_log/").text
    assert "词条" in log and "用工" in log and "人才" in log


def miluo_id(app) -> int:
    with app.app_context():
        return miluo().id


def test_a_town_in_use_is_renamed_with_its_enterprises_and_never_deleted_from_under_them(seeded):
    """所在镇（园区） are the campaign's units: a rename follows every enterprise (they refer to it by id); a delete
    that would clear it from them is refused."""
    from models import Unit

    with seeded.app_context():
        town = db.session.scalar(select(Unit).where(Unit.campaign_id == miluo().id, Unit.name == "循环园"))
        firm = Enterprise(campaign=miluo(), name="镇园区测试企业（合成）", town=town)
        db.session.add(firm)
        db.session.commit()
        town.name = "循环经济产业园"
        db.session.commit()
        assert db.session.get(Enterprise, firm.id).town.name == "循环经济产业园"
        db.session.delete(town)
        with pytest.raises(DomainError, match="单位“循环经济产业园”仍被其他记录引用（.*企业 1 条.*），不能删除"):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Enterprise, firm.id).town_id == town.id
