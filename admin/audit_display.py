"""The audit log as a clerk reads it: tables and fields by their Chinese names, 新增 / 修改 / 删除, and values as the
screens show them (是/否, 空, a related row by its name, times to the minute, long text shortened with the whole of
it on hover). Everything a user typed is escaped.

Field labels are the ones the screens already show: COMMON_LABELS, each registered view's column_labels and, for
problems, the 附件2 headers; one lookup is made from them per panel, so no label is written twice. The names of the
rows that a page's audit rows refer to are looked up once per page, one query per table.
"""
from __future__ import annotations

import re
from collections import defaultdict

from flask import g
from markupsafe import Markup, escape
from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload

from models import AuditLog, Problem, db
from models.annex2 import HEADER_OF
from models.audit import SECRET, model_of, models_by_table
from models.vocab import AUDIT_ACTION_LABELS, ROLE_LABELS

from .columns import attribute_for
from .ids import parse_id
from .labels import COMMON_LABELS

SHORT = 40  # characters of a value in the list; the whole value on hover, and on the details page
CONTEXT = 10  # characters shown before the first difference of two long texts
LIST_FIELDS = 6  # changes a list row shows; the details page shows them all
DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?$")
RELATED = re.compile(r"^\d+:")  # a related row as changes_of records it: "12:市发改局"
NAME_ATTRIBUTES = ("name", "number", "title", "display_name", "username")  # what a row is known by, first found
VALUE_LABELS = {("app_user", "role"): ROLE_LABELS}  # coded values with a Chinese name
BATCH = "*"  # the row id of an entry for many rows at once (the demo data)


# --- labels ---

def field_labels(admin) -> dict[str, dict[str, str]]:
    """{table: {attribute: label}}: the labels of every registered view of the table, made once per panel."""
    labels = getattr(admin, "audit_labels", None)
    if labels is None:
        labels = {}
        for view in admin._views:
            model = getattr(view, "model", None)
            if model is not None:
                own = labels.setdefault(model.__tablename__, {**COMMON_LABELS, **(HEADER_OF if model is Problem else {})})
                own.update(view.column_labels or {})
        for table, model in models_by_table().items():  # a table without a view of its own labels its columns itself
            if getattr(model, "__column_labels__", None):
                labels.setdefault(table, dict(COMMON_LABELS)).update(model.__column_labels__)
        admin.audit_labels = labels
    return labels


def field_label(labels, table: str, key: str) -> str:
    """A changed field's Chinese label; a foreign key is labelled as the row it points to."""
    own = labels.get(table, COMMON_LABELS)
    model = model_of(table)
    column = model.__table__.c.get(key) if model is not None else None
    known_as = attribute_for(inspect(model), column) if column is not None else key
    return own.get(key) or own.get(known_as) or key


def table_label(labels, table: str) -> str:
    """A table's Chinese name: its model's label, or for an association table (problem_co_unit) the field it holds."""
    model = model_of(table)
    if model is not None:
        return model.__label__
    for owner in {model_of(name) for name in labels} - {None}:
        for rel in inspect(owner).relationships:
            if rel.secondary is not None and rel.secondary.name == table:
                return field_label(labels, owner.__tablename__, rel.key)
    return table


def target_of(table: str, key: str) -> type | None:
    """The model a foreign-key field of `table` points to, if it is one."""
    model = model_of(table)
    column = model.__table__.c.get(key) if model is not None else None
    if column is None or not column.foreign_keys:
        return None
    return model_of(next(iter(column.foreign_keys)).column.table.name)


# --- names of related rows, for a whole page at once ---

def name_of(row) -> str:
    """What a clerk knows a row by: its name, number or title, else how the row describes itself."""
    return next((str(value) for value in (getattr(row, a, None) for a in NAME_ATTRIBUTES) if value), None) or str(row)


def names_of(model, ids) -> dict[int, str]:
    """{id: name} of the rows of `model` that still exist, in one query (with the rows a nameless row's own
    description reads, one query per table)."""
    query = select(model).where(model.id.in_(sorted(ids)))
    if not any(hasattr(model, a) for a in NAME_ATTRIBUTES):
        query = query.options(*(selectinload(getattr(model, rel.key)) for rel in inspect(model).relationships
                                if rel.direction.name == "MANYTOONE"))
    return {row.id: name_of(row) for row in db.session.scalars(query)}


def look_up(rows) -> dict[tuple[str, int], str]:
    """{(table, id): name} of the rows that audit `rows` are about or point to with a foreign key.

    Names are read whatever the viewer's row scope: an audit row the viewer may read is of their campaign, and so are
    the rows it points to (models.base refuses links across campaigns); its own screens show the same names."""
    wanted = defaultdict(set)
    for row in rows:
        model = model_of(row.table_name)
        if model is None:
            continue
        if parse_id(row.row_id) is not None:
            wanted[model].add(parse_id(row.row_id))
        for key, change in (row.changes or {}).items() if isinstance(row.changes, dict) else ():
            target = target_of(row.table_name, key)
            if target is not None and isinstance(change, list):
                wanted[target].update(v for v in change if type(v) is int)
    return {(model.__tablename__, pk): name for model, ids in wanted.items() for pk, name in names_of(model, ids).items()}


def page_names(row) -> dict[tuple[str, int], str]:
    """The names for `row`, looked up with those of every audit row of the list page (g.list_rows) on first need."""
    done, names = g.setdefault("audit_named", set()), g.setdefault("audit_names", {})
    if row.id not in done:
        rows = [r for r in g.get("list_rows", ()) if isinstance(r, AuditLog) and r.id not in done]
        rows = rows if any(r is row for r in rows) else [row]
        names.update(look_up(rows))
        done.update(r.id for r in rows)
    return names


# --- values ---

def muted(text: str) -> Markup:
    """Escaped text, greyed: what stands for a value rather than being one."""
    return Markup('<span class="text-muted">{}</span>').format(text)


def text_value(text: str, limit: int | None, start: int = 0) -> Markup:
    """Escaped text; beyond `limit` characters, the `limit` from `start` on, the whole of it on hover."""
    if limit and len(text) > limit:
        start = min(start, len(text) - limit)
        piece = ("…" if start else "") + text[start:start + limit] + ("…" if start + limit < len(text) else "")
        return Markup('<span title="{}">{}</span>').format(text, piece)
    return escape(text)


def first_difference(old, new, limit: int | None) -> int:
    """Where to start showing two long texts so that what changed is in sight: a little before their first
    difference, if that lies beyond what `limit` shows."""
    if not (limit and isinstance(old, str) and isinstance(new, str)):
        return 0
    same = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    return max(0, same - CONTEXT) if same > limit - CONTEXT else 0


def value_of(value, table: str, key: str, names, limit: int | None, start: int = 0) -> Markup:
    """One recorded value as a clerk knows it."""
    if value is None:
        return muted("空")
    if isinstance(value, bool):
        return escape("是" if value else "否")
    target = target_of(table, key)
    if target is not None and type(value) is int:
        name = names.get((target.__tablename__, value))
        return text_value(name, limit) if name is not None else muted(f"ID {value}（已不存在）")
    text = str(value)
    text = VALUE_LABELS.get((table, key), {}).get(text, text)
    moment = DATETIME.match(text)
    return text_value(f"{moment[1]} {moment[2]}" if moment else text, limit, start)


def related_values(values, limit: int | None) -> Markup:
    """Rows added to or removed from a many-to-many field ("12:市发改局" → 市发改局)."""
    return Markup("、").join(text_value(RELATED.sub("", str(v), count=1), limit) for v in values)


def change_cells(row, key: str, change, names, limit: int | None) -> tuple[Markup, Markup]:
    """(before, after) of one changed field."""
    if isinstance(change, dict):  # a many-to-many field: {removed: [...], added: [...]}, told in one cell
        parts = [Markup("{} {}").format(verb, related_values(change.get(part) or [], limit))
                 for verb, part in (("移除", "removed"), ("新增", "added")) if change.get(part)]
        return Markup(""), Markup("；").join(parts)
    if key in SECRET:  # recorded as ******: say what happened instead
        word = escape("已修改" if row.action == "update" else "已设置")
        return (word, Markup("")) if row.action == "delete" else (Markup(""), word)
    if isinstance(change, list) and len(change) == 2:
        start = first_difference(*change, limit)
        return tuple(value_of(v, row.table_name, key, names, limit, start) for v in change)
    return Markup(""), value_of(change, row.table_name, "", names, limit)


def changes(row, labels, names, limit: int | None):
    """(label, before, after) of each changed field of an audit row."""
    recorded = row.changes if isinstance(row.changes, dict) else {"": row.changes} if row.changes else {}
    return [(field_label(labels, row.table_name, key), *change_cells(row, key, change, names, limit))
            for key, change in recorded.items()]


def change_line(action: str, label: str, before: Markup, after: Markup) -> Markup:
    """One field in the list: the new value of an insert, the old one of a delete, old → new of an update."""
    if action == "insert" or not before:
        shown = after
    elif action == "delete" or not after:
        shown = before
    else:
        shown = Markup('{} <span class="text-muted">→</span> {}').format(before, after)
    return Markup('<li><span class="text-muted">{}：</span>{}</li>').format(label, shown)


# --- column formatters (Flask-Admin calls them with the view, the template context, the row and the column) ---

def username_cell(view, context, model, name):
    """用户名, on one line ("命令行:root" would break after 命令)."""
    return Markup('<span class="text-nowrap">{}</span>').format(model.username or "")


def action_cell(view, context, model, name):
    """操作: 新增, 修改 or 删除."""
    return AUDIT_ACTION_LABELS.get(model.action, model.action)


def table_cell(view, context, model, name):
    """数据表: the table's Chinese name."""
    return Markup('<span class="text-nowrap">{}</span>').format(table_label(field_labels(view.admin), model.table_name))


def recorded_name(row) -> str | None:
    """The name an audit row itself recorded for its row (the one value of it a delete or insert keeps)."""
    recorded = row.changes if isinstance(row.changes, dict) else {}
    for attribute in NAME_ATTRIBUTES:
        change = recorded.get(attribute)
        if isinstance(change, list) and len(change) == 2 and (change[0] or change[1]):
            return str(change[0] or change[1])
    return None


def row_cell(view, context, model, name):
    """记录: the row by its name and id; a row that is gone by the name its audit row recorded, if any."""
    if model.row_id == BATCH:
        return muted("（批量）")
    pk = parse_id(model.row_id)
    if model_of(model.table_name) is None or pk is None:
        return muted(f"ID {model.row_id}")
    found = page_names(model).get((model.table_name, pk))
    if found is not None:
        return Markup('{} <span class="text-muted small text-nowrap">ID {}</span>').format(text_value(found, SHORT), model.row_id)
    recorded = recorded_name(model)
    if recorded is not None:
        return Markup('{} <span class="text-muted small text-nowrap">ID {}（已删除）</span>').format(text_value(recorded, SHORT), model.row_id)
    return muted(f"ID {model.row_id}（已删除）")


def changes_cell(view, context, model, name):
    """变更内容 in the list: the first LIST_FIELDS fields, one a line, long values shortened."""
    lines = changes(model, field_labels(view.admin), page_names(model), SHORT)
    shown = [change_line(model.action, *line) for line in lines[:LIST_FIELDS]]
    if len(lines) > LIST_FIELDS:
        more = Markup('<li><a href="{}">另有 {} 项，见详情</a></li>').format(
            view.get_url(".details_view", id=model.id), len(lines) - LIST_FIELDS)
        shown.append(more)
    return Markup('<ul class="list-unstyled mb-0 audit-changes">{}</ul>').format(Markup("").join(shown))


def changes_table(view, context, model, name):
    """变更内容 on the details page: every field, whole values, in a table of 字段 and the values before and after."""
    lines = changes(model, field_labels(view.admin), page_names(model), None)
    headers = {"insert": ("新增的值",), "delete": ("删除前的值",)}.get(model.action, ("原值", "新值"))
    width = 90 // len(headers)  # the values share the table; the field names take what they need
    head = Markup('<th class="text-nowrap">字段</th>') + Markup("").join(
        Markup('<th style="width: {}%">{}</th>').format(width, h) for h in headers)
    body = Markup("")
    for label, before, after in lines:
        values = (after,) if model.action == "insert" else (before,) if model.action == "delete" else (before, after)
        cells = Markup("").join(Markup('<td style="white-space: pre-wrap">{}</td>').format(v) for v in values)
        body += Markup("<tr><th class=\"font-weight-normal text-nowrap\">{}</th>{}</tr>").format(label, cells)
    return Markup('<table class="table table-sm table-bordered mb-0 audit-changes"><thead><tr>{}</tr></thead>'
                  "<tbody>{}</tbody></table>").format(head, body)


LIST_FORMATTERS = {"username": username_cell, "action": action_cell, "table_name": table_cell, "row_id": row_cell, "changes": changes_cell}
DETAIL_FORMATTERS = {**LIST_FORMATTERS, "changes": changes_table}
