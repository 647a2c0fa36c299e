"""Malformed ids and page numbers in URLs give 404 or a message, never a 500."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin.fields import INVALID_CHOICE
from models import Enterprise, db
from tests.conftest import csrf_token
from tests.factories import scoped_world
from tests.helpers import field_errors, fingerprint, flashes

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


def test_malformed_ids_on_delete_change_nothing(admin_client, seeded):
    token = csrf_token(admin_client.get("/admin/unit/").text)
    before = fingerprint(seeded)
    for bad in BAD_IDS:
        response = admin_client.post("/admin/unit/delete/", data={"id": bad, "csrf_token": token}, follow_redirects=True)
        assert response.status_code == 200, bad
        assert "记录不存在。" in flashes(response.text), bad
    assert fingerprint(seeded) == before


def test_malformed_ids_in_bulk_actions(admin_client, seeded):
    """Deleting by malformed ids in bulk deletes nothing, and says so."""
    token = csrf_token(admin_client.get("/admin/unit/").text)
    before = fingerprint(seeded)
    response = admin_client.post("/admin/unit/action/", data={"action": "delete", "rowid": BAD_IDS, "csrf_token": token},
                                 follow_redirects=True)
    assert response.status_code == 200
    assert "已删除 0 条记录。" in flashes(response.text)
    assert fingerprint(seeded) == before


def test_a_bulk_delete_of_well_formed_ids_deletes_them(admin_client, seeded):
    """The same action with good ids (PostgreSQL refused Flask-Admin's text ids, even well-formed ones)."""
    from models import Unit, db
    from tests.factories import miluo

    with seeded.app_context():
        units = [Unit(campaign=miluo(), name=f"待删除单位{n}") for n in range(2)]
        db.session.add_all(units)
        db.session.commit()
        ids = [str(u.id) for u in units]
    token = csrf_token(admin_client.get("/admin/unit/").text)
    response = admin_client.post("/admin/unit/action/", data={"action": "delete", "rowid": [*ids, "1,2"], "csrf_token": token},
                                 follow_redirects=True)
    assert "已删除 2 条记录。" in flashes(response.text)
    with seeded.app_context():
        assert db.session.query(Unit).filter(Unit.id.in_([int(i) for i in ids])).count() == 0


def listed(response, view: str) -> tuple[int, list[str]]:
    """What a list page shows: the count on its tab (“列表 (N)”, no number when there are no rows) and the ids of
    its rows, in order."""
    assert response.status_code == 200, f"{view}: {response.status_code}"
    count = re.search(r"列表 \((\d+)\)", response.text)
    if count is None:
        assert "没有符合条件的记录。" in response.text, view
    ids = re.findall(rf'href="/admin/{view}/details/\?id=(\d+)&', response.text)
    return (int(count.group(1)) if count else 0), list(dict.fromkeys(ids))


def messages(response) -> list[str]:
    return [m for m in flashes(response.text) if m]


# Each malformed argument and what the list does with it (admin/listing.py: _get_list_extra_args, _get_list_filter_args,
# bounded_search):
AS_IF_ABSENT = "as if absent"  # the same rows in the same order as without the argument, and no message
PAST_THE_END = "past the end"  # a page number beyond the last page (capped at MAX_PAGE): the whole count, no rows
AS_TEXT = "as text"  # a search is words to look for, never SQL: nothing contains them
AS_FILTER_0 = "as flt0_0=x"  # a filter's position is only its order: the same page as the filter in first place
MALFORMED_LIST_ARGUMENTS = [
    ({"page": "-1"}, AS_IF_ABSENT), ({"page": "abc"}, AS_IF_ABSENT),
    ({"page": "99999999999999999999"}, PAST_THE_END), ({"page": "100000000"}, PAST_THE_END),
    ({"page_size": "-5"}, AS_IF_ABSENT), ({"page_size": "100000000"}, AS_IF_ABSENT), ({"page_size": "x"}, AS_IF_ABSENT),
    ({"sort": "999"}, AS_IF_ABSENT), ({"sort": "-3"}, AS_IF_ABSENT), ({"sort": "x"}, AS_IF_ABSENT),
    ({"desc": "x"}, AS_IF_ABSENT), ({"search": "%' OR 1=1 --"}, AS_TEXT),
    ({"flt0_999": "x"}, AS_IF_ABSENT),  # no filter 999
    ({"flt99_0": "x"}, AS_FILTER_0),
    ({"flt0_0": "x" * 2000}, "的值过长（最多200个字）或含有控制字符，已忽略。"),  # dropped, with this message
]


@pytest.mark.parametrize("args, effect", MALFORMED_LIST_ARGUMENTS,
                         ids=[f"{k}={v[:20]}" for args, _ in MALFORMED_LIST_ARGUMENTS for k, v in args.items()])
def test_malformed_list_arguments(admin_client, args, effect):
    for view in ("problem", "unit", "audit_log"):
        plain = listed(admin_client.get(f"/admin/{view}/"), view)
        assert plain[0] > 0 and plain[1], view  # something to compare with
        response = admin_client.get(f"/admin/{view}/", query_string=args)
        shown, where = listed(response, view), f"{view} {str(args)[:40]}"
        if effect == AS_IF_ABSENT:
            assert shown == plain and not messages(response), where
        elif effect == PAST_THE_END:
            assert shown == (plain[0], []) and not messages(response), where
        elif effect == AS_TEXT:
            assert shown == (0, []) and not messages(response), where
        elif effect == AS_FILTER_0:
            first = admin_client.get(f"/admin/{view}/", query_string={"flt0_0": "x"})
            assert (shown, messages(response)) == (listed(first, view), messages(first)), where
        else:
            assert shown == plain, where
            assert any(m.endswith(effect) for m in messages(response)), (where, messages(response))


def test_unknown_admin_page_is_a_chinese_404(admin_client):
    response = admin_client.get("/admin/no-such-view/")
    assert response.status_code == 404
    assert "页面或记录不存在" in response.text


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


@pytest.mark.parametrize("query, past_the_end", [
    ({"name": "enterprise", "query": "安徽"}, False),
    ({"name": "enterprise", "query": "x", "offset": "abc"}, False),  # not a number: from the first row
    ({"name": "enterprise", "query": "x", "offset": "-5"}, False),  # below the first row: from the first row
    ({"name": "enterprise", "query": "x", "offset": "99999999999999999999"}, True),  # capped, still past the last row
    ({"name": "enterprise"}, False),
    ({"name": "enterprise", "query": "企业", "offset": "abc"}, False),
    ({"name": "enterprise", "query": "企业", "offset": "-5"}, False),
    ({"name": "enterprise", "query": "企业", "offset": "99999999999999999999"}, True),
])
@pytest.mark.parametrize("role", ["admin", "group"])
def test_ajax_lookups_never_fail(seeded, world, login_as, role, query, past_the_end):
    """Whatever the query and offset, the answer is a list: the enterprises the user may see whose names contain the
    words typed (every one for the administrator; only its own 甲企业 for 循环园's working group)."""
    client = login_as(role)
    response = client.get("/admin/problem/ajax/lookup/", query_string=query)
    assert response.status_code == 200
    assert isinstance(response.json, list)
    with seeded.app_context():
        every_firm = dict(db.session.execute(select(Enterprise.id, Enterprise.name)).all())
    may_see = every_firm if role == "admin" else {world["EA"][1]: every_firm[world["EA"][1]]}
    typed = query.get("query", "")
    expected = [] if past_the_end else sorted([pk, name] for pk, name in may_see.items() if typed in name)
    assert sorted(response.json) == expected, role


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
    assert field_errors(response.text) == [INVALID_CHOICE]
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
    """Such a query is looked up as its first 100 characters, without the control characters."""

    def lookup(query):
        response = admin_client.get("/admin/problem/ajax/lookup/", query_string={"name": "enterprise", "query": query})
        assert response.status_code == 200 and isinstance(response.json, list)
        return response.json

    assert lookup("安徽\x00") == lookup("安徽") != []
    assert lookup("企" * 100_000) == lookup("企" * 100)
    assert lookup(" ".join(["x"] * 5000)) == lookup(" ".join(["x"] * 5000)[:100])
