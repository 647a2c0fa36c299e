"""Malformed ids and page numbers in URLs give 404 or a message, never a 500."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from tests.helpers import fingerprint, flashes

BAD_IDS = ["abc", "1,2", "-1", "0", "1.5", "99999999999999999999", "%00", "1 OR 1=1", "２", "999999"]
VIEWS = ["problem", "unit", "enterprise", "task", "user", "audit_log"]


@pytest.mark.parametrize("view", VIEWS)
def test_malformed_ids_on_details_and_edit(admin_client, view):
    pages = ("details", "edit") if view != "audit_log" else ("details",)
    for bad in BAD_IDS:
        for page in pages:
            response = admin_client.get(f"/admin/{view}/{page}/", query_string={"id": bad})
            assert response.status_code in (302, 404), f"{view} {page} id={bad!r}: {response.status_code}"
            if response.status_code == 302:
                followed = admin_client.get(response.headers["Location"])
                assert followed.status_code == 200
                assert "记录不存在" in "".join(flashes(followed.text)), f"{view} {page} id={bad!r}"


@pytest.mark.parametrize("query", ["", "?id="])
def test_missing_id_returns_to_the_list(admin_client, query):
    response = admin_client.get(f"/admin/unit/details/{query}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/unit/")


def test_malformed_ids_on_delete_change_nothing(admin_client):
    token = csrf_token(admin_client.get("/admin/unit/").text)
    for bad in BAD_IDS:
        response = admin_client.post("/admin/unit/delete/", data={"id": bad, "csrf_token": token}, follow_redirects=True)
        assert response.status_code == 200, bad


def test_malformed_ids_in_bulk_actions(admin_client):
    token = csrf_token(admin_client.get("/admin/unit/").text)
    response = admin_client.post("/admin/unit/action/", data={"action": "delete", "rowid": BAD_IDS, "csrf_token": token},
                                 follow_redirects=True)
    assert response.status_code == 200


@pytest.mark.parametrize("args", [
    {"page": "-1"}, {"page": "abc"}, {"page": "99999999999999999999"}, {"page": "100000000"},
    {"page_size": "-5"}, {"page_size": "100000000"}, {"page_size": "x"},
    {"sort": "999"}, {"sort": "-3"}, {"sort": "x"}, {"desc": "x"}, {"search": "%' OR 1=1 --"},
    {"flt0_999": "x"}, {"flt99_0": "x"}, {"flt0_0": "x" * 2000},
])
def test_malformed_list_arguments(admin_client, args):
    for view in ("problem", "unit", "audit_log"):
        response = admin_client.get(f"/admin/{view}/", query_string=args)
        assert response.status_code == 200, f"{view} {args}: {response.status_code}"


def test_unknown_admin_page_is_a_chinese_404(admin_client):
    response = admin_client.get("/admin/no-such-view/")
    assert response.status_code == 404
    assert "页面或记录不存在" in response.text


@pytest.mark.parametrize("query", [
    {"name": "enterprise", "query": "安徽"},
    {"name": "enterprise", "query": "x", "offset": "abc"},
    {"name": "enterprise", "query": "x", "offset": "-5"},
    {"name": "enterprise", "query": "x", "offset": "99999999999999999999"},
    {"name": "enterprise"},
])
def test_ajax_lookups_never_fail(admin_client, query):
    response = admin_client.get("/admin/problem/ajax/lookup/", query_string=query)
    assert response.status_code == 200
    assert isinstance(response.json, list)


def test_ajax_lookup_of_an_unknown_field_is_404(admin_client):
    assert admin_client.get("/admin/problem/ajax/lookup/", query_string={"name": "nope", "query": "x"}).status_code == 404


@pytest.mark.parametrize("bad", ["abc", "99999999999999999999", "-1", "1,2"])
def test_malformed_ids_in_relationship_fields_are_refused(admin_client, seeded, bad):
    from models import Problem, db
    from tests.factories import miluo

    with seeded.app_context():
        campaign_id = miluo().id
    token = csrf_token(admin_client.get("/admin/problem/new/").text)
    response = admin_client.post("/admin/problem/new/", data={
        "csrf_token": token, "campaign": campaign_id, "enterprise": bad, "description": "测试",
        "status": "待交办", "escalation_level": "本级"})
    assert response.status_code == 200  # a field error, never a problem saved without its enterprise
    with seeded.app_context():
        assert db.session.query(Problem).filter_by(description="测试").one_or_none() is None


LONG_SEARCH = " ".join(f"词{n}" for n in range(2000))


@pytest.mark.parametrize("args, message", [
    ({"search": LONG_SEARCH}, "已按“词0 词1 词2 词3 词4”搜索"),
    ({"search": "企" * 20000}, "最多5个词、100个字"),
    ({"search": "乙企业\x00"}, "含有控制字符"),
    ({"flt0_3": "9" * 30}, "无效"),  # 责任单位: an id no database integer holds
    ({"flt0_0": "待交办" * 300}, "最多200个字"),
    ({"flt0_0": "待交办\x00"}, "含有控制字符"),
    ({f"flt{n}_12": "1" for n in range(60)}, "最多同时使用20个"),
])
def test_oversized_list_arguments_are_trimmed_with_a_message(admin_client, seeded, args, message):
    before = fingerprint(seeded)
    for view in ("problem", "overdue"):
        response = admin_client.get(f"/admin/{view}/", query_string=args)
        assert response.status_code == 200, f"{view} {args}: {response.status_code}"
        assert message in " ".join(flashes(response.text)), flashes(response.text)
        assert admin_client.get(f"/admin/{view}/annex2/", query_string=args).status_code == 200
    assert fingerprint(seeded) == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2100-01-01", "2024-02-30", "x" * 5000])
def test_report_dates_out_of_range_get_a_message(admin_client, seeded, day):
    for kind in ("weekly", "dekad", "problems"):
        response = admin_client.get("/admin/reports/download", query_string={"kind": kind, "date": day}, follow_redirects=True)
        assert response.status_code == 200, (kind, day)
        assert any("日期" in m for m in flashes(response.text)), (kind, day)


def test_ajax_lookup_of_an_oversized_or_control_character_query(admin_client):
    for query in ("企" * 100_000, "安徽\x00", " ".join(["x"] * 5000)):
        response = admin_client.get("/admin/problem/ajax/lookup/", query_string={"name": "enterprise", "query": query})
        assert response.status_code == 200 and isinstance(response.json, list)
