"""Lights, urgency, supervision listings, rates and rankings, visit compliance, submissions and periods,
checked against figures worked out by hand."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from models import Body, Enterprise, EnterpriseGroup, Problem, Report, Unit, Visit, db, ledger
from models.periods import dekad, week
from tests.factories import miluo, named

TODAY = date(2024, 10, 15)
D = date


@pytest.fixture
def ledger_rows(seeded):
    """Ten problems of the 汨罗 campaign in known states, keyed P1…P10."""
    with seeded.app_context():
        campaign = miluo()
        fgj, czj, gxj = named(Unit, "市发改局"), named(Unit, "市财政局"), named(Unit, "市工信局")
        specs = {
            "P1": dict(status="办理中", responsible_unit=fgj, deadline=D(2024, 10, 10), last=datetime(2024, 10, 1)),
            "P2": dict(status="已交办", responsible_unit=fgj, deadline=D(2024, 10, 14), last=datetime(2024, 10, 14),
                       escalation_level="市级"),
            "P3": dict(status="办理中", responsible_unit=fgj, deadline=D(2024, 10, 15), last=datetime(2024, 10, 10)),
            "P4": dict(status="已交办", responsible_unit=czj, deadline=D(2024, 10, 18), last=datetime(2024, 10, 7)),
            "P5": dict(status="办理中", responsible_unit=czj, deadline=D(2024, 10, 21), last=datetime(2024, 10, 15), flagged=True),
            "P6": dict(status="待交办", last=datetime(2024, 10, 15)),
            "P7": dict(status="已办结", responsible_unit=czj, deadline=D(2024, 10, 1), resolved_on=D(2024, 9, 30)),
            "P8": dict(status="已销号", responsible_unit=gxj, deadline=D(2024, 10, 1), resolved_on=D(2024, 10, 5),
                       satisfaction="满意", flagged=True),
            "P9": dict(status="已销号", responsible_unit=gxj, deadline=D(2024, 10, 20), resolved_on=D(2024, 10, 2),
                       satisfaction="不满意"),
            "P10": dict(status="已撤销", escalation_level="省级"),
        }
        ids = {}
        for key, spec in specs.items():
            last = spec.pop("last", datetime(2024, 10, 15))
            assigned = D(2024, 9, 20) if spec.get("deadline") else None
            problem = Problem(campaign=campaign, description=f"测试问题{key}", assigned_on=assigned, last_progress_at=last, **spec)
            db.session.add(problem)
            db.session.flush()
            ids[key] = problem.id
        db.session.commit()
        yield ids


def keys_of(ids, condition) -> set[str]:
    found = set(db.session.scalars(select(Problem.id).where(condition, Problem.id.in_(ids.values()))))
    return {k for k, v in ids.items() if v in found}


def test_lights_in_python_and_sql_agree(ledger_rows):
    expected = {"P1": "红", "P2": "红", "P3": "黄", "P4": "黄", "P5": "绿", "P6": None,
                "P7": "灰", "P8": "灰", "P9": "灰", "P10": "灰"}
    for key, pk in ledger_rows.items():
        assert ledger.light(db.session.get(Problem, pk), TODAY) == expected[key], key
    for value in ledger.LIGHTS:
        assert keys_of(ledger_rows, ledger.light_condition(value, TODAY)) == {k for k, v in expected.items() if v == value}


def test_lights_count_working_days(ledger_rows):
    """From Tuesday 2024-10-15, P5's deadline Monday 10-21 is 4 working days away (the weekend does not count): green
    with a 3-day window; a Saturday deadline (10-19) is 3 working days away, yellow like the Friday before it."""
    p5 = db.session.get(Problem, ledger_rows["P5"])
    assert ledger.light(p5, TODAY, 3) == "绿"
    p5.deadline = D(2024, 10, 19)
    db.session.commit()
    assert ledger.light(p5, TODAY, 3) == "黄" and ledger.light(p5, TODAY, 2) == "绿"
    assert keys_of(ledger_rows, ledger.light_condition("黄", TODAY, 3)) == {"P3", "P4", "P5"}
    assert keys_of(ledger_rows, ledger.light_condition("绿", TODAY, 2)) == {"P4", "P5"}
    # before the 国庆 week: from 2024-09-30, a deadline on 10-08 is one working day away
    assert ledger.light(p5, D(2024, 9, 30), 1) == "绿"
    p5.deadline = D(2024, 10, 8)
    db.session.commit()
    assert ledger.light(p5, D(2024, 9, 30), 1) == "黄" and ledger.light(p5, D(2024, 9, 30), 0) == "绿"


def test_yellow_threshold_is_configurable(ledger_rows):
    assert ledger.light(db.session.get(Problem, ledger_rows["P5"]), TODAY, yellow_days=4) == "黄"
    assert keys_of(ledger_rows, ledger.light_condition("黄", TODAY, 0)) == {"P3"}


def test_most_urgent_first(ledger_rows):
    order = db.session.scalars(select(Problem.id).where(Problem.id.in_(ledger_rows.values()))
                               .order_by(*ledger.urgency_order())).all()
    by_id = {v: k for k, v in ledger_rows.items()}
    assert [by_id[i] for i in order][:6] == ["P1", "P2", "P3", "P4", "P5", "P6"]


def test_stored_urgency_follows_every_change(ledger_rows):
    """The database keeps the rank as rows change; the order is light (红 黄 绿) then 待交办 then the rest, by
    deadline, a missing deadline last, newest first among equals — whatever today's date."""
    def reference(problem, today):
        rank = {"红": 0, "黄": 1, "绿": 2}.get(ledger.light(problem, today))
        rank = rank if rank is not None else 3 if problem.status == "待交办" else 4
        return (rank, problem.deadline is None, problem.deadline or date.min, -problem.id)

    p6 = db.session.get(Problem, ledger_rows["P6"])
    p6.deadline, p6.assigned_on, p6.status = D(2024, 10, 12), D(2024, 10, 1), "已交办"  # 交办: now red, after P1
    db.session.get(Problem, ledger_rows["P1"]).status = "已办结"  # finished: drops to the end
    db.session.commit()
    rows = db.session.scalars(select(Problem).where(Problem.id.in_(ledger_rows.values()))).all()
    for today in (TODAY, D(2024, 10, 1), D(2024, 12, 31)):
        stored = db.session.scalars(select(Problem.id).where(Problem.id.in_(ledger_rows.values()))
                                    .order_by(*ledger.urgency_order())).all()
        assert stored == [p.id for p in sorted(rows, key=lambda p: reference(p, today))]


def test_supervision_listings(ledger_rows):
    assert keys_of(ledger_rows, ledger.overdue(TODAY)) == {"P1", "P2"}
    assert keys_of(ledger_rows, ledger.due_within(TODAY, 3)) == {"P3", "P4"}
    assert keys_of(ledger_rows, ledger.due_within(TODAY, 4)) == {"P3", "P4", "P5"}
    assert keys_of(ledger_rows, ledger.flagged()) == {"P5"}  # P8 is closed
    assert keys_of(ledger_rows, ledger.escalated()) == {"P2"}  # P10 is withdrawn
    # 7 working days before 2024-10-15 reach back over the 国庆 week (10-01…10-07 off, Saturday 10-12 worked) to
    # 2024-09-30: nothing is stale yet; a week later the cutoff is 2024-10-12 noon
    assert keys_of(ledger_rows, ledger.stale(datetime(2024, 10, 15, 12), 7)) == set()
    assert keys_of(ledger_rows, ledger.stale(datetime(2024, 10, 22, 12), 7)) == {"P1", "P3", "P4"}


def test_rates_and_the_red_and_black_lists(ledger_rows):
    scope = Problem.id.in_(ledger_rows.values())
    total = ledger.figures(scope, TODAY)
    assert (total.total, total.pending, total.assigned, total.finished, total.on_time, total.overdue) == (10, 1, 8, 3, 2, 2)
    assert (total.finish_rate, total.on_time_rate, total.satisfaction_rate) == (3 / 8, 2 / 3, 1 / 2)
    ranking = ledger.unit_ranking(scope, TODAY, min_problems=1)
    rows = [(r.rank, r.unit.name, r.figures.assigned, r.figures.finished, r.figures.on_time, r.figures.overdue, r.board)
            for r in ranking]
    assert rows == [
        (1, "市工信局", 2, 2, 1, 0, "红榜"),
        (2, "市财政局", 3, 1, 1, 0, ""),
        (3, "市发改局", 3, 0, 0, 2, "黑榜"),
    ]
    assert ranking[0].figures.satisfaction_rate == 0.5 and ranking[1].figures.on_time_rate == 1.0
    assert ranking[2].figures.finish_rate == 0 and ranking[2].figures.on_time_rate is None


def test_units_with_fewer_problems_than_the_minimum_are_not_ranked(ledger_rows):
    """市工信局 has two problems, both finished (one in time): below the default minimum of three it is 样本不足, after
    the ranked units and on neither board, instead of heading the ranking."""
    scope = Problem.id.in_(ledger_rows.values())
    assert ledger.DEFAULT_RANKING_MIN_PROBLEMS == 3
    rows = [(r.rank, r.unit.name, r.figures.assigned, r.board) for r in ledger.unit_ranking(scope, TODAY)]
    assert rows == [(1, "市财政局", 3, "红榜"), (2, "市发改局", 3, "黑榜"), (None, "市工信局", 2, "样本不足")]
    rows = [(r.rank, r.unit.name, r.board) for r in ledger.unit_ranking(scope, TODAY, min_problems=4)]
    assert rows == [(None, "市发改局", "样本不足"), (None, "市财政局", "样本不足"), (None, "市工信局", "样本不足")]


def test_visit_compliance_in_the_visiting_phase(seeded):
    with seeded.app_context():
        campaign = miluo()
        group_a, group_b = named(Body, "工作组（循环园）"), named(Body, "工作组（配套园）")
        e1, e2, e3 = (Enterprise(campaign=campaign, name=f"企业{i}（测试）") for i in (1, 2, 3))
        db.session.add_all([EnterpriseGroup(enterprise=e1, body=group_a), EnterpriseGroup(enterprise=e2, body=group_a),
                            EnterpriseGroup(enterprise=e3, body=group_b)])
        visits = [(group_a, e1, D(2024, 9, 11)), (group_a, e1, D(2024, 9, 20)), (group_a, e1, D(2024, 9, 30)),
                  (group_a, e1, D(2024, 10, 5)), (group_a, e2, D(2024, 9, 15)), (group_a, e2, D(2024, 9, 16)),
                  (group_b, e1, D(2024, 9, 15))]
        db.session.add_all([Visit(campaign=campaign, body=g, enterprise=e, visited_on=d) for g, e, d in visits])
        db.session.commit()
        phase, rows = ledger.visit_compliance(campaign.id)
        assert (phase.title, phase.start_on, phase.due_on, int(phase.target_value)) == ("集中上门", D(2024, 9, 11), D(2024, 9, 30), 3)
        assert [(r.group.name, r.enterprise.name, r.visits, r.met) for r in rows] == [
            ("工作组（循环园）", "企业1（测试）", 3, True),
            ("工作组（循环园）", "企业2（测试）", 2, False),
            ("工作组（配套园）", "企业3（测试）", 0, False),
        ]
        _, own = ledger.visit_compliance(campaign.id, EnterpriseGroup.body_id == group_b.id)
        assert [r.enterprise.name for r in own] == ["企业3（测试）"]


def test_who_has_not_submitted_this_periods_reports(seeded):
    with seeded.app_context():
        campaign = miluo()
        office, group = named(Body, "综合专班"), named(Body, "工作组（循环园）")
        db.session.add_all([
            Report(campaign=campaign, kind="周调度", period_start=D(2024, 9, 12), period_end=D(2024, 9, 18), body=office,
                   submitted_at=datetime(2024, 9, 17, 10)),
            Report(campaign=campaign, kind="旬通报", period_start=D(2024, 9, 11), period_end=D(2024, 9, 20), body=group,
                   submitted_at=datetime(2024, 9, 18, 10)),
        ])
        db.session.commit()
        rows = ledger.submissions(campaign.id, D(2024, 9, 12))
        weekly = {r.body.name: r.state for r in rows if r.task.report_kind == "周调度"}
        assert len(weekly) == 10 and weekly["综合专班"] == "已报送"
        assert {state for name, state in weekly.items() if name != "综合专班"} == {"未报送（未到期）"}
        assert {(r.period.start, r.period.end, r.period.due) for r in rows if r.task.report_kind == "周调度"} == {
            (D(2024, 9, 12), D(2024, 9, 18), D(2024, 9, 18))}
        later = ledger.submissions(campaign.id, D(2024, 9, 19))
        dekads = {r.body.name: r.state for r in later if r.task.report_kind == "旬通报"}
        assert dekads["工作组（循环园）"] == "已报送"
        assert {s for n, s in dekads.items() if n != "工作组（循环园）"} == {"逾期未报送"}
        own = ledger.submissions(campaign.id, D(2024, 9, 19), lambda body: body.id == group.id)
        assert {r.body.name for r in own} == {"工作组（循环园）"}


@pytest.mark.parametrize("day, start, end", [
    (D(2024, 9, 30), D(2024, 9, 26), D(2024, 10, 2)),  # across a month end
    (D(2024, 10, 2), D(2024, 9, 26), D(2024, 10, 2)),  # the due Wednesday itself
    (D(2024, 10, 3), D(2024, 10, 3), D(2024, 10, 9)),
    (D(2024, 12, 30), D(2024, 12, 26), D(2025, 1, 1)),  # across a year end
    (D(2024, 2, 29), D(2024, 2, 29), D(2024, 3, 6)),  # a leap day
])
def test_weekly_periods_end_on_the_due_wednesday(day, start, end):
    period = week(day, 3)
    assert (period.start, period.end, period.due, period.kind) == (start, end, end, "周调度")


@pytest.mark.parametrize("day, due_day, start, end, due, label", [
    (D(2024, 9, 5), 8, D(2024, 9, 1), D(2024, 9, 10), D(2024, 9, 8), "2024年9月上旬"),
    (D(2024, 9, 11), 8, D(2024, 9, 11), D(2024, 9, 20), D(2024, 9, 18), "2024年9月中旬"),
    (D(2024, 9, 30), 8, D(2024, 9, 21), D(2024, 9, 30), D(2024, 9, 28), "2024年9月下旬"),
    (D(2024, 10, 31), 9, D(2024, 10, 21), D(2024, 10, 31), D(2024, 10, 29), "2024年10月下旬"),
    (D(2024, 2, 29), 8, D(2024, 2, 21), D(2024, 2, 29), D(2024, 2, 28), "2024年2月下旬"),  # leap February
    (D(2023, 2, 22), 9, D(2023, 2, 21), D(2023, 2, 28), D(2023, 2, 28), "2023年2月下旬"),  # the 29th does not exist
    (D(2024, 12, 31), 8, D(2024, 12, 21), D(2024, 12, 31), D(2024, 12, 28), "2024年12月下旬"),
])
def test_dekads_and_their_due_dates(day, due_day, start, end, due, label):
    period = dekad(day, due_day)
    assert (period.start, period.end, period.due, period.label) == (start, end, due, label)
