"""The workflow steps in the panel: the buttons a user may press on a problem, the bulk actions of the ledger, and the
page that shows a step's form (admin.steps.forms) and takes it on one or several problems, all of them or none. The
rules are models.workflow's; the steps' names, labels and roles are declared in models.steps."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from models import Problem, attachments, calendar, db, workflow
from models.errors import DomainError
from models.vocab import PROXY_CHANNELS
from models.steps import PROXIED, STEPS, StepName, proxy_action

from ..attachments import FIELD, RESELECT, uploads
from ..scoping import scoped
from ..display import safe_next
from ..filters import today
from ..errors import refused_form
from ..ids import parse_id
from .forms import step_form, step_values

BATCH = 500  # problems one step is taken on at once, at most
NAMED = 10  # numbers a bulk confirmation names, at most, before "等"


def day(value) -> str:
    return f"{value.month}月{value.day}日" if isinstance(value, date) else ""


def deadline_words(problem) -> str:
    """办理时限 as the confirmation says it: 12月21日（10个工作日）."""
    if problem.deadline is None:
        return ""
    left = calendar.workdays_left(problem.deadline, today())
    return f"{day(problem.deadline)}（{left}个工作日）" if left >= 0 else day(problem.deadline)


# What a step did, in words, with {n} for the problem's number (or, in bulk, the numbers of those it did alike).
DONE: dict[str, object] = {
    StepName.ASSIGN: lambda p: f"已将{{n}}交办{p.responsible_unit}，时限{deadline_words(p)}",
    StepName.ACCEPT: lambda p: "已签收{n}，现为办理中",
    StepName.PROGRESS: lambda p: "已记录{n}的办理进展",
    StepName.RESOLVE: lambda p: "已对{n}申请办结，等待推进办核实销号",
    StepName.RETURN: lambda p: "已将{n}退回推进办重新交办",
    StepName.REQUEST_EXTENSION: lambda p: f"已为{{n}}申请延期至{day(p.extension_requested_until)}，等待推进办审批",
    StepName.APPROVE_EXTENSION: lambda p: f"已批准{{n}}延期，办理时限改为{deadline_words(p)}",
    StepName.REJECT_EXTENSION: lambda p: f"已驳回{{n}}的延期申请，办理时限仍为{deadline_words(p)}",
    StepName.CLOSE: lambda p: f"已将{{n}}销号（企业满意度：{p.satisfaction}）",
    StepName.REOPEN: lambda p: f"已将{{n}}退回{p.responsible_unit or '责任单位'}重新办理",
    StepName.ESCALATE: lambda p: f"已将{{n}}上报{p.escalation_level}",
    StepName.FLAG: lambda p: "已对{n}挂牌督办",
    StepName.UNFLAG: lambda p: "已取消{n}的挂牌督办",
    StepName.COMMENT: lambda p: "已对{n}作出批示",
    StepName.URGE: lambda p: f"已向{p.responsible_unit or '责任单位'}催办{{n}}",
    StepName.WITHDRAW: lambda p: "已撤销{n}",
    StepName.REVISIT: lambda p: "已记录{n}的回访情况，现在可以销号",
    StepName.MERGE: lambda p: f"已将{{n}}并入{p.merged_into.number if p.merged_into else '所选问题'}",
}


def done_message(code: str, problems) -> str:
    """The confirmation of a step taken, in words: one problem by its number (已将SJY-2026-0081交办市发改局，时限12月21日
    （10个工作日））; several, grouped by what was done to them alike, each group by its numbers (up to NAMED) and count."""
    said = DONE.get(code, lambda p: f"已对{{n}}执行“{STEPS[code].label}”")
    groups: dict[str, list[str]] = {}
    for problem in problems:
        groups.setdefault(said(problem), []).append(problem.number)
    parts = []
    for sentence, numbers in groups.items():
        shown = "、".join(numbers[:NAMED]) + ("等" if len(numbers) > NAMED else "")
        parts.append(sentence.replace("{n}", numbers[0] if len(numbers) == 1 else f"{len(numbers)}个问题（{shown}）"))
    return "；".join(parts) + "。"


def deadline_notices(day, label: str) -> list[str]:
    """What the confirmation of a step says of the date it set: a day off, and a year whose 放假安排 is not published
    (its working days computed on the statutory days)."""
    if not isinstance(day, date):
        return []
    estimate = calendar.estimate_note(today(), day)
    return [n for n in (calendar.day_off_notice(day, label),
                        estimate and f"注意：{label} {day:%Y-%m-%d}：{estimate}（调休未知），公布后请核对。") if n]


def bulk(code: str):
    """The ledger's bulk action for the step `code`: it opens the step's form for the selected problems."""
    @action(code, STEPS[code].label, None)
    def open_form(self, ids):
        return self.to_step(code, ids)
    return open_form


def bulk_proxy(code: str):
    """The ledger's bulk action 代录 of the unit's step `code`: the step's form with the channel, for the selected."""
    @action(proxy_action(code), f"代录{STEPS[code].label}", None)
    def open_form(self, ids):
        return self.to_step(code, ids, proxy=True)
    return open_form


class StepsMixin:
    """The steps of a problem view (admin.ledger.ProblemView): its buttons, bulk actions and step page."""

    action_accept = bulk(StepName.ACCEPT)
    action_assign = bulk(StepName.ASSIGN)
    action_close = bulk(StepName.CLOSE)
    action_flag = bulk(StepName.FLAG)
    action_urge = bulk(StepName.URGE)
    action_proxy_accept = bulk_proxy(StepName.ACCEPT)
    action_proxy_progress = bulk_proxy(StepName.PROGRESS)
    action_proxy_resolve = bulk_proxy(StepName.RESOLVE)
    action_proxy_request_extension = bulk_proxy(StepName.REQUEST_EXTENSION)

    def steps_for(self, problem) -> list[tuple[str, str]]:
        """The workflow steps the current user may take on `problem` now: (code, label)."""
        return [(name, STEPS[name].label) for name in workflow.available(problem, current_user)
                if self.is_action_allowed(name)]

    def proxy_steps_for(self, problem) -> list[tuple[str, str]]:
        """The unit's steps the current user may enter on its behalf (代录) on `problem` now: (code, label)."""
        return [(name, STEPS[name].label) for name in workflow.proxy_available(problem, current_user)
                if self.is_action_allowed(proxy_action(name))]

    def to_step(self, name, ids, proxy: bool = False):
        """A bulk action opens the step's form for the selected problems."""
        return redirect(self.get_url(".step_view", step=name, ids=",".join(ids), next=safe_next(),
                                     **({"proxy": 1} if proxy else {})))

    @expose("/step/<step>/", methods=("GET", "POST"))
    def step_view(self, step):
        """One workflow step on one or several problems: a small form, then all of them or none."""
        name = step
        proxy = request.args.get("proxy") == "1"  # 代录: the 推进办 enters the unit's step on its behalf
        if name not in workflow.ACTIONS or (proxy and name not in PROXIED):
            abort(404)
        if not self.is_action_allowed(proxy_action(name) if proxy else name):
            abort(403)
        label = f"代录{STEPS[name].label}" if proxy else STEPS[name].label
        chosen = request.form.getlist("ids") if request.method == "POST" and "ids" in request.form else None
        raw = ",".join(chosen) if chosen is not None else request.args.get("ids", request.args.get("id", ""))
        wanted = [parse_id(i) for i in raw.split(",")]
        wanted = [i for i in wanted if i is not None][:BATCH]
        problems = scoped(Problem, db.session.query(Problem)).filter(Problem.id.in_(wanted)).order_by(Problem.id).all()
        writable = {pk for (pk,) in scoped(Problem, db.session.query(Problem.id), write=True).filter(Problem.id.in_(wanted))}
        def actor(problem):
            return workflow.OnBehalf(current_user, problem.responsible_unit, PROXY_CHANNELS[0]) if proxy else current_user

        refused = [workflow.refusal(name, p, actor(p)) or (None if p.id in writable else f"您无权对问题{p.number}操作。")
                   for p in problems]
        if not problems:
            flash("请先勾选问题。" if not wanted else "所选问题不存在，或您无权对其操作。", "error")
            return redirect(safe_next() or self.get_url(".index_view"))
        back = safe_next() or (self.get_url(".details_view", id=problems[0].id) if len(problems) == 1
                               else self.get_url(".index_view"))
        if any(refused):
            for message in filter(None, refused):
                flash(message, "error")
            return redirect(back)
        if len({p.campaign_id for p in problems}) > 1:
            flash("所选问题属于不同的专项行动，请分别操作。", "error")
            return redirect(back)
        skipped = len(wanted) - len(problems)
        form = step_form(name, problems[0], request.form if request.method == "POST" else None, proxy=proxy)
        if request.method == "POST" and form.validate():
            errors = []
            try:
                files = []
                if FIELD in form:  # checked before any step is taken: one refused file refuses the step
                    try:
                        files = attachments.checked_files(uploads(), problems[0].campaign,
                                                          [{"problem_id": p.id} for p in problems])
                    except DomainError as error:
                        errors.append(str(error))
                for problem in problems if not errors else ():
                    try:
                        if proxy:
                            line = workflow.on_behalf(name, problem, current_user, **step_values(form))
                        else:
                            line = workflow.ACTIONS[name](problem, current_user, **step_values(form))
                        attachments.attach(files, current_user, problem_update=line)
                    except DomainError as error:
                        errors.append(str(error))
                if not errors:
                    db.session.commit()
            except StaleDataError:  # someone else changed one of them in between (another window or server process)
                db.session.rollback()
                flash(f"所选问题刚被其他人修改，本次“{label}”未生效，未做任何修改。请刷新后核对再操作。", "error")
                return redirect(back)
            if errors:
                db.session.rollback()
                for error in errors:
                    flash(error, "error")
                flash(f"以上原因，所选{len(problems)}个问题均未{label}，未做任何修改。" + (RESELECT if any(
                    f.filename for f in request.files.getlist(FIELD)) else ""), "error")
            else:
                said = done_message(name, problems)
                flash(f"推进办代录（{form.data['channel']}）：{said}" if proxy else said, "success")
                for key, what in (("deadline", "办理时限"), ("until", "延期至")):
                    for notice in deadline_notices(form.data.get(key) if key in form else None, what):
                        flash(notice, "warning")
                if safe_next():
                    return redirect(safe_next())
                if len(problems) == 1:
                    return redirect(self.get_url(".details_view", id=problems[0].id))
                return redirect(self.get_url(".index_view"))
        if request.method == "POST" and form.errors:
            flash(refused_form(form), "error")
        warnings = ([w for w in (workflow.late_extension_warning(p, today()) for p in problems) if w]
                    if name == StepName.REQUEST_EXTENSION else [])
        late = (workflow.late_requests(p.id for p in problems)
                if name in (StepName.APPROVE_EXTENSION, StepName.REJECT_EXTENSION) else set())
        return self.render("admin/problem_step.html", step=STEPS[name], name=name, problems=problems, proxy=proxy,
                           form=form, skipped=skipped, back=back, today=today(), warnings=warnings, late=late,
                           late_label=workflow.LATE_REQUEST)
