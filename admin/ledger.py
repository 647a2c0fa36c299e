"""The problem ledger (问题台账) in the panel: the 附件2 columns with the deadline light, most urgent first; the
workflow steps as buttons and bulk actions, each with its small form (admin.steps); and the supervision listings
(督办), the ledger narrowed by one condition. Every rule is in models.workflow and models.ledger; these views only
collect input and show results."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from exports import reporting_unit
from exports.problems import annex2_workbook, problems_in_order
from models import Campaign, Enterprise, Problem, annex2, db, ledger, local_now, workflow
from models.errors import DomainError
from models.ledger import Light

from .base import SecureModelView, scoped
from .campaigns import chosen_campaign
from .files import download, xlsx_bytes
from .filters import ledger_filters, today, yellow_days
from .ids import parse_id
from .steps import step_form
from .views import BODY_AJAX, ENTERPRISE_AJAX, PERSON_AJAX


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

    column_list = tuple(column.key for column in annex2.COLUMNS)
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
