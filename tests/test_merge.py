"""合并: a newly entered problem or a 诉求 merged into an open problem of the same enterprise (models.workflow.merge,
models.intake.merge): the other becomes 已合并 with a link, the enterprise's lookup follows the kept problem, a problem of
another enterprise or one no longer open is refused in Chinese, and the figures count the merged problem once."""
from __future__ import annotations

import re

from datetime import timedelta

import pytest

from models import Appeal, Body, Enterprise, Problem, Unit, db, ledger, workflow
from models.errors import DomainError
from models.portal import AppealStatus
from models.vocab import Status
from tests.conftest import csrf_token
from tests.factories import miluo, named, staff_of
from tests.helpers import flashes
from tests.test_messages import SYSTEM
from tests.test_portal import accept, sent, valid_code


def world(seeded) -> dict[str, int]:
    """One enterprise (with the portal form's 统一社会信用代码) with a problem assigned to 市发改局 (KEPT) and a new one
    repeating it (AGAIN), both of 工作组（循环园）; another enterprise's open problem (OTHER)."""
    with seeded.app_context():
        campaign, group = miluo(), named(Body, "工作组（循环园）")
        firm = Enterprise(campaign=campaign, name="汨罗市星火新材料有限公司", credit_code=valid_code(), town=named(Unit, "循环园"))
        other_firm = Enterprise(campaign=campaign, name="合并测试另一企业（合成）")
        kept = Problem(campaign=campaign, enterprise=firm, description="急需熟练技工约50名。", collected_by_body=group)
        again = Problem(campaign=campaign, enterprise=firm, description="企业再次反映招工难。", collected_by_body=group)
        other = Problem(campaign=campaign, enterprise=other_firm, description="用电报装慢。", collected_by_body=group)
        db.session.add_all([kept, again, other])
        db.session.commit()
        workflow.assign(kept, SYSTEM, named(Unit, "市发改局"), workflow.today() + timedelta(days=20),
                        lead_person=staff_of("市发改局"))
        db.session.commit()
        return {"KEPT": kept.id, "AGAIN": again.id, "OTHER": other.id, "FIRM": firm.id}


def offered(html: str) -> set[int]:
    """The problems the page's 合并 choice (the select named into) offers."""
    choice = re.search(r'<select[^>]*name="into"[^>]*>(.*?)</select>', html, re.S)
    return {int(pk) for pk in re.findall(r'<option[^>]*value="(\d+)"', choice.group(1))}


def test_a_new_problem_is_merged_into_the_open_one_of_its_enterprise_from_its_page(seeded, login_as):
    ids = world(seeded)
    office = login_as("coordinator")
    page = office.get(f"/admin/problem/details/?id={ids['AGAIN']}")
    assert f"/admin/problem/step/merge/?id={ids['AGAIN']}" in page.text.replace("&amp;", "&")
    form = office.get(f"/admin/problem/step/merge/?id={ids['AGAIN']}")
    assert offered(form.text) == {ids["KEPT"]}  # its enterprise's other open problem only
    done = office.post(f"/admin/problem/step/merge/?id={ids['AGAIN']}", data={
        "csrf_token": csrf_token(form.text), "into": str(ids["KEPT"]), "note": "同一诉求"}, follow_redirects=True)
    with seeded.app_context():
        again, kept = db.session.get(Problem, ids["AGAIN"]), db.session.get(Problem, ids["KEPT"])
        assert again.status == Status.MERGED and again.merged_into_id == kept.id
        assert again.updates[-1].step == "merge" and again.updates[-1].note == f"并入{kept.number}：同一诉求"
        assert f"已将{again.number}并入{kept.number}。" in flashes(done.text)
        numbers = (again.number, kept.number)
    assert "本问题已并入" in done.text and numbers[1] in done.text
    kept_page = office.get(f"/admin/problem/details/?id={ids['KEPT']}").text
    assert 'id="case-merged-from"' in kept_page and numbers[0] in kept_page


def test_another_enterprise_or_a_closed_target_is_refused_in_chinese(seeded, login_as):
    ids = world(seeded)
    with seeded.app_context():
        again, other, kept = (db.session.get(Problem, ids[k]) for k in ("AGAIN", "OTHER", "KEPT"))
        with pytest.raises(DomainError, match="不是同一企业，不能合并"):
            workflow.merge(again, SYSTEM, other)
        with pytest.raises(DomainError, match="不能并入它自己"):
            workflow.merge(again, SYSTEM, again)
        kept.status = Status.CLOSED
        db.session.commit()
        with pytest.raises(DomainError, match="企业没有其他未办结的问题，无可合并"):  # not even offered now
            workflow.merge(again, SYSTEM, kept)
        assert "已不在办理中，不能并入" in workflow.merge_refusal(again.enterprise_id, again.campaign_id, kept, again.number)
        db.session.rollback()
        assert db.session.get(Problem, ids["AGAIN"]).status == Status.UNASSIGNED
        db.session.get(Problem, ids["KEPT"]).status = Status.ASSIGNED  # open again, for the form below
        db.session.commit()
    office = login_as("coordinator")  # posted by hand with another enterprise's problem: refused, nothing changes
    form = office.get(f"/admin/problem/step/merge/?id={ids['AGAIN']}")
    refused = office.post(f"/admin/problem/step/merge/?id={ids['AGAIN']}", data={
        "csrf_token": csrf_token(form.text), "into": str(ids["OTHER"])})
    assert refused.status_code == 200 and any("处需要修改" in m for m in flashes(refused.text))
    with seeded.app_context():
        assert db.session.get(Problem, ids["AGAIN"]).status == Status.UNASSIGNED


def test_a_handler_or_leader_may_not_merge(seeded, login_as):
    ids = world(seeded)
    for role in ("handler", "leader"):
        response = login_as(role).get(f"/admin/problem/step/merge/?id={ids['AGAIN']}")
        assert response.status_code in (302, 403)
    with seeded.app_context():
        assert db.session.get(Problem, ids["AGAIN"]).status == Status.UNASSIGNED


def track(client, number, code):
    return client.post("/portal/track", data={"csrf_token": csrf_token(client.get("/portal/track").text),
                                              "number": number, "code": code})


def test_an_appeal_merged_into_an_open_problem_is_looked_up_as_that_problem(seeded, login_as):
    ids = world(seeded)
    enterprise = seeded.test_client()
    number, code, appeal_id = sent(seeded, enterprise)  # the same 统一社会信用代码 as FIRM
    office = login_as("coordinator")
    page = office.get(f"/admin/appeal/details/?id={appeal_id}")
    assert 'id="merge-appeal-form"' in page.text
    assert offered(page.text) == {ids["KEPT"], ids["AGAIN"]}  # the enterprise's open problems, not another enterprise's
    wrong = office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": appeal_id,
                                                       "decision": "merge", "into": ids["OTHER"]}, follow_redirects=True)
    assert any("不是同一企业，不能合并" in m for m in flashes(wrong.text)), flashes(wrong.text)
    done = office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": appeal_id,
                                                      "decision": "merge", "into": ids["KEPT"]}, follow_redirects=True)
    with seeded.app_context():
        appeal = db.session.get(Appeal, appeal_id)
        assert appeal.status == AppealStatus.MERGED and appeal.problem_id == ids["KEPT"]
        kept_number = appeal.problem.number
    assert any(f"并入问题{kept_number}" in m for m in flashes(done.text))
    looked = track(enterprise, number, code)
    assert "合并办理" in looked.text and "已交办：由市发改局办理" in looked.text


def test_a_problem_from_an_appeal_merged_later_takes_the_lookup_along(seeded, login_as):
    ids = world(seeded)
    enterprise = seeded.test_client()
    number, code, appeal_id = sent(seeded, enterprise)
    assert accept(login_as("coordinator"), appeal_id).status_code == 302
    with seeded.app_context():
        entered = db.session.get(Appeal, appeal_id).problem
        kept = db.session.get(Problem, ids["KEPT"])
        assert "已交办" not in track(enterprise, number, code).text
        workflow.merge(entered, SYSTEM, kept)
        db.session.commit()
        assert db.session.get(Appeal, appeal_id).problem_id == kept.id
    assert "已交办：由市发改局办理" in track(enterprise, number, code).text


def test_the_figures_count_a_merged_problem_once(seeded):
    ids = world(seeded)
    from exports.periodic import line
    from models.periods import period_for
    with seeded.app_context():
        for key in ("KEPT", "AGAIN"):
            db.session.get(Problem, ids[key]).collected_on = workflow.today()
        db.session.commit()
        scope = Problem.enterprise_id == ids["FIRM"]
        period = period_for("周调度", workflow.today(), 3)
        assert line("合计", scope, period, workflow.today()).collected == 2
        before = ledger.figures(scope, workflow.today())
        workflow.merge(db.session.get(Problem, ids["AGAIN"]), SYSTEM, db.session.get(Problem, ids["KEPT"]))
        db.session.commit()
        after = ledger.figures(scope, workflow.today())
        assert (before.total, before.pending) == (2, 1) and (after.total, after.pending) == (1, 0)
        assert line("合计", scope, period, workflow.today()).collected == 1  # the 周调度 counts it once


def test_entering_a_problem_of_an_enterprise_with_open_ones_says_which(seeded, login_as):
    ids = world(seeded)
    office = login_as("coordinator")
    with seeded.app_context():
        kept = db.session.get(Problem, ids["KEPT"])
        campaign_id, kept_number, again_number = kept.campaign_id, kept.number, db.session.get(Problem, ids["AGAIN"]).number
    form = office.get("/admin/problem/new/")
    made = office.post("/admin/problem/new/", data={"csrf_token": csrf_token(form.text), "campaign": campaign_id,
                                                    "enterprise": ids["FIRM"], "description": "企业第三次反映招工难"},
                       follow_redirects=True)
    said = [m for m in flashes(made.text) if "已有未办结的问题" in m]
    assert said and kept_number in said[0] and again_number in said[0] and "合并" in said[0], flashes(made.text)
