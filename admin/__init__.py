"""The admin panel: Chinese locale, CSRF, login, error pages and the registry of views."""
from __future__ import annotations

import os

from flask import Flask, has_request_context
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from models import (
    Appeal,
    AuditLog,
    Body,
    BodyTown,
    CalendarDay,
    CalendarYear,
    Delivery,
    OfficialDocument,
    Reminder,
    BodyUnit,
    Campaign,
    Enterprise,
    EnterpriseGroup,
    Event,
    LoginAttempt,
    Person,
    PolicyDocument,
    PolicyPush,
    Post,
    Problem,
    ProblemUpdate,
    Report,
    SourceDocument,
    StatedFigure,
    Task,
    Term,
    Unit,
    User,
    UserSession,
    Visit,
)

from models import audit

from . import access, auth, i18n, imports, intake, ledger, reports, supervision, views
from .attachments import AttachmentView
from .dashboard import StatsView
from .desk import DeskView
from .errors import ERRORS, error_page
from .forms import check_forms
from .pages import cached_menu, check_pages
from .secure import SecureModelView
from .steps import check_steps

LOCALE = "zh_Hans_CN"
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")
APP_NAME = "助企服务专项行动管理平台"

csrf = CSRFProtect()


class PanelAdmin(Admin):
    """The panel: a menu category the user sees one entry of is that entry itself (问题台账, not 问题台账 ▸ 问题台账)."""

    def menu(self):
        items = []
        for item in super().menu():
            children = item.get_children() if item.is_category() else None
            items.append(children[0] if children and len(children) == 1 and not children[0].is_category() else item)
        return items


def register_views(admin: Admin) -> None:
    """Every model view, in menu order. Adding a table means adding a line here."""
    org, tasks, firms, problems, watch, report_menu, system = "组织架构", "任务清单", "企业与走访", "问题台账", "督办", "报表", "系统"
    admin.add_view(StatsView(name="统计", endpoint="stats", url="/admin/stats"))
    admin.add_view(views.CampaignView(Campaign, name="专项行动", category=org, endpoint="campaign"))
    admin.add_view(views.UnitView(Unit, name="单位", category=org, endpoint="unit"))
    admin.add_view(views.PersonView(Person, name="人员", category=org, endpoint="person"))
    admin.add_view(views.BodyView(Body, name="机构", category=org, endpoint="body"))
    admin.add_view(views.BodyUnitView(BodyUnit, name="参加单位", category=org, endpoint="body_unit"))
    admin.add_view(views.PostView(Post, name="职务安排", category=org, endpoint="post"))
    admin.add_view(views.BodyTownView(BodyTown, name="联点镇、园区", category=org, endpoint="body_town"))
    admin.add_view(views.StatedFigureView(StatedFigure, name="文件所述数据", category=org, endpoint="stated_figure"))
    admin.add_view(views.TaskView(Task, name="工作任务", category=tasks, endpoint="task"))
    admin.add_view(views.PolicyView(PolicyDocument, name="政策清单", category=tasks, endpoint="policy"))
    admin.add_view(views.PolicyPushView(PolicyPush, name="政策推送", category=tasks, endpoint="policy_push"))
    admin.add_view(views.EnterpriseView(Enterprise, name="企业", category=firms, endpoint="enterprise"))
    admin.add_view(views.EnterpriseGroupView(EnterpriseGroup, name="联点企业", category=firms, endpoint="enterprise_group"))
    admin.add_view(views.VisitView(Visit, name="走访记录", category=firms, endpoint="visit"))
    admin.add_view(views.EventView(Event, name="宣讲与会议", category=firms, endpoint="event"))
    admin.add_view(intake.AppealView(Appeal, name="诉求直报", category=problems, endpoint="appeal"))
    admin.add_view(ledger.ProblemView(Problem, name="问题台账", category=problems, endpoint="problem"))
    admin.add_view(views.ProblemUpdateView(ProblemUpdate, name="办理进展", category=problems, endpoint="problem_update"))
    admin.add_view(ledger.OverdueView(Problem, name="逾期问题", category=watch, endpoint="overdue"))
    admin.add_view(ledger.DueSoonView(Problem, name="即将到期", category=watch, endpoint="due_soon"))
    admin.add_view(ledger.FlaggedView(Problem, name="挂牌督办", category=watch, endpoint="flagged"))
    admin.add_view(ledger.EscalatedView(Problem, name="已上报问题", category=watch, endpoint="escalated"))
    admin.add_view(ledger.StaleView(Problem, name="7日无进展", category=watch, endpoint="stale"))
    admin.add_view(supervision.RankingView(name="单位红黑榜", category=watch, endpoint="ranking", url="/admin/ranking"))
    admin.add_view(supervision.VisitComplianceView(name="走访达标", category=watch, endpoint="visit_compliance",
                                                   url="/admin/visit-compliance"))
    admin.add_view(supervision.SubmissionView(name="报送情况", category=watch, endpoint="submissions",
                                              url="/admin/submissions"))
    admin.add_view(reports.ReportsView(name="报表导出", category=report_menu, endpoint="reports", url="/admin/reports"))
    admin.add_view(imports.ImportView(name="导入", category=report_menu, endpoint="imports", url="/admin/import"))
    admin.add_view(intake.PortalCardView(name="诉求二维码", category=report_menu, endpoint="portal_cards",
                                         url="/admin/portal_cards"))
    admin.add_view(views.ReportView(Report, name="报送记录", category=report_menu, endpoint="report"))
    admin.add_view(views.TermView(Term, name="词表", category=system, endpoint="term"))
    admin.add_view(views.CalendarDayView(CalendarDay, name="工作日历", category=system, endpoint="calendar_day"))
    admin.add_view(views.CalendarYearView(CalendarYear, name="已公布年份", category=system, endpoint="calendar_year"))
    admin.add_view(views.ReminderView(Reminder, name="自动提醒", category=system, endpoint="reminder"))
    admin.add_view(views.DeliveryView(Delivery, name="外发消息", category=system, endpoint="delivery"))
    admin.add_view(views.OfficialDocumentView(OfficialDocument, name="公文登记", category=system, endpoint="official_document"))
    admin.add_view(views.UserView(User, name="用户", category=system, endpoint="user"))
    admin.add_view(views.AuditLogView(AuditLog, name="审计日志", category=system, endpoint="audit_log"))
    admin.add_view(views.LoginAttemptView(LoginAttempt, name="登录记录", category=system, endpoint="login_attempt"))
    admin.add_view(views.UserSessionView(UserSession, name="在线会话", category=system, endpoint="user_session"))
    admin.add_view(views.SourceDocumentView(SourceDocument, name="来源文件", category=system, endpoint="source_document"))
    admin.add_view(auth.AccountView(name="修改密码", endpoint="account", url="/admin/account"))
    admin.add_view(AttachmentView(name="附件", endpoint="attachment", url="/admin/attachment"))  # not in the menu


def web_actor() -> tuple[int | None, str]:
    """Who the audit trail records: the logged-in user in a request, the system user on the command line."""
    if has_request_context():
        if current_user.is_authenticated:
            return current_user.id, current_user.username
        return None, "匿名访问"
    return audit.command_line_actor()


def init_app(app: Flask) -> None:
    """Set up locale, CSRF, login, error pages and the admin panel on `app`."""
    Babel(app, locale_selector=lambda: LOCALE, timezone_selector=lambda: app.config["TIMEZONE"])
    i18n.prefer_our_catalogue()
    csrf.init_app(app)
    auth.init_app(app)
    for code in ERRORS:
        app.register_error_handler(code, error_page)
    app.register_error_handler(CSRFError, error_page)
    admin = PanelAdmin(
        app,
        name=APP_NAME,
        theme=Bootstrap4Theme(swatch="default", base_template="admin/zq_base.html", fluid=True),
        index_view=DeskView(name="我的待办", url="/admin"),
        translations_path=TRANSLATIONS,
    )
    register_views(admin)
    app.jinja_env.globals["cached_menu"] = cached_menu
    tables = [v for v in admin._views if isinstance(v, SecureModelView)]
    access.check_complete({v.endpoint for v in tables}, {v.endpoint for v in admin._views if v not in tables})
    check_pages(admin._views, SecureModelView)
    check_forms(tables)
    check_steps()
    audit.actor_provider = web_actor
