"""复制为新专项行动: the page that starts a new campaign from one the user may change (models.copying)."""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_login import current_user
from flask_admin.form.widgets import DatePickerWidget
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import DataRequired, Length, Optional

from models import Campaign, db
from models.copying import copy_campaign
from models.errors import DomainError

from .ids import parse_id


class CopyForm(FlaskForm):
    name = StringField("新专项行动名称", validators=[DataRequired("请填写新专项行动的名称。"), Length(max=200)])
    code = StringField("问题编号前缀", validators=[DataRequired("请填写问题编号前缀。"), Length(max=16)],
                       description="只能用字母或数字，如 SJY2025；新问题编号为“前缀-年份-序号”，年份取开始日期的年份。")
    start_on = DateField("开始日期", validators=[DataRequired("请填写开始日期：问题编号的年份和周调度的期数从这一天算起。")],
                         description="问题编号的年份、周调度和旬通报的期数都从这一天算起。", widget=DatePickerWidget())
    end_on = DateField("结束日期", validators=[Optional()], description="可以以后在专项行动设置中填写。",
                       widget=DatePickerWidget())
    enterprises = BooleanField("同时复制企业名单及其联点工作组")
    switch = BooleanField("复制后我的账号转到新专项行动", default=True,
                          description="推进办账号只属于一个专项行动：转过去后只看到新专项行动，需要回到原专项行动请联系系统管理员。")


def copy_campaign_page(view):
    """GET: the form for campaign ?id=; POST: the copy, then the new campaign's settings to edit."""
    source = view.get_one(str(parse_id(request.args.get("id")) or ""))
    if source is None:
        abort(404)
    form = CopyForm()
    if form.validate_on_submit():
        try:
            campaign = copy_campaign(source, form.name.data, form.code.data, form.enterprises.data,
                                     form.start_on.data, form.end_on.data)
            if current_user.role == "coordinator" and form.switch.data:
                current_user.campaign_id = campaign.id
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(f"已创建专项行动“{campaign.name}”：设置、词表、单位、人员、机构和任务清单已从“{source.name}”复制。"
                  "请核对设置，并在任务清单中填写新的起止日期。", "success")
            if current_user.role == "coordinator" and not form.switch.data:
                return redirect(view.get_url(".index_view"))
            return redirect(view.get_url(".edit_view", id=campaign.id))
    return view.render("admin/campaign_copy.html", form=form, source=source,
                       coordinator=current_user.role == "coordinator")
