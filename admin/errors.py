"""What the panel says when something is refused, in Chinese: its error pages, the database's refusals (a duplicate,
a missing reference, an empty required field), a save over someone else's newer edit, and a row that would repeat a
unique key. Never the database's own words."""
from __future__ import annotations

import logging

from flask import current_app, flash, render_template, request, url_for
from flask_admin.contrib.sqla import ModelView
from flask_wtf.csrf import CSRFError
from sqlalchemy import UniqueConstraint, inspect, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from wtforms.validators import ValidationError

from models import AuditLog, db
from models.errors import DomainError

from .columns import attribute_for, column_value, shown_value

log = logging.getLogger(__name__)

ERRORS = {
    400: "请求无效",
    403: "没有权限访问",
    404: "页面或记录不存在",
    405: "不支持的请求方式",
    413: "上传的文件太大",
    500: "服务器内部错误",
}


def error_page(error):
    """A Chinese error page for HTTP errors."""
    code = getattr(error, "code", 500) or 500
    portal = request.path.startswith("/portal")  # an enterprise on the portal goes back to it, not to the panel
    if isinstance(error, CSRFError):
        message = ("页面打开的时间过长或已失效，请返回诉求直报首页重新打开表单再提交。" if portal
                   else "页面已过期或请求来源无效（CSRF 校验失败），请刷新页面后重试。")
    else:
        message = ERRORS.get(code, "请求未能完成")
    return render_template("error.html", code=code, message=message, site="企业诉求直报" if portal else "助企服务专项行动管理平台",
                           home=url_for("portal.index") if portal else url_for("admin.index"),
                           home_text="返回诉求直报首页" if portal else "返回首页"), code


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


def refused_form(form) -> str:
    """What the top of a refused form says: how many of its fields need changing (each is marked below it, and
    static/forms_zh.js scrolls to the first and focuses it)."""
    count = sum(1 for field in form if field.errors)
    return f"有 {count} 处需要修改，请查看下方标红的栏目。" if count else "表单未能提交，请检查后再试。"


class ChineseMessages(ModelView):
    """A model view's refusals shown as Chinese messages on the page it came from, instead of an error page."""

    def validate_form(self, form) -> bool:
        """A create or edit form that fails its checks says so at the top of the page, with the number of fields."""
        valid = super().validate_form(form)
        if not valid and request.method == "POST":
            flash(refused_form(form), "error")
        return valid

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
