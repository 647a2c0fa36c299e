"""Bad form input gets a clear Chinese message and changes nothing; good input is saved."""
from __future__ import annotations

from datetime import date

import pytest

from models import Body, Enterprise, Problem, Task, Unit, Visit, db
from tests.conftest import csrf_token, hidden_inputs
from tests.factories import VALID_CREDIT_CODE, miluo, named
from tests.helpers import count, field_errors, flashes


@pytest.fixture
def form(admin_client, seeded):
    """Post a create or edit form with a fresh CSRF token; returns (response, campaign id)."""
    with seeded.app_context():
        campaign_id = miluo().id

    def post(url: str, data: dict):
        return admin_client.post(url, data={**hidden_inputs(admin_client.get(url).text), **data})

    post.campaign_id = campaign_id
    return post


def test_invalid_credit_code_is_refused_in_chinese(form, seeded):
    response = form("/admin/enterprise/new/", {"campaign": form.campaign_id, "name": "某某科技有限公司", "credit_code": "91110000600037341M"})
    assert response.status_code == 200
    assert "统一社会信用代码校验位错误：第18位应为“L”" in field_errors(response.text)
    assert "新建记录失败，请检查标红的字段。" in flashes(response.text)
    with seeded.app_context():
        assert count(Enterprise, Enterprise.name == "某某科技有限公司") == 0


@pytest.mark.parametrize("code, message", [
    ("9111000060003734", "统一社会信用代码应为18位，当前为16位"),
    ("9111000060003734IL", "不允许的字符“I”"),
])
def test_credit_code_length_and_alphabet(form, code, message):
    response = form("/admin/enterprise/new/", {"campaign": form.campaign_id, "name": "某企业", "credit_code": code})
    assert any(message in e for e in field_errors(response.text))


def test_valid_credit_code_is_saved_in_capitals(form, seeded):
    response = form("/admin/enterprise/new/", {"campaign": form.campaign_id, "name": "某某科技有限公司", "credit_code": VALID_CREDIT_CODE.lower()})
    assert response.status_code == 302
    with seeded.app_context():
        assert db.session.query(Enterprise).filter_by(name="某某科技有限公司").one().credit_code == VALID_CREDIT_CODE


def test_unparsable_date_is_refused_in_chinese(form, seeded):
    response = form("/admin/visit/new/", {"campaign": form.campaign_id, "visited_on": "2024-13-45", "form": "实地走访"})
    assert response.status_code == 200
    assert "不是有效的日期值。" in field_errors(response.text)
    with seeded.app_context():
        assert count(Visit) == 0


def test_duplicate_name_in_a_campaign_is_refused_in_chinese(form, seeded):
    with seeded.app_context():
        before = count(Unit)
    response = form("/admin/unit/new/", {"campaign": form.campaign_id, "name": "市发改局"})
    assert response.status_code == 200
    assert "同一专项行动中已存在名称“市发改局”相同的记录，不能重复。" in flashes(response.text)
    with seeded.app_context():
        assert count(Unit) == before


def test_same_name_in_another_campaign_is_allowed(form, seeded):
    with seeded.app_context():
        other = db.session.query(type(miluo())).filter_by(code="SSYF").one().id
    response = form("/admin/unit/new/", {"campaign": other, "name": "市发改局"})
    assert response.status_code == 302


def test_renaming_onto_an_existing_name_is_refused(form, seeded):
    with seeded.app_context():
        unit_id = named(Unit, "市教体局").id
    response = form(f"/admin/unit/edit/?id={unit_id}", {"campaign": form.campaign_id, "name": "市发改局"})
    assert "同一专项行动中已存在名称“市发改局”相同的记录，不能重复。" in flashes(response.text)
    with seeded.app_context():
        assert db.session.get(Unit, unit_id).name == "市教体局"


def test_missing_required_field_and_bad_choice(form, seeded):
    response = form("/admin/problem/new/", {"campaign": form.campaign_id, "description": "", "category": "乱写"})
    errors = field_errors(response.text)
    assert "该字段是必填字段。" in errors
    assert "“乱写”不是可选的问题类型，请从下拉列表中选择。" in errors
    with seeded.app_context():
        assert count(Problem, Problem.campaign_id == form.campaign_id) == 0


def test_rule_of_the_model_layer_is_shown_in_chinese(form, seeded):
    response = form("/admin/task/new/", {"campaign": form.campaign_id, "code": "X1", "section": "主要任务", "title": "测试",
                                         "status": "未开始", "recurrence": "每周", "recurrence_day": "9"})
    assert "每周任务的周期日应为1～7（1为周一，3为周三，7为周日）。" in flashes(response.text)
    response = form("/admin/task/new/", {"campaign": form.campaign_id, "code": "X1", "section": "主要任务", "title": "测试",
                                         "status": "未开始", "start_on": "2024-10-01", "due_on": "2024-09-01"})
    assert "开始日期不能晚于完成时限。" in flashes(response.text)
    with seeded.app_context():
        assert count(Task, Task.code == "X1") == 0


def test_rows_of_different_campaigns_cannot_be_linked(form, seeded):
    with seeded.app_context():
        anhui_firm = db.session.query(Enterprise).filter_by(name="安徽光明槐祥").one().id
    response = form("/admin/problem/new/", {"campaign": form.campaign_id, "enterprise": anhui_firm,
                                            "description": "跨行动的问题", "escalation_level": "本级"})
    assert any("不属于本问题所在的专项行动" in m for m in flashes(response.text))
    with seeded.app_context():
        assert count(Problem, Problem.description == "跨行动的问题") == 0


def test_many_to_many_links_to_another_campaign_are_refused(form, seeded):
    with seeded.app_context():
        anhui_group = db.session.query(Body).filter_by(name="第一工作组").one().id
        miluo_group = named(Body, "工作组（循环园）").id
    response = form("/admin/task/new/", {"campaign": form.campaign_id, "code": "X9", "section": "工作机制", "title": "跨行动报送",
                                         "status": "未开始", "submitters": f"{miluo_group},{anhui_group}"})
    assert any("机构“第一工作组”不属于本任务所在的专项行动" in m for m in flashes(response.text))
    with seeded.app_context():
        assert count(Task, Task.code == "X9") == 0


def test_new_problem_gets_the_next_number_of_its_campaign(form, seeded):
    response = form("/admin/problem/new/", {"campaign": form.campaign_id, "description": "企业反映用工紧张",
                                            "category": "用工", "escalation_level": "本级"})
    assert response.status_code == 302
    response = form("/admin/problem/new/", {"campaign": form.campaign_id, "description": "企业反映用电报装慢",
                                            "category": "用能", "escalation_level": "本级"})
    with seeded.app_context():
        numbers = sorted(db.session.scalars(db.select(Problem.number).where(Problem.campaign_id == form.campaign_id)))
    assert numbers == ["SJY-2024-0001", "SJY-2024-0002"]


def test_deleting_a_referenced_row_is_refused_in_chinese(admin_client, seeded):
    with seeded.app_context():
        unit_id = named(Unit, "市发改局").id
    page = admin_client.get("/admin/unit/")
    response = admin_client.post("/admin/unit/delete/", data={"id": unit_id, "csrf_token": csrf_token(page.text)}, follow_redirects=True)
    assert response.status_code == 200
    assert any("仍被其他记录引用" in m for m in flashes(response.text))
    with seeded.app_context():
        assert db.session.get(Unit, unit_id) is not None


def test_a_good_visit_is_saved(form, seeded):
    with seeded.app_context():
        group = named(Body, "工作组（循环园）").id
        firm = Enterprise(campaign=miluo(), name="汨罗某企业（合成）")
        db.session.add(firm)
        db.session.commit()
        firm_id = firm.id
    response = form("/admin/visit/new/", {"campaign": form.campaign_id, "body": group, "enterprise": firm_id,
                                          "visited_on": "2024-09-12", "form": "实地走访"})
    assert response.status_code == 302
    with seeded.app_context():
        assert db.session.query(Visit).one().visited_on == date(2024, 9, 12)
