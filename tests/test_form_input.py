"""What a form accepts: a related row the user may not use (missing, another campaign's, another group's) is a field
error and never a silent empty value; columns the system keeps are never form fields, for anyone; a number the
database cannot store is a Chinese field error, not the database's internal message."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from admin.forms import INTERNAL_COLUMNS
from admin.secure import SecureModelView
from admin.fields import INVALID_CHOICE
from admin.access import POLICY
from models import Enterprise, Event, Person, db, workflow
from tests.conftest import csrf_token, hidden_inputs
from tests.factories import named, scoped_world
from tests.helpers import field_errors, fingerprint

ROLES = ("admin", "coordinator", "group", "handler", "leader")


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


@pytest.fixture
def clients(login_as):
    return {role: login_as(role) for role in ROLES}


def post(client, url, data):
    return client.post(url, data={**hidden_inputs(client.get(url).text), **data})


MISSING = "999999"


@pytest.mark.parametrize("who, url, data, field", [
    # a searchable relation that may be empty (所在镇（园区）): a missing row, another campaign's row
    ("coordinator", "/admin/enterprise/new/", {"name": "丙企业", "town": MISSING}, "town"),
    ("coordinator", "/admin/enterprise/new/", {"name": "丙企业", "town": "AHU"}, "town"),
    # a plain dropdown that may be empty (the account's campaign)
    ("admin", "/admin/user/new/", {"username": "x1", "role": "admin", "campaign": MISSING, "password": "long-enough-1"},
     "campaign"),
    # several searchable rows at once: one unknown id refuses them all
    ("coordinator", "/admin/task/new/", {"code": "九", "section": "主要任务", "title": "测试任务", "status": "未开始",
                                         "submitters": f"GA,{MISSING}"}, "submitters"),
    # a working group may not name a problem's enterprise it cannot see
    ("group", "/admin/problem/new/", {"description": "说明", "enterprise": "EB", "collected_by_body": "GA"}, "enterprise"),
])
def test_a_related_row_the_user_may_not_use_is_a_field_error(seeded, world, clients, who, url, data, field):
    data = {k: ",".join(str(world[p][1]) if p in world else p for p in v.split(",")) for k, v in data.items()}
    data.setdefault("campaign", str(world["C"][1]))
    before = fingerprint(seeded)
    response = post(clients[who], url, data)
    assert response.status_code == 200
    assert INVALID_CHOICE in field_errors(response.text)
    assert fingerprint(seeded) == before


def test_a_step_refuses_a_unit_that_is_not_offered(seeded, world, clients):
    url = f"/admin/problem/step/assign/?id={world['PA'][1]}"
    page = clients["coordinator"].get(url)
    deadline = (workflow.today() + timedelta(days=10)).isoformat()
    with seeded.app_context():
        person = named(Person, "周雄伟").id
    before = fingerprint(seeded)
    for co_units in ([world["U"][1], MISSING], [world["AHU"][1]]):
        response = clients["coordinator"].post(url, data={"csrf_token": csrf_token(page.text), "responsible_unit": world["U"][1],
                                                          "co_units": co_units, "lead_person": person, "deadline": deadline})
        assert response.status_code == 200 and INVALID_CHOICE in field_errors(response.text)
    response = clients["coordinator"].post(url, data={"csrf_token": csrf_token(page.text), "responsible_unit": world["AHU"][1],
                                                      "lead_person": person, "deadline": deadline})
    assert INVALID_CHOICE in field_errors(response.text)
    assert fingerprint(seeded) == before


def test_a_good_relation_is_still_saved(seeded, world, clients):
    response = post(clients["coordinator"], "/admin/enterprise/new/",
                    {"campaign": world["C"][1], "name": "丙企业", "town": world["U"][1]})
    assert response.status_code == 302
    with seeded.app_context():
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == "丙企业"))
        assert firm.town_id == world["U"][1]


def keyed_row(world, endpoint):
    return next((pk for table, pk in world.values() if table == endpoint), None)


def test_columns_the_system_keeps_are_never_form_fields(seeded, world, clients):
    admin = seeded.extensions["admin"][0]
    checked = 0
    for view in (v for v in admin._views if isinstance(v, SecureModelView)):
        for role, client in clients.items():
            ops = POLICY[view.endpoint][role]
            pages = (["/new/"] if "create" in ops else []) + ([f"/edit/?id={keyed_row(world, view.model.__tablename__)}"]
                                                             if "edit" in ops and keyed_row(world, view.model.__tablename__) else [])
            for page in pages:
                response = client.get(f"/admin/{view.endpoint}{page}")
                if response.status_code != 200:
                    continue
                names = set(re.findall(r'name="([^"]+)"', response.text))
                assert not names & INTERNAL_COLUMNS, (view.endpoint, role, page, names & INTERNAL_COLUMNS)
                checked += 1
    assert checked > 40


@pytest.mark.parametrize("url, data, field", [
    ("/admin/event/new/", {"kind": "宣讲会", "title": "宣讲会", "attendance_total": "99999999999999999999"}, "attendance_total"),
    ("/admin/event/new/", {"kind": "宣讲会", "title": "宣讲会", "attendance_cadres": "-2147483649"}, "attendance_cadres"),
    ("/admin/task/new/", {"code": "九", "section": "主要任务", "title": "任务", "status": "未开始",
                          "target_value": "1e20"}, "target_value"),
    ("/admin/task/new/", {"code": "九", "section": "主要任务", "title": "任务", "status": "未开始",
                          "target_value": "NaN"}, "target_value"),
    ("/admin/stated_figure/new/", {"label": "指标", "value": "100000000000000"}, "value"),
])
def test_a_number_the_database_cannot_store_is_a_chinese_field_error(seeded, world, clients, url, data, field):
    before = fingerprint(seeded)
    response = post(clients["coordinator"], url, {"campaign": world["C"][1], **data})
    assert response.status_code == 200
    errors = field_errors(response.text)
    assert any(e.startswith(("数值超出范围", "请输入一个有效的数值")) for e in errors), errors
    assert "操作失败" not in response.text and "out of range" not in response.text
    assert fingerprint(seeded) == before


def test_numbers_within_range_are_saved(seeded, world, clients):
    response = post(clients["coordinator"], "/admin/event/new/",
                    {"campaign": world["C"][1], "kind": "宣讲会", "title": "大型宣讲会", "attendance_total": "2147483647"})
    assert response.status_code == 302
    with seeded.app_context():
        assert db.session.scalar(select(Event.attendance_total).where(Event.title == "大型宣讲会")) == 2147483647


@pytest.mark.parametrize("day", ["0001-01-01", "0024-09-12", "9999-12-31", "1899-12-31", "2100-01-01"])
def test_a_date_outside_the_calendar_is_a_field_error(seeded, world, clients, day):
    """0024 typed for 2024 is caught; 0001-01-01 would otherwise be stored and break every report's week."""
    before = fingerprint(seeded)
    response = post(clients["group"], "/admin/visit/new/", {"campaign": world["C"][1], "body": world["GA"][1],
                                                            "enterprise": world["EA"][1], "visited_on": day, "form": "实地走访"})
    assert response.status_code == 200
    assert f"日期 {day} 超出范围：应在 1900-01-01 至 2099-12-31 之间。" in field_errors(response.text)
    url = f"/admin/problem/step/assign/?id={world['PA'][1]}"
    page = clients["coordinator"].get(url)
    response = clients["coordinator"].post(url, data={"csrf_token": csrf_token(page.text), "responsible_unit": world["U"][1],
                                                      "deadline": day})
    assert f"日期 {day} 超出范围：应在 1900-01-01 至 2099-12-31 之间。" in field_errors(response.text)
    assert fingerprint(seeded) == before
