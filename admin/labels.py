"""Chinese labels shared by many views; each view adds its own. Also how a yes/no value reads."""
from decimal import Decimal

from flask_admin.model import typefmt
from markupsafe import Markup

COMMON_LABELS = {
    "id": "ID",
    "name": "名称",
    "full_name": "全称",
    "campaign": "专项行动",
    "campaign.name": "专项行动",
    "kind": "类型",
    "parent": "上级",
    "note": "备注",
    "phone": "联系电话",
    "created_at": "创建时间",
    "updated_at": "更新时间",
    "source_document": "来源文件",
    "source_excerpt": "来源摘录",
    "version": "版本号",
}


def yes_no(view, value, name) -> str:
    """A yes/no value on a details page: 是 or 否 (Flask-Admin shows True or False)."""
    return "是" if value else "否"


def yes_no_icon(view, value, name) -> Markup:
    """A yes/no value in a list: Flask-Admin's icon, its title in Chinese (Flask-Admin's reads "active: true")."""
    icon = "fa-check-circle" if value else "fa-minus-circle"
    return Markup('<span class="fa {}" title="{}：{}"></span>').format(icon, view.get_column_name(name),
                                                                       yes_no(view, value, name))


def plain_number(view, value, name) -> str:
    """A decimal as people write it: 27, not 27.00; 12.5, not 12.50."""
    return format(value.normalize(), "f") if value == value else str(value)


LIST_FORMATTERS = {**typefmt.BASE_FORMATTERS, bool: yes_no_icon, Decimal: plain_number}
DETAIL_FORMATTERS = {**typefmt.DETAIL_FORMATTERS, bool: yes_no, Decimal: plain_number}
