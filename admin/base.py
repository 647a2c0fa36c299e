"""The one secure base for every admin view: login, safe ids and page numbers, Chinese errors, uniqueness."""
from __future__ import annotations

import logging

from flask import current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import BaseForm
from flask_admin.model.base import ViewArgs
from flask_login import current_user
from sqlalchemy import UniqueConstraint, inspect, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms.validators import ValidationError

from models import db
from models.errors import DomainError

from .ajax import SafeAjaxLoader
from .ids import parse_id
from .labels import COMMON_LABELS

log = logging.getLogger(__name__)

MAX_PAGE = 100_000


def login_redirect():
    """Send an anonymous visitor to the login page, remembering where they were going."""
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


class SecureIndexView(AdminIndexView):
    """The panel's home page; only for logged-in users."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return login_redirect()

    @expose("/")
    def index(self):
        return self.render("admin/home.html")


class SecureModelView(ModelView):
    """Base class of every model view. Subclasses declare attributes only."""

    form_base_class = BaseForm
    can_view_details = True
    can_set_page_size = True
    page_size = 50
    page_size_options = (20, 50, 100, 200)
    details_modal = False
    edit_modal = False
    create_modal = False
    column_display_pk = False
    column_default_sort = ("id", True)
    form_excluded_columns = ("created_at", "updated_at", "version")
    column_details_exclude_list = ()

    def __init__(self, model, session=None, **kwargs):
        self.column_labels = {**COMMON_LABELS, **(self.column_labels or {})}
        super().__init__(model, session or db, **kwargs)

    # --- who may open the view (roles and row scope come with the policy table) ---
    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return login_redirect()

    def _create_ajax_loader(self, name, options):
        target = getattr(self.model, name).property.mapper.class_
        return SafeAjaxLoader(name, db, target, **options)

    # --- URLs must never cause a 500 ---
    def get_one(self, id):
        """The row with primary key `id`, or None for an id that is malformed or out of range."""
        pk = parse_id(id)
        if pk is None:
            return None
        return db.session.get(self.model, pk)

    def _get_list_extra_args(self) -> ViewArgs:
        args = super()._get_list_extra_args()
        args.page = min(max(args.page or 0, 0), MAX_PAGE)
        if args.page_size not in self.page_size_options:
            args.page_size = 0
        if args.sort is not None and not (0 <= args.sort < len(self._list_columns)):
            args.sort = None
        return args

    def _get_list_filter_args(self):
        """Filters from the URL, dropping (with a message) values outside a filter's fixed options."""
        filters = super()._get_list_filter_args()
        valid = []
        for idx, name, value in filters or []:
            flt = self._filters[idx]
            options = flt.get_options(self)
            if options:
                cleaned = flt.clean(value)
                values = cleaned if isinstance(cleaned, list | tuple) else [value]
                if not {str(v) for v in values} <= {str(option) for option, _ in options}:
                    flash(f"筛选条件“{name}”的值“{value}”无效，已忽略。", "error")
                    continue
            valid.append((idx, name, value))
        return valid if filters is not None else None

    # --- Chinese messages for what the database or the model refuses ---
    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, ValidationError | DomainError):
            flash(str(exc), "error")
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

    def on_model_change(self, form, model, is_created: bool) -> None:
        check_unique(model, self.column_labels)

    def get_save_return_url(self, model, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id) if self.can_view_details else super().get_save_return_url(model, is_created)


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
