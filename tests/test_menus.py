"""Each role's menu shows what that role uses (issue 29, point 4): a responsible unit's phone menu has five entries, not
nine; a page left out of a menu stays open to those the access table lets in."""
from __future__ import annotations

import re

import pytest

from admin import access
from models.vocab import ROLES


def menu(page: str) -> list[str]:
    """The top-level entries of the navbar's menu, in order."""
    bar = re.search(r'<ul class="nav navbar-nav mr-auto">(.*?)<ul class="nav navbar-nav navbar-right', page, re.S).group(1)
    top = re.sub(r'<ul class="dropdown-menu">.*?</ul>', "", bar, flags=re.S)
    return [re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", text)) for text in re.findall(r'class="[^"]*nav-link[^"]*"[^>]*>(.*?)</a>', top, re.S)]


EXPECTED = {
    "handler": ["我的待办", "统计", "问题台账", "督办", "报表导出"],
    "leader": ["我的待办", "统计", "问题台账", "督办", "报表导出"],
    "group": ["我的待办", "统计", "企业与走访", "问题台账", "督办", "报表"],
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_roles_menu_is_what_it_uses(seeded, login_as, role):
    client = login_as(role)
    assert menu(client.get("/admin/").text) == EXPECTED[role]


def test_a_page_out_of_the_menu_stays_open_by_its_url(seeded, login_as):
    client = login_as("handler")
    assert "/admin/unit/" not in client.get("/admin/").text  # 组织架构 is not in a unit's menu
    assert client.get("/admin/unit/").status_code == 200  # yet it may read it (POLICY)


def test_the_offices_menu_keeps_every_page(seeded, login_as):
    shown = menu(login_as("coordinator").get("/admin/").text)
    assert shown[:3] == ["我的待办", "统计", "组织架构"] and "系统" in shown and len(shown) >= 8


def test_a_menu_naming_a_page_that_does_not_exist_stops_the_start(monkeypatch):
    monkeypatch.setitem(access.MENUS, "handler", frozenset({"problem", "no_such_page"}))
    with pytest.raises(RuntimeError, match="菜单表"):
        access.check_complete(set(access.POLICY), set(access.PAGES))
    assert set(access.MENUS) == set(ROLES)
