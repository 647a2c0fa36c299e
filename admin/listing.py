"""List pages of the model views: the page's rows read by id in two steps (deep pages from the end of their order,
counts only when the page cannot tell), each row rendered once with its buttons, the list's URL arguments kept
within bounds (a page, a search, filters: trimmed with a message, never a 500), and filter dropdowns of the rows the
user may see."""
from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from flask import current_app, flash, g, has_request_context, request
from flask_admin.contrib.sqla import ModelView
from flask_admin.model.base import ViewArgs
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy import case, func, literal_column, not_, select, true, union_all
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.orm import joinedload

from models import db
from models.text import clean, control_character

from models import scope

from .filters import VisibleOptions
from .pages import per_request
from .scoping import is_write_endpoint

MAX_PAGE = 100_000
# What a list URL may ask for: more is trimmed, with a message, before any of it reaches the database.
MAX_SEARCH_LENGTH = 100  # characters of a search
MAX_SEARCH_TERMS = 5  # words of a search (each word is a condition on every searchable column)
MAX_FILTERS = 20  # filter conditions at once
MAX_FILTER_LENGTH = 200  # characters of one filter's value
STATIC_URLS: dict[tuple, str] = {}  # (script root, endpoint, arguments) -> the URL of a static file (get_url)
DEEP_ROWS = 2_000  # rows skipped from which a list page may be read from the end of its order (reversed_order)
ROW_ID = "0000000000"  # stands for a row's id in a URL built once for every row (PagedList.get_url)


class PagedList(ModelView):
    """The list page's rows: what it leaves out, how it finds, pages, counts and renders them."""

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
            return super(PagedList, self).get_list(page, sort_column, sort_desc, search, filters, False, page_size)[0]

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


class ListArguments(ModelView):
    """The list's URL arguments within bounds, and its filters' options."""

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
