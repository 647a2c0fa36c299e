"""Migrations build the schema on SQLite, PostgreSQL and MariaDB alike, go down cleanly, and match the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from models import db
from models.base import compared
from tests.conftest import MIGRATIONS, make_app, scratch_database


def app_tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_on_a_fresh_database(db_url, tmp_path):
    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            assert app_tables() == set()
            upgrade(directory=MIGRATIONS)
            assert app_tables() == set(db.metadata.tables)
            downgrade(directory=MIGRATIONS, revision="base")
            assert app_tables() == set()
            upgrade(directory=MIGRATIONS)
            assert app_tables() == set(db.metadata.tables)
            db.engine.dispose()


def test_models_and_migrations_agree(app):
    """A model change without a migration fails here (what `flask db migrate` would generate must be nothing)."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                                  "include_object": compared})
        assert compare_metadata(context, db.metadata) == []


def test_db_upgrade_command(db_url, tmp_path):
    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        result = app.test_cli_runner().invoke(args=["db", "upgrade", "--directory", MIGRATIONS])
        assert result.exit_code == 0, result.output
        result = app.test_cli_runner().invoke(args=["seed"])
        assert result.exit_code == 0 and "汨罗市" in result.output
        with app.app_context():
            db.engine.dispose()


def test_seed_before_upgrade_says_what_to_do(db_url, tmp_path):
    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        result = app.test_cli_runner().invoke(args=["seed"])
        assert result.exit_code == 1 and "flask --app app db upgrade" in result.output
        with app.app_context():
            db.engine.dispose()


def test_the_vocabularies_migration_keeps_every_row_valid(db_url, tmp_path):
    """A database with rows from before the vocabularies were data: after the upgrade every campaign has the terms
    its rows use, the rows read and save as before, and the old CHECK constraints no longer bind new terms."""
    from sqlalchemy import select, text

    from models import Problem, Term, Vocabulary, terms

    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(directory=MIGRATIONS, revision="b7d3e1f04a22")
            now = "2024-09-20 10:00:00"
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO campaign (id, name, code, last_problem_seq, version, created_at, updated_at) "
                                  "VALUES (1, '旧专项行动', 'OLD', 1, 1, :now, :now)"), {"now": now})
                conn.execute(text(
                    "INSERT INTO problem (id, number, description, category, source, status, escalation_level, flagged, "
                    "satisfaction, version, created_at, updated_at, campaign_id) VALUES (1, 'OLD-0001', '旧问题', '用工', "
                    "'走访', '已销号', '市级', :no, '基本满意', 1, :now, :now, 1)"), {"now": now, "no": False})
            upgrade(directory=MIGRATIONS)
            assert terms.values(1, Vocabulary.CATEGORY)[:3] == ["资金", "用工", "用能"]
            assert [t.value for t in terms.terms(1, Vocabulary.SATISFACTION) if t.satisfied] == ["满意", "基本满意"]
            problem = db.session.get(Problem, 1)
            assert (problem.category, problem.escalation_level, problem.satisfaction) == ("用工", "市级", "基本满意")
            problem.remark = "升级后照常保存"
            db.session.add(Term(campaign_id=1, vocabulary=Vocabulary.CATEGORY, value="人才（新增）", position=20))
            db.session.commit()
            problem.category = "人才（新增）"  # beyond the old CHECK constraint's list
            db.session.commit()
            assert db.session.scalar(select(Problem.category).where(Problem.id == 1)) == "人才（新增）"
            if db.engine.dialect.name == "sqlite":
                assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            db.session.remove()
            db.engine.dispose()


def test_downgrade_base_and_upgrade_again_on_the_demo_data(db_url, tmp_path):
    """The issue: `flask db downgrade base` failed on any populated SQLite database (FOREIGN KEY constraint failed) and
    left _alembic_tmp_campaign behind. Both ways on the seeded campaigns and a demo ledger, on every database."""
    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        runner = app.test_cli_runner()
        for args in (["db", "upgrade", "--directory", MIGRATIONS], ["seed"],
                     ["seed", "--demo", "--problems", "40", "--anchor", "2026-12-07"]):
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
        result = runner.invoke(args=["db", "downgrade", "base", "--directory", MIGRATIONS])
        assert result.exit_code == 0, result.output
        with app.app_context():
            assert app_tables() == set()  # nothing left behind, no _alembic_tmp_ table either
            db.engine.dispose()
        for args in (["db", "upgrade", "--directory", MIGRATIONS], ["seed"],
                     ["seed", "--demo", "--problems", "40", "--anchor", "2026-12-07"]):
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
        with app.app_context():
            from sqlalchemy import func, select, text

            from models import Problem

            assert db.session.scalar(select(func.count(Problem.id))) >= 40
            if db.engine.dialect.name == "sqlite":
                assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
            db.session.remove()
            db.engine.dispose()


def old_problem(conn, now: str) -> None:
    """One campaign and one problem (id 1), written as by an older schema, for a migration to find."""
    from sqlalchemy import text

    conn.execute(text("INSERT INTO campaign (id, name, code, last_problem_seq, version, created_at, updated_at) "
                      "VALUES (1, '专项行动', 'OLD', 1, 1, :now, :now)"), {"now": now})
    conn.execute(text("INSERT INTO problem (id, number, description, status, escalation_level, flagged, "
                      "version, created_at, updated_at, campaign_id) VALUES (1, 'OLD-0001', '旧问题', '办理中', "
                      "'本级', :no, 1, :now, :now, 1)"), {"now": now, "no": False})


def test_the_outbox_migration_masks_the_robots_secret(db_url, tmp_path):
    """Rows queued before the outbox kept no secret held the robot's whole address: the upgrade masks it."""
    from sqlalchemy import text

    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(directory=MIGRATIONS, revision="1248660bd343")
            now = "2026-12-01 10:00:00"
            with db.engine.begin() as conn:
                old_problem(conn, now)
                conn.execute(text("INSERT INTO problem_update (id, problem_id, action, created_at, version) "
                                  "VALUES (1, 1, '催办', :now, 1)"), {"now": now})
                for pk, channel, address in ((1, "企业微信", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=633a31f6-7f9c-4bc4"),
                                             (2, "钉钉", "https://oapi.dingtalk.com/robot/send?access_token=ff6cd723bdb4455fe18"),
                                             (3, "邮件", "fgj@example.gov.cn")):
                    conn.execute(text("INSERT INTO delivery (id, update_id, channel, address, status, attempts, created_at) "
                                      "VALUES (:pk, 1, :channel, :address, '已发送', 1, :now)"),
                                 {"pk": pk, "channel": channel, "address": address, "now": now})
            upgrade(directory=MIGRATIONS)
            with db.engine.connect() as conn:
                addresses = [row[0] for row in conn.execute(text("SELECT address FROM delivery ORDER BY id"))]
            assert addresses == ["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****4bc4",
                                 "https://oapi.dingtalk.com/robot/send?access_token=****fe18", "fgj@example.gov.cn"]
            db.engine.dispose()


def test_the_step_codes_migration_names_every_old_line_by_its_code(db_url, tmp_path):
    """Timeline lines written under labels get their step's code (an old label too: 进展说明, 上报市级); a label no
    version wrote gets `unknown` and still shows as written; going down drops the codes, going up fills them again."""
    from sqlalchemy import text

    from models import ProblemUpdate

    labels = {1: "交办", 2: "进展说明", 3: "蓝色督办", 4: "企业评价", 5: "录入", 6: "上报市级", 7: "随手记"}
    with scratch_database(db_url, tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(directory=MIGRATIONS, revision="c4f7a2e9b815")
            now = "2026-12-01 10:00:00"
            with db.engine.begin() as conn:
                old_problem(conn, now)
                for pk, label in labels.items():
                    conn.execute(text("INSERT INTO problem_update (id, problem_id, action, created_at, version) "
                                      "VALUES (:pk, 1, :label, :now, 1)"), {"pk": pk, "label": label, "now": now})
            upgrade(directory=MIGRATIONS)
            codes = lambda: dict(db.session.execute(text("SELECT id, step FROM problem_update ORDER BY id")).all())  # noqa: E731
            assert codes() == {1: "assign", 2: "progress", 3: "blue", 4: "rated", 5: "entered", 6: "escalate",
                               7: "unknown"}
            shown = {u.id: u.label for u in db.session.scalars(select(ProblemUpdate))}
            assert shown == {1: "交办", 2: "报告进展", 3: "蓝色督办", 4: "企业评价", 5: "录入", 6: "上报", 7: "随手记"}
            db.session.remove()
            downgrade(directory=MIGRATIONS, revision="c4f7a2e9b815")
            assert "step" not in {c["name"] for c in inspect(db.engine).get_columns("problem_update")}
            upgrade(directory=MIGRATIONS)
            assert codes()[2] == "progress"
            db.session.remove()
            db.engine.dispose()
