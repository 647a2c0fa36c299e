"""Malformed ids and page numbers in URLs give 404 or a message, never a 500."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from tests.helpers import flashes

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
    assert response.status_code in (200, 302)
    with seeded.app_context():
        problem = db.session.query(Problem).filter_by(description="测试").one_or_none()
        assert problem is None or problem.enterprise is None
