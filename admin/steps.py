"""The small form of each workflow step: exactly the data models.workflow needs for it."""
from __future__ import annotations

from flask_admin.form.fields import Select2Field
from flask_admin.form.widgets import DatePickerWidget, Select2Widget
from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models import Person, Problem, Unit, db
from models.vocab import SATISFACTION_LEVELS

from .base import scoped
from .fields import CheckedForm, ScopedSelect, ScopedSelectMultiple, within_calendar


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
