"""Official papers (documents, models.documents): 交办通知书, 督办单, 催办单, 销号审批单 with a 文号 from one sequence per
campaign and year that never repeats, from the problem page, the ledger's bulk menu and `flask document`; who may
make them; and, with LibreOffice, that they print as GB/T 9704 papers (A4, the 公文 margins, 文号 and title)."""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from datetime import date, timedelta

import pytest
from docx import Document
from sqlalchemy import select

from models import Appeal, OfficialDocument, Problem, Unit, db, workflow
from models.base import local_now
from models.calendar import add_workdays
from models.documents import take_number

from .conftest import csrf_token
from .factories import VALID_CREDIT_CODE, last_workday, miluo, named, staff_of
from .helpers import flashes, outside_gongwen_margins

PRINT_TOOLS = ("soffice", "pdfinfo", "pdftotext")


@pytest.fixture
def papers_world(seeded):
    """Four problems of 市发改局: assigned and running, overdue by 12 working days (黄色督办 with the default 5),
    flagged and not overdue, and finished with its result."""
    with seeded.app_context():
        campaign, unit = miluo(), named(Unit, "市发改局")
        lead = staff_of("市发改局")
        today = workflow.today()
        specs = {
            "running": dict(status="办理中", deadline=add_workdays(today, 6)),
            "late": dict(status="办理中", deadline=add_workdays(last_workday(today), -12)),
            "flagged": dict(status="已交办", deadline=add_workdays(today, 4), flagged=True),
            "done": dict(status="已办结", deadline=add_workdays(today, -2), resolved_on=add_workdays(today, -3),
                         resolution="已协调供电公司完成线路改造，企业已正常生产。"),
        }
        ids = {}
        for key, spec in specs.items():
            problem = Problem(campaign=campaign, description=f"文书测试：{key}问题，企业反映用电容量不足", category="用能",
                              responsible_unit=unit, lead_person=lead, assigned_on=today - timedelta(days=30), **spec)
            db.session.add(problem)
            db.session.flush()
            ids[key] = problem.id
        db.session.commit()
        numbers = {k: db.session.get(Problem, v).number for k, v in ids.items()}
        return ids, numbers


def document_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_command_issues_each_paper_with_the_next_number(seeded, papers_world, tmp_path):
    ids, numbers = papers_world
    runner = seeded.test_cli_runner()
    year = workflow.today().year
    made = {}
    for kind, key in (("assign", "running"), ("supervise", "late"), ("urge", "running"), ("销号审批单", "done")):
        out = tmp_path / f"{kind}.docx"
        result = runner.invoke(args=["document", kind, "--problem", numbers[key], "--out", str(out)])
        assert result.exit_code == 0, result.output
        made[kind] = out.read_bytes()
    with seeded.app_context():
        register = db.session.scalars(select(OfficialDocument).order_by(OfficialDocument.id)).all()
        assert [(r.kind, r.number, r.serial) for r in register] == [
            ("交办通知书", f"〔{year}〕1号", 1), ("督办单", f"〔{year}〕2号", 2), ("催办单", f"〔{year}〕3号", 3),
            ("销号审批单", f"〔{year}〕4号", 4)]
        assert register[0].checksum == hashlib.sha256(made["assign"]).hexdigest()
        assert [p.number for p in register[1].problems] == [numbers["late"]]
    assign = document_text(made["assign"])
    assert "问题交办通知书" in assign and f"〔{year}〕1号" in assign and "市发改局：" in assign
    assert "确需延期的，请在办理时限前至少1个工作日提出延期申请" in assign and numbers["running"] in assign
    supervise = document_text(made["supervise"])
    assert "黄色督办单" in supervise and "已超过办理时限12个工作日" in supervise  # 12 > 2 × 5
    close = document_text(made["销号审批单"])
    assert "问题销号审批单" in close and "已协调供电公司完成线路改造" in close and "企业负责人（签字）" in close


def test_the_command_refuses_in_chinese_and_takes_no_number(seeded, papers_world, tmp_path):
    _, numbers = papers_world
    runner = seeded.test_cli_runner()
    for args, message in (
            (["close", "--problem", numbers["running"], "--out", str(tmp_path / "a.docx")], "还没有申请办结"),
            (["supervise", "--problem", numbers["running"], "--out", str(tmp_path / "a.docx")], "既未逾期也未挂牌督办"),
            (["通知", "--problem", numbers["running"], "--out", str(tmp_path / "a.docx")], "KIND 应为"),
            (["assign", "--problem", numbers["running"], "--out", str(tmp_path / "a.pdf")], "--out 应以 .docx 或 .zip 结尾"),
            (["assign", "--problem", "SJY-2099-9999", "--out", str(tmp_path / "a.docx")], "找不到问题：SJY-2099-9999"),
            (["assign", "--problem", numbers["running"], "--out", str(tmp_path / "none" / "a.docx")], "不存在")):
        result = runner.invoke(args=["document", *args])
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output, result.output
    with seeded.app_context():
        assert db.session.scalar(select(OfficialDocument.id)) is None
    assert not (tmp_path / "a.docx").exists()


def test_numbers_run_per_campaign_and_year_and_never_repeat(seeded, papers_world):
    ids, _ = papers_world
    with seeded.app_context():
        campaign = miluo()
        campaign.doc_prefix = "汨助企办"
        problem = db.session.get(Problem, ids["running"])
        first = take_number(campaign, "交办通知书", 2024, [problem])
        second = take_number(campaign, "督办单", 2024, [problem])
        other_year = take_number(campaign, "催办单", 2025, [problem])
        db.session.commit()
        assert [first.number, second.number, other_year.number] == ["汨助企办〔2024〕1号", "汨助企办〔2024〕2号",
                                                                    "汨助企办〔2025〕1号"]
        from sqlalchemy.exc import IntegrityError

        db.session.add(OfficialDocument(campaign=campaign, kind="催办单", year=2024, serial=2, number="重复"))
        with pytest.raises(IntegrityError):
            db.session.commit()  # the register refuses a number twice
        db.session.rollback()


def test_from_the_panel_one_file_or_a_zip_and_only_for_those_allowed(seeded, papers_world, login_as):
    ids, numbers = papers_world
    office = login_as("coordinator")
    page = office.get(f"/admin/problem/details/?id={ids['late']}").text
    assert 'id="case-papers"' in page and "督办单" in page.split('id="case-papers"')[1].split("</div>")[0]
    both = f"{ids['running']},{ids['flagged']}"
    form = office.get(f"/admin/problem/document/?ids={both}")
    assert form.status_code == 200 and "生成并下载" in form.text
    assert re.search(r'value="销号审批单"\s*disabled', form.text)  # neither is finished
    token = csrf_token(form.text)
    zipped = office.post("/admin/problem/document/", data={"csrf_token": token, "ids": both, "kind": "交办通知书",
                                                           "combine": "0"})
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
        names = sorted(archive.namelist())
        assert len(names) == 2 and all(n.endswith(".docx") for n in names)
        assert numbers["running"] in names[0] + names[1] and numbers["flagged"] in names[0] + names[1]
    one = office.post("/admin/problem/document/", data={"csrf_token": token, "ids": both, "kind": "催办单", "combine": "1"})
    text = document_text(one.data)
    assert text.count("催办单") >= 2 and numbers["running"] in text and numbers["flagged"] in text
    refused = office.post("/admin/problem/document/", data={"csrf_token": token, "ids": both, "kind": "销号审批单"},
                          follow_redirects=True)
    assert any("还没有申请办结" in m for m in flashes(refused.text))
    bad = office.post("/admin/problem/document/", data={"csrf_token": token, "ids": both, "kind": "<b>x</b>"},
                      follow_redirects=True)
    assert any("文书种类“&lt;b&gt;x&lt;/b&gt;”无效" in m for m in flashes(bad.text)) and "<b>x</b>" not in bad.text
    with seeded.app_context():
        assert db.session.query(OfficialDocument).count() == 4  # 2 + 2; the refused ones took none
    leader = login_as("leader")
    assert leader.post("/admin/problem/document/", data={"csrf_token": csrf_token(leader.get("/admin/").text),
                                                         "ids": str(ids["late"]), "kind": "督办单"}).status_code == 200
    for role in ("handler", "group"):
        client = login_as(role)
        assert client.get(f"/admin/problem/document/?ids={ids['running']}").status_code == 403
        assert 'id="case-papers"' not in client.get(f"/admin/problem/details/?id={ids['running']}").text
    with seeded.app_context():  # the other campaign's problem is not the 汨罗 office's to document
        other = db.session.scalar(select(Problem.id).where(Problem.campaign_id != miluo().id))
    response = office.get(f"/admin/problem/document/?ids={other}", follow_redirects=True)
    assert any("不存在，或您无权查看" in m for m in flashes(response.text))


@pytest.mark.skipif(any(shutil.which(t) is None for t in PRINT_TOOLS),
                    reason="需要 LibreOffice（soffice）和 poppler-utils（pdfinfo、pdftotext）；.ci/run 会安装它们")
def test_papers_print_as_gbt_9704_papers(seeded, papers_world, tmp_path):
    """Each paper renders to A4 with its text inside the 公文 margins (left 28 mm, right 26 mm, top 37 mm, bottom
    35 mm; the page number below the text), its title and 文号 on the page, a paper per page in a combined file. The
    销号审批单 stays on one page with the enterprise's own rating from the portal and a result of a few lines."""
    ids, numbers = papers_world
    with seeded.app_context():  # an enterprise that rated the result 不满意 through the portal, visited since
        done = db.session.get(Problem, ids["done"])
        done.resolution = "已协调供电公司完成线路改造，新增一台 800 千伏安变压器，企业已恢复满负荷生产；" * 2
        done.co_units.append(named(Unit, "市人社局"))  # a 协办 row and a 督办 row too: the longest sheet
        done.supervisor = staff_of("市发改局")
        db.session.add(Appeal(campaign=done.campaign, number="SQ2024091200009", code_hash="pbkdf2:sha256:1$x$0",
                              enterprise_name="文书测试企业", credit_code=VALID_CREDIT_CODE, contact="测试联系人",
                              phone="13800000000", description="文书测试诉求", problem=done, status="已受理",
                              rating="不满意", rating_comment="改造后仍有两次短时停电，希望供电公司再排查一次线路。",
                              rated_at=local_now(), revisit="已回访"))
        db.session.commit()
    runner = seeded.test_cli_runner()
    files = []
    for kind, keys in (("assign", ["running"]), ("supervise", ["late"]), ("urge", ["running"]), ("close", ["done"]),
                       ("assign", ["running", "flagged", "late"])):
        out = tmp_path / f"{kind}-{len(keys)}.docx"
        result = runner.invoke(args=["document", kind, *[a for k in keys for a in ("--problem", numbers[k])],
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        files.append(out)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), *map(str, files)], check=True, capture_output=True, timeout=240)
    year = workflow.today().year
    titles = {"assign-1": "问题交办通知书", "supervise-1": "督办单", "urge-1": "催办单", "close-1": "问题销号审批单",
              "assign-3": "问题交办通知书"}
    for stem, title in titles.items():
        pdf = tmp_path / f"{stem}.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
        count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert count == (3 if stem == "assign-3" else 1), (stem, count)
        text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout)
        assert title in text and f"〔{year}〕" in text and re.search(rf"〔{year}〕\d+号", text), stem
        if stem == "close-1":
            assert "企业自评（服务平台）" in text and "不满意（受理编号SQ2024091200009" in text and "制表：" in text
        assert outside_gongwen_margins(pdf) == [], stem
    three = subprocess.run(["pdftotext", str(tmp_path / "assign-3.pdf"), "-"], capture_output=True, text=True).stdout
    assert three.count("问题交办通知书") == 3 and len(set(re.findall(rf"〔{year}〕\s*(\d+)\s*号", three))) == 3
