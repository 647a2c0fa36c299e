"""Word papers in 公文 layout: issuing them (a 文号 each, registered in models.documents) for one problem or a batch —
one file with a page break between papers, or a .zip of one .docx per problem — and `flask document`. PAPERS is their
registry: every kind (its Chinese name), the command line's name for it, who may issue it and the function that writes
it; the ledger's 生成文书, the access table, the command and the bench read it."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cli import CliError
from models import Problem, db, local_now
from models.documents import Kind, OfficialDocument, checksum, take_number
from models.errors import DomainError
from models.org import reporting_unit
from models.scope import PAPER_ISSUERS

from . import gongwen
from .papers import assign_notice, close_sheet, refusal, supervision_sheet, urge_sheet

MAX_BATCH = 500  # papers in one request or command
FORMATS = ("docx", "zip")  # one file with every paper, or one file each in a .zip


@dataclass(frozen=True)
class Paper:
    """One kind of paper on a problem: its name on the command line, the roles that may issue it, and
    `write(doc, problem, number, issuer, today)`, which adds it to a Word document. Its label is its kind."""

    alias: str
    write: Callable
    roles: frozenset[str] = PAPER_ISSUERS


PAPERS: dict[str, Paper] = {
    Kind.ASSIGN: Paper("assign", assign_notice),
    Kind.SUPERVISE: Paper("supervise", supervision_sheet),
    Kind.URGE: Paper("urge", urge_sheet),
    Kind.CLOSE: Paper("close", close_sheet),
}
ALIASES = {paper.alias: kind for kind, paper in PAPERS.items()}


def papers_for(role: str | None) -> tuple[str, ...]:
    """The kinds of paper `role` may issue."""
    return tuple(kind for kind, paper in PAPERS.items() if role in paper.roles)


def issue(kind: str, problems: list[Problem], user, today: date, combine: bool = True
          ) -> tuple[bytes, str, list[OfficialDocument]]:
    """Papers of `kind` for `problems` (one campaign's), each with the next 文号: the file, its name, the register's
    rows (the caller commits). DomainError, in Chinese, when one of them cannot have such a paper now."""
    if kind not in PAPERS:
        raise DomainError(f"文书种类“{kind}”无效，可选：{'、'.join(PAPERS)}。")
    if user is not None and user.role not in PAPERS[kind].roles:  # None: the command line
        raise DomainError(f"您的角色不能出具{kind}。")
    if not problems:
        raise DomainError("请先选择问题。")
    if len(problems) > MAX_BATCH:
        raise DomainError(f"一次最多生成{MAX_BATCH}份文书，当前选了{len(problems)}个问题。")
    if len({p.campaign_id for p in problems}) > 1:
        raise DomainError("所选问题属于不同的专项行动，请分别生成文书。")
    refused = [message for message in (refusal(kind, p, today) for p in problems) if message]
    if refused:
        raise DomainError("；".join(refused[:5]) + (f"等{len(refused)}个问题不能生成。" if len(refused) > 5 else ""))
    campaign = problems[0].campaign
    issuer, write = reporting_unit(campaign), PAPERS[kind].write
    papers = []

    def one(doc, problem):
        paper = take_number(campaign, kind, today.year, [problem], user, title=f"{kind}（{problem.number}）")
        write(doc, problem, paper.number, issuer, today)
        papers.append(paper)
        return paper

    if combine or len(problems) == 1:
        doc = gongwen.new_document()
        for index, problem in enumerate(problems):
            if index:
                gongwen.page_break(doc)
            one(doc, problem)
        data = gongwen.to_bytes(doc)
        for paper in papers:
            paper.checksum = checksum(data)
        name = (f"{kind} {problems[0].number}（{papers[0].number}）.docx" if len(problems) == 1
                else f"{kind}（{len(problems)}份，{today:%Y-%m-%d}）.docx")
        return data, name, papers
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for problem in problems:
            doc = gongwen.new_document()
            paper = one(doc, problem)
            data = gongwen.to_bytes(doc)
            paper.checksum = checksum(data)
            archive.writestr(f"{problem.number} {kind}（{paper.number}）.docx", data)
    return out.getvalue(), f"{kind}（{len(problems)}份，{today:%Y-%m-%d}）.zip", papers


def init_app(app) -> None:
    app.cli.add_command(document_command)


@click.command("document")
@with_appcontext
@click.argument("kind", metavar="KIND")
@click.option("--problem", "numbers", multiple=True, required=True, metavar="NUMBER", help="问题编号，可重复给出多个")
@click.option("--out", "out_path", required=True, metavar="PATH", help="输出文件（.docx；多个问题时也可以是 .zip，每个问题一个文件）")
def document_command(kind, numbers, out_path):
    """生成交办通知书、督办单、催办单或销号审批单（KIND 可写中文名，或 assign / supervise / urge / close）。"""
    kind = ALIASES.get(kind.lower(), kind)
    if kind not in PAPERS:
        raise CliError(f"KIND 应为 {'、'.join(PAPERS)} 之一（或 {'、'.join(ALIASES)}），当前为“{kind}”。")
    path = Path(out_path)
    suffix = path.suffix.lower()
    if suffix.lstrip(".") not in FORMATS:
        raise CliError("--out 应以 .docx 或 .zip 结尾。")
    if not path.parent.is_dir():
        raise CliError(f"--out 所在的目录“{path.parent}”不存在。")
    found = {p.number: p for p in db.session.scalars(select(Problem).where(Problem.number.in_(numbers)))}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise CliError(f"找不到问题：{'、'.join(missing)}。")
    try:
        data, _, papers = issue(kind, [found[n] for n in dict.fromkeys(numbers)], None,  # made on the command line
                                local_now().date(), combine=suffix == ".docx")
    except DomainError as error:
        db.session.rollback()
        raise CliError(str(error)) from None
    path.write_bytes(data)
    db.session.commit()
    click.echo(f"已生成 {len(papers)} 份{kind}（文号 {papers[0].number}{' 至 ' + papers[-1].number if len(papers) > 1 else ''}）："
               f"{path}")
