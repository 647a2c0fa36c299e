"""Feedback in words and the small forms of the day's work: a step's confirmation says what was done (已将SJY-…交办
市发改局，时限12月21日（10个工作日））, in bulk by numbers per outcome; a refused form says so at the top (有 N 处需要修改);
受理 of a new enterprise stores its 所在镇（园区）; 新增企业 beside the enterprise field checks the code, duplicates and
scope."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from models import Appeal, Body, Enterprise, EnterpriseGroup, Problem, Unit, db, workflow
from models.calendar import add_workdays, workdays_left
from models.vocab import Status
from tests.conftest import csrf_token
from tests.factories import VALID_CREDIT_CODE, miluo, named, staff_of
from tests.helpers import flashes
from tests.test_messages import SYSTEM
from tests.test_portal import sent


def new_problems(seeded, n: int) -> list[int]:
    with seeded.app_context():
        campaign = miluo()
        firm = Enterprise(campaign=campaign, name="反馈测试企业（合成）")
        rows = [Problem(campaign=campaign, enterprise=firm, description=f"反馈测试问题{i}",
                        collected_by_body=named(Body, "工作组（循环园）")) for i in range(n)]
        db.session.add_all(rows)
        db.session.commit()
        return [p.id for p in rows]


def test_assign_says_to_whom_and_by_when_in_words(seeded, login_as):
    [pid] = new_problems(seeded, 1)
    with seeded.app_context():
        unit_id, lead_id = named(Unit, "市发改局").id, staff_of("市发改局").id
        db.session.commit()
        deadline = add_workdays(workflow.today(), 10)
        left = workdays_left(deadline, workflow.today())
        number = db.session.get(Problem, pid).number
    office = login_as("coordinator")
    form = office.get(f"/admin/problem/step/assign/?id={pid}")
    done = office.post(f"/admin/problem/step/assign/?id={pid}", data={
        "csrf_token": csrf_token(form.text), "responsible_unit": str(unit_id), "lead_person": str(lead_id),
        "ui_deadline_by": "days", "ui_deadline_days": "10"}, follow_redirects=True)
    expected = f"已将{number}交办市发改局，时限{deadline.month}月{deadline.day}日（{left}个工作日）。"
    assert expected in flashes(done.text), flashes(done.text)


def test_a_bulk_step_lists_the_numbers_it_took(seeded, login_as):
    ids = new_problems(seeded, 3)
    with seeded.app_context():
        for pid in ids:
            workflow.assign(db.session.get(Problem, pid), SYSTEM, named(Unit, "市发改局"),
                            workflow.today() + timedelta(days=30), lead_person=staff_of("市发改局"))
        db.session.commit()
        numbers = [db.session.get(Problem, pid).number for pid in ids]
    unit = login_as("handler")
    url = f"/admin/problem/step/accept/?ids={','.join(map(str, ids))}"
    form = unit.get(url)
    done = unit.post(url, data={"csrf_token": csrf_token(form.text)}, follow_redirects=True)
    said = [m for m in flashes(done.text) if m.startswith("已签收")]
    assert said and said[0].startswith(f"已签收3个问题（{'、'.join(numbers)}）"), flashes(done.text)
    with seeded.app_context():
        assert {db.session.get(Problem, pid).status for pid in ids} == {Status.HANDLING}


def test_a_refused_step_form_says_how_many_fields_at_the_top(seeded, login_as):
    [pid] = new_problems(seeded, 1)
    office = login_as("coordinator")
    form = office.get(f"/admin/problem/step/assign/?id={pid}")
    refused = office.post(f"/admin/problem/step/assign/?id={pid}", data={
        "csrf_token": csrf_token(form.text), "ui_deadline_by": "days", "ui_deadline_days": "10"})
    assert refused.status_code == 200
    assert "有 2 处需要修改，请查看下方标红的栏目。" in flashes(refused.text)
    assert refused.text.index("有 2 处需要修改") < refused.text.index('class="admin-form step-form"')  # at the top
    assert "forms_zh.js" in refused.text  # which scrolls to the first field in error and focuses it
    with seeded.app_context():
        assert db.session.get(Problem, pid).status == Status.UNASSIGNED


def test_a_refused_record_form_says_so_at_the_top_and_keeps_what_was_typed(seeded, login_as):
    office = login_as("coordinator")
    form = office.get("/admin/enterprise/new/")
    refused = office.post("/admin/enterprise/new/", data={"csrf_token": csrf_token(form.text), "name": "",
                                                         "industry": "新材料制造"})
    assert refused.status_code == 200 and any(re.fullmatch(r"有 \d 处需要修改，请查看下方标红的栏目。", m)
                                              for m in flashes(refused.text)), flashes(refused.text)
    assert "新材料制造" in refused.text


def test_required_fields_are_marked(seeded, login_as):
    page = login_as("coordinator").get(f"/admin/problem/step/assign/?id={new_problems(seeded, 1)[0]}").text
    label = re.search(r'<label for="responsible_unit"[^>]*>.*?</label>', page, re.S).group(0)
    assert 'class="text-danger"' in label and "&#42;" in label


def test_accepting_a_new_enterprise_asks_and_stores_its_town(seeded, login_as):
    _, _, appeal_id = sent(seeded, seeded.test_client())
    office = login_as("coordinator")
    with seeded.app_context():
        park, department = named(Unit, "循环园"), named(Unit, "市发改局")
        park_id, department_id = park.id, department.id
    page = office.get(f"/admin/appeal/details/?id={appeal_id}")
    assert 'name="town" required' in page.text and f'<option value="{park_id}">循环园</option>' in page.text
    assert f'<option value="{department_id}">' not in page.text.split('name="town"')[1].split("</select>")[0]
    refused = office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": appeal_id,
                                                         "decision": "accept", "town": department_id},
                          follow_redirects=True)
    assert "所选所在镇（园区）不是本专项行动的镇或园区，请重新选择。" in flashes(refused.text)
    office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": appeal_id,
                                               "decision": "accept", "town": park_id})
    with seeded.app_context():
        appeal = db.session.get(Appeal, appeal_id)
        assert appeal.status == "已受理" and appeal.problem.enterprise.town_id == park_id
        from models.annex2 import COLUMNS, Row
        town = next(c for c in COLUMNS if c.header == "所在镇（园区）")
        assert town.value(appeal.problem, Row(1, workflow.today())) == "循环园"  # what 附件2 prints (the 销号审批单 too)


def add_firm(client, **data):
    token = csrf_token(client.get("/admin/").text)
    return client.post("/admin/problem/enterprise/", data={"csrf_token": token, **data})


def test_an_enterprise_added_inline_is_checked_and_a_groups_is_linked_to_it(seeded, login_as):
    group = login_as("group")
    page = group.get("/admin/problem/new/")
    assert 'id="add-firm"' in page.text and "enterprise_inline.js" in page.text
    assert 'id="add-firm"' in group.get("/admin/visit/new/").text
    with seeded.app_context():
        park_id = named(Unit, "循环园").id
    bad = add_firm(group, name="新增测试企业（合成）", credit_code="91430681MA4L0NEW10")
    assert bad.status_code == 400 and "统一社会信用代码校验位错误" in bad.json["error"]
    made = add_firm(group, name="新增测试企业（合成）", credit_code=VALID_CREDIT_CODE.lower(), town=park_id)
    assert made.status_code == 200, made.text
    firm_id = made.json["id"]
    with seeded.app_context():
        firm = db.session.get(Enterprise, firm_id)
        assert (firm.name, firm.credit_code, firm.town_id) == ("新增测试企业（合成）", VALID_CREDIT_CODE, park_id)
        assert [link.body.name for link in db.session.scalars(select(EnterpriseGroup).where(
            EnterpriseGroup.enterprise_id == firm_id))] == ["工作组（循环园）"]
    found = group.get("/admin/problem/ajax/lookup/?name=enterprise&query=新增测试").json
    assert [firm_id, "新增测试企业（合成）"] in found  # within the group's scope: the problem form can select it
    same_name = add_firm(group, name="新增测试企业（合成）")
    assert same_name.status_code == 400 and "企业名单中已有“新增测试企业（合成）”" in same_name.json["error"]
    same_code = add_firm(login_as("coordinator"), name="另一个名字（合成）", credit_code=VALID_CREDIT_CODE)
    assert same_code.status_code == 400 and "已属于企业名单中的“新增测试企业（合成）”" in same_code.json["error"]
    for role in ("handler", "leader"):
        refused = add_firm(login_as(role), name="越权企业（合成）")
        assert refused.status_code == 403 and refused.json["error"] == "您的角色不能新增企业。"
    with seeded.app_context():
        assert db.session.scalar(select(Enterprise).where(Enterprise.name == "越权企业（合成）")) is None
        assert db.session.scalar(select(Enterprise).where(Enterprise.name == "另一个名字（合成）")) is None
