"""我的待办: each role's home page, the lines of its desk (models.desk) with their counts, the most urgent problems of
each line with the step they want, and 签收 in bulk."""
from __future__ import annotations

from flask import url_for
from flask_admin import expose
from flask_login import current_user

from models import calendar, desk, ledger, workflow

from .display import days_text, light_badge
from .filters import desk_clock
from .campaigns import user_campaigns
from .pages import SecureIndex


def line_url(line, campaign_id: int | None = None) -> str:
    """Where a desk line opens: the ledger narrowed to it (in the desk's campaign, for a desk that chose one), or its
    own page."""
    if line.page:
        return url_for(line.page, campaign=campaign_id, **dict(line.page_args))
    return url_for("problem.index_view", todo=line.key, campaign=campaign_id)


# What a role's desk starts from before any line (a working group's cadre in the field: enter a problem, record a
# visit, send a report): label, what it does, the create view it opens.
STARTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "group": (("录入问题", "记下企业反映的问题，交推进办交办", "problem.create_view"),
              ("登记走访", "记下今天走访了哪家企业、谈了什么", "visit.create_view"),
              ("报送", "填报本期周调度、旬通报", "report.create_view")),
}


def report_form(period=None) -> str:
    """The 报送 form, for the period of a report due (its kind and dates filled in), back to the desk afterwards."""
    args = {"kind": period.kind, "period_start": period.start.isoformat(), "period_end": period.end.isoformat()} \
        if period is not None else {}
    return url_for("report.create_view", url=url_for("admin.index"), **args)


def starts_for(role: str | None, reports=()) -> list[tuple[str, str, str]]:
    """The role's start actions, with the URLs they open (back to the desk afterwards); 报送 opens the form of the
    first report due, if any."""
    here = url_for("admin.index")
    return [(label, hint, report_form(reports[0][1] if reports else None) if endpoint == "report.create_view"
             else url_for(endpoint, url=here)) for label, hint, endpoint in STARTS.get(role or "", ())]


class DeskView(SecureIndex):
    """我的待办 (the panel's home page)."""

    @expose("/")
    def index(self):
        clock = desk_clock()
        lines = desk.lines_for(current_user)
        counts = desk.counts(current_user, clock)
        reports = desk.reports_due(current_user, clock.today)
        if any(line.key == "reports" for line in lines):
            counts["reports"] = len(reports)
        campaigns = user_campaigns() if clock.campaign_id is not None else []
        items = desk.items(current_user, clock)
        words = desk.words(lines, items)
        notices = desk.notices(current_user, clock) if counts.get("notices") else []
        told = desk.told(current_user, clock) if any(counts.get(line.key) for line in lines if line.words) else {}
        listed = [p for line in lines for p in items.get(line.key, ())]
        note = (calendar.desk_note(clock.today, [p.deadline for p in listed if p.deadline])
                if current_user.role in workflow.OFFICE else None)  # the office's: it assigns and extends deadlines
        late = workflow.late_requests(p.id for p in listed if p.extension_requested_until)
        return self.render("admin/desk.html", lines=lines, counts=counts, items=items, calendar_note=note,
                           words=words, notices=notices, told=told, starts=starts_for(current_user.role, reports),
                           report_form=report_form,
                           late=late, late_label=workflow.LATE_REQUEST,
                           campaign_id=clock.campaign_id, campaigns=campaigns,
                           reports=reports, steps=workflow.STEPS, line_url=line_url, light_badge=light_badge,
                           days_text=days_text, light_of=lambda p: ledger.light(p, clock.today, clock.yellow_days),
                           today=clock.today)
