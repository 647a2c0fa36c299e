"""企业诉求 in the panel: the 待受理 queue of what enterprises submitted through the portal (models.intake), each
诉求's page with 受理 (a ledger problem) and 不予受理 (a reason the enterprise reads), its attachments, and the
printable cards with the portal's QR codes for the campaign and each working group."""
from __future__ import annotations

import segno
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from models import Appeal, AppealFile, Body, Problem, db, intake, terms
from models.org import towns
from models.errors import DomainError
from models.portal import AppealStatus, Revisit
from models.scope import card_groups, prints_campaign_card, read_filter
from models.terms import Vocabulary
from models.vocab import BodyKind
from portal import group_token

from .access import allows
from .attachments import file_response, script_url, shown_portal
from .secure import SecureModelView
from .campaigns import chosen_campaign, user_campaigns
from .filters import ChoiceFilter
from .ids import parse_id
from .pages import SecurePage


def attachment_url(attached: AppealFile) -> str:
    return url_for("problem.attachment_view", id=attached.id)


def status_cell(view, context, model, name):
    tone = {AppealStatus.WAITING: "primary", AppealStatus.ACCEPTED: "success", AppealStatus.REFUSED: "secondary",
            AppealStatus.MERGED: "info"}
    return Markup(f'<span class="badge badge-{tone[model.status]}">{escape(model.status)}</span>'
                  + (' <span class="badge badge-danger">待回访</span>' if model.revisit == Revisit.PENDING else ""))


def number_cell(view, context, model, name):
    return Markup(f'<a href="{escape(view.get_url(".details_view", id=model.id))}">{escape(model.number or "")}</a>')


def text_cell(view, context, model, name):
    text = model.description or ""
    return Markup(f'<span title="{escape(text[:500])}">{escape(text[:40])}{"…" if len(text) > 40 else ""}</span>')


def problem_cell(view, context, model, name):
    if model.problem is None:
        return ""
    return Markup(f'<a href="{escape(url_for("problem.details_view", id=model.problem.id))}">{escape(model.problem.number)}</a>')


class AppealView(SecureModelView):
    """企业诉求: read-only rows (only the portal writes them); 受理 and 不予受理 on each 诉求's page, its pictures as
    thumbnails with the viewer (admin.attachments)."""
    can_create = can_edit = can_delete = False
    linked_details = True
    details_template = "admin/appeal_details.html"
    column_list = ("number", "created_at", "enterprise_name", "category", "description", "body", "status", "problem")
    column_labels = {"number": "受理编号", "created_at": "提交时间", "enterprise_name": "企业名称", "credit_code": "统一社会信用代码",
                     "contact": "联系人", "phone": "联系电话", "category": "诉求类型", "description": "诉求内容",
                     "body": "来自工作组二维码", "status": "状态", "problem": "问题编号", "reason": "不予受理理由",
                     "rating": "企业评价", "rating_comment": "评价意见", "revisit": "回访", "code_hash": "查询码（散列值）",
                     "enterprise": "企业名单中的企业", "decided_by": "处理人", "decided_at": "处理时间", "rated_at": "评价时间",
                     "address": "提交地址", "files": "附件"}
    column_formatters = {"status": status_cell, "number": number_cell, "description": text_cell, "problem": problem_cell}
    column_searchable_list = ("number", "enterprise_name", "credit_code", "description")
    column_filters = (ChoiceFilter(Appeal.status, "状态", [(s, s) for s in
                                                         (AppealStatus.WAITING, AppealStatus.ACCEPTED, AppealStatus.REFUSED,
                                                          AppealStatus.MERGED)]),
                      "created_at", "category")
    column_default_sort = [("status", True), ("id", True)]  # 待受理 first (待 sorts after 已 and 不), newest first

    @property
    def extra_js(self):
        """The viewer of the attachments, on a 诉求's page."""
        return [script_url()] if request.endpoint == f"{self.endpoint}.details_view" else []

    @expose("/decide/", methods=("POST",))
    def decide_view(self):
        """受理 or 不予受理 (models.intake), by the 推进办, the administrator or the group whose 诉求 it is."""
        appeal = self.get_one(str(parse_id(request.form.get("id")) or ""))
        if appeal is None:
            abort(404)
        try:
            if request.form.get("decision") == "accept":
                problem = intake.accept(appeal, current_user._get_current_object(), request.form.get("category") or None,
                                        request.form.get("town") or None)
                db.session.commit()
                flash(f"已受理诉求{appeal.number}，列入问题台账：{problem.number}（待交办）。", "success")
                return redirect(url_for("problem.details_view", id=problem.id))
            if request.form.get("decision") == "merge":
                problem = intake.merge(appeal, current_user._get_current_object(), parse_id(request.form.get("into")))
                db.session.commit()
                flash(f"已将诉求{appeal.number}并入问题{problem.number}；企业查询受理编号时看到该问题的进展。", "success")
                return redirect(url_for("problem.details_view", id=problem.id))
            if request.form.get("decision") == "refuse":
                intake.refuse(appeal, current_user._get_current_object(), request.form.get("reason", ""))
                db.session.commit()
                flash(f"已对诉求{appeal.number}不予受理；企业查询时会看到理由。", "success")
            else:
                flash("请选择受理或不予受理。", "error")
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        return redirect(self.get_url(".details_view", id=appeal.id))

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            appeal = kwargs["model"]
            firm, named = intake.listed_firms(appeal)
            kwargs.update(may_decide=intake.queue_refusal(appeal, current_user) is None, firm_note=firm_note(appeal),
                          towns=towns(appeal.campaign_id) if (firm or named) is None or (firm or named).town_id is None
                          else [], merge_choices=intake.merge_choices(appeal, current_user),
                          categories=terms.values(appeal.campaign_id, Vocabulary.CATEGORY),
                          timeline=intake.public_timeline(appeal), files=shown_portal(appeal.files, attachment_url))
        return super().render(template, **kwargs)


def firm_note(appeal) -> tuple[str, str]:
    """How the enterprise an appeal names stands against the campaign's list, now: (badge style, words)."""
    firm, named = intake.listed_firms(appeal)
    if firm is not None and firm.name == appeal.enterprise_name:
        return "light", "企业名单中已有"
    if firm is not None and appeal.status in (AppealStatus.ACCEPTED, AppealStatus.MERGED):
        return "light", f"已按统一社会信用代码记在企业名单中的“{firm.name}”名下（企业填写的名称不同）"
    if firm is not None:
        return "warning", (f"统一社会信用代码与企业名单中的“{firm.name}”相同，名称不同：受理后记在“{firm.name}”名下，"
                           "企业填写的名称记入办理过程，请核实")
    if named is not None and named.credit_code and named.credit_code != appeal.credit_code:
        return "danger", f"企业名单中的“{named.name}”统一社会信用代码不同（{named.credit_code}）：请先核实再受理"
    return "warning", "企业名单中没有，受理时新建"


def attachment(file_id) -> object:
    """An attachment an enterprise sent with its 诉求, to whoever decides the 诉求 (the queue) or may see the problem it
    was carried over to (the ledger's): a responsible unit opens it from its problem's page (admin.ledger). Its name
    is sent cleaned (admin.attachments.file_response), so that one stored before names were cleaned downloads too."""
    attached = db.session.get(AppealFile, parse_id(file_id) or 0)
    if attached is None or not may_see_file(attached):
        abort(404)
    return file_response(attached.data, attached.mime, attached.name)


def may_see_file(attached: AppealFile) -> bool:
    """Through its 诉求, for those who decide it (the access table's 诉求直报 line: the office, and a working group
    within the queue's scope), or through the problem it was carried over to (the ledger's scope). A leader or a
    responsible unit sees what an enterprise sent only once it is a problem of theirs, never while it waits."""
    decides = allows(current_user.role, "appeal", "details")
    for model, row_id in ((Appeal, attached.appeal_id if decides else None), (Problem, attached.problem_id)):
        if row_id is None:
            continue
        condition = read_filter(model, current_user)
        query = select(model.id).where(model.id == row_id)
        if db.session.scalar(query if condition is None else query.where(condition)) is not None:
            return True
    return False


def problem_files(problem: Problem) -> list[AppealFile]:
    """The attachments carried over to a problem from the portal (the problem page lists them)."""
    return db.session.scalars(select(AppealFile).where(AppealFile.problem_id == problem.id)
                              .order_by(AppealFile.id)).all()


class PortalCardView(SecurePage):
    """二维码名片: the portal's address as a QR code on a card to print and hand out on visits — the campaign's, and
    each working group's (whose 诉求 come to that group's queue). A working group sees its own card only."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        groups = []
        if campaign is not None:
            query = select(Body).where(Body.campaign_id == campaign.id, Body.kind == BodyKind.WORKING_GROUP).order_by(Body.id)
            groups = db.session.scalars(card_groups(query, current_user)).all()
        cards = []
        if campaign is not None:
            if prints_campaign_card(current_user):
                cards.append(card(campaign.name, "企业诉求直报", url_for("portal.submit", code=campaign.code, _external=True)))
            cards += [card(campaign.name, f"{group.name} 企业诉求直报",
                           url_for("portal.submit", code=campaign.code, g=group_token(group), _external=True))
                      for group in groups]
        return self.render("admin/portal_cards.html", campaign=campaign, campaigns=user_campaigns(), cards=cards)


def card(campaign: str, title: str, address: str) -> dict:
    qr = segno.make(address, error="m")
    return {"campaign": campaign, "title": title, "address": address,
            "svg": Markup(qr.svg_inline(scale=4, border=2, omitsize=True))}
