"""The problem ledger (问题台账) in the panel: the 附件2 columns with the deadline light, most urgent first; the
workflow steps as buttons and bulk actions (admin.steps, beside their forms); and the supervision listings
(督办), the ledger narrowed by one condition. Every rule is in models.workflow and models.ledger; these views only
collect input and show results."""
from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import abort, flash, g, has_request_context, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only, selectinload

import documents
from documents.papers import refusal as document_refusal
from exports import reporting_unit
from exports.problems import annex2_workbook, problems_in_order
from models import (Appeal, Campaign, Enterprise, Person, Problem, ProblemUpdate, Unit, annex2, db, desk, ledger,
                    local_now, workflow)
from models import calendar, intake, messages, scope
from models.base import NAME_LENGTH
from models.enterprise import add_enterprise
from models.errors import DomainError
from models.portal import AppealStatus
from models.steps import SYSTEM
from models.text import refusal
from models.vocab import Escalation

from . import access
from .scoping import scoped
from .secure import SecureModelView
from .labels import COMMON_LABELS
from .campaigns import chosen_campaign
from .display import days_left, days_text, light_badge, safe_next, yes_no
from .files import download, xlsx_bytes
from .filters import desk_clock, each_campaign, ledger_filters, today, yellow_days
from .ids import parse_id
from .attachments import AttachedFiles, shown_portal, timeline_files
from .intake import attachment, attachment_url, problem_files
from .pages import per_request
from .steps import StepsMixin
from .views import BODY_AJAX, ENTERPRISE_AJAX, PERSON_AJAX, InlineEnterprise


PROBLEM_LABELS = {
    **annex2.HEADER_OF,  # the 附件2 columns, by their headers
    "enterprise.name": annex2.HEADER_OF["enterprise"],
    "nature": "问题性质",
    "source": "问题来源",
    "collected_by_person": "收集人",
    "assigned_on": "交办日期",
    "escalation_level": "上报层级",
    "flagged": "挂牌督办",
    "resolution": "办理结果",
    "resolved_on": "办结日期",
    "closed_by": "销号人",
    "updates": "办理进展记录",
    "last_progress_at": "最近进展时间",
    "extension_requested_until": "申请延期至",
    "urgency": "紧急程度排序",
    "merged_into": "并入问题",
}
# The compact ledger: what a clerk needs to pick the next problem, in the width of an office screen (1366 px). The
# 附件2 全列 switch (remembered per user, User.ledger_all_columns) shows every column of 附件2 instead.
COMPACT_COLUMNS = ("number", "enterprise", "description", "responsible_unit", "deadline", "status", "light")
COMPACT_LABELS = {"enterprise": "企业", "description": "问题"}


CASE_SECTIONS = (  # the problem page's sections and their fields, labelled as in the ledger (PROBLEM_LABELS)
    ("问题", ("description", "demand", "enterprise", "enterprise.town", "category", "nature", "source",
             "collected_by_body", "collected_by_person", "collected_on", "remark", "source_document", "source_excerpt")),
    ("交办", ("responsible_unit", "co_units", "lead_person", "supervisor", "assigned_on", "deadline", "escalation_level",
             "flagged")),
    ("办理", ("status", "progress", "extension_requested_until", "resolution", "resolved_on")),
    ("销号", ("closed_on", "closed_by", "satisfaction")),
)


def shown_value(problem, key: str) -> str | None:
    """A field of the problem page as a clerk reads it; None when there is nothing worth a line."""
    value = problem
    for part in key.split("."):
        value = getattr(value, part, None) if value is not None else None
    if key == "escalation_level" and value == Escalation.LOCAL:
        return None  # 本级: not escalated
    if key == "flagged":
        return yes_no(value) if value or problem.assigned_on else None
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or None
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if key == "closed_by" and value is not None:
        return value.shown_name
    return None if value in (None, "") else str(value)


def case_sections(problem) -> list[tuple[str, list[tuple[str, str]]]]:
    """The problem page's sections (问题, 交办, 办理, 销号), each with only the fields that have a value."""
    sections = [(title, [(PROBLEM_LABELS.get(key) or COMMON_LABELS[key], shown_value(problem, key)) for key in keys])
                for title, keys in CASE_SECTIONS]
    return [(title, [(label, value) for label, value in fields if value is not None]) for title, fields in sections
            if any(value is not None for _, value in fields)]


def portal_section(problem) -> list[tuple[str, str]]:
    """What came with a problem accepted from the portal: its 受理编号, the attachments, the enterprise's own rating."""
    appeal = intake.appeal_of(problem)
    if appeal is None:
        return []
    fields = [("受理编号", appeal.number), ("联系人", f"{appeal.contact}（{appeal.phone}）")]
    files = problem_files(problem)
    if files:
        fields.append(("附件", f"{len(files)}个，见办理过程“录入”"))
    if appeal.rating:
        fields.append(("企业评价（企业自评）", f"{appeal.rating}" + (f"：{appeal.rating_comment}" if appeal.rating_comment else "")
                       + (f"（{appeal.revisit}）" if appeal.revisit else "")))
    return fields


def light_cell(view, context, model, name):
    """The coloured 亮灯 cell."""
    return light_badge(ledger.light(model, today(), yellow_days(model.campaign_id)))


def number_cell(view, context, model, name):
    """问题编号, opening the problem's page (which leads back to this list)."""
    url = view.get_url(".details_view", id=model.id, url=context.get("return_url"))
    return Markup(f'<a href="{escape(url)}">{escape(model.number)}</a>')


def one_line(view, context, model, name):
    """Text on one line, cut to the column's width, all of it on hover (in the compact ledger; wrapped in 全列)."""
    value = getattr(model, name) if "." not in name else None
    text = "" if value is None else str(value)
    if not view.compact():
        return text
    return Markup(f'<span class="one-line" title="{escape(text)}">{escape(text)}</span>')


def deadline_cell(view, context, model, name):
    """办理时限, with the days left or overdue while the problem runs."""
    if model.deadline is None:
        return ""
    left, days = days_text(model, today()), days_left(model, today())
    tone = "text-danger" if days is not None and days < 0 else "text-muted"
    extra = f' <small class="{tone} text-nowrap">{escape(left)}</small>' if left else ""
    return Markup(f'<span class="text-nowrap">{model.deadline:%Y-%m-%d}</span>{extra}')


def row_number(view, context, model, name):
    """序号 on the current page."""
    rows = context.get("data") or []
    page, size = context.get("page") or 0, context.get("page_size") or view.page_size
    index = next((i for i, row in enumerate(rows) if row is model), 0)
    return page * size + index + 1


def joined(view, context, model, name):
    return "、".join(str(x) for x in getattr(model, name))


def town_of(view, context, model, name):
    return str(model.enterprise.town) if model.enterprise and model.enterprise.town else ""


class ProblemView(InlineEnterprise, AttachedFiles, StepsMixin, SecureModelView):
    """问题台账: the columns of 附件2, most urgent first. 录入问题 takes files (on the 录入 line of the timeline)."""

    owner_key = "problem_id"
    files_on_edit = False

    def owner_of(self, model) -> dict:
        return {"problem_update": model.updates[0]}  # the 录入 line (models.workflow._entered)

    column_list = tuple(column.key for column in annex2.COLUMNS)
    column_labels = PROBLEM_LABELS
    column_formatters = {"light": light_cell, "row_number": row_number, "co_units": joined, "enterprise.town": town_of,
                         "number": number_cell, "description": one_line, "enterprise": one_line,
                         "responsible_unit": one_line, "deadline": deadline_cell}
    column_sortable_list = ("number", "collected_on", "deadline", "status", "closed_on", "category")
    column_searchable_list = ("number", "description", "enterprise.name")
    column_filters = ledger_filters()
    form_columns = (
        "campaign", "enterprise", "description", "demand", "category", "nature", "source", "collected_by_body",
        "collected_by_person", "collected_on", "remark",
    )
    column_details_exclude_list = ("updates", "version", "last_progress_at", "urgency")
    form_ajax_refs = {
        "enterprise": ENTERPRISE_AJAX,
        "collected_by_body": BODY_AJAX,
        "collected_by_person": PERSON_AJAX,
    }
    full_loads = (
        joinedload(Problem.enterprise).joinedload(Enterprise.town), joinedload(Problem.collected_by_body),
        joinedload(Problem.responsible_unit), joinedload(Problem.lead_person), joinedload(Problem.supervisor),
        selectinload(Problem.co_units),
    )
    # The compact columns read these, and nothing else of a row: the rest of its 35 columns are not loaded (reading
    # one would raise, which the tests of every role's ledger would meet).
    compact_loads = (load_only(Problem.number, Problem.enterprise_id, Problem.description, Problem.responsible_unit_id,
                               Problem.deadline, Problem.status, Problem.campaign_id, raiseload=True),
                     joinedload(Problem.enterprise).load_only(Enterprise.name, raiseload=True),
                     joinedload(Problem.responsible_unit).load_only(Unit.name, raiseload=True))
    details_template = "admin/problem_details.html"
    list_template = "admin/ledger_list.html"
    today_defaults = ("collected_on",)
    action_family = "problem"  # its actions are the workflow's steps
    linked_details = True  # 问题编号 opens the problem's page
    count_with_page = ("responsible_unit_id",)  # one unit's problems, in ix_problem_unit_scope

    # --- the compact ledger and the 附件2 全列 switch ---
    def compact(self) -> bool:
        """Whether the list shows the compact columns (the user has not switched 附件2 全列 on)."""
        return not (has_request_context()
                    and per_request("zq.full", lambda: current_user.is_authenticated and current_user.ledger_all_columns))

    @property
    def _list_columns(self):
        """Flask-Admin's list columns, per the user's switch: sorting (?sort=N) and the export follow what is shown."""
        if not self.compact():
            return self._all_list_columns
        return [(name, COMPACT_LABELS.get(name, label)) for name, label in self._all_list_columns if name in COMPACT_COLUMNS]

    @_list_columns.setter
    def _list_columns(self, columns):
        self._all_list_columns = columns

    @property
    def list_loads(self):
        return self.compact_loads if self.compact() else self.full_loads

    @expose("/columns/", methods=("POST",))
    def columns_view(self):
        """The 附件2 全列 switch: all 20 columns of 附件2, or the compact ledger; remembered for the user."""
        current_user.ledger_all_columns = request.form.get("all") == "1"
        db.session.commit()
        back = urlsplit(safe_next() or self.get_url(".index_view"))  # a sort (?sort=N) counts the columns shown: drop it
        kept = [(k, v) for k, v in parse_qsl(back.query) if k not in ("sort", "desc")]
        return redirect(back._replace(query=urlencode(kept)).geturl())

    # --- 我的待办: a desk line narrows the ledger (?todo=KEY), with the same condition as its count ---
    def todo_line(self):
        """The user's desk line this list is narrowed to, if any."""
        return desk.line_for(current_user, request.args.get("todo")) if has_request_context() else None

    # The ledger: scoped like every view; a supervision listing narrows what its list shows (its details and
    # steps reach any problem the user may see, so that a problem leaving the listing stays within reach).
    def get_query(self):
        return self.narrowed(super().get_query())

    def get_count_query(self):
        return self.narrowed(super().get_count_query())

    def narrowed(self, query):
        if query is None or request.endpoint not in (f"{self.endpoint}.index_view", f"{self.endpoint}.annex2_view"):
            return query
        condition, line = self.listing(), self.todo_line()
        if condition is not None:
            query = query.filter(condition)
        return query if line is None else query.filter(desk.narrowing(line, current_user, desk_clock()))

    def whole_scope(self) -> bool:
        return super().whole_scope() and self.listing() is None and self.todo_line() is None

    def listing(self):
        """The condition of a supervision listing (models.ledger); None for the whole ledger."""
        return None

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is None:
            return query.order_by(*ledger.urgency_order()), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)

    def case(self, problem) -> dict:
        """What the problem page (a case file) shows besides the problem itself."""
        steps = self.steps_for(problem)
        may_edit = self.allowed("edit") and scope.change_refusal(problem, current_user) is None
        sections = case_sections(problem)
        portal = portal_section(problem)
        if portal:
            sections.insert(1, ("诉求直报（服务平台）", portal))
        days = days_text(problem, today())
        merged_from = scoped(Problem, db.session.query(Problem)).filter(Problem.merged_into_id == problem.id).all()
        merged_appeals = db.session.scalars(select(Appeal).where(Appeal.problem_id == problem.id,
                                                                 Appeal.status == AppealStatus.MERGED)).all()
        return {"merged_from": merged_from, "merged_appeals": merged_appeals,
                "thread": messages.thread(problem.id), "may_write": messages.side_of(current_user) is not None,
                "message_length": messages.MAX_LENGTH, "steps": steps, "proxy_steps": self.proxy_steps_for(problem), "primary": workflow.primary([name for name, _ in steps]), "sections": sections,
                "light": ledger.light(problem, today(), yellow_days(problem.campaign_id)), "days": days,
                "estimate": calendar.estimate_note(today(), problem.deadline) if days else None,
                "late_request": (problem.extension_requested_until is not None
                                 and bool(workflow.late_requests([problem.id]))), "late_label": workflow.LATE_REQUEST,
                "may_edit": may_edit, "light_badge": light_badge, "system_steps": SYSTEM,
                "files": timeline_files(problem, shown_portal(problem_files(problem), attachment_url)),
                "papers": ([k for k in documents.papers_for(current_user.role) if document_refusal(k, problem, today()) is None]
                           if self.is_action_allowed("document") else [])}

    @action("document", "生成文书", None)
    def action_document(self, ids):
        return redirect(self.get_url(".document_view", ids=",".join(ids), next=safe_next()))

    @expose("/document/", methods=("GET", "POST"))
    def document_view(self):
        """生成文书: a 交办通知书, 督办单, 催办单 or 销号审批单 for one problem or the selected ones — one Word file with a page
        break between papers, or a .zip of one file each. Taking a 文号 is a write, so the paper is made on POST."""
        if not self.is_action_allowed("document"):
            abort(403)
        raw = request.values.get("ids", request.values.get("id", ""))
        wanted = [i for i in (parse_id(x) for x in raw.split(",")) if i is not None][:documents.MAX_BATCH]
        problems = scoped(Problem, db.session.query(Problem)).filter(Problem.id.in_(wanted)).order_by(Problem.id).all()
        back = safe_next() or (self.get_url(".details_view", id=problems[0].id) if len(problems) == 1
                               else self.get_url(".index_view"))
        if not problems:
            flash("请先勾选问题。" if not wanted else "所选问题不存在，或您无权查看。", "error")
            return redirect(back)
        kind = request.values.get("kind") or ""
        if request.method == "POST":
            try:
                data, name, papers = documents.issue(kind, problems, current_user, today(),
                                                     combine=request.form.get("combine", "1") == "1")
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                db.session.commit()
                return download(data, name)
        kinds = documents.papers_for(current_user.role)
        refusals = {k: [m for m in (document_refusal(k, p, today()) for p in problems) if m] for k in kinds}
        return self.render("admin/problem_document.html", problems=problems, kinds=kinds, kind=kind,
                           refusals=refusals, back=back, ids=",".join(str(p.id) for p in problems),
                           today_year=today().year)

    @expose("/annex2/")
    def annex2_view(self):
        """附件2 of exactly the rows the list shows: the user's scope, this listing, the current filters and search."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        _, query = self.get_list(0, sort[0] if sort else None, args.sort_desc, args.search, args.filters,
                                 execute=False, page_size=0)
        problems = problems_in_order([pk for (pk,) in query.enable_eagerloads(False).with_entities(Problem.id)])
        campaigns = {p.campaign_id for p in problems}
        campaign = db.session.get(Campaign, campaigns.pop()) if len(campaigns) == 1 else chosen_campaign()
        title = campaign.name if campaign is not None and not campaigns else "助企服务专项行动"
        own = current_user.body or current_user.unit
        unit = own.name if own is not None else (reporting_unit(campaign) if campaign else "")
        book = annex2_workbook(problems, title, unit, today(), today(), yellow_days(campaign.id if campaign else None))
        return download(xlsx_bytes(book), f"附件2 问题清单（{self.name}，{today():%Y-%m-%d}）.xlsx")

    @expose("/details/")
    def details_view(self):
        """The problem's page (a case file); opening it reads what happened on it (the desk's 新消息)."""
        response = super().details_view()
        shown = g.pop("case_file", None)
        if shown is not None and desk.mark_read(current_user, shown.id):
            db.session.commit()
        return response

    # What the problem page shows, loaded with the problem in three statements rather than one per related row.
    case_loads = (
        joinedload(Problem.enterprise).joinedload(Enterprise.town), joinedload(Problem.collected_by_body),
        joinedload(Problem.collected_by_person), joinedload(Problem.responsible_unit), joinedload(Problem.lead_person),
        joinedload(Problem.supervisor), joinedload(Problem.closed_by), selectinload(Problem.co_units),
        selectinload(Problem.updates).joinedload(ProblemUpdate.author),
    )

    def get_one(self, id):
        if request.endpoint != f"{self.endpoint}.details_view":
            return super().get_one(id)
        pk = parse_id(id)
        row = None if pk is None else self.get_query().filter(Problem.id == pk).options(*self.case_loads).one_or_none()
        g.case_file = row
        return row

    @expose("/message/", methods=("POST",))
    def message_view(self):
        """留言: a message on the problem's thread, by anyone who may see the problem (its row scope); it changes nothing
        of the problem and shows on the other sides' desks (models.desk: 新留言)."""
        pk = parse_id(request.form.get("id"))
        problem = None if pk is None else scoped(Problem, db.session.query(Problem)).filter(Problem.id == pk).one_or_none()
        if problem is None:
            abort(404)
        back = self.get_url(".details_view", id=problem.id) + "#messages"
        try:
            messages.post(problem, current_user, request.form.get("text", ""))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(back)
        flash(f"已在问题{problem.number}留言；{messages.others(current_user)}会在“我的待办”中看到。", "success")
        return redirect(back)

    def after_model_change(self, form, model, is_created):
        """A problem just entered for an enterprise that has open problems already: say which, and that a repeat is
        merged from the problem's page (合并)."""
        super().after_model_change(form, model, is_created)
        if not is_created or model.enterprise_id is None:
            return
        open_ones = (scoped(Problem, db.session.query(Problem.number))
                     .filter(*workflow.merge_targets(model.enterprise_id, model.campaign_id, model.id))
                     .order_by(Problem.id).limit(5).all())
        if open_ones:
            flash(f"{model.enterprise}已有未办结的问题{'、'.join(n for (n,) in open_ones)}；如果{model.number}是重复反映，"
                  "可在本问题页面点“合并”并入它。", "warning")

    @expose("/enterprise/", methods=("POST",))
    def enterprise_view(self):
        """新增企业 from 录入问题 or 登记走访 (admin.views.InlineEnterprise): an enterprise of the user's campaign, checked
        and linked to a working group's group (models.enterprise.add_enterprise); JSON for the form's script."""
        if current_user.role not in scope.FIRM_ADDERS:
            return jsonify(error="您的角色不能新增企业。"), 403
        campaign = current_user.campaign
        if campaign is None:  # the system administrator: the campaign chosen on the form
            campaign = db.session.get(Campaign, parse_id(request.form.get("campaign")) or 0)
        if campaign is None:
            return jsonify(error="请先选择专项行动。"), 400
        try:
            firm = add_enterprise(campaign.id, current_user, request.form.get("name", ""),
                                  request.form.get("credit_code"), request.form.get("town"))
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            return jsonify(error=str(refused)), 400
        return jsonify(id=firm.id, text=str(firm))

    def may_add_person(self) -> bool:
        return access.allows(current_user.role, "person", "create")

    @expose("/attachment/")
    def attachment_view(self):
        """An attachment that came with the problem's 诉求 through the portal (or with one in the queue)."""
        return attachment(request.args.get("id"))

    @expose("/people/", methods=("POST",))
    def person_view(self):
        """新增人员 from the 交办 form: a person of the chosen unit, for 责任人 or 督办人 (those who may add people)."""
        if not self.may_add_person():
            return jsonify(error="您没有新增人员的权限。"), 403
        unit = scoped(Unit, db.session.query(Unit)).filter(Unit.id == parse_id(request.form.get("unit"))).one_or_none()
        name = " ".join((request.form.get("name") or "").split())
        position = " ".join((request.form.get("position") or "").split()) or None
        phone = (request.form.get("phone") or "").strip() or None
        problem = self.get_one(request.form.get("problem") or "")
        error = ("请先选择单位。" if unit is None else "请填写姓名。" if not name else
                 "姓名最多 64 个字。" if len(name) > 64 else "所选问题不存在或您无权操作。" if problem is None else
                 "单位与问题不属于同一个专项行动。" if unit.campaign_id != problem.campaign_id else
                 refusal("姓名", name) or refusal("职务", position) or refusal("电话", phone))
        if not error and position and len(position) > NAME_LENGTH:
            error = f"职务最多 {NAME_LENGTH} 个字。"
        if not error and phone and len(phone) > 32:
            error = "电话最多 32 个字。"
        if error:
            return jsonify(error=error), 400
        person = Person(campaign_id=unit.campaign_id, unit=unit, name=name, position=position, phone=phone)
        try:
            db.session.add(person)
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            return jsonify(error=str(refused)), 400
        return jsonify(id=person.id, text=str(person), unit=unit.id)

# --- supervision listings (督办): the ledger narrowed by one condition of models.ledger ---

class OverdueView(ProblemView):
    def listing(self):
        return ledger.overdue(today())


class DueSoonView(ProblemView):
    def listing(self):
        days = request.args.get("days", "")  # ASCII digits: ² and ① are digits too, but int() refuses them
        if days.isascii() and days.isdigit() and int(days) <= 365:
            return ledger.due_within(today(), int(days))
        return each_campaign(lambda c: ledger.due_within(today(), c.due_soon_days))


class FlaggedView(ProblemView):
    def listing(self):
        return ledger.flagged()


class EscalatedView(ProblemView):
    def listing(self):
        return ledger.escalated()


class StaleView(ProblemView):
    def listing(self):
        return each_campaign(lambda c: ledger.stale(local_now(), c.stale_days))
