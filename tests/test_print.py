"""The reports open in a real office suite and print as intended: LibreOffice turns them into PDF, and every
page of 附件2 is A4 landscape with the title and the header repeated. Needs LibreOffice (soffice) and
poppler-utils (pdfinfo, pdftotext); .ci/run installs them, and the test says so when they are missing."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from seeds.demo import load_demo
from tests.helpers import outside_gongwen_margins

TOOLS = ("soffice", "pdfinfo", "pdftotext")
pytestmark = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                                reason="需要 LibreOffice（soffice）和 poppler-utils（pdfinfo、pdftotext）；.ci/run 会安装它们")
MILUO = "汨罗市“两重”“两新”送解优专项行动"


def to_pdf(path, tmp_path):
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)
    return tmp_path / (path.stem + ".pdf")


def pages(pdf) -> list[str]:
    count = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout).group(1))
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"], capture_output=True,
                           text=True).stdout for n in range(1, count + 1)]


def test_annex2_prints_on_a4_landscape_with_its_header_on_every_page(seeded, tmp_path):
    with seeded.app_context():
        load_demo(120)
    out = tmp_path / "annex2.xlsx"
    result = seeded.test_cli_runner().invoke(args=["export", "problems", "--out", str(out), "--campaign", MILUO])
    assert result.exit_code == 0, result.output
    pdf = to_pdf(out, tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", info), info
    texts = pages(pdf)
    assert len(texts) >= 2
    for number, page in enumerate(texts, start=1):
        squeezed = re.sub(r"\s+", "", page)
        assert "问题清单" in squeezed and "问题编号" in squeezed and "办理状态" in squeezed and "满意度" in squeezed, number
        assert f"第{number}页" in squeezed, number


def test_dekad_and_weekly_bulletins_print_as_papers(seeded, tmp_path):
    """The 旬通报 and the 周调度 in Word: A4 portrait, 第N期, the sections, a page number “— N —” on each page, and a
    table that runs onto the next page repeats its header there."""
    from sqlalchemy import func, select

    from models import Campaign, Problem, db

    with seeded.app_context():
        load_demo(300)
        start = db.session.scalar(select(Campaign.start_on).where(Campaign.name == MILUO))
        busiest = db.session.scalar(select(Problem.collected_on).where(Problem.collected_on >= start)
                                    .group_by(Problem.collected_on).order_by(func.count().desc()).limit(1))
    outs = []
    for kind, day in (("dekad", f"{busiest:%Y-%m-%d}"), ("weekly", f"{busiest:%Y-%m-%d}")):
        out = tmp_path / f"{kind}.docx"
        result = seeded.test_cli_runner().invoke(args=["export", kind, "--out", str(out), "--campaign", MILUO, "--date", day])
        assert result.exit_code == 0, result.output
        outs.append(to_pdf(out, tmp_path))
    for pdf, title in zip(outs, ("旬通报", "周调度")):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
        texts = [re.sub(r"\s+", "", page) for page in pages(pdf)]
        whole = "".join(texts)
        assert title in whole and re.search(r"第\d+期", whole) and "一、总体情况" in whole and "四、本期办结" in whole
        for number, page in enumerate(texts, start=1):
            assert f"—{number}—" in page, (title, number)
        assert outside_gongwen_margins(pdf) == [], title
        # the 新增问题 table of a busy period runs over pages: its header comes again on the next one
        continued = [page for page in texts[1:] if "问题编号" in page and "问题描述" in page]
        assert len(texts) == 1 or continued, title
