"""The small form of each workflow step: exactly the data its function in models.workflow takes. FORMS names them,
as the steps' declarations do (models.steps, `form`)."""
from __future__ import annotations

from collections.abc import Callable

from flask_admin.form.fields import Select2Field
from flask_admin.form.widgets import DatePickerWidget, Select2Widget
from wtforms import DateField, IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from models import Person, Problem, Unit, db
from models import intake, terms, workflow
from models.calendar import add_workdays, estimate_note
from models.steps import STEPS, StepName
from models.terms import Vocabulary
from models.vocab import PROXY_CHANNELS

from markupsafe import escape
from sqlalchemy import select

from ..attachments import FIELD, files_field, limit_attributes
from ..scoping import scoped
from ..fields import CheckedForm, InlineRadios, ScopedSelect, ScopedSelectMultiple, within_calendar

UI_PREFIX = "ui_"  # a field that only helps fill the form (e.g. the unit that narrows 督办人); the step never sees it


class PersonSelect(ScopedSelect):
    """A person of the campaign, each option marked with the person's unit (data-unit), so that the form offers only
    the chosen unit's people (static/steps.js), with 新增人员 beside it."""

    def iter_choices(self):
        if self.allow_blank:
            yield "__None", self.blank_text, self.data is None, {}
        for pk, person in self._get_object_list():
            yield pk, self.get_label(person), person == self.data, {"data-unit": str(person.unit_id or "")}


def last_supervisor_unit(campaign_id):
    """The unit of the 督办人 named last in the campaign: where the next one most likely comes from."""
    return db.session.scalar(
        select(Unit).join(Person, Person.unit_id == Unit.id).join(Problem, Problem.supervisor_id == Person.id)
        .where(Problem.campaign_id == campaign_id).order_by(Problem.assigned_on.desc(), Problem.id.desc()).limit(1))


def step_values(form) -> dict:
    """What the step's function takes from its form: every field but the CSRF token and the helpers."""
    return {f.name: f.data for f in form if f.name != "csrf_token" and not f.name.startswith(UI_PREFIX)}


def campaign_query(model, campaign_id):
    """A factory of the rows of `model` in one campaign that the current user may see, for a step's dropdown."""
    return lambda: scoped(model, db.session.query(model)).filter(model.campaign_id == campaign_id).order_by(model.name)


def note_field(label: str, required: bool, description: str = ""):
    validators = [DataRequired(f"请填写{label}。")] if required else [Optional()]
    return TextAreaField(label, validators=[*validators, Length(max=4000)], render_kw={"rows": 3},
                         description=description)


DAYS, DATE = "days", "date"


class AssignForm(CheckedForm):
    """交办: the 办理时限 as a number of working days (the date they come to by the work calendar) or as a date."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        chosen = bool(self.ui_deadline_by.raw_data)  # a client that posts only a date (a script, an older page) means it
        by_days = self.ui_deadline_by.data == DAYS if chosen else self.deadline.data is None
        if by_days and self.ui_deadline_days.data is None and not self.ui_deadline_days.errors:
            self.ui_deadline_days.errors = [*self.ui_deadline_days.errors, "请填写办理时限的工作日数（或改为按日期）。"]
            return False
        if by_days and valid:
            self.deadline.data = add_workdays(workflow.today(), self.ui_deadline_days.data)
        if not by_days and self.deadline.data is None and not self.deadline.errors:
            self.deadline.errors = [*self.deadline.errors, "请填写办理时限的日期（或改为按工作日数）。"]
            return False
        return valid


def enterprise_rating(problem: Problem) -> str:
    """What the enterprise itself said of the result through the portal (一事一评), beside the office's 满意度, and the
    record of the 回访 made since."""
    appeal = intake.appeal_of(problem)
    if appeal is None:
        return "按回访中企业的意见选择。"
    if appeal.rating is None:
        return "该问题由企业通过服务平台反映，企业尚未在服务平台评价；满意度按回访中企业的意见选择。"
    said = (f"企业在服务平台的评价（企业自评）：{appeal.rating}" + (f"，“{appeal.rating_comment}”" if appeal.rating_comment else "")
            + "。")
    visit = next((u for u in reversed(problem.updates) if u.step == StepName.REVISIT), None)
    if visit is not None and visit.note:
        said += f"回访记录（{visit.created_at:%Y-%m-%d}）：{visit.note}。"
    return escape(said + "满意度按回访中企业的意见选择。")  # what an enterprise typed; Flask-Admin prints it unescaped


def revisit_brief(problem: Problem) -> str:
    """What a 回访 call needs: the enterprise's rating and words, whom to call."""
    appeal = intake.appeal_of(problem)
    if appeal is None:
        return ""
    said = f"企业评价：{appeal.rating or '尚未评价'}" + (f"，“{appeal.rating_comment}”" if appeal.rating_comment else "")
    return escape(f"{said}。联系人：{appeal.contact}（{appeal.phone}）。")


def resolve_fields(problem: Problem) -> dict:
    """申请办结: the result and a note; for a problem from the portal, saying which of them the enterprise reads."""
    if intake.appeal_of(problem) is None:
        return {"resolution": note_field("办理结果", True), "note": note_field("补充说明", False)}
    return {"resolution": note_field("办理结果", True, "该问题由企业通过服务平台反映：企业查询进展时会看到这里填写的办理结果，"
                                                   "请勿写入人员姓名、电话等内部信息。"),
            "note": note_field("补充说明（企业看不到）", False)}


def assign_fields(problem: Problem, formdata) -> dict:
    """交办: the 责任单位 and its 责任人, the 协办单位, the 督办人 (by unit), and the 办理时限 by working days or by date."""
    campaign_id = problem.campaign_id
    proposed = terms.default_deadline(problem, workflow.today())
    estimate = proposed[1] and estimate_note(workflow.today(), proposed[1])
    return {
        "responsible_unit": ScopedSelect("责任单位", query_factory=campaign_query(Unit, campaign_id),
                                         widget=Select2Widget(), allow_blank=True, blank_text="请选择责任单位",
                                         validators=[DataRequired("请选择责任单位。")]),
        "co_units": ScopedSelectMultiple("协办单位", query_factory=campaign_query(Unit, campaign_id),
                                         widget=Select2Widget(multiple=True)),
        "lead_person": PersonSelect("责任人", query_factory=campaign_query(Person, campaign_id),
                                    widget=Select2Widget(), allow_blank=True, blank_text="请选择责任单位的人员",
                                    validators=[DataRequired("请选择责任人。")],
                                    render_kw={"data-unit-from": "responsible_unit"},
                                    description="只列出所选责任单位的人员；没有合适的人可点“新增人员”。"),
        "ui_supervisor_unit": ScopedSelect("督办人所在单位", query_factory=campaign_query(Unit, campaign_id),
                                           widget=Select2Widget(), allow_blank=True, blank_text="请选择单位",
                                           default=last_supervisor_unit(campaign_id) if formdata is None else None),
        "supervisor": PersonSelect("督办人", query_factory=campaign_query(Person, campaign_id),
                                   widget=Select2Widget(), allow_blank=True,
                                   blank_text="请选择督办人" if problem.campaign.supervisor_required else "（可不填）",
                                   validators=[DataRequired("本专项行动要求明确跟踪督办人，请选择。")]
                                   if problem.campaign.supervisor_required else [],
                                   render_kw={"data-unit-from": "ui_supervisor_unit"},
                                   description="跟踪督办的人员：先选单位，再从该单位的人员中选择。"),
        "ui_deadline_by": RadioField("办理时限按", choices=[(DAYS, "工作日数"), (DATE, "日期")], widget=InlineRadios(),
                                     default=DAYS if proposed[0] else DATE),
        "ui_deadline_days": IntegerField("办理时限（工作日数）", default=proposed[0],
                                         validators=[Optional(), NumberRange(1, 365, "工作日数应在 1 至 365 之间。")],
                                         description=(proposed[2] or "从今天起算的工作日数，节假日和周末不计、调休上班计。")
                                         + (f"（{estimate}，调休未知）" if estimate else "")),
        "deadline": DateField("办理时限（日期）", widget=DatePickerWidget(), validators=[Optional(), within_calendar],
                              default=proposed[1], description="按日期时填写；按工作日数时由系统按工作日历算出。"),
        "note": note_field("交办说明", False),
    }


def date_field(label: str, default=None):
    return DateField(label, widget=DatePickerWidget(), default=default,
                     validators=[DataRequired(f"请填写{label}的日期。"), within_calendar])


def close_fields(problem: Problem, formdata) -> dict:
    """销号: the enterprise's 满意度 (beside what it said itself on the portal) and a note."""
    levels = terms.values(problem.campaign_id, Vocabulary.SATISFACTION)
    return {"satisfaction": Select2Field("企业满意度", choices=[(s, s) for s in levels], allow_blank=True,
                                         blank_text="请选择（按企业的意见）", validators=[DataRequired("请选择企业满意度。")],
                                         description=enterprise_rating(problem)),
            "note": note_field("销号说明", False)}


def merge_fields(problem: Problem, formdata) -> dict:
    """合并: which open problem of the same enterprise (that the user may see) this one repeats."""
    def targets():
        return (scoped(Problem, db.session.query(Problem))
                .filter(*workflow.merge_targets(problem.enterprise_id, problem.campaign_id, problem.id))
                .order_by(Problem.id.desc()))
    return {"into": ScopedSelect("并入问题", query_factory=targets, allow_blank=True, blank_text="请选择该企业未办结的问题",
                                 get_label=target_label, validators=[DataRequired("请选择要并入的问题。")],
                                 description=f"只列出{problem.enterprise or '同一企业'}未办结的问题。合并后本问题为“已合并”，"
                                             "企业查询其受理编号时看到所并入问题的进展。"),
            "note": note_field("合并说明", False)}


def target_label(problem: Problem) -> str:
    text = " ".join((problem.description or "").split())
    return f"{problem.number}（{problem.status}）{text[:40]}{'…' if len(text) > 40 else ''}"


# Each form by its name (models.steps: a step's `form`): (problem, formdata) -> the form's fields, by the names its
# step's function takes. admin.steps.check_steps refuses to start when a step's form is missing here.
FORMS: dict[str, Callable[[Problem, object], dict]] = {
    "assign": assign_fields,
    "accept": lambda problem, formdata: {"note": note_field("签收说明", False)},
    "progress": lambda problem, formdata: {"note": note_field("办理进展", True)},
    "resolve": lambda problem, formdata: resolve_fields(problem),
    "return": lambda problem, formdata: {"reason": note_field("退回理由", True)},
    "request_extension": lambda problem, formdata: {"until": date_field("申请延至"), "reason": note_field("延期理由", True)},
    "approve_extension": lambda problem, formdata: {"until": date_field("批准延至", problem.extension_requested_until),
                                                    "note": note_field("审批意见", False)},
    "reject_extension": lambda problem, formdata: {"reason": note_field("驳回理由", True)},
    "close": close_fields,
    "reopen": lambda problem, formdata: {"reason": note_field("重新办理的理由", True)},
    "escalate": lambda problem, formdata: {"reason": note_field("上报理由", True)},
    "flag": lambda problem, formdata: {"note": note_field("督办要求", False)},
    "unflag": lambda problem, formdata: {"note": note_field("说明", False)},
    "comment": lambda problem, formdata: {"note": note_field("批示内容", True)},
    "urge": lambda problem, formdata: {"note": note_field("催办要求", True)},
    "withdraw": lambda problem, formdata: {"reason": note_field("撤销理由", True)},
    "revisit": lambda problem, formdata: {"note": note_field("回访情况和处理意见", True, revisit_brief(problem))},
    "merge": merge_fields,
}


def channel_field():
    """代录: the channel the unit's answer came by (models.vocab.PROXY_CHANNELS)."""
    return RadioField("代录渠道", choices=[(c, c) for c in PROXY_CHANNELS], widget=InlineRadios(),
                      validators=[DataRequired("请选择责任单位的答复是通过哪个渠道来的。")],
                      description="推进办代责任单位录入：办理过程记为“推进办代录”，写明渠道和所代的单位。")


# The forms that take photos and documents besides their text (admin.attachments): each file goes on the timeline line
# the step writes.
WITH_FILES = ("progress", "resolve", "request_extension", "return", "revisit", "close")


def step_form(name: str, problem: Problem, formdata, proxy: bool = False):
    """The small form of the step `name` (its code) for `problem`: exactly the data models.workflow needs for it, the
    file input of the steps that take files (WITH_FILES), and for 代录 (`proxy`) the channel first."""
    form = STEPS[name].form
    fields = ({"channel": channel_field()} if proxy else {}) | FORMS[form](problem, formdata)
    if form in WITH_FILES:
        fields[FIELD] = files_field()
    form_class = type(f"{form.title().replace('_', '')}Form", (AssignForm if form == "assign" else CheckedForm,),
                      dict(fields))
    built = form_class(formdata)
    if FIELD in built:
        limit_attributes(built[FIELD], problem.campaign)
    return built
