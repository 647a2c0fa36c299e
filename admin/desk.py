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
        listed = [p for line in lines for p in items.get(line.key, ())]
        note = (calendar.desk_note(clock.today, [p.deadline for p in listed if p.deadline])
                if current_user.role in workflow.OFFICE else None)  # the office's: it assigns and extends deadlines
        late = workflow.late_requests(p.id for p in listed if p.extension_requested_until)
        return self.render("admin/desk.html", lines=lines, counts=counts, items=items, calendar_note=note,
                           late=late, late_label=workflow.LATE_REQUEST,
                           campaign_id=clock.campaign_id, campaigns=campaigns,
                           reports=reports, steps=workflow.STEPS, line_url=line_url, light_badge=light_badge,
                           days_text=days_text, light_of=lambda p: ledger.light(p, clock.today, clock.yellow_days),
                           today=clock.today)
