"""The reports open in a real office suite and print as intended: LibreOffice turns them into PDF, and every
page of 附件2 is A4 landscape with the title and the header repeated. Needs LibreOffice (soffice) and
poppler-utils (pdfinfo, pdftotext); .ci/run installs them, and the test says so when they are missing."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from seeds.demo import load_demo

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


def test_dekad_bulletin_opens_as_a_document(seeded, tmp_path):
    out = tmp_path / "bulletin.docx"
    result = seeded.test_cli_runner().invoke(args=["export", "dekad", "--out", str(out), "--campaign", MILUO, "--date", "2024-09-15"])
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", "", "".join(pages(to_pdf(out, tmp_path))))
    assert "旬通报" in text and "一、总体情况" in text and "二、各工作组工作情况" in text
