"""The one secure base for every admin view.

It applies the access table (admin/access.py) to every endpoint, scopes every query (lists, counts, details,
edits, deletes, actions, dropdowns, lookups) to the rows the user may see or change, refuses a save that would
overwrite someone else's newer edit, and turns what the database or the model refuses into Chinese messages.
Views themselves declare attributes only.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace

from flask import abort, current_app, flash, g, has_request_context, request
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from flask_admin.model.base import ViewArgs
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy import UniqueConstraint, case, func, inspect, literal_column, not_, select, true, union_all
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.fields.core import UnboundField
from wtforms.validators import ValidationError

from models import AuditLog, Problem, db
from models.errors import DomainError
from models.text import clean, control_character
from models.workflow import WORKFLOW_COLUMNS

from models import scope

from . import access
from .ajax import SafeAjaxLoader
from .fields import (CheckedForm, ScopedAjaxSelect, ScopedAjaxSelectMultiple, ScopedSelect, ScopedSelectMultiple,
                     TermSelect, WithinRange, within_calendar)
from .filters import VisibleOptions
from .ids import parse_id
from .labels import COMMON_LABELS, DETAIL_FORMATTERS, LIST_FORMATTERS
from .pages import current_role, login_redirect, per_request

log = logging.getLogger(__name__)

MAX_PAGE = 100_000
# What a list URL may ask for: more is trimmed, with a message, before any of it reaches the database.
MAX_SEARCH_LENGTH = 100  # characters of a search
MAX_SEARCH_TERMS = 5  # words of a search (each word is a condition on every searchable column)
MAX_FILTERS = 20  # filter conditions at once
MAX_FILTER_LENGTH = 200  # characters of one filter's value
MAX_INTEGER = 2**31 - 1  # an INTEGER column on every database
# Columns the system keeps (version counters, timestamps, sequences, hashes): never a form field, for anyone.
INTERNAL_COLUMNS = frozenset({"id", "version", "created_at", "updated_at", "last_problem_seq", "urgency",
                              "password_hash", "last_login_at", "last_progress_at"})
STATIC_URLS: dict[tuple, str] = {}  # (script root, endpoint, arguments) -> the URL of a static file (get_url)
DEEP_ROWS = 2_000  # rows skipped from which a list page may be read from the end of its order (reversed_order)
ROW_ID = "0000000000"  # stands for a row's id in a URL built once for every row (SecureModelView.get_url)

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
READ_ENDPOINTS = {"index_view", "details_view", "create_view", "export", "annex2_view", "ajax_lookup"}


def user_role() -> str | None:
    return current_role()


def is_write_endpoint() -> bool:
    """Whether the current request changes rows (edit, delete, actions, custom pages) rather than reads them."""
    return has_request_context() and (request.endpoint or "").rsplit(".", 1)[-1] not in READ_ENDPOINTS


def scoped(model, query, write: bool = False):
    """`query` on `model` narrowed to the rows the current user may see (or, with `write`, change)."""
    return scope.scope_query(query, model, current_user, write)


class ScopedModelConverter(AdminModelConverter):
    """Relationship fields offer, and accept, only the rows the current user may see; numbers stay within what the
    database can store."""

    def _model_select_field(self, prop, multiple, remote_model, **kwargs):
        loader = getattr(self.view, "_form_ajax_refs", {}).get(prop.key)
        if loader is not None:  # searchable: scoped by its loader
            return (ScopedAjaxSelectMultiple if multiple else ScopedAjaxSelect)(loader, **kwargs)
        kwargs.setdefault("query_factory", lambda: scoped(remote_model, db.session.query(remote_model)))
        return (ScopedSelectMultiple if multiple else ScopedSelect)(**kwargs)

    def _get_field_override(self, name: str):
        """A column that holds a term of a vocabulary (models.terms) is a dropdown of the terms."""
        column = self.view.model.__table__.columns.get(name)
        vocabulary = column.info.get("vocabulary") if column is not None else None
        if vocabulary is not None and name not in (getattr(self.view, "form_overrides", None) or {}):
            return lambda **kwargs: TermSelect(vocabulary=vocabulary, allow_blank=column.nullable, **kwargs)
        return super()._get_field_override(name)

    @converts("Integer")
    def handle_integer_types(self, column, field_args, **extra):
        field_args["validators"].insert(0, WithinRange(MAX_INTEGER))  # before Flask-Admin's Unique (a query)
        return super().handle_integer_types(column=column, field_args=field_args, **extra)

    @converts("Date")
    def convert_date(self, field_args, **extra):
        field_args["validators"].append(within_calendar)
        return super().convert_date(field_args=field_args, **extra)

    @converts("DateTime")
    def convert_datetime(self, field_args, **extra):
        field_args["validators"].append(within_calendar)
        return super().convert_datetime(field_args=field_args, **extra)

    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        digits = (column.type.precision or 15) - (column.type.scale or 0)
        field_args["validators"].insert(0, WithinRange(Decimal(10) ** digits - 1))
        return super().handle_decimal_types(column=column, field_args=field_args, **extra)


class SecureModelView(ModelView):
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
    create_defaults = ("campaign", "body", "collected_by_body")  # filled from the user's scope on a new form

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

    # What the list page loads with its rows (SQLAlchemy loader options), in place of Flask-Admin's joins of
    # every relationship. The rows are loaded by id (get_list), so a collection can be joined too.
    list_loads: tuple = ()

    # Rows the list leaves out unless its URL says `?<argument>=1`, with a link on the list to show them (and to hide
    # them again): (argument, what the rows are called, a function giving the SQL condition that picks them).
    list_hides: tuple[str, str, Callable] | None = None

    # Columns whose filter leaves few rows (a few thousand), each with every column a user's scope tests in one index
    # entry. For a user whose scope is an "or" (models.scope.count_parts), the list page then tests and sorts each of
    # those rows, so its statement counts them too (count(*) over ()) instead of a second statement testing them
    # again; and a count it needs apart (a deep page) is one statement over those entries rather than one per part
    # (the part of a working group's linked enterprises would look up each enterprise's problems). A user whose scope
    # is one condition reads the filtered rows in order and stops at the page: a count apart costs less for them.
    count_with_page: tuple[str, ...] = ()

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

    def hiding(self) -> bool:
        """Whether this request is the list leaving out the rows of `list_hides` (details pages show any row)."""
        return (self.list_hides is not None and has_request_context()
                and request.endpoint == f"{self.endpoint}.index_view" and request.args.get(self.list_hides[0]) != "1")

    def whole_scope(self) -> bool:
        """Whether the list, unfiltered, shows every row the user may see (it leaves no rows out)."""
        return not self.hiding()

    def unhidden(self, query):
        """`query` without the rows the list leaves out now, so that the list and its count agree."""
        return query.filter(not_(self.list_hides[2]())) if self.hiding() else query

    def menu_buttons(self) -> Markup:
        """Buttons of the list's own (beside its search), for a view that has any."""
        return Markup("")

    def hidden_rows_switch(self) -> tuple[str, str] | None:
        """The link that shows the rows the list leaves out, or hides them again: (text, URL), on the first page of
        the same search, filters and order."""
        if self.list_hides is None:
            return None
        argument, name, _ = self.list_hides
        args = {k: v for k, v in request.args.items() if k not in (argument, "page")}
        if self.hiding():
            return f"显示{name}", self.get_url(".index_view", **args, **{argument: "1"})
        return f"隐藏{name}", self.get_url(".index_view", **args)

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

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Flask-Admin's search, as a set of matching ids: the database finds them in one pass over the table in
        its own order, and the page then walks its index for those ids, instead of reading every row in the
        page's order to test the search on it."""
        matching, _, _, _ = super()._apply_search(db.session.query(self.model.id), None, {}, {}, search)
        condition = self.model.id.in_(matching.subquery().select())
        return (query.filter(condition), None if count_query is None else count_query.filter(condition),
                joins, count_joins)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Flask-Admin's list in two steps: the page's ids (filtered, searched, sorted and paged over the table
        and its indexes alone), then those rows with what they show. Rows skipped over on a later page are never
        joined, so page 1,000 costs about what page 1 does. The rows are counted only when the page cannot tell:
        a page that is not full is the last one (a search for one enterprise, say)."""
        if not execute:
            return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        g.count_later = True
        try:
            _, query = super().get_list(page, sort_column, sort_desc, search, filters, False, page_size)
        finally:
            g.count_later = False
        narrowing = scope.write_narrowing(self.model, current_user)  # which of the page's rows the user may change
        writable = literal_column("1") if narrowing is None else case((narrowing, 1), else_=0)
        size = self.page_size if page_size is None else page_size
        narrowed = {getattr(getattr(self._filters[index], "column", None), "key", None)
                    for index, _, _ in filters or ()} if self._filters else set()
        split = None if is_write_endpoint() else scope.count_parts(self.model, current_user)
        few = split is not None and not narrowed.isdisjoint(self.count_with_page)
        parts = None if few else split

        def counted() -> int:
            if parts:
                return self.count_in_parts(parts, page, sort_column, sort_desc, search, filters, page_size)
            whole = (scope.own_campaign_count(self.model, current_user) if not (filters or search) and self.whole_scope()
                     and db.session.get_bind().dialect.name == "sqlite" else None)
            if whole is not None:  # SQLite: maybe the table's count less the other campaigns'
                return db.session.scalar(select(whole))
            return super(SecureModelView, self).get_list(page, sort_column, sort_desc, search, filters, False, page_size)[0]

        count, skip = None, (page or 0) * (size or 0)
        backwards = reversed_order(query, self.model) if size and skip >= DEEP_ROWS else None
        if backwards is not None:
            count = counted()
            if skip > count // 2:  # nearer the end: read the index from the end, which skips fewer entries
                start = max(0, count - skip - size)
                query = (query.limit(None).offset(None).order_by(None).order_by(*backwards)
                         .offset(start).limit(max(0, count - skip - start)))
        entities = [self.model.id, writable]
        together = few and backwards is None and size
        if together:  # the page tests and sorts every row the filter leaves anyway: the count comes with it
            entities.append(func.count().over())
        page_rows = query.with_entities(*entities).enable_eagerloads(False).all()
        if together and page_rows:
            count = page_rows[0][2]
        if backwards is not None and skip > count // 2:
            page_rows.reverse()
        ids = [row[0] for row in page_rows]
        loads = self.list_loads or [joinedload(name) for name in self._auto_joins]
        found = {row.id: row for row in db.session.query(self.model).filter(self.model.id.in_(ids)).options(*loads)} if ids else {}
        data = [found[pk] for pk in ids if pk in found]
        if count is None:
            count = skip + len(data) if not size or 0 < len(data) < size or (not data and not page) else counted()
        g.writable_ids = {row[0] for row in page_rows if row[1]}
        g.list_rows = data  # for formatters that look something up for the whole page at once (admin.audit_display)
        return count, data

    def count_in_parts(self, parts, page, sort_column, sort_desc, search, filters, page_size) -> int:
        """The list's count as the sum of its counts in each disjoint part of the user's scope (models.scope.count_parts),
        with the same filters and search, in one statement: each part is counted from its own index."""
        g.count_later, g.scope_part = True, true()  # the list's filters and search, built once, without the scope
        try:
            _, query = super().get_list(page, sort_column, sort_desc, search, filters, False, page_size)
        finally:
            g.count_later, g.scope_part = False, None
        query = query.limit(None).offset(None).order_by(None).enable_eagerloads(False)
        counts = [query.filter(part).with_entities(func.count()).scalar_subquery()  # count(*): PostgreSQL reads it off an index
                  for part in parts]
        return sum(db.session.execute(select(*counts)).one())

    def row_writable(self, row) -> bool:
        """Whether the user may change `row` of the list page (which shows edit and delete buttons only then);
        get_list found out with the page's ids."""
        return row.id in g.get("writable_ids", ())

    @pass_context
    def list_row_html(self, context, row) -> Markup:
        """One row of a list page (`{{ admin_view.list_row_html(row) }}` in admin/zq_list.html), built here rather than
        by a Jinja block per cell: its checkbox, its buttons (edit and delete only where the user may change the row,
        no view button where a column links to the row's page) and each column's value as Flask-Admin formats it."""
        pk = str(self.get_pk_value(row))
        cells = []
        if context.get("actions"):
            title = per_request("zq.select_record", lambda: escape(context["_gettext"]("Select record")))
            cells.append(f'<td class="list-checkbox-column"><input type="checkbox" name="rowid" class="action-checkbox" '
                         f'value="{escape(pk)}" title="{title}" /></td>')
        cells.append('<td class="list-buttons-column">')
        for action in context.get("list_row_actions") or ():
            viewing = getattr(action, "template_name", None) == "row_actions.view_row"
            if (viewing and self.linked_details) or not (viewing or self.row_writable(row)):
                continue
            cells.append(self.row_action_html(context, action, pk, row))
        cells.append("</td>")
        for name, _ in context["list_columns"]:
            cells.append(f'<td class="col-{escape(name)}">{escape(self.get_list_value(context, row, name))}</td>')
        return Markup("".join(cells))

    def row_action_html(self, context, action, pk: str, row) -> str:
        """A row's button. Flask-Admin's own buttons (row_actions.*) differ from row to row only in the id, so each is
        rendered once per request for a stand-in id and the row's id put in, unless the stand-in could be mistaken
        for something else on the page (a search for it)."""
        if (not getattr(action, "template_name", "").startswith("row_actions.") or ROW_ID in request.full_path
                or not isinstance(self._primary_key, str)):
            return str(action.render(context, pk, row))
        rendered = g.setdefault("row_actions", {})
        key = (self.endpoint, action.template_name)
        if key not in rendered:  # a stand-in row too: the delete button reads the id off the row
            rendered[key] = str(action.render(context, ROW_ID, SimpleNamespace(**{self._primary_key: ROW_ID})))
        return rendered[key].replace(ROW_ID, str(escape(pk)))

    def _create_ajax_loader(self, name, options):
        target = getattr(self.model, name).property.mapper.class_
        return SafeAjaxLoader(name, db, target, **options)

    def get_url(self, endpoint, **kwargs):
        """Flask-Admin's URL builder, with the URLs of a list's rows (which differ only in their id) and of its pager
        (only in the page) built once per request and the number put in: routing a URL costs more than rendering the
        row's buttons otherwise. Not when the stand-in number is in the request's own URL (a search for it). The
        panel's static files (a score on every page) are routed once per process."""
        pk = str(kwargs.get("id", ""))
        if endpoint.endswith(".static") and has_request_context():  # the same for every page of the process
            key = (request.script_root, endpoint, tuple(sorted((k, str(v)) for k, v in kwargs.items())))
            if key not in STATIC_URLS:
                STATIC_URLS[key] = super().get_url(endpoint, **kwargs)
            return STATIC_URLS[key]
        page = kwargs.get("page")
        varying = "id" if pk.isdigit() else "page" if isinstance(page, int) and page > 0 else None  # a row's, a pager's
        if varying is None or not has_request_context() or ROW_ID in request.full_path:
            return super().get_url(endpoint, **kwargs)
        key = (self.endpoint, endpoint, varying, tuple(sorted((k, str(v)) for k, v in kwargs.items() if k != varying)))
        templates = g.setdefault("row_urls", {})
        if key not in templates:
            templates[key] = super().get_url(endpoint, **{**kwargs, varying: ROW_ID})
        return templates[key].replace(ROW_ID, str(kwargs[varying]), 1)

    # --- forms: defaults from the user's scope, and the version the user started from ---
    def scaffold_form(self):
        form_class = super().scaffold_form()
        if "version" in self.model.__table__.c:
            form_class.version_token = HiddenField()
        return form_class

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            defaults = {"campaign": current_user.campaign, "body": current_user.body,
                        "collected_by_body": current_user.body}
            for name in self.create_defaults:
                if name in form and form[name].data is None and defaults.get(name) is not None:
                    form[name].data = defaults[name]
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None and hasattr(form, "version_token"):
            form.version_token.data = obj.version
        return form

    def update_model(self, form, model) -> bool:
        if hasattr(form, "version_token"):
            token = str(form.version_token.data or "")
            if token != str(model.version):
                flash(stale_message(model, token, self.column_labels), "error")
                return False
            del form.version_token
        return super().update_model(form, model)

    def on_model_change(self, form, model, is_created: bool) -> None:
        check_unique(model, self.column_labels)
        db.session.flush()
        writable = scoped(self.model, db.session.query(self.model.id), write=True).filter(self.model.id == model.id).first()
        if writable is None:
            raise ValidationError("保存失败：该记录不在您的权限范围内（例如属于其他工作组、单位或专项行动）。")

    # --- URLs must never cause a 500 ---
    def _get_list_extra_args(self) -> ViewArgs:
        args = super()._get_list_extra_args()
        args.page = min(max(args.page or 0, 0), MAX_PAGE)
        if args.page_size not in self.page_size_options:
            args.page_size = 0
        if args.sort is not None and not (0 <= args.sort < len(self._list_columns)):
            args.sort = None
        if args.search:
            args.search = bounded_search(args.search)
        return args

    def filter_options(self, index: int) -> list[tuple[str, str]] | None:
        """The options of filter `index`. Dropdowns of the rows the user may see are listed afresh on every
        request, all of them in one query (a UNION of each dropdown's statement)."""
        flt = self._filters[index]
        if not isinstance(flt.options, VisibleOptions):
            return flt.get_options(self)
        cache = g.setdefault("filter_options", {})
        if self.endpoint not in cache:
            dynamic = [(i, f.options) for i, f in enumerate(self._filters) if isinstance(f.options, VisibleOptions)]
            found = {i: [] for i, _ in dynamic}
            rows = db.session.execute(self.options_statement(dynamic))
            options = dict(dynamic)
            for key, pk, name, position in sorted(rows, key=lambda r: (r[0], r[3])):
                found[key].append(options[key].option(pk, name))
            cache[self.endpoint] = found
        return cache[self.endpoint][index]

    def options_statement(self, dynamic):
        """The UNION of the view's dropdown statements for the current user. It depends only on the user's scope
        (role, campaign, group, unit), so it is built once per process for each scope and run afresh on every request:
        the options are never stale, and SQLAlchemy's compiled form of it is reused."""
        user = current_user
        key = (self.endpoint, user.role, user.campaign_id, user.body_id, user.unit_id, user.person_id)
        statements = current_app.extensions.setdefault("zq.options_statements", {})
        if key not in statements:
            statements[key] = union_all(*(options.statement(i) for i, options in dynamic))
        return statements[key]

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                if isinstance(self._filters[item["index"]].options, VisibleOptions):
                    item["options"] = self.filter_options(item["index"]) or None
        return groups

    def _get_list_filter_args(self):
        """Filters from the URL, dropping (with a message) values outside a filter's fixed options."""
        filters = super()._get_list_filter_args()
        valid = []
        if filters and len(filters) > MAX_FILTERS:
            warn_once(f"筛选条件过多：最多同时使用{MAX_FILTERS}个，其余已忽略。")
            filters = filters[:MAX_FILTERS]
        for idx, name, value in filters or []:
            flt = self._filters[idx]
            if len(value) > MAX_FILTER_LENGTH or control_character(value):
                warn_once(f"筛选条件“{name}”的值过长（最多{MAX_FILTER_LENGTH}个字）或含有控制字符，已忽略。")
                continue
            options = self.filter_options(idx)
            if options:
                cleaned = flt.clean(value)
                values = cleaned if isinstance(cleaned, list | tuple) else [value]
                if not {str(v) for v in values} <= {str(option) for option, _ in options}:
                    warn_once(f"筛选条件“{name}”的值“{value}”无效，已忽略。")
                    continue
            valid.append((idx, name, value))
        return valid if filters is not None else None

    # --- Chinese messages for what the database or the model refuses ---
    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, ValidationError | DomainError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, StaleDataError):
            flash("保存失败：此记录刚被其他人修改。为避免覆盖他人的修改，本次保存未生效，请重新打开记录后再编辑。", "error")
            return True
        if isinstance(exc, IntegrityError):
            flash(integrity_message(exc), "error")
            return True
        if current_app.config.get("FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION"):
            raise exc
        if isinstance(exc, SQLAlchemyError | ValueError):
            log.exception("admin view error")
            flash(f"操作失败：{exc}", "error")
            return True
        return super().handle_view_exception(exc)

    def get_save_return_url(self, model, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)


def reversed_order(query, model) -> list | None:
    """The ORDER BY of `query` turned round, when it can be exactly: each term's direction and NULL placement
    flipped (every supported database puts NULLs first one way and last the other, so flipping the direction
    flips them too), and the order total (its last term the primary key) so that the page read from the end is the
    same page. A deep page then walks the order's index from its nearer end. None otherwise."""
    terms = list(query._order_by_clauses)  # SQLAlchemy's Query keeps its ORDER BY here (2.0)
    if not terms or not _bare(terms[-1]).compare(model.__table__.c.id):
        return None
    turned = [_turned(term) for term in terms]
    return None if any(term is None for term in turned) else turned


def _bare(term):
    while isinstance(term, UnaryExpression):
        term = term.element
    return term


def _turned(term):
    if not isinstance(term, UnaryExpression):
        return term.desc()
    if term.modifier is operators.desc_op:
        return term.element.asc()
    if term.modifier is operators.asc_op:
        return term.element.desc()
    return None  # NULLS FIRST/LAST or an expression of its own: leave the page to the forward scan


def warn_once(message: str) -> None:
    """Flash `message` once per request (a list page reads its arguments more than once)."""
    shown = g.setdefault("warned", set())
    if message not in shown:
        shown.add(message)
        flash(message, "error")


def bounded_search(text: str) -> str:
    """A search of at most MAX_SEARCH_TERMS words and MAX_SEARCH_LENGTH characters, without control characters
    (PostgreSQL refuses a NUL in a pattern); a longer one is trimmed and the user told."""
    terms = clean(text).split()
    kept = " ".join(terms[:MAX_SEARCH_TERMS])[:MAX_SEARCH_LENGTH].strip()
    if kept != " ".join(text.split()):
        warn_once(f"搜索内容过长或含有控制字符（最多{MAX_SEARCH_TERMS}个词、{MAX_SEARCH_LENGTH}个字），已按“{kept}”搜索。")
    return kept


def form_fields(view) -> set[str]:
    """The fields of a view's create and edit forms."""
    return {name for form_class in (view._create_form_class, view._edit_form_class)
            for name in dir(form_class) if isinstance(getattr(form_class, name, None), UnboundField)}


def check_forms(views) -> None:
    """Refuse to start when a form would offer a column the system keeps, or a column of a problem that only the
    workflow changes (models.workflow.WORKFLOW_COLUMNS): a screen could otherwise step around the workflow."""
    for view in views:
        fields = form_fields(view)
        internal = fields & INTERNAL_COLUMNS
        owned = fields & WORKFLOW_COLUMNS if view.model is Problem else set()
        if internal:
            raise RuntimeError(f"视图 {view.endpoint} 的表单含有系统维护的内部字段：{sorted(internal)}")
        if owned:
            raise RuntimeError(f"视图 {view.endpoint} 的表单含有只能由办理流程修改的字段：{sorted(owned)}")


def details_columns(model, excluded) -> list[str]:
    """The details page in the table's own column order, a foreign key shown as the row it points to."""
    mapper = inspect(model)
    names = []
    for column in model.__table__.columns:
        if column.key in ("id", "version") or column.key in excluded:
            continue
        rel = relationship_for(mapper, column)
        names.append(rel.key if rel is not None else mapper.get_property_by_column(column).key)
    names += [rel.key for rel in mapper.relationships if rel.secondary is not None and rel.key not in excluded]
    return [n for n in names if n not in excluded]


def stale_message(model, token: str, labels: dict[str, str]) -> str:
    """Explain, in Chinese, that the record changed since the user opened it: who, when and what."""
    if not token:
        return "保存失败：表单缺少版本信息，请重新打开记录后再编辑。"
    last = db.session.scalars(
        select(AuditLog).where(AuditLog.table_name == model.__tablename__, AuditLog.row_id == str(model.id),
                               AuditLog.action == "update").order_by(AuditLog.id.desc()).limit(1)
    ).first()
    who = f"被“{last.username}”于{last.at:%Y-%m-%d %H:%M}" if last else "被其他人"
    fields = "、".join(labels.get(k.removesuffix("_id"), labels.get(k, k)) for k in (last.changes or {})) if last else ""
    changed = f"（改动了：{fields}）" if fields else ""
    return (f"保存失败：您打开此记录（第{token}版）之后，它已{who}修改为第{model.version}版{changed}。"
            "为避免覆盖他人的修改，本次保存未生效。请重新打开记录，核对最新内容后再编辑。")


INTEGRITY_MESSAGES = (
    (("unique", "duplicate"), "保存失败：名称或编号与已有记录重复。"),
    (("foreign key",), "操作失败：所引用的记录不存在，或本记录仍被其他记录引用（请先处理引用它的记录）。"),
    (("not null", "cannot be null", "null value"), "保存失败：有必填项为空。"),
    (("check",), "保存失败：有字段的取值不符合规则。"),
)


def integrity_message(exc: IntegrityError) -> str:
    """A Chinese explanation of what the database refused, without its internals."""
    text = str(exc.orig).lower()
    for needles, message in INTEGRITY_MESSAGES:
        if any(n in text for n in needles):
            return message
    return "保存失败：数据与已有记录冲突。"


def check_unique(model, labels: dict[str, str]) -> None:
    """Refuse, in Chinese, a row that would repeat a unique key of its table (e.g. a unit name within a campaign)."""
    table = model.__table__
    keys = [list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    keys += [[col] for col in table.columns if col.unique]
    mapper = inspect(model).mapper
    for columns in keys:
        values = {col.key: column_value(model, mapper, col) for col in columns}
        if any(v is None for v in values.values()):
            continue
        query = select(table.c.id).where(*(col == values[col.key] for col in columns))
        if model.id is not None:
            query = query.where(table.c.id != model.id)
        with db.session.no_autoflush:
            clash = db.session.execute(query.limit(1)).first()
        if clash:
            shown = [c for c in columns if c.key != "campaign_id"] or columns
            what = "、".join(f"{labels.get(attribute_for(mapper, c), c.key)}“{shown_value(model, mapper, c)}”" for c in shown)
            scope = "同一专项行动中" if len(shown) < len(columns) else ""
            raise ValidationError(f"{scope}已存在{what}相同的记录，不能重复。")


def relationship_for(mapper, column):
    """The many-to-one relationship that a foreign-key column backs, if any."""
    return next((rel for rel in mapper.relationships if column in rel.local_columns and rel.direction.name == "MANYTOONE"), None)


def column_value(model, mapper, column):
    """A column's value, read through its relationship when only the related object has been set."""
    value = getattr(model, mapper.get_property_by_column(column).key)
    rel = relationship_for(mapper, column)
    if value is None and rel is not None:
        related = getattr(model, rel.key)
        value = related.id if related is not None else None
    return value


def attribute_for(mapper, column) -> str:
    """The attribute a user knows a column by: the relationship for a foreign key, else the column itself."""
    rel = relationship_for(mapper, column)
    return rel.key if rel is not None else mapper.get_property_by_column(column).key


def shown_value(model, mapper, column) -> str:
    """A column's value as a user would recognise it."""
    rel = relationship_for(mapper, column)
    return str(getattr(model, rel.key) if rel is not None else column_value(model, mapper, column))
