"""The one base of every page that is not a table (the home page, 报表, 导入, the 督办 tables, 修改密码): it opens
to the roles admin.access.PAGES names for it, and to no one else. The start-up check refuses a page that is not
built on it, so removing a role from PAGES removes its access everywhere."""
from __future__ import annotations

from flask import abort, current_app, has_request_context, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_login import current_user

from .access import PAGES, in_menu


def per_request(key: str, compute):
    """`compute()`, worked out once per request (a list page asks for the same thing for every row and column)."""
    if not has_request_context():
        return compute()
    environ = request.environ  # the request's own (g may outlive a request in tests that hold an app context)
    if key not in environ:
        environ[key] = compute()
    return environ[key]


def current_role() -> str | None:
    """The logged-in user's role (None when nobody is), looked up once per request: the menu asks every view whether
    it is open to the user, and each look through Flask-Login's proxy costs more than the answer."""
    return per_request("zq.role", lambda: current_user.role if current_user.is_authenticated else None)


def cached_menu(caller) -> str:
    """The navbar's menu, rendered once per process for each role and each page (`{% call cached_menu() %}`): it
    depends on nothing else, and asking every view whether the role may open it costs more than the rest of a page's
    chrome."""
    cache = current_app.extensions.setdefault("zq.menu", {})
    key = (current_role(), request.blueprint)
    if key not in cache:
        cache[key] = caller()
    return cache[key]


def login_redirect():
    """Send an anonymous visitor to the login page, remembering where they were going."""
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


class PageAccess:
    """Open to the roles PAGES names for the page's endpoint; a visitor who is not logged in goes to the login page,
    a user whose role is not named gets 403."""

    def is_accessible(self) -> bool:
        return current_role() in PAGES.get(self.endpoint, ())

    def is_visible(self) -> bool:
        return self.endpoint == "admin" or in_menu(current_role(), self.endpoint)  # the menu of the role (MENUS)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return login_redirect()
        abort(403)


class SecurePage(PageAccess, BaseView):
    """A page that is not a table."""


class SecureIndex(PageAccess, AdminIndexView):
    """The panel's home page (its endpoint is "admin")."""


def check_pages(views, table_view) -> None:
    """Refuse to start when a page is not built on the secure page base (and so would skip PAGES)."""
    loose = [v.endpoint for v in views if not isinstance(v, table_view | PageAccess)]
    if loose:
        raise RuntimeError(f"这些页面没有使用安全页面基类（admin.pages.SecurePage），不受权限表约束：{loose}")
