"""Seeds: idempotent, faithful to the documents, every row with its provenance."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from models import (
    Body,
    BodyUnit,
    Campaign,
    Enterprise,
    Event,
    Person,
    Post,
    Problem,
    SourceDocument,
    StatedFigure,
    Task,
    Unit,
    db,
)
from models.base import ProvenanceMixin
from seeds.loader import load_seeds
from seeds.normalise import normalise, strip_annotations
from tests.factories import named


def table_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def provenance_models():
    return [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, ProvenanceMixin)]


def test_seeding_twice_gives_identical_counts(seeded):
    with seeded.app_context():
        first = table_counts()
        results = load_seeds()
        assert all(not created for _, created in results)
        assert table_counts() == first
        assert first["unit"] > 0 and first["task"] > 0


def test_seed_command_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "新增" in first.output
    with app.app_context():
        counts = table_counts()
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0
    assert second.output.count("无新增") == 2
    with app.app_context():
        assert table_counts() == counts


def test_every_seeded_row_has_an_excerpt_found_in_its_normalised_document(seeded):
    with seeded.app_context():
        checked = 0
        for model in provenance_models():
            for row in db.session.scalars(select(model)):
                assert row.source_document is not None, f"{model.__name__} #{row.id} has no source document"
                passages = row.excerpt_passages()
                assert passages, f"{model.__name__} #{row.id} has no excerpt"
                for passage in passages:
                    assert passage in row.source_document.text, f"{model.__name__} #{row.id}: {passage!r}"
                checked += 1
        assert checked > 150


def test_source_documents_are_copied_into_the_project(seeded):
    with seeded.app_context():
        docs = {d.code: d for d in db.session.scalars(select(SourceDocument))}
        assert set(docs) == {"000", "003"}
        assert "穩(wěn)" in docs["000"].raw_text
        assert "(wěn)" not in docs["000"].text and "穩" not in docs["000"].text
        assert docs["003"].text == docs["003"].raw_text


def test_normaliser_strips_pinyin_and_converts_to_simplified():
    assert strip_annotations("“六穩(wěn)”集中活動") == "“六穩”集中活動"
    assert normalise("總結(jié)") == "总结"
    assert normalise("省政府金融辦程鋼副主任") == "省政府金融办程钢副主任"
    # document numbering in parentheses is not an annotation
    assert normalise("(一)聚焦") == "(一)聚焦"


def test_miluo_campaign_facts(seeded):
    with seeded.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))
        assert campaign.doc_number == "汨政办函〔2024〕33号"
        assert campaign.issued_on == date(2024, 9, 5)
        assert "湘政办明电〔2024〕6号" in campaign.parent_document
        assert campaign.end_on is None  # the document states no end date


def test_the_27_member_units_and_the_others_named(seeded):
    with seeded.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))
        mechanism = named(Body, "市推进机制")
        members = db.session.scalars(select(BodyUnit).where(BodyUnit.body_id == mechanism.id, BodyUnit.role == "成员单位")).all()
        assert len(members) == 27
        assert {"汨罗高新区", "市供销联社", "金融监管汨罗支局"} <= {m.unit.name for m in members}
        names = set(db.session.scalars(select(Unit.name).where(Unit.campaign_id == campaign.id)))
        for other in ("循环园", "配套园", "市优化办", "市政府经研中心", "市税务局", "市融媒体中心", "岳阳市推进机制专班"):
            assert other in names
        # the document lists them ending with 等 and never writes 27: a count of the listed names, labelled as such
        figure = db.session.scalar(select(StatedFigure).where(StatedFigure.campaign_id == campaign.id,
                                                             StatedFigure.label == "成员单位（所列名称数）"))
        assert figure.value == len(members) and figure.counted and "27" not in figure.source_excerpt
        stated = db.session.scalars(select(StatedFigure).where(StatedFigure.counted == False)).all()  # noqa: E712
        for other in stated:  # every other figure is written in its excerpt as that number
            assert str(int(other.value)) in other.source_excerpt, other.label


def test_people_and_posts(seeded):
    with seeded.app_context():
        lin = named(Person, "林恒求")
        assert lin.position == "市长"
        assert named(Person, "黎自强").unit.name == "市发改局"
        office = named(Body, "市推进机制办公室")
        roles = sorted((p.role, p.person.name) for p in office.posts)
        assert roles == [("办公室主任", "周雄伟"), ("办公室主任", "陈敬林"), ("办公室副主任", "周灿"), ("办公室副主任", "黎自强")]
        assert {u.unit.name for u in office.units if u.role == "联合组建"} == {"市发改局", "市优化办"}
        chief = db.session.scalar(select(Post).where(Post.role == "总召集人"))
        assert chief.person.name == "林恒求" and chief.body.name == "市推进机制"
        deputies = db.session.scalars(select(Post).where(Post.role == "副召集人")).all()
        assert len(deputies) == 1 and deputies[0].person is None  # the document names no one


def test_four_task_forces_with_lead_units(seeded):
    with seeded.app_context():
        forces = db.session.scalars(select(Body).where(Body.kind == "专班").order_by(Body.id)).all()
        assert [(b.name, b.lead_unit.name) for b in forces] == [
            ("综合专班", "市政府办"), ("政策专班", "市发改局"), ("服务专班", "市优化办"), ("宣传专班", "市委宣传部"),
        ]
        assert all(b.dissolves_at_end and b.duties and b.parent.name == "市推进机制办公室" for b in forces)
        service = forces[2]
        assert len([u for u in service.units if u.role == "参加单位"]) == 9


def test_six_working_groups_each_with_a_development_and_an_industry_member(seeded):
    with seeded.app_context():
        groups = db.session.scalars(select(Body).where(Body.kind == "工作组", Body.campaign_id == named(Body, "市推进机制").campaign_id)).all()
        # the six units send each group's 组长; the text does not make them the groups' 牵头单位
        assert all(g.lead_unit is None for g in groups)
        leaders = {}
        for group in groups:
            leader = [p for p in group.posts if p.role == "组长"]
            assert len(leader) == 1 and leader[0].person is None
            leaders[group.name] = leader[0].sending_unit.name
            members = {p.sending_unit.name for p in group.posts if p.role == "成员"}
            assert {"市发改局", "市工信局"} <= members
        assert sorted(leaders.values()) == sorted(["循环园", "配套园", "市发改局", "市科技局", "市工信局", "市财政局"])
        assert all(name == f"工作组（{unit}）" for name, unit in leaders.items())


def test_task_list_sections_dates_and_recurrences(seeded):
    with seeded.app_context():
        campaign_id = named(Body, "市推进机制").campaign_id

        def task(code):
            return db.session.scalar(select(Task).where(Task.campaign_id == campaign_id, Task.code == code))

        def count(section):
            return db.session.scalar(select(func.count()).select_from(Task).where(
                Task.campaign_id == campaign_id, Task.section == section, Task.parent_id.is_(None)))

        assert (count("主要任务"), count("工作方式"), count("实施步骤"), count("工作机制")) == (6, 3, 3, 3)
        assert task("三(一)-1").due_on == date(2024, 9, 8)
        assert (task("五(一)").start_on, task("五(一)").due_on) == (date(2024, 9, 1), date(2024, 9, 10))
        assert (task("五(二)").start_on, task("五(二)").due_on, task("五(二)").target_value) == (date(2024, 9, 11), date(2024, 9, 30), 3)
        assert task("五(三)").due_on == date(2024, 9, 30)
        assert task("三(四)-2").due_on == date(2024, 10, 31)
        assert (task("三(四)-3").due_on, task("三(四)-3").target_value, task("三(四)-3").target_unit) == (date(2024, 12, 31), 80, "%")
        assert task("三(四)-9").target_value == 80
        assert task("三(四)-8").due_on == date(2024, 9, 30)
        weekly, dekad = task("六(一)-1"), task("六(一)-2")
        assert (weekly.recurrence, weekly.recurrence_day, weekly.report_kind) == ("每周", 3, "周调度")
        assert (dekad.recurrence, dekad.recurrence_day, dekad.report_kind) == ("每旬", 8, "旬通报")
        assert len(weekly.submitters) == 10  # 4 专班 + 6 工作组
        assert (task("六(一)-3").recurrence_day, task("六(一)-4").recurrence_day) == (4, 9)


def test_anhui_campaign_read_through_the_normaliser(seeded):
    with seeded.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SSYF"))
        assert campaign.issued_on is None and campaign.start_on is None  # the document never states its year
        cheng = named(Person, "程钢", campaign)
        assert (cheng.position, cheng.unit.name) == ("副主任", "省政府金融办")
        assert named(Unit, "合肥市“四送一服”办", campaign) is not None
        group = named(Body, "第一工作组", campaign)
        assert [(p.role, p.person.name) for p in group.posts] == [("组长", "程钢")]
        meeting = db.session.scalar(select(Event).where(Event.campaign_id == campaign.id, Event.kind == "宣讲会"))
        assert (meeting.attendance_total, meeting.attendance_cadres, meeting.attendance_enterprises) == (1120, 403, 717)
        assert meeting.held_on is None and meeting.date_text == "10月18日上午"
        figures = {f.label: int(f.value) for f in db.session.scalars(select(StatedFigure).where(StatedFigure.campaign_id == campaign.id))}
        assert figures == {
            "联合调研小组": 8, "走访调研的重点企业": 15, "省政府交办的重难点问题": 7, "专题督办会": 7,
            "已初步解决或就解决方案达成共识的问题": 4,
        }
        # only the one enterprise and problem the text names; no rows invented for the totals
        assert db.session.scalars(select(Enterprise.name).where(Enterprise.campaign_id == campaign.id)).all() == ["安徽光明槐祥"]
        problems = db.session.scalars(select(Problem).where(Problem.campaign_id == campaign.id)).all()
        assert [(p.number, p.enterprise.name, p.source) for p in problems] == [("SSYF-0001", "安徽光明槐祥", "上级交办")]
        assert db.session.scalar(select(func.count()).select_from(Body).where(Body.campaign_id == campaign.id, Body.kind == "调研小组")) == 0


def test_the_seeds_say_only_what_the_documents_say(seeded):
    """Fidelity: task contents without the excerpt's date joiner, no target the text does not write, 安徽光明槐祥's
    problem as the summary tells it, and the 000 summary's facts that were missing."""
    from models import Event, Problem, Task

    with seeded.app_context():
        tasks = db.session.scalars(select(Task)).all()
        assert not [t.code for t in tasks if "……2024年9月" in (t.content or "")]
        for task in tasks:
            if task.target_value is not None:
                assert f"{int(task.target_value)}" in task.source_excerpt, task.code
        problem = db.session.scalar(select(Problem).where(Problem.description == "安徽光明槐祥反映问题"))
        assert problem.status == "已交办" and problem.flagged and problem.source == "上级交办"
        anhui = problem.campaign
        assert anhui.supervisor_required
        events = {e.title: e for e in db.session.scalars(select(Event).where(Event.campaign_id == anhui.id))}
        assert "省动员会" in events and events["省动员会"].kind == "动员部署会"
        assert "主持召开行前会议" in events["第一工作组行前会议"].source_excerpt
        anhui_tasks = {t.code: t for t in tasks if t.campaign_id == anhui.id}
        assert anhui_tasks["(三)二"].target_text == "一个月内有实质性进展"
        assert "一名处级干部负责领办、一名工作组成员跟踪督办" in anhui_tasks["(三)一"].source_excerpt
        assert "综合服务平台宣传卡片" in anhui_tasks["(二)二"].content and "合肥日报" in anhui_tasks["(一)三"].content


def test_stated_figures_read_as_integers(seeded, login_as):
    page = login_as("coordinator").get("/admin/stated_figure/").text
    assert "<td class=\"col-value\">6</td>" in page and ".00" not in page
