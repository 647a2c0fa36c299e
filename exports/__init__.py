"""Report exporters: plain functions from rows to workbooks, shared by the panel and the CLI
(`flask --app app export KIND --out PATH [--campaign NAME] [--date YYYY-MM-DD]`). REPORTS is their registry: every
report's kind, Chinese label, file formats, who may download it and the function that makes it; the 报表 page, the
command and the bench read it."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from cli import CliError, find_campaign
from models import Campaign, Enterprise, Problem, Task, db, ledger, local_now
from models.errors import DomainError
from models.org import reporting_unit  # noqa: F401 (the panel and the commands ask exports for it)
from models.periods import report_day
from models.vocab import ROLES

from .enterprises import enterprises_workbook
from .periodic import KINDS, bulletin_docx, period_figures, period_workbook
from .problems import ANNEX2_RELATIONS, annex2_workbook
from .tasks import annex1_workbook


@dataclass(frozen=True)
class Scope:
    """What the reader of a report may see: row conditions for problems, visits and enterprises, and a test for
    bodies (models.scope); None for everything (the command line)."""

    problems: object = None
    visits: object = None
    enterprises: object = None
    bodies: Callable | None = None


@dataclass(frozen=True)
class Report:
    """One kind of report: its Chinese label, the formats it is written in (the first is the default), the roles that
    may download it (each within their rows), and `make(campaign, day, unit, scope, fmt)` → (file content, name)."""

    label: str
    make: Callable[..., tuple[bytes, str]]
    formats: tuple[str, ...] = ("xlsx",)
    roles: frozenset[str] = frozenset(ROLES)
    command_line: bool = True  # offered by `flask export` (the enterprise list is the panel's: it doubles as a template)
    about: str = ""  # what the 报表导出 page says of it ({weekday}: the campaign's 报送日 of the week)
    day: str | None = None  # the page's name for the day it asks (None: it asks none)


FORMAT_LABELS = {"xlsx": "Excel", "docx": "Word 通报"}


def campaign_problems(campaign: Campaign, scope):
    """A campaign's problems within `scope`, most urgent first, as the ledger shows them."""
    query = select(Problem).where(Problem.campaign_id == campaign.id).options(*ANNEX2_RELATIONS)
    if scope is not None:
        query = query.where(scope)
    return db.session.scalars(query.order_by(*ledger.urgency_order())).all()


def campaign_tasks(campaign: Campaign):
    return db.session.scalars(select(Task).where(Task.campaign_id == campaign.id).order_by(Task.id)).all()


def campaign_enterprises(campaign: Campaign, scope):
    """A campaign's enterprises within `scope`, by name."""
    query = select(Enterprise).where(Enterprise.campaign_id == campaign.id)
    if scope is not None:
        query = query.where(scope)
    return db.session.scalars(query.order_by(Enterprise.name)).all()


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems_report(campaign: Campaign, day: date, unit: str, scope: Scope, fmt: str) -> tuple[bytes, str]:
    book = annex2_workbook(campaign_problems(campaign, scope.problems), campaign.name, unit, day, local_now().date(),
                           campaign.yellow_days)
    return saved(book), f"附件2 问题清单（{campaign.name}，{day:%Y-%m-%d}）.xlsx"


def tasks_report(campaign: Campaign, day: date, unit: str, scope: Scope, fmt: str) -> tuple[bytes, str]:
    return saved(annex1_workbook(campaign_tasks(campaign), campaign.name, unit, day)), f"附件1 工作任务清单（{campaign.name}）.xlsx"


def periodic_report(kind: str):
    """The maker of a 周调度 or 旬通报 (`kind` weekly or dekad): a workbook, or a Word bulletin (docx)."""
    def make(campaign: Campaign, day: date, unit: str, scope: Scope, fmt: str) -> tuple[bytes, str]:
        today = local_now().date()
        figures = period_figures(campaign, KINDS[kind], day, today, scope.problems, scope.visits, scope.bodies,
                                 campaign.ranking_min_problems)
        label = f"{figures.period.kind}（{campaign.name}，{figures.period.label}）"
        if fmt == "docx":
            out = io.BytesIO()
            bulletin_docx(figures, unit, today).save(out)
            return out.getvalue(), f"{label}.docx"
        return saved(period_workbook(figures, today, campaign.yellow_days)), f"{label}.xlsx"
    return make


def enterprises_report(campaign: Campaign, day: date, unit: str, scope: Scope, fmt: str) -> tuple[bytes, str]:
    firms = campaign_enterprises(campaign, scope.enterprises)
    return saved(enterprises_workbook(firms, campaign.name, unit, day)), f"企业名单（{campaign.name}）.xlsx"


REPORTS: dict[str, Report] = {
    "problems": Report("附件2 问题清单", problems_report, day="填报时间",
                       about="本专项行动的全部问题（要按筛选条件导出，请在“问题台账”列表上点“导出附件2”）。"),
    "tasks": Report("附件1 工作任务清单", tasks_report, about="主要任务、工作方式、实施步骤、工作机制及各项时限和量化目标。"),
    "weekly": Report("周调度", periodic_report("weekly"), ("xlsx", "docx"), day="日期",
                     about="所选日期所在的一周（截至报送日周{weekday}）：各工作组、责任单位情况，本期新增和办结问题，红黑榜，报送情况。"),
    "dekad": Report("旬通报", periodic_report("dekad"), ("xlsx", "docx"), day="日期",
                    about="所选日期所在的旬（上旬1–10日、中旬11–20日、下旬21日至月底）。"),
    "enterprises": Report("企业名单", enterprises_report, command_line=False, about="也可作为导入企业名单的模板。"),
}
COMMAND_LINE_REPORTS = tuple(kind for kind, report in REPORTS.items() if report.command_line)


def build(kind: str, campaign: Campaign, day: date, unit: str, scope: Scope = Scope(), fmt: str = "xlsx"
          ) -> tuple[bytes, str]:
    """A report as file content and its Chinese file name (`fmt` one of the report's formats)."""
    report = REPORTS[kind]
    if fmt not in report.formats:
        raise DomainError(f"{report.label}只能导出为 {'、'.join('.' + f for f in report.formats)}。")
    return report.make(campaign, day, unit, scope, fmt)


def kinds_text(kinds) -> str:
    return "、".join(f"{kind}（{REPORTS[kind].label}）" for kind in kinds)


@click.command("export")
@with_appcontext
@click.argument("kind")
@click.option("--out", "out_path", required=True, metavar="PATH", help="输出文件路径（.xlsx；周调度、旬通报也可以是 .docx）")
@click.option("--campaign", metavar="名称", help="专项行动名称（只有一个专项行动时可省略）")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="填报时间，或周调度、旬通报所在的任意一天，YYYY-MM-DD（默认今天）")
@click.option("--unit", metavar="名称", help="填报单位（默认：专项行动的推进机制办公室）")
def export_command(kind, out_path, campaign, day, unit):
    """导出报表 KIND：problems（附件2问题清单）、tasks（附件1工作任务清单）、weekly（周调度）或 dekad（旬通报）。"""
    if kind not in COMMAND_LINE_REPORTS:
        raise CliError(f"不认识的报表“{kind}”，可选：{kinds_text(COMMAND_LINE_REPORTS)}。")
    try:
        when = report_day(day) if day else local_now().date()
    except DomainError as error:
        raise CliError(f"--date：{error}") from None
    path = Path(out_path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in REPORTS[kind].formats:
        raise CliError("--out 应以 .xlsx 结尾（周调度、旬通报也可以是 .docx）。")
    if not path.parent.exists():
        raise CliError(f"目录不存在：{path.parent}")
    chosen = find_campaign(campaign)
    content, name = build(kind, chosen, when, unit or reporting_unit(chosen), fmt=fmt)
    path.write_bytes(content)
    click.echo(f"已导出{name.rsplit('.', 1)[0]}：{path}")


def init_app(app: Flask) -> None:
    app.cli.add_command(export_command)
