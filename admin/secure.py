"""The one secure base for every admin view.

It applies the access table (admin/access.py) to every endpoint and scopes every query (lists, counts, details,
edits, deletes, actions, dropdowns, lookups) to the rows the user may see or change. What it builds on, each in its
own module: the list pages (admin/listing.py), the forms and their start-up check (admin/forms.py), and the Chinese
messages for what is refused (admin/errors.py). Views themselves declare attributes only.
"""
from __future__ import annotations

from flask import abort, g, has_request_context
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_login import current_user

from models import db

from . import access
from .ajax import SafeAjaxLoader
from .columns import details_columns
from .errors import ChineseMessages
from .fields import CheckedForm
from .forms import INTERNAL_COLUMNS, ScopedModelConverter, VersionedForms
from .ids import parse_id
from .labels import COMMON_LABELS, DETAIL_FORMATTERS, LIST_FORMATTERS
from .listing import ListArguments, PagedList
from .pages import current_role, login_redirect
from .scoping import is_write_endpoint, scoped, user_role

# Flask-Admin's endpoints and the operation of the policy table each one needs.
ENDPOINT_OPS = {
    "index_view": "list",
    "details_view": "details",
    "create_view": "create",
    "edit_view": "edit",
    "delete_view": "delete",
    "action_view": "action",
    "export": "builtin_export",  # Flask-Admin's own export: in memory, formulas live; nobody may use it
    "annex2_view": "export",  # our 附件2 export of the current list
    "ajax_update": "edit",
}


class SecureModelView(PagedList, ListArguments, VersionedForms, ChineseMessages):
    """Base class of every model view. Subclasses declare attributes only."""

    form_base_class = CheckedForm
    model_form_converter = ScopedModelConverter
    can_view_details = True
    can_export = False
    can_set_page_size = True
    page_size = 20  # Flask-Admin's own default: a light page on a slow office PC; 50, 100 or 200 on request
    page_size_options = (20, 50, 100, 200)
    column_display_pk = False
    column_default_sort = ("id", True)
    form_excluded_columns = ()  # INTERNAL_COLUMNS are added to every view's own
    column_details_exclude_list = ()
    list_template = "admin/zq_list.html"
    details_template = "admin/zq_details.html"
    column_type_formatters = LIST_FORMATTERS  # yes/no in Chinese
    column_type_formatters_detail = DETAIL_FORMATTERS

    def __init__(self, model, session=None, **kwargs):
        self.column_labels = {**COMMON_LABELS, **(self.column_labels or {})}
        self.form_excluded_columns = (*(self.form_excluded_columns or ()), *sorted(INTERNAL_COLUMNS))
        if self.column_details_list is None:
            self.column_details_list = details_columns(model, self.column_details_exclude_list)
        super().__init__(model, session or db, **kwargs)

    # --- the policy table, applied to every endpoint ---
    def allowed(self, op: str) -> bool:
        return access.allows(user_role(), self.endpoint, op)

    def is_accessible(self) -> bool:
        return current_role() is not None and self.allowed("list")

    def is_visible(self) -> bool:
        return access.in_menu(current_role(), self.endpoint)  # the role's menu (access.MENUS)

    def inaccessible_callback(self, name, **kwargs):
        return login_redirect() if not current_user.is_authenticated else abort(403)

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return login_redirect()
        if name == "ajax_lookup":
            permitted = self.allowed("create") or self.allowed("edit") or self.allowed("action")
        else:
            permitted = self.allowed(ENDPOINT_OPS.get(name, "action"))
        if not permitted:
            abort(403)
        return super()._handle_view(name, **kwargs)

    @property
    def can_create(self) -> bool:
        return not has_request_context() or self.allowed("create")

    @property
    def can_edit(self) -> bool:
        return not has_request_context() or self.allowed("edit")

    @property
    def can_delete(self) -> bool:
        return not has_request_context() or self.allowed("delete")

    linked_details = False  # a column of the list links to each row's page, so the row needs no view button
    action_family: str | None = None  # views sharing custom actions (the ledger and its listings) name them once

    @action("delete", lazy_gettext("Delete"), lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        """Flask-Admin's bulk delete, given the ids as numbers and the well-formed ones only: PostgreSQL refuses to
        compare an integer id with text (Flask-Admin passes the form's strings), even "12", and its message would
        reach the user."""
        return super().action_delete([pk for pk in map(parse_id, ids) if pk is not None])

    def get_actions_list(self):
        """The bulk menu with 删除 last, apart from the workflow's actions (Flask-Admin lists them by method name)."""
        actions, confirmations = super().get_actions_list()
        return sorted(actions, key=lambda named: named[0] == "delete"), confirmations

    def search_placeholder(self):
        """The search box's hint: the columns searched, joined the Chinese way (Flask-Admin joins them with ", ")."""
        placeholder = super().search_placeholder()
        return placeholder and "、".join(placeholder.split(", "))

    def is_action_allowed(self, name: str) -> bool:
        return (access.allows_action(user_role(), self.endpoint, name, self.action_family)
                and super().is_action_allowed(name))

    # --- rows: what the user may see, and on write endpoints what they may change ---
    def get_query(self):
        part = g.get("scope_part")  # in place of the scope while count_in_parts builds the list once for its parts
        query = super().get_query()
        return self.unhidden(query.filter(part) if part is not None else
                             scoped(self.model, query, write=is_write_endpoint()))

    def get_count_query(self):
        if g.get("count_later"):
            return None
        return self.unhidden(scoped(self.model, super().get_count_query(), write=is_write_endpoint()))

    def get_one(self, id):
        """The row with primary key `id` if the user may see it (and, on write endpoints, change it).

        A malformed id or a row outside the user's scope reads as "record does not exist"; a row the user
        may see but not change is a 403.
        """
        pk = parse_id(id)
        if pk is None:
            return None
        row = self.get_query().filter(self.model.id == pk).one_or_none()
        if row is None and is_write_endpoint():
            readable = scoped(self.model, db.session.query(self.model.id)).filter(self.model.id == pk).first()
            if readable is not None:
                abort(403)
        return row

    def _create_ajax_loader(self, name, options):
        target = getattr(self.model, name).property.mapper.class_
        return SafeAjaxLoader(name, db, target, **options)

    def get_save_return_url(self, model, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)
