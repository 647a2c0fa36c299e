"""The access matrix: every role × every view × list / details / create / edit / delete / action / export,
including requests by id for rows outside the user's scope. Expectations are written out here, independently
of admin/access.py, so that a policy change that opens a hole fails this test."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin.access import PAGES, POLICY
from admin.listing import ROW_ID
from models import Problem, db
from tests.conftest import csrf_token, make_app
from tests.factories import scoped_world

ROLES = ("admin", "coordinator", "group", "handler", "leader")
OTHERS = {"coordinator", "group", "handler", "leader"}
OFFICE = {"coordinator", "leader"}

# Which roles besides admin may see each keyed row (admin sees all).
VISIBLE = {
    "EA": OTHERS, "EB": OFFICE | {"handler"}, "AHE": set(),
    "EGA": OFFICE | {"group"}, "EGB": OFFICE,
    "BTA": OFFICE | {"group"}, "BTB": OFFICE,
    "VA": OFFICE | {"group"}, "VB": OFFICE,
    "PA": OFFICE | {"group"}, "PA2": OTHERS, "PB": OFFICE | {"handler"}, "PB2": OFFICE, "AHP": set(),
    "UA": OFFICE | {"group"}, "UPB": OFFICE | {"handler"}, "UPB2": OFFICE,
    "RA": OFFICE | {"group"}, "RB": OFFICE,
    "PPA": OFFICE | {"group"}, "PPB": OFFICE,
    "EVB": OFFICE | {"handler"}, "EVC": OTHERS, "AHEV": set(),
    "GA": OTHERS, "GB": OFFICE | {"handler"}, "ZB": OTHERS, "AHG": set(),
    "POSTA": OTHERS, "POSTB": OFFICE | {"handler"},
    "U": OTHERS, "AHU": set(), "PER": OTHERS, "AHPER": set(), "C": OTHERS, "AHC": set(), "T": OTHERS, "POL": OTHERS,
}
# Rows each role may open for editing (admin: every row of a view it may edit; coordinator: every row of its
# campaign in a view it may edit).
GROUP_WRITABLE = {"VA", "PA", "RA"}
# What each role may do, written out independently of admin/access.py.
R, CRUD = {"list", "details"}, {"list", "details", "create", "edit", "delete", "action"}
ORG = {"admin": CRUD, "coordinator": CRUD, "group": R, "handler": R, "leader": R}
NO_HANDLER = {**ORG, "handler": set()}
EXPECTED_OPS = {
    "campaign": {"admin": CRUD, "coordinator": R | {"edit", "action"}, "group": R, "handler": R, "leader": R},
    "source_document": {role: R for role in ROLES},
    "calendar_day": {"admin": CRUD, "coordinator": R, "group": set(), "handler": set(), "leader": set()},
    "calendar_year": {"admin": CRUD, "coordinator": R, "group": set(), "handler": set(), "leader": set()},
    "reminder": {"admin": R, "coordinator": R, "group": set(), "handler": set(), "leader": set()},
    "delivery": {"admin": R | {"action"}, "coordinator": R | {"action"}, "group": set(), "handler": set(), "leader": set()},
    "official_document": {"admin": R, "coordinator": R, "group": set(), "handler": set(), "leader": R},
    "term": {"admin": CRUD, "coordinator": CRUD, "group": set(), "handler": set(), "leader": set()},
    "stated_figure": ORG, "unit": ORG, "person": ORG, "body": ORG, "body_unit": ORG, "post": ORG, "task": ORG,
    "policy": ORG, "enterprise": ORG, "event": ORG,
    "body_town": NO_HANDLER, "policy_push": NO_HANDLER, "enterprise_group": NO_HANDLER,
    "visit": {**NO_HANDLER, "group": CRUD},
    "problem": {"admin": CRUD | {"export"}, "coordinator": R | {"create", "edit", "action", "export"},
                "group": R | {"create", "edit", "action", "export"}, "handler": R | {"action", "export"},
                "leader": R | {"action", "export"}},
    **{listing: {role: R | {"action", "export"} for role in ROLES}
       for listing in ("overdue", "due_soon", "flagged", "escalated", "stale")},
    # the timeline is written by workflow steps only, never edited or deleted (a note here is a step)
    "problem_update": {"admin": R | {"create"}, "coordinator": R, "group": R, "handler": R | {"create"},
                       "leader": R | {"create"}},
    "report": {**NO_HANDLER, "group": R | {"create", "edit"}},
    # 诉求直报: the portal writes the rows; the office and the groups decide on them (受理, 不予受理)
    "appeal": {"admin": R | {"action"}, "coordinator": R | {"action"}, "group": R | {"action"}, "handler": set(),
               "leader": set()},
    "user": {"admin": CRUD, "coordinator": set(), "group": set(), "handler": set(), "leader": set()},
    "audit_log": {"admin": R, "coordinator": R, "group": set(), "handler": set(), "leader": set()},
    "login_attempt": {"admin": R, "coordinator": set(), "group": set(), "handler": set(), "leader": set()},
    "user_session": {"admin": R | {"delete"}, "coordinator": set(), "group": set(), "handler": set(), "leader": set()},
}
# Tables whose every row in the test database is keyed, so list counts can be checked exactly.
COUNTED = ("enterprise", "enterprise_group", "body_town", "visit", "problem", "report", "policy_push")


def test_the_written_out_matrix_is_the_policy():
    assert {view: {role: set(ops) for role, ops in roles.items()} for view, roles in POLICY.items()} == EXPECTED_OPS


def visible(role: str, key: str) -> bool:
    return role == "admin" or role in VISIBLE[key]


def writable(role: str, view: str, key: str) -> bool:
    if "edit" not in EXPECTED_OPS[view][role]:
        return False
    if role in ("admin", "coordinator"):
        return visible(role, key)
    return role == "group" and key in GROUP_WRITABLE


@pytest.fixture
def world(seeded):
    with seeded.app_context():
        return scoped_world()


def version_of(app, table: str, row_id: int):
    with app.app_context():
        model = next(m.class_ for m in db.Model.registry.mappers if m.local_table.name == table)
        row = db.session.get(model, row_id)
        return None if row is None else getattr(row, "version", 0)


@pytest.mark.parametrize("role", ROLES)
def test_every_view_and_operation_for_a_role(seeded, world, login_as, role):
    client = login_as(role)
    token = csrf_token(client.get("/admin/").text)
    keys_by_table: dict[str, list[str]] = {}
    for key, (table, _) in world.items():
        keys_by_table.setdefault(table, []).append(key)

    for view, by_role in EXPECTED_OPS.items():
        granted = by_role[role]
        base = f"/admin/{view}"
        # list and count
        response = client.get(f"{base}/")
        assert response.status_code == (200 if "list" in granted else 403), f"{role} list {view}"
        if "list" in granted and view in COUNTED:
            shown = int(re.search(r"列表 \((\d+)\)", response.text).group(1))
            assert shown == sum(visible(role, k) for k in keys_by_table.get(view, [])), f"{role} count {view}"
        # create
        assert client.get(f"{base}/new/").status_code == (200 if "create" in granted else 403), f"{role} create {view}"
        if "create" not in granted:
            assert client.post(f"{base}/new/", data={"csrf_token": token}).status_code == 403
        # export: no view offers Flask-Admin's built-in export to anyone; the ledger exports 附件2 of what it lists
        assert client.get(f"{base}/export/csv/").status_code == 403, f"{role} export {view}"
        if "export" in granted:
            assert client.get(f"{base}/annex2/").status_code == 200, f"{role} annex2 {view}"
        for key in keys_by_table.get(view, []):
            row_id = world[key][1]
            where = f"{role} {view} {key}"
            # details
            response = client.get(f"{base}/details/", query_string={"id": row_id})
            if "details" not in granted:
                assert response.status_code == 403, where
            elif visible(role, key):
                assert response.status_code == 200, where
            else:
                assert response.status_code == 302, where
                assert "记录不存在" in client.get(response.headers["Location"]).text, where
            # edit form
            response = client.get(f"{base}/edit/", query_string={"id": row_id})
            if "edit" not in granted:
                assert response.status_code == 403, where
            elif not visible(role, key):
                assert response.status_code == 302, where
            else:
                assert response.status_code == (200 if writable(role, view, key) else 403), where
            # writes that must not happen: edit, delete and the delete action on rows the role may not change
            if not writable(role, view, key):
                before = version_of(seeded, view, row_id)
                client.post(f"{base}/edit/?id={row_id}", data={"csrf_token": token, "version_token": before})
                assert version_of(seeded, view, row_id) == before, f"{where}: edited"
            if "delete" not in granted or not writable(role, view, key):
                client.post(f"{base}/delete/", data={"csrf_token": token, "id": row_id})
                client.post(f"{base}/action/", data={"csrf_token": token, "action": "delete", "rowid": row_id})
                assert version_of(seeded, view, row_id) is not None, f"{where}: deleted"


@pytest.mark.parametrize("role", ROLES)
def test_pages_every_role_may_open(seeded, world, login_as, role):
    client = login_as(role)
    for url in ("/admin/", "/admin/ranking/", "/admin/visit-compliance/", "/admin/submissions/", "/admin/account/"):
        assert client.get(url).status_code == 200, (role, url)
    anonymous = seeded.test_client()
    for url in ("/admin/ranking/", "/admin/visit-compliance/", "/admin/submissions/", "/admin/account/"):
        assert anonymous.get(url).status_code == 302


PAGE_URLS = {"admin": "/admin/", "stats": "/admin/stats/", "account": "/admin/account/", "ranking": "/admin/ranking/",
             "visit_compliance": "/admin/visit-compliance/", "submissions": "/admin/submissions/",
             "reports": "/admin/reports/", "imports": "/admin/import/", "portal_cards": "/admin/portal_cards/",
             "attachment": "/admin/attachment/{file}"}  # a file of a problem the leader sees


def a_file(app, problem_id) -> int:
    """An attachment on a problem's first timeline line (a real picture, checked as an upload is)."""
    import io

    from PIL import Image

    from models import ProblemUpdate, attachments

    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 0)).save(picture, "PNG")
    with app.app_context():
        line = db.session.scalars(select(ProblemUpdate).where(ProblemUpdate.problem_id == problem_id)).first()
        campaign = db.session.get(Problem, problem_id).campaign
        row, = attachments.attach(attachments.checked_files([("现场.png", picture.getvalue())], campaign), None,
                                  problem_update=line)
        db.session.commit()
        return row.id


def test_every_page_follows_the_pages_table(seeded, world, login_as, monkeypatch):
    """Removing a role from PAGES removes its access to that page, whichever page it is."""
    assert set(PAGE_URLS) == set(PAGES)
    client = login_as("leader")
    file_id = a_file(seeded, world["PA"][1])
    for endpoint, url in PAGE_URLS.items():
        url = url.format(file=file_id)
        allowed = "leader" in PAGES[endpoint]
        assert client.get(url).status_code == (200 if allowed else 403), url
        monkeypatch.setitem(PAGES, endpoint, PAGES[endpoint] - {"leader"})
        assert client.get(url).status_code == 403, url


def test_a_page_that_skips_the_pages_table_stops_the_app(seeded, monkeypatch):
    from flask_admin import BaseView, expose

    import admin as panel

    class Loose(BaseView):
        @expose("/")
        def index(self):
            return "anyone"

    register = panel.register_views

    def with_a_loose_page(registry):
        register(registry)
        registry.add_view(Loose(name="漏网页面", endpoint="loose", url="/admin/loose"))

    monkeypatch.setattr(panel, "register_views", with_a_loose_page)
    monkeypatch.setitem(PAGES, "loose", frozenset(ROLES))
    with pytest.raises(RuntimeError, match="没有使用安全页面基类.*loose"):
        make_app(seeded.config["SQLALCHEMY_DATABASE_URI"])


def test_group_member_dropdowns_and_lookups_show_only_its_own(seeded, world, login_as):
    client = login_as("group")
    firms = [name for _, name in client.get("/admin/visit/ajax/lookup/", query_string={"name": "enterprise", "query": ""}).json]
    assert firms == ["甲企业（合成）"]
    bodies = [name for _, name in client.get("/admin/visit/ajax/lookup/", query_string={"name": "body", "query": "工作组"}).json]
    assert "工作组（循环园）" in bodies and "工作组（配套园）" not in bodies and "第一工作组" not in bodies
    page = client.get("/admin/problem/new/").text
    assert "“四送一服”双千工程“六稳”集中活动" not in page  # the campaign dropdown holds only its own campaign
    menu = client.get("/admin/").text
    assert "审计日志" not in menu and "用户" not in menu and "登录记录" not in menu


def test_handler_lookups_show_only_its_problems(seeded, world, login_as):
    client = login_as("handler")
    numbers = {label.split()[0] for _, label in client.get("/admin/problem_update/ajax/lookup/",
                                                             query_string={"name": "problem", "query": ""}).json}
    with seeded.app_context():
        expected = {db.session.get(Problem, world[k][1]).number for k in ("PA2", "PB")}
    assert numbers == expected


def test_group_cannot_file_a_visit_or_problem_for_another_group(seeded, world, login_as):
    client = login_as("group")
    with seeded.app_context():
        campaign_id = db.session.get(Problem, world["PA"][1]).campaign_id
    token = csrf_token(client.get("/admin/visit/new/").text)
    response = client.post("/admin/visit/new/", data={"csrf_token": token, "campaign": campaign_id, "body": world["GB"][1],
                                                      "enterprise": world["EA"][1], "visited_on": "2024-09-20", "form": "实地走访"})
    assert response.status_code == 200  # the form comes back with the refused choice
    response = client.post("/admin/problem/new/", data={"csrf_token": token, "campaign": campaign_id,
                                                        "collected_by_body": world["GB"][1], "description": "冒名的问题",
                                                        "escalation_level": "本级"})
    assert response.status_code == 200
    with seeded.app_context():
        from models import Visit

        assert db.session.query(Visit).filter_by(visited_on=__import__("datetime").date(2024, 9, 20)).count() == 0
        assert db.session.query(Problem).filter_by(description="冒名的问题").count() == 0


def test_group_files_its_own_problem_and_visit_with_defaults(seeded, world, login_as):
    client = login_as("group")
    page = client.get("/admin/problem/new/").text
    field = re.search(r'<input[^>]*id="collected_by_body"[^>]*>', page).group(0)
    assert f'value="{world["GA"][1]}"' in field  # 收集工作组 is filled in with the member's own group
    token = csrf_token(page)
    with seeded.app_context():
        campaign_id = db.session.get(Problem, world["PA"][1]).campaign_id
    response = client.post("/admin/problem/new/", data={"csrf_token": token, "campaign": campaign_id,
                                                        "collected_by_body": world["GA"][1], "enterprise": world["EA"][1],
                                                        "description": "企业反映用工难", "category": "用工",
                                                        "escalation_level": "本级"})
    assert response.status_code == 302
    with seeded.app_context():
        problem = db.session.query(Problem).filter_by(description="企业反映用工难").one()
        assert (problem.status, problem.collected_by_body_id) == ("待交办", world["GA"][1])


def test_permitted_deletes_and_the_problem_rule(seeded, world, login_as):
    """Coordinator and group delete visits in their scope; only the admin hard-deletes a problem."""
    for role, key in (("coordinator", "VB"), ("group", "VA")):
        client = login_as(role)
        token = csrf_token(client.get("/admin/").text)
        client.post("/admin/visit/delete/", data={"csrf_token": token, "id": world[key][1]})
        assert version_of(seeded, "visit", world[key][1]) is None, role
    client = login_as("coordinator")
    token = csrf_token(client.get("/admin/").text)
    assert client.post("/admin/problem/delete/", data={"csrf_token": token, "id": world["PB2"][1]}).status_code == 403
    assert version_of(seeded, "problem", world["PB2"][1]) is not None
    client = login_as("admin")
    token = csrf_token(client.get("/admin/").text)
    client.post("/admin/problem/delete/", data={"csrf_token": token, "id": world["PB2"][1]})
    assert version_of(seeded, "problem", world["PB2"][1]) is None


def test_problem_actions_respect_role_and_scope(seeded, world, login_as):
    """A bulk action opens the step's form for the selected problems the user may act on; others are left out."""
    leader, group = login_as("leader"), login_as("group")
    ids = [world[k][1] for k in ("PB", "AHP")]
    with seeded.app_context():
        other = db.session.get(Problem, world["AHP"][1])
        other.flagged = False  # seeded as 挂牌督办: unflagged here, so that only the scope can keep the step off it
        db.session.commit()
        other_before = (other.flagged, other.version)
    token = csrf_token(leader.get("/admin/problem/").text)
    response = leader.post("/admin/problem/action/", data={"csrf_token": token, "action": "flag", "rowid": ids})
    assert response.status_code == 302 and "/admin/problem/step/flag/" in response.headers["Location"]
    form = leader.get(response.headers["Location"])
    assert "另有1个所选问题不存在或您无权操作" in form.text
    done = leader.post(response.headers["Location"], data={"csrf_token": token, "note": "请加快办理"}, follow_redirects=True)
    assert re.search(r"已对[A-Z]+-[0-9-]+挂牌督办。", done.text)
    group_token = csrf_token(group.get("/admin/problem/").text)
    group.post("/admin/problem/action/", data={"csrf_token": group_token, "action": "flag", "rowid": [world["PA"][1]]})
    assert group.post(f"/admin/problem/step/flag/?ids={world['PA'][1]}", data={"csrf_token": group_token}).status_code == 403
    with seeded.app_context():
        flags = {k: db.session.get(Problem, world[k][1]).flagged for k in ("PA", "PB")}
        other = db.session.get(Problem, world["AHP"][1])
        assert (other.flagged, other.version) == other_before  # out of the leader's scope: untouched
    assert flags == {"PA": False, "PB": True}
    assert 'value="flag"' not in group.get("/admin/problem/").text


def test_every_post_needs_a_csrf_token(seeded, world, login_as):
    client = login_as("admin")
    for url, data in (
        ("/admin/unit/new/", {"name": "无令牌单位"}),
        (f"/admin/visit/edit/?id={world['VA'][1]}", {"visited_on": "2024-10-01"}),
        ("/admin/visit/delete/", {"id": world["VA"][1]}),
        ("/admin/problem/action/", {"action": "flag", "rowid": world["PA"][1]}),
        (f"/admin/problem/step/withdraw/?id={world['PA'][1]}", {"reason": "测试"}),
        ("/admin/account/", {"current": "x", "new": "y" * 10, "confirm": "y" * 10}),
        ("/logout", {}),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "CSRF" in response.text
    with seeded.app_context():
        assert version_of(seeded, "visit", world["VA"][1]) == 1
        assert db.session.get(Problem, world["PA"][1]).flagged is False
        assert db.session.get(Problem, world["PA"][1]).status == "待交办"


def test_list_shows_edit_buttons_only_on_rows_the_user_may_change(seeded, world, login_as):
    client = login_as("group")
    page = client.get("/admin/problem/").text
    assert f"/admin/problem/edit/?id={world['PA'][1]}&" in page
    assert f"/admin/problem/edit/?id={world['PA2'][1]}&" not in page
    assert f"/admin/problem/details/?id={world['PA2'][1]}&" in page


@pytest.mark.parametrize("extra", ["", f"&note={ROW_ID}"])
def test_each_rows_buttons_carry_its_own_id(seeded, world, login_as, extra):
    """The row buttons are rendered once per page for a stand-in id (admin.listing.ROW_ID) and each row's id put in;
    when the page's URL itself holds the stand-in, each row's buttons are rendered on their own."""
    client = login_as("coordinator")
    page = client.get(f"/admin/visit/?page_size=20{extra}").text
    for key in ("VA", "VB"):
        pk = world[key][1]
        assert re.search(rf'href="/admin/visit/edit/\?id={pk}&amp;url=', page), key
        assert re.search(rf'<input[^>]*name="id"[^>]*value="{pk}"', page), key  # its delete form names the row
    assert f"?id={ROW_ID}" not in page and not re.search(rf'name="id"[^>]*value="{ROW_ID}"', page)


@pytest.mark.parametrize("role", ["admin", "coordinator", "group", "handler", "leader"])
def test_the_campaigns_an_account_names_are_the_campaigns_its_scope_reads(seeded, role):
    """models.scope.campaigns_of (the campaigns a page is about, taken from the account without a query) gives exactly
    the campaigns read_filter lets the user read, for every role; the system administrator's are queried."""
    from models import Campaign, User
    from models.scope import campaigns_of, scope_query
    from tests.conftest import make_user

    user_id = make_user(seeded, f"campaigns-{role}", role)
    with seeded.app_context():
        user = db.session.get(User, user_id)
        readable = db.session.scalars(scope_query(select(Campaign.id), Campaign, user).order_by(Campaign.id)).all()
        named = campaigns_of(user)
        if role == "admin":
            assert named is None and len(readable) >= 2  # every campaign, queried
        else:
            assert [c.id for c in named] == readable == [user.campaign_id]
