"""The problem ledger (问题台账) in the panel: the 附件2 columns with the deadline light, most urgent first;
the workflow steps as buttons and bulk actions with small forms; and the supervision listings (督办).
Every rule is in models.workflow and models.ledger; these views only collect input and show results."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.actions import action
from flask_admin.form.fields import Select2Field
from flask_admin.form.widgets import DatePickerWidget, Select2Widget
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models import Body, Campaign, Enterprise, EnterpriseGroup, Person, Problem, Unit, db, ledger, local_now, workflow
from models.errors import DomainError
from models.ledger import Light
from models.vocab import SATISFACTION_LEVELS

from exports import reporting_unit
from exports.problems import annex2_workbook, problems_in_order

from .base import SecureModelView, scoped
from .fields import CheckedForm, ScopedSelect, ScopedSelectMultiple, within_calendar
from .files import download, xlsx_bytes
from .filters import ledger_filters, today, yellow_days
from .ids import parse_id
from models.scope import read_filter, scope_query
from .views import BODY_AJAX, ENTERPRISE_AJAX, PERSON_AJAX


PROBLEM_LABELS = {
    "row_number": "序号",
    "number": "问题编号",
    "enterprise": "企业名称",
    "enterprise.name": "企业名称",
    "enterprise.town": "所在镇（园区）",
    "description": "问题描述",
    "demand": "企业诉求",
    "category": "问题类型",
    "nature": "问题性质",
    "source": "问题来源",
    "collected_by_body": "收集工作组",
    "collected_by_person": "收集人",
    "collected_on": "收集时间",
    "responsible_unit": "责任单位",
    "co_units": "协办单位",
    "lead_person": "责任人",
    "supervisor": "督办人",
    "assigned_on": "交办日期",
    "deadline": "办理时限",
    "progress": "办理进展",
    "status": "办理状态",
    "light": "亮灯",
    "escalation_level": "上报层级",
    "flagged": "挂牌督办",
    "resolution": "办理结果",
    "resolved_on": "办结日期",
    "closed_on": "销号时间",
    "closed_by": "销号人",
    "satisfaction": "满意度",
    "remark": "备注",
    "updates": "办理进展记录",
    "last_progress_at": "最近进展时间",
    "extension_requested_until": "申请延期至",
    "urgency": "紧急程度排序",
}
LIGHT_CLASSES = {Light.RED: "danger", Light.YELLOW: "warning", Light.GREEN: "success", Light.GREY: "secondary"}


def light_cell(view, context, model, name):
    """The coloured 亮灯 cell."""
    value = ledger.light(model, today(), yellow_days())
    if value is None:
        return ""
    return Markup(f'<span class="badge badge-{LIGHT_CLASSES[value]}" style="font-size:100%">{escape(value)}</span>')


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


class ProblemView(SecureModelView):
    """问题台账: the columns of 附件2, most urgent first."""

    column_list = (
        "row_number", "number", "enterprise", "enterprise.town", "category", "description", "demand",
        "collected_by_body", "collected_on", "responsible_unit", "co_units", "lead_person", "supervisor", "deadline",
        "progress", "status", "light", "closed_on", "satisfaction", "remark",
    )
    column_labels = PROBLEM_LABELS
    column_formatters = {"light": light_cell, "row_number": row_number, "co_units": joined, "enterprise.town": town_of}
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
    list_loads = (
        joinedload(Problem.enterprise).joinedload(Enterprise.town), joinedload(Problem.collected_by_body),
        joinedload(Problem.responsible_unit), joinedload(Problem.lead_person), joinedload(Problem.supervisor),
        selectinload(Problem.co_units),
    )
    details_template = "admin/problem_details.html"
    list_template = "admin/ledger_list.html"
    action_family = "problem"  # its actions are the workflow's steps

    # The ledger: scoped like every view; a supervision listing narrows what its list shows (its details and
    # steps reach any problem the user may see, so that a problem leaving the listing stays within reach).
    def get_query(self):
        return self.narrowed(super().get_query())

    def get_count_query(self):
        return self.narrowed(super().get_count_query())

    def narrowed(self, query):
        listing = request.endpoint in (f"{self.endpoint}.index_view", f"{self.endpoint}.annex2_view")
        condition = self.listing() if listing else None
        return query if condition is None or query is None else query.filter(condition)

    def listing(self):
        """The condition of a supervision listing (models.ledger); None for the whole ledger."""
        return None

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is None:
            return query.order_by(*ledger.urgency_order()), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)

    def steps_for(self, problem) -> list[tuple[str, str]]:
        """The workflow steps the current user may take on `problem` now: (name, label)."""
        return [(name, workflow.STEPS[name].label) for name in workflow.available(problem, current_user)
                if self.is_action_allowed(name)]

    @action("assign", "交办", None)
    def action_assign(self, ids):
        return self.to_step("assign", ids)

    @action("close", "销号", None)
    def action_close(self, ids):
        return self.to_step("close", ids)

    @action("flag", "挂牌督办", None)
    def action_flag(self, ids):
        return self.to_step("flag", ids)

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
        scope = current_user.body or current_user.unit
        unit = scope.name if scope is not None else (reporting_unit(campaign) if campaign else "")
        book = annex2_workbook(problems, title, unit, today(), today(), yellow_days())
        return download(xlsx_bytes(book), f"附件2 问题清单（{self.name}，{today():%Y-%m-%d}）.xlsx")

    def to_step(self, name, ids):
        """A bulk action opens the step's form for the selected problems."""
        return redirect(self.get_url(".step_view", step=name, ids=",".join(ids)))

    @expose("/step/<step>/", methods=("GET", "POST"))
    def step_view(self, step):
        """One workflow step on one or several problems: a small form, then all of them or none."""
        name = step
        if name not in workflow.STEPS or not self.is_action_allowed(name):
            abort(403 if name in workflow.STEPS else 404)
        wanted = [parse_id(i) for i in request.args.get("ids", request.args.get("id", "")).split(",")]
        wanted = [i for i in wanted if i is not None][:500]
        problems = scoped(Problem, db.session.query(Problem)).filter(Problem.id.in_(wanted)).order_by(Problem.id).all()
        writable = {pk for (pk,) in scoped(Problem, db.session.query(Problem.id), write=True).filter(Problem.id.in_(wanted))}
        refused = [workflow.refusal(name, p, current_user) or (None if p.id in writable else f"您无权对问题{p.number}操作。")
                   for p in problems]
        if not problems:
            flash("所选问题不存在，或您无权对其操作。", "error")
            return redirect(self.get_url(".index_view"))
        back = self.get_url(".details_view", id=problems[0].id) if len(problems) == 1 else self.get_url(".index_view")
        if any(refused):
            for message in filter(None, refused):
                flash(message, "error")
            return redirect(back)
        if len({p.campaign_id for p in problems}) > 1:
            flash("所选问题属于不同的专项行动，请分别操作。", "error")
            return redirect(back)
        skipped = len(wanted) - len(problems)
        form = step_form(name, problems[0], request.form if request.method == "POST" else None)
        if request.method == "POST" and form.validate():
            errors = []
            try:
                for problem in problems:
                    try:
                        workflow.ACTIONS[name](problem, current_user, **{f.name: f.data for f in form if f.name != "csrf_token"})
                    except DomainError as error:
                        errors.append(str(error))
                if not errors:
                    db.session.commit()
            except StaleDataError:  # someone else changed one of them in between (another window or server process)
                db.session.rollback()
                flash(f"所选问题刚被其他人修改，本次“{workflow.STEPS[name].label}”未生效，未做任何修改。请刷新后核对再操作。", "error")
                return redirect(back)
            if errors:
                db.session.rollback()
                for error in errors:
                    flash(error, "error")
                flash(f"以上原因，所选{len(problems)}个问题均未{workflow.STEPS[name].label}，未做任何修改。", "error")
            else:
                flash(f"已对{len(problems)}个问题执行“{workflow.STEPS[name].label}”。", "success")
                if len(problems) == 1:
                    return redirect(self.get_url(".details_view", id=problems[0].id))
                return redirect(self.get_url(".index_view"))
        return self.render("admin/problem_step.html", step=workflow.STEPS[name], name=name, problems=problems,
                           form=form, skipped=skipped)


def campaign_query(model, campaign_id):
    """A factory of the rows of `model` in one campaign that the current user may see, for a step's dropdown."""
    return lambda: scoped(model, db.session.query(model)).filter(model.campaign_id == campaign_id).order_by(model.name)


def note_field(label: str, required: bool):
    validators = [DataRequired(f"请填写{label}。")] if required else [Optional()]
    return TextAreaField(label, validators=[*validators, Length(max=4000)], render_kw={"rows": 3})


def step_form(name: str, problem: Problem, formdata):
    """The small form of one step: exactly the data models.workflow needs for it."""
    campaign_id = problem.campaign_id
    date_widget = DatePickerWidget()
    fields = {
        "assign": {
            "responsible_unit": ScopedSelect("责任单位", query_factory=campaign_query(Unit, campaign_id),
                                                 widget=Select2Widget(), allow_blank=True,
                                                 validators=[DataRequired("请选择责任单位。")]),
            "co_units": ScopedSelectMultiple("协办单位", query_factory=campaign_query(Unit, campaign_id),
                                                 widget=Select2Widget(multiple=True)),
            "lead_person": ScopedSelect("责任人", query_factory=campaign_query(Person, campaign_id),
                                            widget=Select2Widget(), allow_blank=True,
                                            validators=[DataRequired("请选择责任人。")]),
            "supervisor": ScopedSelect("督办人", query_factory=campaign_query(Person, campaign_id),
                                           widget=Select2Widget(), allow_blank=True),
            "deadline": DateField("办理时限", widget=date_widget, validators=[DataRequired("请填写办理时限。"), within_calendar]),
            "note": note_field("交办说明", False),
        },
        "accept": {"note": note_field("签收说明", False)},
        "progress": {"note": note_field("办理进展", True)},
        "resolve": {"resolution": note_field("办理结果", True), "note": note_field("补充说明", False)},
        "return": {"reason": note_field("退回理由", True)},
        "request_extension": {"until": DateField("申请延至", widget=date_widget, validators=[DataRequired("请填写申请延至的日期。"), within_calendar]),
                              "reason": note_field("延期理由", True)},
        "approve_extension": {"until": DateField("批准延至", widget=date_widget, default=problem.extension_requested_until,
                                                 validators=[DataRequired("请填写批准延至的日期。"), within_calendar]),
                              "note": note_field("审批意见", False)},
        "reject_extension": {"reason": note_field("驳回理由", True)},
        "close": {"satisfaction": Select2Field("企业满意度", choices=[(s, s) for s in SATISFACTION_LEVELS],
                                               validators=[DataRequired("请选择企业满意度。")]),
                  "note": note_field("销号说明", False)},
        "reopen": {"reason": note_field("重新办理的理由", True)},
        "escalate": {"reason": note_field("上报理由", True)},
        "flag": {"note": note_field("督办要求", False)},
        "unflag": {"note": note_field("说明", False)},
        "comment": {"note": note_field("批示内容", True)},
        "withdraw": {"reason": note_field("撤销理由", True)},
    }[name]
    form_class = type(f"{name.title()}Form", (CheckedForm,), dict(fields))
    return form_class(formdata)


# --- supervision listings (督办): the ledger narrowed by one condition of models.ledger ---

class OverdueView(ProblemView):
    def listing(self):
        return ledger.overdue(today())


class DueSoonView(ProblemView):
    def listing(self):
        days = request.args.get("days", "")  # ASCII digits: ² and ① are digits too, but int() refuses them
        days = int(days) if days.isascii() and days.isdigit() and int(days) <= 365 else current_app.config["DUE_SOON_DAYS"]
        return ledger.due_within(today(), days)


class FlaggedView(ProblemView):
    def listing(self):
        return ledger.flagged()


class EscalatedView(ProblemView):
    def listing(self):
        return ledger.escalated()


class StaleView(ProblemView):
    def listing(self):
        return ledger.stale(local_now(), current_app.config["STALE_DAYS"])


def user_campaigns() -> list[Campaign]:
    """The campaigns the current user may see."""
    return scope_query(db.session.query(Campaign), Campaign, current_user).order_by(Campaign.id).all()


def chosen_campaign() -> Campaign | None:
    """The campaign a supervision page shows: ?campaign=ID among the user's, else the user's own or the latest."""
    campaigns = user_campaigns()
    wanted = parse_id(request.args.get("campaign"))
    return (next((c for c in campaigns if c.id == wanted), None)
            or next((c for c in campaigns if c.id == current_user.campaign_id), None)
            or (campaigns[-1] if campaigns else None))


class SupervisionPage(BaseView):
    """A computed supervision table (督办); open to every role, over the rows the user may see."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


class RankingView(SupervisionPage):
    """Units ranked by 办结率, 按期办结率 and overdue count (红黑榜)."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        scope = read_filter(Problem, current_user)
        if campaign is not None:
            scope = Problem.campaign_id == campaign.id if scope is None else (scope & (Problem.campaign_id == campaign.id))
        ranking = ledger.unit_ranking(scope, today()) if campaign else []
        total = ledger.figures(scope, today()) if campaign else None
        return self.render("admin/supervision_ranking.html", ranking=ranking, total=total, campaign=campaign,
                           campaigns=user_campaigns())


class VisitComplianceView(SupervisionPage):
    """Each working group's visits to each linked enterprise in the 集中上门 phase, against the target."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        links = read_filter(EnterpriseGroup, current_user)
        phase, rows = ledger.visit_compliance(campaign.id, links) if campaign else (None, [])
        return self.render("admin/supervision_visits.html", phase=phase, rows=rows, campaign=campaign,
                           campaigns=user_campaigns())


class SubmissionView(SupervisionPage):
    """Which bodies have (not) submitted this period's 周调度 and 旬通报."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        visible = set(db.session.scalars(scope_query(select(Body.id), Body, current_user)))
        rows = ledger.submissions(campaign.id, today(), lambda body: body.id in visible) if campaign else []
        return self.render("admin/supervision_reports.html", rows=rows, campaign=campaign, campaigns=user_campaigns(),
                           today=today())
