"""The papers an office signs about one problem, each a function from the problem (and its 文号) to pages of a Word
document in 公文 layout (documents.gongwen): 交办通知书, 督办单 (蓝/黄/红 by how late), 催办单, 销号审批单."""
from __future__ import annotations

from datetime import date

from docx.enum.text import WD_ALIGN_PARAGRAPH
from sqlalchemy import select

from models.annex2 import HEADER_OF
from models.calendar import add_workdays, workdays_between, workdays_left
from models import terms
from models.documents import Kind
from models.terms import Vocabulary
from models.ledger import ASSIGNED, FINISHED
from models.base import db
from models.portal import Appeal
from models.problem import Problem
from models.steps import StepName

from . import gongwen as gw

def overdue_days(problem: Problem, today: date) -> int:
    """Working days past the deadline (0 when not past it)."""
    if problem.deadline is None or problem.deadline >= today:
        return 0
    return -workdays_left(problem.deadline, today)


def supervision_colour(problem: Problem, today: date) -> str:
    """蓝色, 黄色 or 红色, as the reminder ladder climbs (models.reminders): 红色 beyond three times the campaign's
    escalation days overdue, 黄色 beyond twice, 蓝色 otherwise (the first colour of a paper 督办)."""
    late, step = overdue_days(problem, today), problem.campaign.escalate_days
    return "红色" if late > 3 * step else "黄色" if late > 2 * step else "蓝色"


def refusal(kind: str, problem: Problem, today: date) -> str | None:
    """Why `kind` cannot be issued for `problem` now (Chinese), or None."""
    if kind == Kind.ASSIGN and (problem.responsible_unit is None or problem.deadline is None
                                or problem.status not in (*ASSIGNED, *FINISHED)):
        return f"问题{problem.number}还没有交办（没有责任单位和办理时限），不能出具交办通知书。"
    if kind == Kind.SUPERVISE and (problem.status not in ASSIGNED
                                   or not (problem.flagged or (problem.deadline and problem.deadline < today))):
        return f"问题{problem.number}不在办理中，或既未逾期也未挂牌督办，不需要督办单。"
    if kind == Kind.URGE and problem.status not in ASSIGNED:
        return f"问题{problem.number}不在办理中（{problem.status}），不能出具催办单。"
    if kind == Kind.CLOSE and problem.status not in FINISHED:
        return f"问题{problem.number}还没有申请办结（{problem.status}），不能出具销号审批单。"
    return None


def day_text(day: date | None) -> str:
    return gw.chinese_date(day) if day else ""


def facts(problem: Problem) -> list[list[str]]:
    """The problem as a form's rows (项目 | 内容)."""
    firm = problem.enterprise
    header = HEADER_OF  # the ledger's (附件2) names of these fields
    return [
        [header["number"], problem.number],
        [header["enterprise"], firm.name if firm else ""],
        [header["enterprise.town"], firm.town.name if firm and firm.town else ""],
        [header["category"], problem.category or ""],
        [header["description"], problem.description],
        *([[header["demand"], problem.demand]] if problem.demand else []),
        [header["collected_by_body"], problem.collected_by_body.name if problem.collected_by_body else ""],
        [header["collected_on"], day_text(problem.collected_on)],
    ]


def handling(problem: Problem) -> list[list[str]]:
    co = "、".join(u.name for u in problem.co_units)
    rows = [["责任单位", problem.responsible_unit.name if problem.responsible_unit else ""],
            ["责任人（领办）", person(problem.lead_person)]]
    if co:
        rows.append(["协办单位", co])
    if problem.supervisor:
        rows.append(["跟踪督办人", person(problem.supervisor)])
    rows += [["交办日期", day_text(problem.assigned_on)], ["办理时限", day_text(problem.deadline)]]
    return rows


def person(who) -> str:
    if who is None:
        return ""
    return f"{who.name}（{who.position}）" if who.position else who.name


def latest(problem: Problem, steps: tuple[str, ...]) -> str | None:
    """The note of the problem's latest timeline line of one of `steps` (codes, models.steps)."""
    notes = [u.note for u in problem.updates if u.step in steps and u.note]
    return notes[-1] if notes else None


WIDTHS = [38, 118]  # mm: the form's label and content columns, within the 156 mm type area


def assign_notice(doc, problem: Problem, number: str, issuer: str, today: date) -> None:
    gw.issuing_mark(doc, issuer, number)
    gw.title(doc, "问题交办通知书")
    unit = problem.responsible_unit
    gw.addressee(doc, unit.full_name or unit.name)
    firm = problem.enterprise.name if problem.enterprise else "企业"
    days = workdays_between(problem.assigned_on, problem.deadline) if problem.assigned_on else None
    within = f"（交办后{days}个工作日内）" if days and days > 0 else ""
    co = "、".join(u.name for u in problem.co_units)
    gw.paragraph(doc, f"现将{firm}反映的问题（编号{problem.number}）交你单位牵头办理{f'，{co}协办' if co else ''}。"
                      f"请于{day_text(problem.deadline)}前{within}办结，"
                      "并将办理结果书面反馈。确需延期的，请在办理时限前至少1个工作日提出延期申请，说明理由。")
    gw.paragraph(doc, "问题情况如下：")
    gw.grid(doc, None, facts(problem) + handling(problem), WIDTHS, label_column=True)
    gw.signature(doc, issuer, today)


def supervision_sheet(doc, problem: Problem, number: str, issuer: str, today: date) -> None:
    colour = supervision_colour(problem, today)
    late = overdue_days(problem, today)
    gw.paragraph(doc, issuer, gw.TITLE_FONT, 20, align=WD_ALIGN_PARAGRAPH.CENTER, colour=gw.COLOURS[colour], before=8)
    p = gw.paragraph(doc, f"{colour}督办单", gw.TITLE_FONT, gw.TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER,
                     colour=gw.COLOURS[colour], before=10)
    gw.rule(p, str(gw.COLOURS[colour]), 24)
    gw.paragraph(doc, number, align=WD_ALIGN_PARAGRAPH.RIGHT, before=6)
    unit = problem.responsible_unit
    gw.addressee(doc, unit.full_name or unit.name)
    why = f"已超过办理时限{late}个工作日" if late else "已列为挂牌督办"
    reply = add_workdays(today, 3)
    gw.paragraph(doc, f"你单位牵头办理的问题（编号{problem.number}）{why}，现予{colour}督办。请于{day_text(reply)}前"
                      "办结或书面报告办理进展、存在困难和下一步措施；逾期仍未办结的，将升级督办。")
    rows = facts(problem)[:5] + handling(problem)
    rows.append(["逾期情况", f"逾期{late}个工作日" if late else "未逾期（挂牌督办）"])
    rows.append(["最近进展", problem.progress or "（暂无）"])
    rows.append(["督办要求", latest(problem, (StepName.BLUE, StepName.YELLOW, StepName.RED, StepName.FLAG, StepName.URGE)) or
                 f"请于{day_text(reply)}前反馈。"])
    rows.append(["责任单位反馈", "\n\n\n负责人（签字）：　　　　　　　　　年　　月　　日"])
    gw.grid(doc, None, rows, WIDTHS, label_column=True)
    gw.signature(doc, issuer, today)


def urge_sheet(doc, problem: Problem, number: str, issuer: str, today: date) -> None:
    gw.issuing_mark(doc, issuer, number)
    gw.title(doc, "催办单")
    unit = problem.responsible_unit
    gw.addressee(doc, unit.full_name or unit.name)
    late = overdue_days(problem, today)
    state = f"已超过办理时限{late}个工作日" if late else f"办理时限为{day_text(problem.deadline)}"
    gw.paragraph(doc, f"你单位牵头办理的问题（编号{problem.number}）{state}，请抓紧办理，及时报告办理进展。")
    rows = facts(problem)[:5] + handling(problem)
    rows.append(["最近进展", problem.progress or "（暂无）"])
    rows.append(["催办要求", latest(problem, (StepName.URGE, StepName.AUTO_URGE, StepName.AUTO_REMIND)) or "请抓紧办理并报告进展。"])
    rows.append(["办理进展反馈", "\n\n\n负责人（签字）：　　　　　　　　　年　　月　　日"])
    gw.grid(doc, None, rows, WIDTHS, label_column=True)
    gw.signature(doc, issuer, today)


def close_sheet(doc, problem: Problem, number: str, issuer: str, today: date) -> None:
    gw.paragraph(doc, number, align=WD_ALIGN_PARAGRAPH.RIGHT, before=6)
    gw.title(doc, "问题销号审批单")
    # who made the sheet and when, above the table: below it, a long one would push the line alone onto a second page
    gw.paragraph(doc, f"制表：{issuer}　　{gw.chinese_date(today)}", size=12, indent=False, after=3)
    on_time = problem.resolved_on and problem.deadline and problem.resolved_on <= problem.deadline
    rows = facts(problem)[:5] + handling(problem)
    timely = "（按期办结）" if on_time else ("（逾期办结）" if problem.resolved_on and problem.deadline else "")
    rows += [["办结日期", day_text(problem.resolved_on) + timely], ["办理结果", problem.resolution or ""]]
    levels = terms.values(problem.campaign_id, Vocabulary.SATISFACTION)  # the campaign's 满意度 scale
    boxes = "　".join(f"{'■' if problem.satisfaction == level else '□'}{level}" for level in levels)
    if problem.satisfaction and problem.satisfaction not in levels:
        boxes += f"　■{problem.satisfaction}"
    own = db.session.scalar(select(Appeal).where(Appeal.problem_id == problem.id, Appeal.rating.is_not(None)).limit(1))
    if own is not None:  # 一事一评: what the enterprise itself said through the portal, apart from what the office records
        rows.append(["企业自评（服务平台）", f"{own.rating}（受理编号 {own.number}，{own.rated_at:%Y-%m-%d}"
                     + (f"；{own.revisit}" if own.revisit else "") + "）"
                     + (f"\n{own.rating_comment}" if own.rating_comment else "")])
    rows += [["企业意见", f"{boxes}\n意见：\n\n企业负责人（签字）：　　　　联系电话：\n　　　　　　　　　　　　　　　年　　月　　日"],
             ["责任单位意见", "\n\n负责人（签字）：　　　　（盖章）　　年　　月　　日"],
             ["推进办审核意见", "\n\n审核人（签字）：　　　　　　　　　年　　月　　日"],
             ["领导审批", "\n\n签字：　　　　　　　　　　　　　　年　　月　　日"]]
    # 五号 rather than 小四: with a result of a few lines, the enterprise's own rating, 协办 and 督办 rows, the four
    # signature boxes still fit the one page a sheet is signed on
    gw.grid(doc, None, rows, WIDTHS, size=10.5, label_column=True)

