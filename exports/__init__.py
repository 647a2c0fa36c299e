"""Report exporters: plain functions from rows to workbooks, shared by the panel and the CLI
(`flask --app app export KIND --out PATH [--campaign NAME] [--date YYYY-MM-DD]`)."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from cli import CliError, find_campaign
from models import Campaign, Problem, Task, db, ledger, local_now
from models.errors import DomainError
from models.org import reporting_unit  # noqa: F401 (the panel and the commands ask exports for it)
from models.periods import report_day

from .periodic import KINDS, bulletin_docx, period_figures, period_workbook
from .problems import ANNEX2_RELATIONS, annex2_workbook
from .tasks import annex1_workbook

EXPORT_KINDS = ("problems", "tasks", "weekly", "dekad")


def campaign_problems(campaign: Campaign, scope):
    """A campaign's problems within `scope`, most urgent first, as the ledger shows them."""
    query = select(Problem).where(Problem.campaign_id == campaign.id).options(*ANNEX2_RELATIONS)
    if scope is not None:
        query = query.where(scope)
    return db.session.scalars(query.order_by(*ledger.urgency_order())).all()


def campaign_tasks(campaign: Campaign):
    return db.session.scalars(select(Task).where(Task.campaign_id == campaign.id).order_by(Task.id)).all()


def build(kind: str, campaign: Campaign, day: date, unit: str, problem_scope=None, visit_scope=None, body_scope=None,
          docx: bool = False) -> tuple[bytes, str]:
    """A report as file content and its Chinese file name."""
    today = local_now().date()
    yellow = campaign.yellow_days
    if kind == "problems":
        book = annex2_workbook(campaign_problems(campaign, problem_scope), campaign.name, unit, day, today, yellow)
        name = f"附件2 问题清单（{campaign.name}，{day:%Y-%m-%d}）.xlsx"
    elif kind == "tasks":
        book = annex1_workbook(campaign_tasks(campaign), campaign.name, unit, day)
        name = f"附件1 工作任务清单（{campaign.name}）.xlsx"
    else:
        figures = period_figures(campaign, KINDS[kind], day, today, problem_scope, visit_scope, body_scope,
                                 campaign.ranking_min_problems)
        label = f"{figures.period.kind}（{campaign.name}，{figures.period.label}）"
        if docx:
            out = io.BytesIO()
            bulletin_docx(figures, unit, today).save(out)
            return out.getvalue(), f"{label}.docx"
        book = period_workbook(figures, today, yellow)
        name = f"{label}.xlsx"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), name


@click.command("export")
@with_appcontext
@click.argument("kind")
@click.option("--out", "out_path", required=True, metavar="PATH", help="输出文件路径（.xlsx；周调度、旬通报也可以是 .docx）")
@click.option("--campaign", metavar="名称", help="专项行动名称（只有一个专项行动时可省略）")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="填报时间，或周调度、旬通报所在的任意一天，YYYY-MM-DD（默认今天）")
@click.option("--unit", metavar="名称", help="填报单位（默认：专项行动的推进机制办公室）")
def export_command(kind, out_path, campaign, day, unit):
    """导出报表 KIND：problems（附件2问题清单）、tasks（附件1工作任务清单）、weekly（周调度）或 dekad（旬通报）。"""
    if kind not in EXPORT_KINDS:
        raise CliError(f"不认识的报表“{kind}”，可选：problems（附件2问题清单）、tasks（附件1工作任务清单）、weekly（周调度）、dekad（旬通报）。")
    try:
        when = report_day(day) if day else local_now().date()
    except DomainError as error:
        raise CliError(f"--date：{error}") from None
    path = Path(out_path)
    if path.suffix.lower() not in (".xlsx", ".docx") or (path.suffix.lower() == ".docx" and kind not in KINDS):
        raise CliError("--out 应以 .xlsx 结尾（周调度、旬通报也可以是 .docx）。")
    if not path.parent.exists():
        raise CliError(f"目录不存在：{path.parent}")
    chosen = find_campaign(campaign)
    content, name = build(kind, chosen, when, unit or reporting_unit(chosen), docx=path.suffix.lower() == ".docx")
    path.write_bytes(content)
    click.echo(f"已导出{name.rsplit('.', 1)[0]}：{path}")


def init_app(app: Flask) -> None:
    app.cli.add_command(export_command)
