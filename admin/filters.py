"""Ledger filters beyond Flask-Admin's own: dropdowns of the rows the user may see, the deadline light, the town."""
from __future__ import annotations

from flask import current_app, has_request_context
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, DateBetweenFilter, FilterEqual
from flask_login import current_user
from sqlalchemy import case, func, literal_column, select

from models import Body, Campaign, Enterprise, Problem, Unit, db, desk, ledger, local_now
from models.annex2 import HEADER_OF
from models.terms import Term, Vocabulary
from models.vocab import PROBLEM_STATUSES, BodyKind

from .campaigns import chosen_campaign, user_campaigns
from .ids import parse_id
from .pages import per_request
from models.scope import scope_query


def today():
    return per_request("zq.today", lambda: local_now().date())


def campaigns() -> dict[int, Campaign]:
    """The campaigns the current user may see, with their settings (专项行动设置), read once per request."""
    return per_request("zq.campaigns", lambda: {c.id: c for c in user_campaigns()})


def setting(campaign_id: int | None, key: str) -> int:
    """A setting of campaign `campaign_id` (Campaign.yellow_days…); the column's default for a campaign not shown."""
    campaign = campaigns().get(campaign_id)
    return getattr(campaign, key) if campaign is not None else Campaign.__table__.c[key].default.arg


def yellow_days(campaign_id: int | None = None) -> int:
    """The yellow window of a campaign, by default of the user's own (the administrator's: the one chosen)."""
    if campaign_id is None:
        campaign = chosen_campaign() if current_user.role == "admin" else None
        campaign_id = campaign.id if campaign is not None else current_user.campaign_id
    return setting(campaign_id, "yellow_days")


def each_campaign(condition):
    """`condition(campaign)` on the problems of each campaign the user may see, with that campaign's settings."""
    return ledger.per_campaign(campaigns().values(), condition)


def desk_clock() -> desk.Clock:
    """The day the desk and its ledger lines are counted on, with the yellow window; for the system administrator,
    who sees every campaign, the campaign chosen on the desk (?campaign=ID, by default the latest)."""
    campaign = chosen_campaign() if current_user.role == "admin" else None
    campaign_id = campaign.id if campaign is not None else None
    return desk.Clock(today(), yellow_days(campaign_id), local_now(), campaign_id)


class VisibleOptions:
    """The (id, name) rows of `model` the current user may see, for a filter dropdown.

    Called, it lists them; `statement` gives the query, so that a view can load all its dropdowns in one
    round trip (SecureModelView.filter_options)."""

    def __init__(self, model, *where, order=None):
        self.model, self.where = model, where
        self.order = order if order is not None else model.name

    def statement(self, key: int):
        """(key, id, name, position) of each visible row, position following the dropdown's order."""
        query = select(literal_column(str(int(key))).label("filter"), self.model.id, self.model.name,
                       func.row_number().over(order_by=self.order).label("position")).where(*self.where)
        return scope_query(query, self.model, current_user)

    @staticmethod
    def option(pk, name) -> tuple[str, str]:
        """A row of the statement as a dropdown option: (value, label)."""
        return str(pk), name

    def __call__(self):
        if not has_request_context():  # Flask-Admin asks once at start-up; the real list is made per request
            return []
        return [self.option(pk, name) for _, pk, name, _ in db.session.execute(self.statement(0).order_by("position"))]


class TermOptions(VisibleOptions):
    """The terms of a vocabulary in the campaigns the user may see (models.terms), for a filter dropdown: those in
    use first, in their order, then retired ones (old rows still carry them)."""

    def __init__(self, vocabulary: str):
        super().__init__(Term, Term.vocabulary == vocabulary, order=Term.position)

    def statement(self, key: int):
        order = (func.min(case((Term.retired == True, 1), else_=0)), func.min(Term.position), Term.value)  # noqa: E712
        query = (select(literal_column(str(int(key))).label("filter"), literal_column("0").label("id"), Term.value,
                        func.row_number().over(order_by=order).label("position"))
                 .where(*self.where).group_by(Term.value))
        return scope_query(query, Term, current_user)

    @staticmethod
    def option(pk, name) -> tuple[str, str]:
        return name, name  # a term is filtered by its name


class ChoiceFilter(FilterEqual):
    """Equals one of a dropdown's values; ids are compared as numbers."""

    def __init__(self, column, name, options, numeric: bool = False):
        super().__init__(column, name, options=options)
        self.numeric = numeric

    def clean(self, value):
        return int(value) if self.numeric else value

    def validate(self, value) -> bool:
        return not self.numeric or parse_id(value) is not None

    def operation(self):
        return "等于"


class LightFilter(ChoiceFilter):
    """亮灯: red, yellow, green or grey, against today's date."""

    def __init__(self, name=HEADER_OF["light"]):
        super().__init__(Problem.deadline, name, options=[(light, light) for light in ledger.LIGHTS])

    def apply(self, query, value, alias=None):
        return query.filter(each_campaign(lambda c: ledger.light_condition(value, today(), c.yellow_days)))


class TownFilter(ChoiceFilter):
    """所在镇（园区）: the town or park of the problem's enterprise."""

    def __init__(self, name=HEADER_OF["enterprise.town"]):
        # A unit some enterprise names as its town: looked up per unit in ix_enterprise_town_id (a list of every
        # enterprise's town read all 10,000 entries of the index on each ledger page).
        towns = select(Enterprise.id).where(Enterprise.town_id == Unit.id).exists()
        super().__init__(Problem.enterprise_id, name, options=VisibleOptions(Unit, towns), numeric=True)

    def apply(self, query, value, alias=None):
        return query.filter(Problem.enterprise_id.in_(select(Enterprise.id).where(Enterprise.town_id == value)))


def ledger_filters():
    """The ledger's filters, in the order staff use them."""

    def fixed(values):
        return [(v, v) for v in values]

    groups = VisibleOptions(Body, Body.kind == BodyKind.WORKING_GROUP, order=Body.id)
    return [
        ChoiceFilter(Problem.status, HEADER_OF["status"], fixed(PROBLEM_STATUSES)),
        LightFilter(),
        ChoiceFilter(Problem.category, HEADER_OF["category"], TermOptions(Vocabulary.CATEGORY)),
        ChoiceFilter(Problem.responsible_unit_id, HEADER_OF["responsible_unit"], VisibleOptions(Unit), numeric=True),
        ChoiceFilter(Problem.collected_by_body_id, HEADER_OF["collected_by_body"], groups, numeric=True),
        TownFilter(),
        ChoiceFilter(Problem.escalation_level, "上报层级", TermOptions(Vocabulary.ESCALATION)),
        BooleanEqualFilter(Problem.flagged, "挂牌督办"),
        DateBetweenFilter(Problem.collected_on, HEADER_OF["collected_on"]),
        DateBetweenFilter(Problem.assigned_on, "交办日期"),
        DateBetweenFilter(Problem.deadline, HEADER_OF["deadline"]),
        DateBetweenFilter(Problem.closed_on, HEADER_OF["closed_on"]),
        ChoiceFilter(Problem.campaign_id, "专项行动", VisibleOptions(Campaign), numeric=True),
    ]
