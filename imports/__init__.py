"""Imports of Excel sheets filled in offline: the 附件2 problem list and the enterprise list
(`flask --app app import problems|enterprises PATH [--dry-run] [--campaign NAME] [--allow-duplicates]`). IMPORTERS is
their registry: every kind's Chinese label, the formats it reads, who may run it and the function that does; the
import screen (admin.imports), the command and the bench read it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from cli import CliError, find_campaign
from models.batches import KIND_LABELS
from models.scope import FIRM_CREATORS, PROBLEM_IMPORTERS

from .enterprises import import_enterprises
from .package import FORMATS
from .problems import import_problems
from .results import SKIPPED
from .workbook import ImportFailure

COMMAND_LINE_USER_NAME = "命令行"


class CommandLineUser:
    """Whom the workflow sees when an import runs from the command line: the system administrator."""

    id = None
    username = COMMAND_LINE_USER_NAME
    role = "admin"
    role_label = "系统管理员"
    unit_id = body_id = campaign_id = None
    is_authenticated = True


@dataclass(frozen=True)
class Importer:
    """One kind of import: its Chinese label (also the import batches', models.batches.KIND_LABELS), the roles that may
    run it, and `run(data, campaign, user, dry_run=, choices=, file_name=, allow_duplicates=)` → ImportResult. Every
    kind reads the same formats (imports.package.FORMATS)."""

    label: str
    run: Callable
    roles: frozenset[str]
    formats: tuple[str, ...] = tuple(FORMATS)


IMPORTERS: dict[str, Importer] = {
    "problems": Importer(KIND_LABELS["problems"], import_problems, PROBLEM_IMPORTERS),
    "enterprises": Importer(KIND_LABELS["enterprises"], import_enterprises, FIRM_CREATORS),
}


def importers_for(role: str | None) -> dict[str, Importer]:
    """The kinds of import `role` may run."""
    return {kind: importer for kind, importer in IMPORTERS.items() if role in importer.roles}


@click.command("import")
@with_appcontext
@click.argument("kind")
@click.argument("path")
@click.option("--dry-run", is_flag=True, help="只检查，不写入")
@click.option("--campaign", metavar="名称", help="专项行动名称（只有一个专项行动时可省略）")
@click.option("--allow-duplicates", is_flag=True,
              help="仍然导入重复的内容：与本专项行动已导入（且未撤销）的文件完全相同的文件，以及与未办结问题（同一企业、"
                   "同样的问题描述）或文件中前面的行重复的行；不加此项时这些都跳过并列出")
def import_command(kind, path, dry_run, campaign, allow_duplicates):
    """从文件 PATH 导入 KIND：problems（附件2问题清单）或 enterprises（企业名单）；全部行都导入，或一行也不导入。"""
    if kind not in IMPORTERS:
        choices = "、".join(f"{name}（{importer.label}）" for name, importer in IMPORTERS.items())
        raise CliError(f"不认识的导入类型“{kind}”，可选：{choices}。")
    file = Path(path)
    if not file.is_file():
        raise CliError(f"找不到文件：{path}")
    chosen = find_campaign(campaign)
    try:
        result = IMPORTERS[kind].run(file.read_bytes(), chosen, CommandLineUser(), dry_run=dry_run, file_name=file.name,
                            allow_duplicates=allow_duplicates)
    except ImportFailure as failure:
        raise CliError(str(failure)) from None
    sheet = result.sheet
    if sheet is not None:
        rows = f"第{sheet.header_row}–{sheet.header_row + 1}行（两行表头）" if sheet.header_rows == 2 else f"第{sheet.header_row}行"
        click.echo(f"读取：工作表“{sheet.sheet_name}”，表头在{rows}；识别的列：{'、'.join(sheet.columns)}")
        if sheet.hidden:
            click.echo(f"已跳过隐藏的工作表：{'、'.join(sheet.hidden)}")
        for note in sheet.header_notes:
            click.echo(f"两行表头：{note}")
        if sheet.ignored:
            click.echo(f"未读取的列：{'、'.join(sheet.ignored)}")
        for row, why in sheet.skipped:
            click.echo(f"跳过第{row}行：{why}")
    for outcome in result.outcomes:
        if outcome.action == SKIPPED:
            click.echo(f"跳过第{outcome.row}行（重复）：{outcome.detail}")
    for note in result.notes:
        click.echo(f"  {note}")
    for error in result.errors:
        click.echo(f"  {error}", err=True)
    if result.errors:
        raise CliError(result.summary())
    click.echo(result.summary())
    if result.skipped_file or (result.count(SKIPPED) and not allow_duplicates):
        click.echo("确需导入重复的内容，请加 --allow-duplicates 再运行一次。")
    if result.written and result.new_problems():
        click.echo(f"新增的问题：{'、'.join(problem.number for problem in result.new_problems())}")
    if result.batch is not None:
        click.echo(f"导入记录第{result.batch.id}号（可在“报表 → 导入”页面撤销）。")


def init_app(app: Flask) -> None:
    app.cli.add_command(import_command)
