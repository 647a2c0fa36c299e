"""报表 in the panel: downloads of the reports exports.REPORTS lists (附件2, 附件1, 周调度, 旬通报, the enterprise
list) to the roles it names, each within what the user may see. (The import screen is admin.imports.)"""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from exports import FORMAT_LABELS, REPORTS, Report, Scope, build, reporting_unit
from exports.periodic import task_day
from models import Body, Enterprise, Problem, Visit, db, local_now
from models.task import WEEKDAYS
from models.vocab import ReportKind
from models.errors import DomainError
from models.periods import report_day

from .files import download
from .campaigns import chosen_campaign, user_campaigns
from models.scope import read_filter, scope_query

from .pages import SecurePage


def user_unit() -> str | None:
    """Who fills in a report made by the current user: their working group or unit, if they have one."""
    scope = current_user.body or current_user.unit
    return scope.name if scope is not None else None


class ReportsView(SecurePage):
    """报表导出: every report of a campaign, within the user's scope."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        weekday = WEEKDAYS[task_day(campaign, ReportKind.WEEKLY) - 1] if campaign is not None else None
        return self.render("admin/reports.html", campaign=campaign, campaigns=user_campaigns(), reports=reports_for(),
                           today=local_now().date(), weekday=weekday, format_labels=FORMAT_LABELS)

    @expose("/download")
    def download_view(self):
        campaign = chosen_campaign()
        if campaign is None:
            abort(404)
        kind = request.args.get("kind", "")
        try:
            day = report_day(request.args.get("date") or local_now().date().isoformat())
        except DomainError as error:
            flash(str(error), "error")
            return redirect(self.get_url(".index", campaign=campaign.id))
        if kind not in reports_for():
            abort(404)
        fmt = request.args.get("format") if request.args.get("format") in REPORTS[kind].formats else REPORTS[kind].formats[0]
        visible_bodies = set(db.session.scalars(scope_query(select(Body.id), Body, current_user)))
        scope = Scope(problems=read_filter(Problem, current_user), visits=read_filter(Visit, current_user),
                      enterprises=read_filter(Enterprise, current_user), bodies=lambda b: b.id in visible_bodies)
        content, name = build(kind, campaign, day, user_unit() or reporting_unit(campaign), scope, fmt)
        return download(content, name)


def reports_for() -> dict[str, Report]:
    """The reports the current user may download (exports.REPORTS' roles)."""
    return {kind: report for kind, report in REPORTS.items() if current_user.role in report.roles}
