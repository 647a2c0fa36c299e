"""周调度 and 旬通报: the figures of one period (collected by `period_figures`), then a workbook or a Word bulletin in
公文 layout made from them.

The period is the one containing the given date: the week that ends on the 周调度's due weekday, or the 旬
(1–10, 11–20, 21–month end). Counts of the period (visits, problems collected, assigned, resolved) are by the
dates recorded on the rows; overdue is as of the period's end (or today, if earlier); rates are cumulative.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl import Workbook
from sqlalchemy import and_, distinct, func, select

from documents import gongwen as gw
from models import Body, Campaign, Problem, Task, Unit, Visit, db, ledger
from models.annex2 import HEADER_OF
from models.ledger import Board
from models.periods import Period, period_for
from models.vocab import BodyKind, ReportKind

from .problems import ANNEX2_COLUMNS, ANNEX2_RELATIONS, annex2_row
from .style import table_sheet, workbook

KINDS = {"weekly": ReportKind.WEEKLY, "dekad": ReportKind.DEKAD}


@dataclass
class Line:
    """One working group or responsible unit in the period."""

    name: str
    visits: int = 0
    enterprises: int = 0
    collected: int = 0
    assigned: int = 0
    resolved: int = 0
    overdue: int = 0
    finish_rate: float | None = None
    on_time_rate: float | None = None


@dataclass
class PeriodFigures:
    campaign: Campaign
    period: Period
    issue: int | None  # 第N期, counted from the campaign's start
    totals: Line
    groups: list[Line] = field(default_factory=list)
    units: list[Line] = field(default_factory=list)
    new: list = field(default_factory=list)
    resolved: list = field(default_factory=list)
    ranking: list = field(default_factory=list)
    submissions: list = field(default_factory=list)
    min_problems: int = ledger.DEFAULT_RANKING_MIN_PROBLEMS  # of the ranking: fewer assigned problems is 样本不足


def task_day(campaign: Campaign, kind: str) -> int:
    """The day the campaign's reporting task for `kind` recurs on (周三 → 3, 每旬8日前 → 8)."""
    day = db.session.scalar(select(Task.recurrence_day).where(Task.campaign_id == campaign.id, Task.report_kind == kind,
                                                              Task.recurrence_day.is_not(None)).order_by(Task.id).limit(1))
    return day or (3 if kind == ReportKind.WEEKLY else 8)


def issue_number(campaign: Campaign, period: Period) -> int | None:
    """第N期: how many periods of this kind since the campaign started, this one included."""
    if campaign.start_on is None or period.end < campaign.start_on:
        return None
    if period.kind == ReportKind.WEEKLY:
        return (period.end - campaign.start_on).days // 7 + 1
    months = (period.start.year - campaign.start_on.year) * 12 + period.start.month - campaign.start_on.month
    part = lambda d: 0 if d.day <= 10 else 1 if d.day <= 20 else 2  # noqa: E731
    return months * 3 + part(period.start) - part(campaign.start_on) + 1


def line(name: str, scope, period: Period, as_of: date, visits=None) -> Line:
    """The period's figures of the problems matching `scope` (and the visits matching `visits`)."""
    def count(*conditions):
        return db.session.scalar(select(func.count(Problem.id)).where(scope, ledger.not_merged(), *conditions))

    figures = ledger.figures(scope, as_of)
    result = Line(
        name,
        collected=count(Problem.collected_on.between(period.start, period.end)),
        assigned=count(Problem.assigned_on.between(period.start, period.end)),
        resolved=count(Problem.resolved_on.between(period.start, period.end)),
        overdue=count(ledger.overdue(as_of)),
        finish_rate=figures.finish_rate,
        on_time_rate=figures.on_time_rate,
    )
    if visits is not None:
        in_period = and_(visits, Visit.visited_on.between(period.start, period.end))
        result.visits = db.session.scalar(select(func.count(Visit.id)).where(in_period))
        result.enterprises = db.session.scalar(select(func.count(distinct(Visit.enterprise_id))).where(in_period))
    return result


def period_figures(campaign: Campaign, kind: str, day: date, today: date, problem_scope=None, visit_scope=None,
                   body_scope=None, min_problems: int = ledger.DEFAULT_RANKING_MIN_PROBLEMS) -> PeriodFigures:
    """Everything a 周调度 or 旬通报 reports for the period containing `day`, within the given scopes; units with fewer
    than `min_problems` assigned problems are 样本不足 in the ranking (models.ledger.unit_ranking)."""
    period = period_for(kind, day, task_day(campaign, kind))
    as_of = min(period.end, today)
    own = Problem.campaign_id == campaign.id
    scope = own if problem_scope is None else and_(own, problem_scope)
    visits = Visit.campaign_id == campaign.id if visit_scope is None else and_(Visit.campaign_id == campaign.id, visit_scope)
    groups = db.session.scalars(select(Body).where(Body.campaign_id == campaign.id, Body.kind == BodyKind.WORKING_GROUP).order_by(Body.id)).all()
    groups = [g for g in groups if body_scope is None or body_scope(g)]
    unit_ids = db.session.scalars(select(Problem.responsible_unit_id).where(scope, Problem.responsible_unit_id.is_not(None))
                                  .distinct()).all()
    units = db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.name)).all()
    in_period = lambda column: column.between(period.start, period.end)  # noqa: E731
    return PeriodFigures(
        campaign=campaign,
        period=period,
        issue=issue_number(campaign, period),
        totals=line("合计", scope, period, as_of, visits),
        groups=[line(g.name, and_(scope, Problem.collected_by_body_id == g.id), period, as_of,
                     and_(visits, Visit.body_id == g.id)) for g in groups],
        units=[line(u.name, and_(scope, Problem.responsible_unit_id == u.id), period, as_of) for u in units],
        new=db.session.scalars(select(Problem).where(scope, ledger.not_merged(), in_period(Problem.collected_on)).options(*ANNEX2_RELATIONS)
                               .order_by(Problem.number)).all(),
        resolved=db.session.scalars(select(Problem).where(scope, in_period(Problem.resolved_on)).options(*ANNEX2_RELATIONS)
                                    .order_by(Problem.number)).all(),
        ranking=ledger.unit_ranking(scope, as_of, min_problems=min_problems),
        submissions=[s for s in ledger.submissions(campaign.id, day, body_scope, today) if s.task.report_kind == kind],
        min_problems=min_problems,
    )


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def title_of(figures: PeriodFigures) -> str:
    issue = f"（第{figures.issue}期）" if figures.issue else ""
    return f"{figures.campaign.name}{figures.period.kind}{issue}"


def period_line(figures: PeriodFigures) -> str:
    p = figures.period
    label = "" if p.kind == ReportKind.WEEKLY else f"（{p.label}）"  # a week's label is its dates again
    return f"统计期间：{p.start:%Y-%m-%d} 至 {p.end:%Y-%m-%d}{label}　　报送截止：{p.due:%Y-%m-%d}"


LINE_HEADERS = [("名称", 18), ("走访次数", 9), ("走访企业数", 10), ("收集问题", 9), ("交办问题", 9), ("办结问题", 9),
                ("逾期问题", 9), ("办结率", 9), ("按期办结率", 10)]
UNIT_HEADERS = [("责任单位", 18), ("本期交办", 9), ("本期办结", 9), ("逾期问题", 9), ("办结率", 9), ("按期办结率", 10)]


def line_values(item: Line) -> list:
    return [item.name, item.visits, item.enterprises, item.collected, item.assigned, item.resolved, item.overdue,
            percent(item.finish_rate), percent(item.on_time_rate)]


def period_workbook(figures: PeriodFigures, today: date, yellow_days: int = ledger.DEFAULT_YELLOW_DAYS) -> Workbook:
    """The 周调度 or 旬通报 as a workbook: one sheet per part, each in the house style."""
    wb = workbook()
    title, when = title_of(figures), period_line(figures)
    table_sheet(wb, "工作组情况", title, when, LINE_HEADERS, [line_values(g) for g in [*figures.groups, figures.totals]])
    table_sheet(wb, "责任单位情况", title, when, UNIT_HEADERS,
                [[u.name, u.assigned, u.resolved, u.overdue, percent(u.finish_rate), percent(u.on_time_rate)] for u in figures.units])
    table_sheet(wb, "本期新增问题", f"{title}·本期新增问题", when, list(ANNEX2_COLUMNS),
                [annex2_row(n, p, today, yellow_days) for n, p in enumerate(figures.new, start=1)])
    table_sheet(wb, "本期办结问题", f"{title}·本期办结问题", when, list(ANNEX2_COLUMNS),
                [annex2_row(n, p, today, yellow_days) for n, p in enumerate(figures.resolved, start=1)])
    table_sheet(wb, "红黑榜", f"{title}·红黑榜", when,
                [("排名", 6), ("榜单", 6), ("责任单位", 18), ("交办数", 8), ("办结数", 8), ("办结率", 9), ("按期办结率", 10),
                 ("逾期数", 8), ("满意率", 9)],
                [[r.rank, r.board, r.unit.name, r.figures.assigned, r.figures.finished, percent(r.figures.finish_rate),
                  percent(r.figures.on_time_rate), r.figures.overdue, percent(r.figures.satisfaction_rate)] for r in figures.ranking])
    table_sheet(wb, "报送情况", f"{title}·报送情况", when,
                [("报送机构", 20), ("本期", 24), ("截止日期", 11), ("情况", 14), ("报送时间", 17)],
                [[s.body.name, s.period.label, s.period.due, s.state, s.report.submitted_at if s.report else None]
                 for s in figures.submissions])
    return wb


def bulletin_docx(figures: PeriodFigures, issuer: str, today: date):
    """The 周调度 or 旬通报 as a Word bulletin in 公文 layout (documents.gongwen): the campaign and the kind as the red
    mark, 第N期, the issuer and the day it was made on one line; sections in 黑体; tables whose bold header repeats on
    every page; the problems resolved in the period (本期办结) and the new ones."""
    doc = gw.new_document()
    t, p = figures.totals, figures.period
    word = "旬" if p.kind == ReportKind.DEKAD else "周"
    gw.paragraph(doc, figures.campaign.name, gw.TITLE_FONT, 18, align=WD_ALIGN_PARAGRAPH.CENTER, colour=gw.RED)
    gw.paragraph(doc, "　".join(p.kind), gw.TITLE_FONT, 26, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, colour=gw.RED,
                 before=6)
    gw.paragraph(doc, f"第{figures.issue}期" if figures.issue else p.label, align=WD_ALIGN_PARAGRAPH.CENTER, before=6)
    head = gw.paragraph(doc, indent=False, before=6)
    gw.text(head, issuer)
    gw.text(head, "\t" + gw.chinese_date(today))
    head.paragraph_format.tab_stops.add_tab_stop(gw.Mm(156), alignment=2)  # the date at the right edge
    gw.rule(head, "C00000", 12)
    gw.heading(doc, "一、总体情况")
    named = p.label if p.kind == ReportKind.DEKAD else "本周"
    gw.paragraph(doc, (f"{named}（{gw.chinese_date(p.start)}至{gw.chinese_date(p.end)}），各工作组走访企业{t.visits}次、"
                       f"覆盖企业{t.enterprises}家，收集问题{t.collected}个，交办{t.assigned}个，办结{t.resolved}个；截至本{word}末，"
                       f"逾期未办结问题{t.overdue}个，问题办结率{percent(t.finish_rate)}，按期办结率{percent(t.on_time_rate)}。"))
    gw.heading(doc, "二、各工作组工作情况")
    gw.grid(doc, [h for h, _ in LINE_HEADERS], [line_values(g) for g in [*figures.groups, figures.totals]],
            [36, 13, 15, 14, 14, 14, 14, 17, 19], size=10.5)
    gw.heading(doc, "三、责任单位办理情况")
    gw.grid(doc, [h for h, _ in UNIT_HEADERS],
            [[u.name, u.assigned, u.resolved, u.overdue, percent(u.finish_rate), percent(u.on_time_rate)] for u in figures.units]
            or [["（本期无交办问题）", "", "", "", "", ""]], [46, 20, 20, 20, 23, 27], size=10.5)
    gw.heading(doc, "四、本期办结")
    if figures.resolved:
        gw.grid(doc, ["问题编号", "企业名称", "问题描述", "责任单位", "办结日期", "办理结果"],
                [[x.number, x.enterprise.name if x.enterprise else "", x.description,
                  x.responsible_unit.name if x.responsible_unit else "", f"{x.resolved_on:%m-%d}" if x.resolved_on else "",
                  x.resolution or ""] for x in figures.resolved], [27, 30, 38, 22, 14, 25], size=10.5)
    else:
        gw.paragraph(doc, f"本{word}没有办结的问题。")
    gw.heading(doc, "五、红黑榜")
    red = "、".join(r.unit.name for r in figures.ranking if r.board == Board.RED) or "无"
    black = "、".join(r.unit.name for r in figures.ranking if r.board == Board.BLACK) or "无"
    gw.paragraph(doc, f"红榜（办结率、按期办结率靠前）：{red}。")
    gw.paragraph(doc, f"黑榜（办结率靠后或逾期较多）：{black}。")
    too_few = "、".join(r.unit.name for r in figures.ranking if r.board == Board.TOO_FEW)
    if too_few:
        gw.paragraph(doc, f"已交办问题不足{figures.min_problems}个、样本不足未参加排名的单位：{too_few}。")
    gw.heading(doc, "六、信息报送情况")
    missing = [x.body.name for x in figures.submissions if not x.report]
    gw.paragraph(doc, f"本期{p.kind}应于{gw.chinese_date(p.due)}前报送。" +
                 (f"尚未报送的有：{'、'.join(missing)}。" if missing else "各单位均已按时报送。"))
    if figures.new:
        gw.heading(doc, "七、本期新增问题")
        gw.grid(doc, [HEADER_OF[key] for key in ("number", "enterprise", "category", "description", "status")],
                [[x.number, x.enterprise.name if x.enterprise else "", x.category or "", x.description, x.status]
                 for x in figures.new], [27, 34, 17, 58, 20], size=10.5)
    return doc
