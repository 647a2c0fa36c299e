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
from models.steps import STEPS, StepName

from ..attachments import FIELD, RESELECT, uploads
from ..scoping import scoped
from ..display import safe_next
from ..filters import today
from ..ids import parse_id
from .forms import step_form, step_values

BATCH = 500  # problems one step is taken on at once, at most


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


class StepsMixin:
    """The steps of a problem view (admin.ledger.ProblemView): its buttons, bulk actions and step page."""

    action_accept = bulk(StepName.ACCEPT)
    action_assign = bulk(StepName.ASSIGN)
    action_close = bulk(StepName.CLOSE)
    action_flag = bulk(StepName.FLAG)
    action_urge = bulk(StepName.URGE)

    def steps_for(self, problem) -> list[tuple[str, str]]:
        """The workflow steps the current user may take on `problem` now: (code, label)."""
        return [(name, STEPS[name].label) for name in workflow.available(problem, current_user)
                if self.is_action_allowed(name)]

    def to_step(self, name, ids):
        """A bulk action opens the step's form for the selected problems."""
        return redirect(self.get_url(".step_view", step=name, ids=",".join(ids), next=safe_next()))

    @expose("/step/<step>/", methods=("GET", "POST"))
    def step_view(self, step):
        """One workflow step on one or several problems: a small form, then all of them or none."""
        name = step
        if name not in workflow.ACTIONS or not self.is_action_allowed(name):
            abort(403 if name in workflow.ACTIONS else 404)
        label = STEPS[name].label
        chosen = request.form.getlist("ids") if request.method == "POST" and "ids" in request.form else None
        raw = ",".join(chosen) if chosen is not None else request.args.get("ids", request.args.get("id", ""))
        wanted = [parse_id(i) for i in raw.split(",")]
        wanted = [i for i in wanted if i is not None][:BATCH]
        problems = scoped(Problem, db.session.query(Problem)).filter(Problem.id.in_(wanted)).order_by(Problem.id).all()
        writable = {pk for (pk,) in scoped(Problem, db.session.query(Problem.id), write=True).filter(Problem.id.in_(wanted))}
        refused = [workflow.refusal(name, p, current_user) or (None if p.id in writable else f"您无权对问题{p.number}操作。")
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
        form = step_form(name, problems[0], request.form if request.method == "POST" else None)
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
                flash(f"已对{len(problems)}个问题执行“{label}”。", "success")
                for key, what in (("deadline", "办理时限"), ("until", "延期至")):
                    for notice in deadline_notices(form.data.get(key) if key in form else None, what):
                        flash(notice, "warning")
                if safe_next():
                    return redirect(safe_next())
                if len(problems) == 1:
                    return redirect(self.get_url(".details_view", id=problems[0].id))
                return redirect(self.get_url(".index_view"))
        warnings = ([w for w in (workflow.late_extension_warning(p, today()) for p in problems) if w]
                    if name == StepName.REQUEST_EXTENSION else [])
        late = (workflow.late_requests(p.id for p in problems)
                if name in (StepName.APPROVE_EXTENSION, StepName.REJECT_EXTENSION) else set())
        return self.render("admin/problem_step.html", step=STEPS[name], name=name, problems=problems,
                           form=form, skipped=skipped, back=back, today=today(), warnings=warnings, late=late,
                           late_label=workflow.LATE_REQUEST)
