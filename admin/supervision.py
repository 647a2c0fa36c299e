"""The computed supervision tables (督办): units ranked (红黑榜), visits against the target, who has not reported.
Each is over the rows the user may see, and open to the roles admin.access.PAGES names."""
from __future__ import annotations

from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from models import Body, EnterpriseGroup, Problem, db, ledger
from models.scope import read_filter, scope_query

from .campaigns import chosen_campaign, user_campaigns
from .filters import today
from .pages import SecurePage

# How a board looks: the row's class and the badge's. Red is honour in a Chinese office, black-grey a warning.
BOARD_STYLES = {
    ledger.Board.RED: ("board-red", "badge-board-red"),
    ledger.Board.BLACK: ("board-black", "badge-board-black"),
    ledger.Board.TOO_FEW: ("board-too-few", "badge-board-too-few"),
}


class RankingView(SecurePage):
    """Units ranked by 办结率, 按期办结率 and overdue count (红黑榜); units with too few problems listed unranked."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        rows = read_filter(Problem, current_user)
        if campaign is not None:
            rows = Problem.campaign_id == campaign.id if rows is None else (rows & (Problem.campaign_id == campaign.id))
        minimum = campaign.ranking_min_problems if campaign is not None else None
        ranking = ledger.unit_ranking(rows, today(), min_problems=minimum) if campaign else []
        total = ledger.figures(rows, today()) if campaign else None
        return self.render("admin/supervision_ranking.html", ranking=ranking, total=total, campaign=campaign,
                           campaigns=user_campaigns(), minimum=minimum, styles=BOARD_STYLES)


class VisitComplianceView(SecurePage):
    """Each working group's visits to each linked enterprise in the 集中上门 phase, against the target."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        links = read_filter(EnterpriseGroup, current_user)
        phase, rows = ledger.visit_compliance(campaign.id, links) if campaign else (None, [])
        return self.render("admin/supervision_visits.html", phase=phase, rows=rows, campaign=campaign,
                           campaigns=user_campaigns())


class SubmissionView(SecurePage):
    """Which bodies have (not) submitted this period's 周调度 and 旬通报."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        visible = set(db.session.scalars(scope_query(select(Body.id), Body, current_user)))
        rows = ledger.submissions(campaign.id, today(), lambda body: body.id in visible) if campaign else []
        return self.render("admin/supervision_reports.html", rows=rows, campaign=campaign, campaigns=user_campaigns(),
                           today=today())
