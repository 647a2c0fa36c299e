"""`flask workdays FROM N`: the date N working days after FROM, by the work calendar (models.calendar)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from cli import CliError
from models.calendar import MAX_WORKDAYS, add_workdays, estimate_note
from models.errors import DomainError
from models.periods import report_day


@click.command("workdays", context_settings={"ignore_unknown_options": True})  # N = -1 is refused in Chinese
@with_appcontext
@click.argument("start", metavar="FROM")
@click.argument("count", metavar="N")
def workdays_command(start, count):
    """打印日期 FROM（YYYY-MM-DD）之后第 N 个工作日（N 为负数时往前数），按工作日历计入法定节假日和调休；
    跨过放假安排尚未公布的年份时注明“按法定节日推算”。"""
    try:
        day = report_day(start)
    except DomainError as error:
        raise CliError(f"FROM：{error}") from None
    if not (count.isascii() and count.isdigit()) or int(count) > MAX_WORKDAYS:
        raise CliError(f"N 应为 0 至 {MAX_WORKDAYS} 之间的整数（工作日天数），当前为“{count}”。")
    result = add_workdays(day, int(count))
    click.echo(f"{result:%Y-%m-%d}")
    note = estimate_note(day, result)
    if note:
        click.echo(f"注意：{note}。", err=True)

