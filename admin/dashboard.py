"""统计: the figures of the problems the user may see: totals, rates, overdue, by status, by category, by unit, and a
weekly trend of problems collected and resolved. (Each role's home page is its desk, admin.desk.)"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from flask_admin import expose
from flask_login import current_user
from sqlalchemy import func, select

from models import Problem, Unit, db, intake, ledger
from models.scope import read_filter
from models import terms
from models.terms import Vocabulary
from models.vocab import PROBLEM_STATUSES

from .campaigns import chosen_campaign, user_campaigns
from .filters import today
from .pages import SecurePage

TREND_WEEKS = 12


def counts_by(column, scope) -> dict:
    query = select(column, func.count(Problem.id)).group_by(column)
    if column is not Problem.status:  # 已合并 shows among the statuses and nowhere else (models.ledger.not_merged)
        query = query.where(ledger.not_merged())
    if scope is not None:
        query = query.where(scope)
    return dict(db.session.execute(query).all())


def weekly(column, scope, weeks: list[date]) -> list[int]:
    """How many problems have `column` (a date) in each week starting on the given Mondays."""
    query = select(column, func.count(Problem.id)).where(column >= weeks[0], column < weeks[-1] + timedelta(days=7),
                                                         ledger.not_merged())
    if scope is not None:
        query = query.where(scope)
    per_week = Counter()
    for day, n in db.session.execute(query.group_by(column)).all():
        per_week[weeks[0] + timedelta(days=7 * ((day - weeks[0]).days // 7))] += n
    return [per_week[w] for w in weeks]


def dashboard(campaign, day: date) -> dict:
    """Everything the home page shows for one campaign, scoped to the current user."""
    scope = read_filter(Problem, current_user)
    if campaign is not None:
        own = Problem.campaign_id == campaign.id
        scope = own if scope is None else scope & own
    totals = ledger.figures(scope, day)
    statuses = counts_by(Problem.status, scope)
    categories = counts_by(Problem.category, scope)
    units = counts_by(Problem.responsible_unit_id, scope)
    units.pop(None, None)
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(units))).all())
    top_units = sorted(units.items(), key=lambda kv: (-kv[1], names.get(kv[0], "")))[:10]
    monday = day - timedelta(days=day.weekday())
    weeks = [monday - timedelta(days=7 * i) for i in range(TREND_WEEKS - 1, -1, -1)]
    rated, content = intake.own_ratings(scope)
    return {
        "totals": totals,
        "own_rate": content / rated if rated else None,  # 企业自评满意率 (一事一评 through the portal)
        "own_rated": rated,
        "status": [(s, statuses.get(s, 0)) for s in PROBLEM_STATUSES],
        "category": category_counts(campaign, categories),
        "unit": [(names.get(pk, ""), n) for pk, n in top_units],
        "weeks": [w.strftime("%m-%d") for w in weeks],
        "collected": weekly(Problem.collected_on, scope, weeks),
        "resolved": weekly(Problem.resolved_on, scope, weeks),
    }


def category_counts(campaign, counted: dict) -> list[tuple[str, int]]:
    """(问题类型, count): the campaign's types in their order, any other value found (a retired type, or another
    campaign's when none is chosen), then 未分类."""
    names = terms.values(campaign.id, Vocabulary.CATEGORY) if campaign is not None else []
    names += sorted(k for k in counted if k is not None and k not in names)
    return [(c, counted.get(c, 0)) for c in names] + [("未分类", counted.get(None, 0))]


class StatsView(SecurePage):
    """统计: the figures of the chosen campaign, with charts."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        return self.render("admin/stats.html", campaign=campaign, campaigns=user_campaigns(),
                           figures=dashboard(campaign, today()))
