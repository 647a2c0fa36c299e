"""Each campaign's settings (专项行动设置: Campaign.yellow_days, stale_days, due_soon_days, ranking_min_problems, the
number prefix, and the default 办理时限 of a 问题类型): edited by the 推进办 in the panel, read by every screen and
export on the next request, each campaign's own side by side."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from exports.problems import HEADERS
from models import Campaign, Enterprise, Problem, Term, Vocabulary, db, local_now, workflow
from models.calendar import add_workdays, workdays_back
from models.ledger import Light

from .conftest import csrf_token
from .factories import miluo, named
from .helpers import flashes


def anhui() -> Campaign:
    return db.session.scalar(select(Campaign).where(Campaign.code == "SSYF"))


def running(campaign, days_left: int, description: str) -> int:
    """A problem of `campaign` in 办理中 with `days_left` working days to its deadline."""
    today = workflow.today()
    firm = db.session.scalars(select(Enterprise).where(Enterprise.campaign_id == campaign.id)).first()
    problem = Problem(campaign=campaign, enterprise=firm, description=description, status="办理中",
                      assigned_on=today - timedelta(days=1), deadline=add_workdays(today, days_left))
    db.session.add(problem)
    db.session.commit()
    return problem.id


def light_in(page: str, description: str) -> str:
    row = next(r for r in re.findall(r"<tr.*?</tr>", page, re.S) if description in r)
    return re.search(r'class="badge light light-(\w+)"', row).group(1)


def edit_campaign(client, campaign_id: int, **changes):
    form = client.get(f"/admin/campaign/edit/?id={campaign_id}")
    assert form.status_code == 200
    values = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form.text))
    values.update({k: str(v) for k, v in changes.items()})
    values["csrf_token"] = csrf_token(form.text)
    return client.post(f"/admin/campaign/edit/?id={campaign_id}", data=values)


def test_the_yellow_window_is_each_campaigns_and_changes_without_a_restart(seeded, login_as):
    with seeded.app_context():
        mine = running(miluo(), 5, "设置测试：汨罗剩5天")
        theirs = running(anhui(), 5, "设置测试：安徽剩5天")
        mine_id = miluo().id
    coordinator, admin = login_as("coordinator"), login_as("admin")
    assert light_in(coordinator.get("/admin/problem/?search=设置测试").text, "汨罗剩5天") == "green"
    response = edit_campaign(coordinator, mine_id, yellow_days=7)
    assert response.status_code == 302, flashes(response.text)
    assert light_in(coordinator.get("/admin/problem/?search=设置测试").text, "汨罗剩5天") == "yellow"
    page = admin.get("/admin/problem/?search=设置测试").text  # the administrator sees both, each by its campaign
    assert light_in(page, "汨罗剩5天") == "yellow" and light_in(page, "安徽剩5天") == "green"
    yellow = admin.get(f"/admin/problem/?search=设置测试&flt0_1={Light.YELLOW}").text  # the light filter, per campaign
    assert "汨罗剩5天" in yellow and "安徽剩5天" not in yellow
    assert "汨罗剩5天" in coordinator.get(f"/admin/problem/?flt0_1={Light.YELLOW}").text
    with seeded.app_context():
        assert db.session.get(Problem, mine).number and db.session.get(Problem, theirs).number
    export = coordinator.get("/admin/problem/annex2/?search=设置测试")
    sheet = load_workbook(io.BytesIO(export.data)).active
    column = HEADERS.index("亮灯") + 1
    assert Light.YELLOW in [sheet.cell(r, column).value for r in range(1, sheet.max_row + 1)]


def test_the_coordinator_edits_only_its_own_campaign_and_bad_settings_are_refused(seeded, login_as):
    coordinator = login_as("coordinator")
    with seeded.app_context():
        mine, theirs = miluo().id, anhui().id
    assert coordinator.get(f"/admin/campaign/edit/?id={theirs}").status_code in (302, 404)
    response = edit_campaign(coordinator, mine, yellow_days=1000)
    assert "黄灯天数应在 0 至 90 之间，当前为 1000。" in flashes(response.text)
    response = edit_campaign(coordinator, mine, code="SJY-2")
    assert any("问题编号前缀“SJY-2”无效" in m for m in flashes(response.text))
    with seeded.app_context():
        assert miluo().yellow_days == 3 and miluo().code == "SJY"
    assert edit_campaign(coordinator, mine, code="MLX").status_code == 302
    with seeded.app_context():
        campaign = db.session.get(Campaign, mine)
        firm = db.session.scalars(select(Enterprise).where(Enterprise.campaign_id == campaign.id)).first()
        problem = Problem(campaign=campaign, enterprise=firm, description="新前缀")
        db.session.add(problem)
        db.session.commit()
        assert problem.number.startswith("MLX-")


def test_stale_and_due_soon_listings_follow_each_campaigns_days(seeded, login_as):
    with seeded.app_context():
        due = running(miluo(), 5, "设置测试：五天后到期")
        problem = db.session.get(Problem, due)
        problem.last_progress_at = workdays_back(local_now(), 4)  # 4 working days ago
        db.session.commit()
    coordinator = login_as("coordinator")
    assert "五天后到期" not in coordinator.get("/admin/due_soon/").text
    assert "五天后到期" not in coordinator.get("/admin/stale/").text
    with seeded.app_context():
        miluo().due_soon_days, miluo().stale_days = 5, 3
        db.session.commit()
    assert "五天后到期" in coordinator.get("/admin/due_soon/").text
    assert "五天后到期" in coordinator.get("/admin/stale/").text
    assert "五天后到期" not in coordinator.get("/admin/due_soon/?days=2").text  # the page's own window still wins


def test_the_ranking_minimum_is_the_campaigns(seeded, login_as):
    with seeded.app_context():
        miluo().ranking_min_problems = 7
        db.session.commit()
    assert "已交办问题不足 7 个的单位样本不足" in login_as("coordinator").get("/admin/ranking/").text


def test_the_assign_form_proposes_the_types_default_deadline(seeded, login_as):
    with seeded.app_context():
        campaign = miluo()
        db.session.scalar(select(Term).where(Term.campaign_id == campaign.id, Term.vocabulary == Vocabulary.CATEGORY,
                                             Term.value == "用地")).default_days = 10
        firm = db.session.scalars(select(Enterprise).where(Enterprise.campaign_id == campaign.id)).first()
        problem = Problem(campaign=campaign, enterprise=firm, description="用地问题", category="用地",
                          responsible_unit=named_unit())
        db.session.add(problem)
        db.session.commit()
        pk, expected = problem.id, add_workdays(workflow.today(), 10)  # working days, by the work calendar
    page = login_as("coordinator").get(f"/admin/problem/step/assign/?ids={pk}").text
    assert re.search(rf'name="deadline"[^>]*value="{expected:%Y-%m-%d}"', page), page
    assert "问题类型“用地”默认办理时限 10 个工作日" in page


def named_unit():
    from models import Unit
    return named(Unit, "市发改局")


def test_a_campaign_that_requires_a_supervisor_refuses_an_assign_without_one(seeded):
    """000: 逐个问题分别明确一名处级干部负责领办、一名工作组成员跟踪督办 (Campaign.supervisor_required)."""
    import pytest

    from models import Person, Unit, User
    from models.errors import DomainError

    with seeded.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SSYF"))
        assert campaign.supervisor_required
        unit = db.session.scalar(select(Unit).where(Unit.campaign_id == campaign.id, Unit.name == "省政府金融办"))
        firm = db.session.scalars(select(Enterprise).where(Enterprise.campaign_id == campaign.id)).first()
        lead = Person(campaign=campaign, unit=unit, name="领办处长（合成）")
        problem = Problem(campaign=campaign, enterprise=firm, description="督办人测试")
        db.session.add_all([lead, problem])
        db.session.commit()
        office = User(username="ah-office", role="coordinator", campaign_id=campaign.id)
        deadline = workflow.today() + timedelta(days=10)
        with pytest.raises(DomainError, match="明确一名跟踪督办人"):
            workflow.assign(problem, office, unit, deadline, lead_person=lead)
        db.session.rollback()
        problem = db.session.scalar(select(Problem).where(Problem.description == "督办人测试"))
        workflow.assign(problem, office, unit, deadline, lead_person=lead, supervisor=lead)
        db.session.commit()
        assert problem.status == "已交办"


def test_the_units_desk_counts_its_yellow_window_with_the_campaigns_days(seeded, login_as):
    from models import Unit

    with seeded.app_context():
        problem = db.session.get(Problem, running(miluo(), 5, "设置测试：待办黄灯"))
        problem.responsible_unit = db.session.scalar(select(Unit).where(Unit.campaign_id == problem.campaign_id,
                                                                        Unit.name == "市发改局"))
        db.session.commit()
    handler = login_as("handler")

    def due_soon() -> int:
        page = handler.get("/admin/").text
        return int(re.search(r'id="line-due_soon"[^>]*>.*?data-count="(\d+)"', page, re.S).group(1))

    before = due_soon()
    with seeded.app_context():
        miluo().yellow_days = 6
        db.session.commit()
    assert due_soon() == before + 1
