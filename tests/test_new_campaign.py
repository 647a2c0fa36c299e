"""A new campaign without code: copied in the panel by a 推进办 user and given its own 问题类型 and report days, it
takes problems through import and the ledger, and its 周调度 follows its own days; or from a seed file, which
`flask seed --check` validates (format, source text, excerpts and the facts in them) without writing."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from exports.problems import HEADERS
from models import Body, Campaign, Problem, Task, Term, Unit, Vocabulary, db, ledger, terms
from models.vocab import PROBLEM_CATEGORIES, ReportKind

from .conftest import csrf_token
from .factories import miluo
from .helpers import field_errors, flashes, form_values

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "data"


def annex2_file(rows: list[dict]) -> bytes:
    """An 附件2 workbook as an office fills it in: the title rows, the header, then `rows` by header."""
    book = Workbook()
    sheet = book.active
    sheet.append(["附件2"])
    sheet.append(["问题清单"])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(h) for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_coordinator_copies_the_campaign_and_runs_the_new_one_with_its_own_terms_and_days(seeded, login_as):
    office = login_as("coordinator", "office")
    with seeded.app_context():
        source = miluo()
        source_id, units = source.id, db.session.scalar(select(func.count(Unit.id)).where(Unit.campaign_id == source.id))
        tasks = db.session.scalar(select(func.count(Task.id)).where(Task.campaign_id == source.id))
    assert f'copy/?id={source_id}" title="复制为新专项行动">复制</a>' in office.get("/admin/campaign/").text  # in words
    page = office.get(f"/admin/campaign/copy/?id={source_id}")
    assert page.status_code == 200 and "复制为新专项行动" in page.text
    assert "开始日期" in page.text and "行动目标" in page.text  # it asks the day numbers count from, says what is copied
    undated = office.post(f"/admin/campaign/copy/?id={source_id}", data={
        "csrf_token": csrf_token(page.text), "name": "汨罗市2025年助企专项行动", "code": "ML25", "switch": "y"})
    assert "请填写开始日期" in undated.text and undated.status_code == 200
    refused = office.post(f"/admin/campaign/copy/?id={source_id}", data={
        "csrf_token": csrf_token(page.text), "name": "汨罗市2025年助企专项行动", "code": "SJY", "switch": "y",
        "start_on": "2025-03-01"})
    assert "问题编号前缀“SJY”已被其他专项行动使用" in " ".join(flashes(refused.text))
    done = office.post(f"/admin/campaign/copy/?id={source_id}", data={
        "csrf_token": csrf_token(page.text), "name": "汨罗市2025年助企专项行动", "code": "ML25", "switch": "y",
        "start_on": "2025-03-01"})
    assert done.status_code == 302, flashes(done.text)
    with seeded.app_context():
        new = db.session.scalar(select(Campaign).where(Campaign.code == "ML25"))
        assert db.session.scalar(select(func.count(Unit.id)).where(Unit.campaign_id == new.id)) == units
        copied = db.session.scalars(select(Task).where(Task.campaign_id == new.id)).all()
        assert len(copied) == tasks and all(t.start_on is None and t.due_on is None for t in copied)
        assert all(t.source_excerpt is None for t in copied)
        assert terms.values(new.id, Vocabulary.CATEGORY) == list(PROBLEM_CATEGORIES)
        weekly = next(t for t in copied if t.code == "六(一)-1")  # the 周调度 the groups send (周三)
        assert weekly.recurrence_day == 3 and {b.name for b in weekly.submitters} >= {"工作组（循环园）"}
        assert db.session.scalar(select(Problem.id).where(Problem.campaign_id == new.id)) is None
        new_id, weekly_id, source_campaign = new.id, weekly.id, source_id

    # the office gives it its own 问题类型 and 周调度 day (周五), in the panel
    form = office.get("/admin/term/new/")
    assert office.post("/admin/term/new/", data={"csrf_token": csrf_token(form.text), "campaign": str(new_id),
                                                  "vocabulary": Vocabulary.CATEGORY, "value": "融资",
                                                  "position": "10"}).status_code == 302
    task_form = office.get(f"/admin/task/edit/?id={weekly_id}")
    assert task_form.status_code == 200
    edited = office.post(f"/admin/task/edit/?id={weekly_id}", data={**form_values(task_form.text), "recurrence_day": "5"})
    assert edited.status_code == 302, flashes(edited.text) + field_errors(edited.text)
    with seeded.app_context():
        weekly_task = db.session.get(Task, weekly_id)
        assert weekly_task.recurrence_day == 5 and weekly_task.title == "周调度报送" and weekly_task.submitters
        assert term_ids(source_campaign, "融资") == []  # the old campaign's vocabulary is its own
        new_term = term_ids(new_id, "融资")[0]
    details = office.get(f"/admin/term/details/?id={new_term}").text
    assert "融资" in details, flashes(details)
    assert 'id="fa_filter"' not in details  # a record's page has no 筛选器 box of its own
    assert "如 融资" in form.text and "改名后" not in form.text  # a new term's 名称 is not told about renaming

    # problems come in through import and through the ledger, with the new type
    token = csrf_token(office.get("/admin/import/").text)
    data = annex2_file([{"企业名称": None, "问题类型": "融资", "问题描述": "流动资金贷款续贷难", "收集工作组": "工作组（循环园）",
                         "收集时间": "2025年3月3日"}])
    preview = office.post("/admin/import/", data={"csrf_token": token, "kind": "problems", "campaign": str(new_id),
                                                  "file": (io.BytesIO(data), "二〇二五问题.xlsx")},
                          content_type="multipart/form-data")
    assert "预检通过：将新增1条" in preview.text, flashes(preview.text)
    assert "（未填企业）：流动资金贷款续贷难" in preview.text  # each row says which problem it is
    pending = preview.text.split('name="token" value="')[1].split('"')[0]
    imported = office.post("/admin/import/confirm", data={"csrf_token": token, "token": pending}).text
    assert "导入通过：已新增1条" in imported and '">ML25-2025-0001</a>' in imported  # its new number, linked
    form = office.get("/admin/problem/new/")
    assert ">融资</option>" in form.text.split('name="category"')[1].split("</select>")[0]
    with seeded.app_context():
        group = db.session.scalar(select(Body).where(Body.campaign_id == new_id, Body.name == "工作组（循环园）"))
    created = office.post("/admin/problem/new/", data={"csrf_token": csrf_token(form.text), "campaign": str(new_id),
                                                       "description": "专精特新认定咨询", "category": "融资",
                                                       "collected_by_body": str(group.id)})
    assert created.status_code == 302, flashes(created.text)
    with seeded.app_context():
        rows = db.session.scalars(select(Problem).where(Problem.campaign_id == new_id).order_by(Problem.id)).all()
        assert [(p.category, p.number) for p in rows] == [("融资", "ML25-2025-0001"), ("融资", "ML25-2025-0002")]
        # its 周调度 follows its own day: the week that contains 2025-03-05 ends on Friday 2025-03-07
        periods = {s.period for s in ledger.submissions(new_id, date(2025, 3, 5)) if s.period.kind == ReportKind.WEEKLY}
        assert {(p.end, p.end.isoweekday()) for p in periods} == {(date(2025, 3, 7), 5)}
        old = {s.period.end for s in ledger.submissions(source_campaign, date(2025, 3, 5)) if s.period.kind == ReportKind.WEEKLY}
        assert old == {date(2025, 3, 5)}  # the copied-from campaign still reports on Wednesdays
    listed = office.get("/admin/problem/").text
    assert "流动资金贷款续贷难" in listed and "专精特新认定咨询" in listed
    tasks = office.get("/admin/task/?search=周调度报送").text  # the list says the day the reports follow
    assert "每周五 <small" in tasks and "（原文：每周三）" in tasks
    assert "每周五报" in office.get(f"/admin/submissions/?campaign={new_id}").text  # 报送情况 states the moved day
    assert "截至报送日周五" in office.get(f"/admin/reports/?campaign={new_id}").text
    annex1 = load_workbook(io.BytesIO(office.get(f"/admin/reports/download?kind=tasks&campaign={new_id}").data)).active
    row = next(r for r in annex1.iter_rows(values_only=True) if "周调度报送" in r)
    assert "每周五" in row and "每周三" not in row  # 附件1 prints the day the reports follow


def term_ids(campaign_id, value):
    return db.session.scalars(select(Term.id).where(Term.campaign_id == campaign_id, Term.value == value)).all()


def test_readers_cannot_copy_a_campaign(seeded, login_as):
    with seeded.app_context():
        source_id = miluo().id
    for role in ("group", "handler", "leader"):
        client = login_as(role)
        assert client.get(f"/admin/campaign/copy/?id={source_id}").status_code == 403
        assert "复制为新专项行动" not in client.get("/admin/campaign/").text


def test_seed_check_passes_the_shipped_files_and_writes_nothing(app):
    runner = app.test_cli_runner()
    for path in sorted(SEEDS.glob("*.yaml")):
        result = runner.invoke(args=["seed", "--check", str(path)])
        assert result.exit_code == 0 and "检查通过" in result.output and "未写入数据库" in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Campaign.id))) == 0


def broken(tmp_path, old: str, new: str, name="000_anhui_ssyf.yaml") -> str:
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}_{name}"
    path.write_text((SEEDS / name).read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return str(path)


def test_seed_check_refuses_an_excerpt_that_does_not_hold_its_facts(app, tmp_path):
    runner = app.test_cli_runner()
    for path, message in (
        (broken(tmp_path, "{label: 联合调研小组, value: 8,", "{label: 联合调研小组, value: 9,"),
         "数据“联合调研小组”的 value（9）不在其摘录中"),
        (broken(tmp_path, "- {name: 程钢, position: 副主任", "- {name: 程刚, position: 副主任"), "人员“程刚”的 name“程刚”不在其摘录中"),
        (broken(tmp_path, "value: 27, unit: 个, counted: true", "value: 28, unit: 个, counted: true",
                "003_miluo_sjy.yaml"), "摘录列出 27 个名称，不是 28 个"),
        (broken(tmp_path, "target_text: 使用中央资金超过80%, target_value: 80,", "target_text: 使用中央资金超过80%, target_value: 90,",
                "003_miluo_sjy.yaml"), "任务“三(四)-3”的 target_value（90）不在其摘录中"),
    ):
        result = runner.invoke(args=["seed", "--check", path])
        assert result.exit_code == 1 and message in result.output, result.output
    result = runner.invoke(args=["seed", "--check", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1 and "找不到种子文件" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_a_seed_file_brings_its_own_vocabularies_and_settings(app, tmp_path):
    path = broken(tmp_path, "  supervisor_required: true\n", "  supervisor_required: true\n  yellow_days: 5\n")
    text = Path(path).read_text(encoding="utf-8") + "\nvocabularies:\n  问题类型: [融资, 人才, {value: 市场, default_days: 15}, 法律]\n"
    Path(path).write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["seed", "--file", path])
    assert result.exit_code == 0, result.output
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SSYF"))
        assert campaign.yellow_days == 5 and campaign.supervisor_required
        assert terms.values(campaign.id, Vocabulary.CATEGORY) == ["融资", "人才", "市场", "法律"]
        assert terms.terms(campaign.id, Vocabulary.CATEGORY)[2].default_days == 15
        assert terms.values(campaign.id, Vocabulary.SOURCE)[-1] == "上级交办"  # the others: the defaults
    bad = Path(path).read_text(encoding="utf-8").replace("问题类型: [", "问题种类: [")
    Path(path).write_text(bad, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["seed", "--check", path])
    assert result.exit_code == 1 and "未知字段" in result.output and "问题种类" in result.output
