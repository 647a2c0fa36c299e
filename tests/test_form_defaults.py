"""A new form starts where the user stands (issue 29, point 4): the campaign is not asked when the user has only one
(the row goes into it), dates start on today, and a working group's forms name its group (and the person it is)."""
from __future__ import annotations

import html
import re
from urllib.parse import unquote

from sqlalchemy import select

from models import Visit, db, workflow
from tests.conftest import csrf_token
from tests.factories import miluo, named, scoped_world


def fields(page: str) -> list[str]:
    return re.findall(r'<(?:input|select|textarea)[^>]*?name="([a-z_]+)"', page)


def value(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page)
    return found.group(1) if found else None


def test_the_create_forms_start_on_today_in_the_groups_one_campaign(seeded, login_as):
    group = login_as("group")
    today = workflow.today()
    problem, visit, report = (group.get(f"/admin/{view}/new/").text for view in ("problem", "visit", "report"))
    for page in (problem, visit, report):
        assert "campaign" not in fields(page) and 'for="campaign"' not in page
    assert value(problem, "collected_on") == today.isoformat()
    assert value(visit, "visited_on") == today.isoformat()
    assert value(report, "submitted_at").startswith(today.isoformat())
    with seeded.app_context():
        body_id = named(__import__("models").Body, "工作组（循环园）").id
    for page, name in ((problem, "collected_by_body"), (visit, "body"), (report, "body")):
        assert value(page, name) == str(body_id), name  # the user's group


def test_a_visit_saved_without_a_campaign_field_goes_into_the_users_campaign(seeded, login_as):
    group = login_as("group")
    with seeded.app_context():
        world = scoped_world()  # 甲企业 is linked to the user's group
        firm_id, campaign_id = world["EA"][1], miluo().id
        body_id = named(__import__("models").Body, "工作组（循环园）").id
    page = group.get("/admin/visit/new/").text
    response = group.post("/admin/visit/new/", data={
        "csrf_token": csrf_token(page), "body": body_id, "enterprise": firm_id, "visited_on": value(page, "visited_on"),
        "form": "实地走访", "participants": "张三", "summary": "了解用工情况", "campaign": "999"})
    assert response.status_code == 302, response.text
    with seeded.app_context():
        visit = db.session.scalar(select(Visit).where(Visit.enterprise_id == firm_id, Visit.participants == "张三"))
        assert (visit.campaign_id, visit.visited_on) == (campaign_id, workflow.today())


def test_a_user_of_several_campaigns_still_chooses(seeded, login_as):
    page = login_as("admin").get("/admin/problem/new/").text  # the system administrator sees both seeded campaigns
    assert "campaign" in fields(page)


def test_the_desks_report_link_opens_the_form_of_the_period_due(seeded, login_as):
    group = login_as("group")
    desk = group.get("/admin/").text
    links = [html.unescape(u) for u in re.findall(r'href="(/admin/report/new/[^"]+)"', desk)]
    due = [u for u in links if "period_start=" in u]
    assert due, "the seeded tasks name the group's 周调度 and 旬通报"
    form = group.get(due[0]).text
    kind = unquote(re.search(r"kind=([^&]+)", due[0]).group(1))
    start = re.search(r"period_start=([\d-]+)", due[0]).group(1)
    assert value(form, "period_start") == start
    assert re.search(rf'<option selected value="{kind}"|<option value="{kind}" selected', form), kind
    assert value(group.get("/admin/report/new/?period_start=not-a-date").text, "period_start") == ""  # ignored
