"""One view per table. Views are attributes only; behaviour lives in SecureModelView and the model layer."""
from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.validators import Unique
from flask_wtf.csrf import generate_csrf
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import DataRequired, Optional, ValidationError

from sqlalchemy.orm import joinedload

from models import (AuditLog, CalendarDay, Delivery, Problem, ProblemUpdate, Term, attachments, audit, calendar, db,
                    local_now, reminders, workflow)
from models.org import towns
from models.scope import FIRM_ADDERS
from models.steps import STEPS
from models.terms import VOCABULARIES
from models.vocab import AUDIT_ACTION_LABELS, ROLE_LABELS

from .attachments import AttachedFiles, shown, uploads
from . import audit_display
from .campaigns import chosen_campaign
from .copying import copy_campaign_page
from .secure import SecureModelView
from .fields import credit_code_validator
from .filters import ChoiceFilter
from .ids import parse_id

PROVENANCE = ("source_document", "source_excerpt")
FORM_EXCLUDED = PROVENANCE  # with the columns the system keeps, which the base view never offers
UNIT_AJAX = {"fields": ("name", "full_name"), "placeholder": "输入单位名称搜索", "minimum_input_length": 0}
PERSON_AJAX = {"fields": ("name", "position"), "placeholder": "输入姓名搜索", "minimum_input_length": 0}
ENTERPRISE_AJAX = {"fields": ("name", "credit_code"), "placeholder": "输入企业名称或信用代码搜索", "minimum_input_length": 0}
BODY_AJAX = {"fields": ("name",), "placeholder": "输入机构名称搜索", "minimum_input_length": 0}
PROBLEM_AJAX = {"fields": ("number", "description"), "placeholder": "输入问题编号或描述搜索", "minimum_input_length": 0}


class InlineEnterprise:
    """录入问题 and 登记走访: “＋ 新增企业” beside the enterprise field, for those who may add one (models.scope.FIRM_ADDERS);
    the form posts to the ledger's enterprise_view (templates/admin/create_with_enterprise.html)."""

    create_template = "admin/create_with_enterprise.html"

    def inline_firm(self) -> dict | None:
        if current_user.role not in FIRM_ADDERS:
            return None
        campaign = current_user.campaign or chosen_campaign()
        return {"url": url_for("problem.enterprise_view"), "campaign": campaign.id if campaign else None,
                "towns": towns(campaign.id) if campaign else []}


class TextRowAction(EndpointLinkRowAction):
    """A row's button that says what it does in words (复制), where an icon alone would leave a clerk guessing."""

    def __init__(self, endpoint: str, text: str, title: str):
        super().__init__("", endpoint, title=title)
        self.text = text

    def render(self, context, row_id, row):
        url = self._resolve_symbol(context, "get_url")(self.endpoint, **{self.id_arg: row_id})
        return Markup(f'<a class="btn btn-sm btn-outline-secondary py-0 ml-1" href="{escape(url)}" '
                      f'title="{escape(self.title)}">{escape(self.text)}</a>')


class CampaignView(SecureModelView):
    """专项行动 and its settings, which the 推进办 edits for its own campaign; every screen, report and export reads
    them on the next request. (Its vocabularies are under 系统 → 词表; its report days and visit targets are tasks'.)"""
    column_list = ("name", "doc_number", "issuer", "issued_on", "region", "start_on", "end_on", "code")
    column_labels = {
        "code": "问题编号前缀",
        "doc_number": "文号",
        "issuer": "发文单位",
        "issued_on": "印发日期",
        "region": "地区",
        "parent_document": "上级文件",
        "goals": "行动目标",
        "start_on": "开始日期",
        "end_on": "结束日期",
        "document": "来源文件",
        "last_problem_seq": "已编问题序号",
        "yellow_days": "黄灯天数",
        "stale_days": "无进展天数",
        "due_soon_days": "即将到期天数",
        "ranking_min_problems": "红黑榜最少问题数",
        "supervisor_required": "交办须明确跟踪督办人",
        "rating_levels": "企业评价等级（一事一评）",
        "rating_satisfied": "计入满意的评价级数",
        "deadline_days": "默认办理时限（工作日）",
        "escalate_days": "逾期升级督办天数",
        "doc_prefix": "公文文号前缀",
        "file_max_mb": "每个附件的上限（MB）",
        "problem_files_max_mb": "每个问题附件合计的上限（MB）",
    }
    column_descriptions = {
        "code": "新问题的编号为“前缀-年份-序号”，如 SJY-2024-0001；修改后只影响此后录入的问题。",
        "yellow_days": "办理中的问题离办理时限不超过这么多个工作日时亮黄灯（默认 3），并自动提醒。",
        "stale_days": "督办“无进展”：已交办的问题超过这么多个工作日没有办理进展（默认 7）。",
        "due_soon_days": "督办“即将到期”列出离办理时限不超过这么多个工作日的问题（默认 3）。",
        "deadline_days": "交办时预填的办理时限（工作日数）；问题类型设了默认办理时限的，以问题类型的为准。可不填。",
        "doc_prefix": "交办通知书、督办单等文书的文号写作“前缀〔年份〕序号号”，如 汨助企办〔2024〕12号；不填则为〔2024〕12号。",
        "escalate_days": "自动催办后，逾期超过这么多个工作日升级为蓝色督办，两倍升级为黄色督办，三倍升级为红色督办（默认 5）。",
        "ranking_min_problems": "单位红黑榜：已交办问题少于这个数的单位标“样本不足”，不参加排名（默认 3）。",
        "supervisor_required": "勾选后，交办时除责任人（领办）外还必须选一名跟踪督办人。",
        "rating_levels": "企业在服务平台对办结结果“一事一评”的等级，从好到差，用顿号分开（默认为政务服务“好差评”的五级）。",
        "file_max_mb": "办理步骤、走访、报送所附的每个文件不能超过的大小（默认 10 MB，最多 20 MB）；照片在浏览器中会先压缩。",
        "problem_files_max_mb": "一个问题（或一条走访、报送记录）的全部附件合计不能超过的大小（默认 50 MB）。",
        "rating_satisfied": "前几级算满意（默认 3：非常满意、满意、基本满意）；低于这些的评价，问题须回访后才能销号。",
    }
    column_searchable_list = ("name", "doc_number", "issuer")
    column_filters = ("region", "issued_on", "start_on")
    form_columns = ("name", "code", "yellow_days", "stale_days", "due_soon_days", "ranking_min_problems",
                    "deadline_days", "escalate_days", "doc_prefix", "supervisor_required", "rating_levels",
                    "rating_satisfied", "file_max_mb", "problem_files_max_mb", "doc_number",
                    "issuer", "issued_on", "region", "parent_document", "goals", "start_on", "end_on")
    column_details_list = ("name", "code", "yellow_days", "stale_days", "due_soon_days", "ranking_min_problems",
                           "deadline_days", "escalate_days", "doc_prefix", "supervisor_required", "rating_levels",
                           "rating_satisfied", "file_max_mb", "problem_files_max_mb", "doc_number", "issuer", "issued_on", "region", "parent_document", "goals", "start_on", "end_on",
                           "document", "last_problem_seq")
    column_default_sort = ("id", False)
    column_extra_row_actions = [TextRowAction(".copy_view", "复制", title="复制为新专项行动")]

    @expose("/copy/", methods=("GET", "POST"))
    def copy_view(self):
        """复制为新专项行动: a new campaign with this one's settings, vocabularies and structure (models.copying)."""
        return copy_campaign_page(self)


class TermView(SecureModelView):
    """词表: the terms of a campaign's vocabularies (models.terms). Renaming a term renames it on every row of the
    campaign and keeps the old name (imports still read it); retiring keeps old rows and offers it no more."""
    column_list = ("vocabulary", "value", "position", "retired", "satisfied", "default_days", "former_values", "locked",
                   "campaign")
    column_labels = {"vocabulary": "词表", "value": "名称", "position": "顺序", "retired": "停用", "locked": "系统使用",
                     "satisfied": "计入满意率", "default_days": "默认办理时限（工作日）", "former_values": "曾用名"}
    column_descriptions = {
        "value": "改名后，本专项行动中使用该词条的记录一并改名，原名记入“曾用名”（导入文件仍可使用原名）。",
        "position": "下拉列表中的顺序，数字小的在前；上报层级按此顺序逐级上报。",
        "retired": "停用后，已有记录保留该词条，新记录不能再选。",
        "satisfied": "仅用于满意度：销号时选此项的问题计入满意率。",
        "default_days": "仅用于问题类型：交办时按工作日历预填的办理时限（工作日数，节假日和周末不计，调休上班计）。",
    }
    column_searchable_list = ("value", "former_values")
    column_filters = (ChoiceFilter(Term.vocabulary, "词表", [(v, v) for v in VOCABULARIES]), "retired", "campaign.name")
    form_columns = ("campaign", "vocabulary", "value", "position", "retired", "satisfied", "default_days")
    column_default_sort = [("campaign_id", False), ("vocabulary", False), ("position", False)]
    page_size = 50

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.value.description = "下拉列表中显示的名称，如 融资；同一词表中不能重复。"  # renaming is for an edit
        return form


def calendar_source(view, context, model, name):
    """来源: the package and its version, 推算（法定节日）, or 录入 for a day typed in."""
    return model.source or "录入"


class CalendarDayView(SecureModelView):
    """工作日历: the days that differ from Monday–Friday (models.calendar): loaded from the chinese-calendar package,
    computed by law (推算) for a year not yet published, or typed in by the system administrator. A day typed on a
    computed one takes its place. Upcoming days first."""
    column_list = ("day", "working", "name", "source")
    column_labels = {"day": "日期", "working": "调休上班", "name": "节日", "source": "来源"}
    column_descriptions = {
        "working": "勾选：周六或周日调休上班；不勾选：周一至周五放假（法定节假日）。其余日子按周一至周五上班、周末休息计算。",
        "name": "所属节日，如 国庆节、春节。",
        "source": "chinese-calendar 软件包导入的注明版本；“推算（法定节日）”是放假安排尚未公布的年份按《全国年节及纪念日放假办法》"
                  "推算的法定节日（不含调休）；“录入”是系统管理员录入或修改过的。",
    }
    column_formatters = {"source": calendar_source}
    column_searchable_list = ("name",)
    column_filters = ("day", "working", "name", "source")
    form_columns = ("day", "working", "name")
    page_size = 50

    def create_form(self, obj=None):
        form = super().create_form(obj)  # a day typed on a computed one takes its row (create_model); other clashes
        form.day.validators = [v for v in form.day.validators if not isinstance(v, Unique)]  # are check_unique's
        return form

    def create_model(self, form):
        """A day typed on a computed (推算) one takes its row, rather than clashing with it."""
        estimate = calendar.estimated_day(form.day.data)
        if estimate is None:
            return super().create_model(form)
        form.version_token.data = estimate.version
        return estimate if self.update_model(form, estimate) else False

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is None:  # this year's days and those after them first, in order; past years after them
            start = date(local_now().year, 1, 1)
            return query.order_by(CalendarDay.day < start, CalendarDay.day), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)


class CalendarYearView(SecureModelView):
    """已公布年份: the years whose 放假安排 the calendar holds in full (models.calendar.CalendarYear). The package's years
    are marked by `flask seed`; the system administrator marks a year after typing in the State Council's notice,
    which is refused while computed (推算) days of it remain. Removing a mark computes the year's statutory days again."""
    column_list = ("year", "source", "note", "created_at")
    column_labels = {"year": "年份", "source": "来源", "note": "依据", "created_at": "标记时间"}
    column_descriptions = {
        "year": "国务院办公厅已公布该年放假安排、且已在工作日历中逐日录入的年份。未标记的年份按法定节日推算，调休未知。",
        "source": "chinese-calendar 软件包收录的注明版本；空白为系统管理员标记。",
        "note": "放假安排的通知文号，如 国办发明电〔2026〕X号。",
    }
    column_formatters = {"source": lambda v, c, m, n: m.source or "系统管理员标记"}
    form_columns = ("year", "note")
    column_default_sort = ("year", True)
    page_size = 50

    def after_model_delete(self, model):
        calendar.estimate_unpublished()
        db.session.commit()


class ReminderView(SecureModelView):
    """自动提醒: the rungs `flask remind` put problems on (models.reminders), and whether the unit has read them."""
    column_list = ("problem", "level", "unit", "deadline", "day", "read_at")
    column_labels = {"problem": "问题", "level": "级别", "unit": "责任单位", "deadline": "办理时限", "day": "生成日期",
                     "created_at": "生成时间", "read_at": "责任单位阅读时间"}
    column_filters = ("level", "day", "read_at")
    column_default_sort = ("id", True)
    page_size = 50


class ResendRowAction:
    """A failed (or waiting) message's own 重新发送 button: a small POST form to the bulk action with this one row."""

    def render(self, context, row_id, row):
        if row.status not in reminders.RESENDABLE:
            return ""
        url = context.get("get_url")(".action_view")
        return Markup(f'<form class="d-inline" method="post" action="{escape(url)}">'
                      f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
                      f'<input type="hidden" name="action" value="resend"><input type="hidden" name="rowid" value="{escape(row_id)}">'
                      f'<button class="btn btn-sm btn-outline-primary py-0" title="放回待发送，下一次自动外发（15 分钟内）时发出">'
                      f'重新发送</button></form>')


def masked_cell(view, context, model, name) -> str:
    return reminders.masked(getattr(model, name)) or ""


def outbox_line_cell(view, context, model, name) -> Markup:
    """The problem a message is about (its number, linked to its page), what it says, and to which unit."""
    line = model.update
    problem = line.problem
    unit = f"{problem.responsible_unit} · " if problem.responsible_unit else ""
    return Markup(f'<a href="{escape(url_for("problem.details_view", id=problem.id))}">{escape(problem.number)}</a> '
                  f'{escape(line.label)}<br><small class="text-muted">{escape(unit)}{line.created_at:%m-%d %H:%M}</small>')


class DeliveryView(SecureModelView):
    """外发消息: the outbox of e-mail and group-robot messages (ops.delivery), with each one's attempts and error; the
    推进办 and the administrator send a failed one again (重新发送: one, the selected, or all failed ones)."""
    column_list = ("update", "channel", "address", "status", "attempts", "next_try_at", "sent_at", "last_error")
    column_labels = {"update": "问题与事由", "channel": "渠道", "address": "收件地址", "status": "状态", "attempts": "尝试次数",
                     "next_try_at": "下次尝试", "sent_at": "发出时间", "last_error": "最近错误", "created_at": "生成时间",
                     "claimed_at": "开始发送", "resent_at": "重新发送时间", "resent_by": "重新发送人"}
    column_filters = (ChoiceFilter(Delivery.status, "状态", [(s, s) for s in reminders.STATUSES]), "channel", "sent_at")
    column_formatters = {"address": masked_cell, "last_error": masked_cell, "update": outbox_line_cell}
    column_formatters_detail = column_formatters
    list_loads = (joinedload(Delivery.update).joinedload(ProblemUpdate.problem).joinedload(Problem.responsible_unit),)
    column_extra_row_actions = [ResendRowAction()]
    column_default_sort = ("id", True)
    page_size = 50

    @action("resend", "重新发送", "把所选的消息放回待发送、重新计算尝试次数，下一次自动外发（15 分钟内）时发出。确定吗？")
    def action_resend(self, ids):
        wanted = [pk for pk in map(parse_id, ids) if pk is not None]
        self.resend(self.get_query().filter(Delivery.id.in_(wanted)))

    @expose("/resend-failed/", methods=("POST",))
    def resend_failed_view(self):
        """重新发送 every failed message the user may change."""
        if not self.is_action_allowed("resend"):
            abort(403)
        self.resend(self.get_query().filter(Delivery.status == reminders.FAILED))
        return redirect(self.get_url(".index_view"))

    def resend(self, query) -> None:
        queued, left = reminders.resend(query, current_user.username, local_now())
        db.session.commit()
        kept = f"；{left}条已发出或正在发送，不重复发送" if left else ""
        if queued:
            flash(f"已将{queued}条消息放回待发送，下一次自动外发（flask remind，最多 15 分钟）时发出{kept}。", "success")
        else:
            flash(f"没有可以重新发送的消息{kept}。", "error")

    def menu_buttons(self) -> Markup:
        """全部重新发送, when there are failed messages the user may send again."""
        if not self.is_action_allowed("resend"):
            return Markup("")
        failed = self.get_query().filter(Delivery.status == reminders.FAILED).count()
        if not failed:
            return Markup("")
        return Markup(f'<form class="d-inline ml-2" method="post" action="{escape(self.get_url(".resend_failed_view"))}">'
                      f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
                      f'<button class="btn btn-sm btn-primary mt-1" id="resend-failed">全部重新发送（{failed}条失败）</button></form>')


class OfficialDocumentView(SecureModelView):
    """公文登记: every paper issued (documents), with its 文号; numbers are taken only by generating a paper."""
    column_list = ("number", "kind", "title", "problems", "created_at", "created_by", "campaign")
    column_labels = {"number": "文号", "kind": "文书种类", "year": "年份", "serial": "序号", "title": "标题",
                     "problems": "涉及问题", "created_at": "生成时间", "created_by": "生成人", "checksum": "文件校验值（SHA-256）"}
    column_descriptions = {"checksum": "生成时文件内容的 SHA-256 校验值：拿到的文件可以据此核对是否就是登记的这一份。"}
    column_filters = ("kind", "created_at")  # the year is in the 文号, which the search finds
    column_searchable_list = ("number", "title")
    column_default_sort = ("id", True)
    page_size = 50


class SourceDocumentView(SecureModelView):
    """Documents come from seeds/sources/ and back every excerpt; the policy lets nobody change them."""
    column_list = ("code", "title", "filename", "created_at")
    column_labels = {"code": "代号", "title": "标题", "filename": "文件名", "raw_text": "原文", "text": "规范化文本"}
    column_searchable_list = ("title", "code")
    column_default_sort = ("code", False)


class StatedFigureView(SecureModelView):
    column_list = ("campaign", "label", "value", "unit", "counted", "source_excerpt")
    column_labels = {"label": "指标", "value": "数值", "unit": "计量单位", "counted": "所列名称数"}
    column_descriptions = {"counted": "是：文件只列出名称（如“……等为成员单位”），没有写出这个数，数值是数出来的。"}
    column_searchable_list = ("label",)
    column_filters = ("campaign.name",)
    form_excluded_columns = FORM_EXCLUDED


class UnitView(SecureModelView):
    column_list = ("name", "full_name", "kind", "parent", "campaign")
    column_labels = {"kind": "单位类型", "email": "电子邮箱"}
    column_descriptions = {"email": "自动提醒、催办、督办发到这个邮箱（须由信息化人员配置邮件服务器，见 README“提醒与催办”）。"}
    column_searchable_list = ("name", "full_name")
    column_filters = ("campaign.name", "kind", "name")
    form_columns = ("campaign", "name", "full_name", "kind", "parent", "email")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"parent": UNIT_AJAX}
    column_default_sort = ("id", False)


class PersonView(SecureModelView):
    column_list = ("name", "position", "unit", "phone", "campaign")
    column_labels = {"name": "姓名", "position": "职务", "unit": "所在单位", "unit.name": "所在单位"}
    column_searchable_list = ("name", "position")
    column_filters = ("campaign.name", "unit.name")
    form_columns = ("campaign", "name", "position", "unit", "phone")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"unit": UNIT_AJAX}
    column_default_sort = ("id", False)


class BodyView(SecureModelView):
    column_list = ("name", "kind", "parent", "lead_unit", "dissolves_at_end", "campaign")
    column_labels = {
        "kind": "机构类型",
        "lead_unit": "牵头单位",
        "lead_unit.name": "牵头单位",
        "duties": "主要职责",
        "dissolves_at_end": "行动结束后解散",
        "units": "参加单位",
        "posts": "职务安排",
        "towns": "联点镇、园区",
    }
    column_searchable_list = ("name", "full_name", "duties")
    column_filters = ("campaign.name", "kind", "lead_unit.name", "dissolves_at_end")
    form_columns = ("campaign", "name", "full_name", "kind", "parent", "lead_unit", "duties", "dissolves_at_end")
    form_excluded_columns = (*FORM_EXCLUDED, "units", "posts", "towns")
    form_ajax_refs = {"lead_unit": UNIT_AJAX, "parent": BODY_AJAX}
    column_default_sort = ("id", False)


class BodyUnitView(SecureModelView):
    column_list = ("body", "unit", "role")
    column_labels = {"body": "机构", "body.name": "机构", "unit": "单位", "unit.name": "单位", "role": "角色"}
    column_filters = ("body.name", "unit.name", "role")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"body": BODY_AJAX, "unit": UNIT_AJAX}
    column_default_sort = ("id", False)


class BodyTownView(SecureModelView):
    column_list = ("body", "unit")
    column_labels = {"body": "工作组", "body.name": "工作组", "unit": "联点镇（园区）", "unit.name": "联点镇（园区）"}
    column_filters = ("body.name", "unit.name")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"body": BODY_AJAX, "unit": UNIT_AJAX}


class PostView(SecureModelView):
    column_list = ("body", "role", "person", "sending_unit", "note")
    column_labels = {
        "body": "机构",
        "body.name": "机构",
        "role": "职务",
        "person": "人员",
        "person.name": "人员",
        "sending_unit": "派出单位",
    }
    column_filters = ("body.name", "role", "person.name")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"body": BODY_AJAX, "person": PERSON_AJAX, "sending_unit": UNIT_AJAX}
    column_default_sort = ("id", False)


class EnterpriseView(SecureModelView):
    column_list = ("name", "credit_code", "ownership", "above_scale", "industry", "town", "contact", "phone", "campaign")
    column_labels = {
        "name": "企业名称",
        "credit_code": "统一社会信用代码",
        "ownership": "所有制",
        "above_scale": "规上企业",
        "industry": "行业",
        "town": "所在镇（园区）",
        "town.name": "所在镇（园区）",
        "contact": "联系人",
        "groups": "联点工作组",
    }
    column_searchable_list = ("name", "credit_code", "contact")
    column_filters = ("campaign.name", "ownership", "above_scale", "industry", "town.name")
    form_columns = ("campaign", "name", "credit_code", "ownership", "above_scale", "industry", "town", "contact", "phone")
    form_excluded_columns = (*FORM_EXCLUDED, "groups")
    form_ajax_refs = {"town": UNIT_AJAX}
    form_args = {"credit_code": {"validators": [Optional(), credit_code_validator]}}


class EnterpriseGroupView(SecureModelView):
    column_list = ("body", "enterprise")
    column_labels = {"body": "工作组", "body.name": "工作组", "enterprise": "企业", "enterprise.name": "企业"}
    column_filters = ("body.name", "enterprise.name")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"body": BODY_AJAX, "enterprise": ENTERPRISE_AJAX}


class VisitView(InlineEnterprise, AttachedFiles, SecureModelView):
    """走访记录, with its photos and files (admin.attachments)."""
    owner_key = "visit_id"
    column_list = ("visited_on", "body", "enterprise", "form", "participants", "campaign")
    column_labels = {
        "visited_on": "走访日期",
        "body": "工作组",
        "body.name": "工作组",
        "enterprise": "企业",
        "enterprise.name": "企业",
        "form": "走访形式",
        "participants": "参加人员",
        "summary": "走访情况",
    }
    column_searchable_list = ("summary", "participants")
    column_filters = ("campaign.name", "body.name", "enterprise.name", "visited_on", "form")
    form_columns = ("campaign", "body", "enterprise", "visited_on", "form", "participants", "summary")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"body": BODY_AJAX, "enterprise": ENTERPRISE_AJAX}
    column_default_sort = ("visited_on", True)
    today_defaults = ("visited_on",)


class EventView(SecureModelView):
    column_list = ("title", "kind", "held_on", "date_text", "organiser", "attendance_total", "campaign")
    column_labels = {
        "kind": "会议类型",
        "title": "名称",
        "held_on": "日期",
        "date_text": "日期（原文）",
        "organiser": "组织机构",
        "co_organiser": "会同单位",
        "venue": "地点",
        "attendance_total": "参会人数",
        "attendance_cadres": "其中机关干部",
        "attendance_enterprises": "其中企业代表",
        "summary": "内容摘要",
    }
    column_searchable_list = ("title", "summary")
    column_filters = ("campaign.name", "kind", "held_on")
    form_columns = ("campaign", "kind", "title", "held_on", "date_text", "organiser", "co_organiser", "venue",
                    "attendance_total", "attendance_cadres", "attendance_enterprises", "summary")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"organiser": BODY_AJAX, "co_organiser": UNIT_AJAX}


def schedule_cell(view, context, model, name):
    """周期: when the task is due as the reports count it (周期 and 周期日), with the document's own words when they say
    otherwise (a copied campaign whose 周调度 moved to 周五 still carries 每周三 as written)."""
    shown, written = model.schedule_text, model.recurrence_text
    if written and shown != written:
        return Markup('{} <small class="text-muted">（原文：{}）</small>').format(shown, written)
    return shown or ""


class TaskView(SecureModelView):
    column_list = ("code", "section", "title", "responsible_text", "start_on", "due_on", "due_text", "recurrence_text", "target_text", "status")
    column_formatters = {"recurrence_text": schedule_cell}
    form_args = {"recurrence_text": {"label": "周期（原文）", "description": "文件中的原话；报送日以“周期”和“周期日”为准"},
                 "recurrence_day": {"description": "每周：1＝周一，2＝周二……5＝周五，7＝周日；每旬：几日前，如 8 表示每旬8日前。"}}
    column_labels = {
        "code": "序号",
        "section": "类别",
        "parent": "所属任务",
        "title": "任务",
        "content": "具体内容",
        "responsible_text": "责任主体",
        "responsible_unit": "责任单位",
        "responsible_body": "责任机构",
        "recipient_text": "报送/交付对象",
        "start_on": "开始日期",
        "due_on": "完成时限",
        "due_text": "时限（原文）",
        "recurrence": "周期",
        "recurrence_day": "周期日（周几/每旬几日前）",
        "recurrence_text": "报送周期",  # the list shows the 周期 the reports follow (schedule_cell); the form, the words
        "report_kind": "报送类型",
        "target_text": "量化目标",
        "target_value": "目标值",
        "target_unit": "目标单位",
        "status": "状态",
        "submitters": "报送机构",
    }
    column_searchable_list = ("code", "title", "content", "responsible_text")
    column_filters = ("campaign.name", "section", "status", "due_on", "recurrence", "report_kind")
    form_columns = ("campaign", "code", "section", "parent", "title", "content", "responsible_text", "responsible_unit",
                    "responsible_body", "recipient_text", "start_on", "due_on", "due_text", "recurrence", "recurrence_day",
                    "recurrence_text", "report_kind", "submitters", "target_text", "target_value", "target_unit", "status")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {
        "responsible_unit": UNIT_AJAX,
        "responsible_body": BODY_AJAX,
        "submitters": BODY_AJAX,
        "parent": {"fields": ("code", "title"), "placeholder": "输入任务序号或名称搜索", "minimum_input_length": 0},
    }
    column_default_sort = ("id", False)


class PolicyView(SecureModelView):
    column_list = ("title", "doc_number", "level", "issuer", "domain", "compiled_by", "compiled_on", "campaign")
    column_labels = {
        "title": "政策名称",
        "doc_number": "文号",
        "level": "层级",
        "issuer": "发文单位",
        "domain": "领域",
        "compiled_by": "梳理单位",
        "compiled_on": "梳理日期",
    }
    column_searchable_list = ("title", "doc_number", "issuer")
    column_filters = ("campaign.name", "level", "domain")
    form_columns = ("campaign", "title", "doc_number", "level", "issuer", "domain", "compiled_by", "compiled_on")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"compiled_by": UNIT_AJAX}


class PolicyPushView(SecureModelView):
    column_list = ("policy", "enterprise", "pushed_on", "pushed_by", "enjoyed")
    column_labels = {
        "policy": "政策",
        "policy.title": "政策",
        "enterprise": "企业",
        "enterprise.name": "企业",
        "pushed_on": "推送日期",
        "pushed_by": "推送人",
        "enjoyed": "已享受",
    }
    column_filters = ("policy.title", "enterprise.name", "pushed_on", "enjoyed")
    form_excluded_columns = FORM_EXCLUDED
    form_ajax_refs = {"policy": {"fields": ("title", "doc_number"), "placeholder": "输入政策名称搜索", "minimum_input_length": 0}, "enterprise": ENTERPRISE_AJAX, "pushed_by": PERSON_AJAX}


class ProblemUpdateView(AttachedFiles, SecureModelView):
    """办理进展: the timeline's lines; a note written here is a step (报告进展, 领导批示) and takes files as its form does."""
    owner_key = "problem_id"
    files_on_edit = False
    column_list = ("problem", "created_at", "step", "from_status", "to_status", "author", "note")
    column_labels = {
        "problem": "问题",
        "problem.number": "问题编号",
        "created_at": "时间",
        "author": "办理人",
        "from_status": "原状态",
        "to_status": "新状态",
        "step": "操作",
        "action": "写入时的名称",
        "note": "说明",
        "on_behalf_of_unit": "代录所代单位",
        "channel": "代录渠道",
    }
    column_formatters = {"step": lambda view, context, model, name: model.heading}  # as declared (models.steps), 代录 said
    column_searchable_list = ("note",)  # the step: by the 操作 filter, by its declared name
    column_filters = ("problem.number", ChoiceFilter(ProblemUpdate.step, "操作", [(c, s.label) for c, s in STEPS.items()]),
                      "to_status", "created_at")
    form_columns = ("problem", "note")
    form_args = {"note": {"validators": [DataRequired("请填写说明内容。")],
                          "description": "责任单位的说明记为“报告进展”（问题须为已交办或办理中），领导的记为“领导批示”；"
                                         "写入问题的办理进展后不能修改。"}}
    form_ajax_refs = {"problem": PROBLEM_AJAX}

    column_default_sort = ("created_at", True)

    def attachments_of(self, model) -> list:
        return shown(attachments.of_problem(model.problem_id).get(model.id, []))

    def create_model(self, form):
        """A note is the step of the user's role (报告进展, 领导批示), under that step's rules: who, in which status,
        on which problems (models.workflow). The timeline has no other door."""
        try:
            problem = form.problem.data
            files = (attachments.checked_files(uploads(), problem.campaign, [{"problem_id": problem.id}])
                     if problem is not None else [])
            update = workflow.add_note(problem, current_user._get_current_object(), form.note.data)
            attachments.attach(files, current_user, problem_update=update)
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            if not self.handle_view_exception(error):
                raise
            return False
        return update


class ReportView(AttachedFiles, SecureModelView):
    """报送记录, with the files submitted (admin.attachments)."""
    owner_key = "report_id"
    column_list = ("kind", "period_start", "period_end", "body", "submitted_at", "filename", "campaign")
    column_labels = {
        "kind": "报送类型",
        "period_start": "期间开始",
        "period_end": "期间结束",
        "body": "报送机构",
        "body.name": "报送机构",
        "submitted_at": "报送时间",
        "content": "报送内容",
        "filename": "附件文件名",
    }
    column_filters = ("campaign.name", "kind", "body.name", "period_start")
    form_ajax_refs = {"body": BODY_AJAX}
    column_default_sort = ("period_start", True)
    today_defaults = ("submitted_at",)
    args_defaults = ("kind", "period_start", "period_end")  # the period the desk's 填报 is for


class UserView(SecureModelView):
    column_list = ("username", "display_name", "role", "unit", "body", "active", "last_login_at")
    column_labels = {
        "username": "用户名",
        "display_name": "姓名",
        "role": "角色",
        "person": "对应人员",
        "unit": "所属单位",
        "body": "所属工作组",
        "active": "启用",
        "last_login_at": "最近登录",
        "ledger_all_columns": "台账显示附件2全列",
        "password": "新密码",
        "password_hash": "密码",
        "campaign": "专项行动",
    }
    column_searchable_list = ("username", "display_name")
    column_filters = ("role", "active")
    column_choices = form_choices = {"role": list(ROLE_LABELS.items())}  # 推进办, not "coordinator"
    form_columns = ("username", "display_name", "role", "campaign", "unit", "body", "person", "active", "password")
    column_details_exclude_list = ("password_hash",)
    form_extra_fields = {"password": PasswordField("新密码", description="新建用户必填；编辑时留空表示不修改")}
    form_ajax_refs = {"unit": UNIT_AJAX, "body": BODY_AJAX, "person": PERSON_AJAX}
    column_default_sort = ("id", False)

    def on_model_change(self, form, model, is_created):
        if form.password.data:
            model.set_password(form.password.data)
        elif is_created:
            raise ValidationError("新建用户必须设置密码。")
        super().on_model_change(form, model, is_created)


class AuditLogView(SecureModelView):
    """Readable by admin and coordinator (their campaign); the policy lets nobody write it. It reads as a clerk knows
    things (admin.audit_display); logins, which only stamp an account's 最近登录, are left out unless asked for."""

    column_list = ("at", "username", "action", "table_name", "row_id", "changes")
    column_labels = {
        "at": "时间",
        "user": "用户",
        "username": "用户名",
        "table_name": "数据表",
        "row_id": "记录",
        "action": "操作",
        "changes": "变更内容",
        "campaign": "专项行动",
    }
    column_formatters = audit_display.LIST_FORMATTERS
    column_formatters_detail = audit_display.DETAIL_FORMATTERS
    column_filters = ("username", ChoiceFilter(AuditLog.table_name, "数据表", audit.table_choices()),
                      ChoiceFilter(AuditLog.action, "操作", list(AUDIT_ACTION_LABELS.items())), "at")
    column_searchable_list = ("username", "row_id")
    column_sortable_list = ("at", "username")
    column_default_sort = [("at", True), ("id", True)]  # one save writes several rows at the same time: latest first
    list_hides = ("logins", "登录记录", audit.bookkeeping)


class LoginAttemptView(SecureModelView):
    """Login attempts behind the throttling; for the system administrator."""

    column_list = ("at", "username", "address", "succeeded")
    column_labels = {"at": "时间", "username": "用户名", "address": "来源地址", "succeeded": "成功"}
    column_filters = ("username", "address", "succeeded", "at")
    column_default_sort = ("at", True)


class UserSessionView(SecureModelView):
    """The logins that are open now; the system administrator may end one (the user must log in again)."""

    column_list = ("user", "created_at")
    column_labels = {"user": "用户", "user.username": "用户名", "created_at": "登录时间", "token_hash": "登录凭据摘要",
                     "password_mark": "密码标记"}
    column_details_exclude_list = ("token_hash", "password_mark")
    column_filters = ("user.username", "created_at")
    column_default_sort = ("created_at", True)
