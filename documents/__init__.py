"""Word papers in 公文 layout: issuing them (a 文号 each, registered in models.documents) for one problem or a batch —
one file with a page break between papers, or a .zip of one .docx per problem — and `flask document`."""
from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cli import CliError
from models import Problem, db, local_now
from models.documents import PROBLEM_KINDS, Kind, OfficialDocument, checksum, take_number
from models.errors import DomainError
from models.org import reporting_unit

from . import gongwen
from .papers import WRITERS, refusal

ALIASES = {"assign": Kind.ASSIGN, "supervise": Kind.SUPERVISE, "urge": Kind.URGE, "close": Kind.CLOSE}
MAX_BATCH = 500  # papers in one request or command


def issue(kind: str, problems: list[Problem], user, today: date, combine: bool = True
          ) -> tuple[bytes, str, list[OfficialDocument]]:
    """Papers of `kind` for `problems` (one campaign's), each with the next 文号: the file, its name, the register's
    rows (the caller commits). DomainError, in Chinese, when one of them cannot have such a paper now."""
    if kind not in PROBLEM_KINDS:
        raise DomainError(f"文书种类“{kind}”无效，可选：{'、'.join(PROBLEM_KINDS)}。")
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
    issuer, write = reporting_unit(campaign), WRITERS[kind]
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
    if kind not in PROBLEM_KINDS:
        raise CliError(f"KIND 应为 {'、'.join(PROBLEM_KINDS)} 之一（或 assign、supervise、urge、close），当前为“{kind}”。")
    path = Path(out_path)
    suffix = path.suffix.lower()
    if suffix not in (".docx", ".zip"):
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
