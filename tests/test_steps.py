"""The steps as data (models.steps): each step declared once, the timeline storing its code, the import's and the
demo's walks derived from the declarations, and a panel that will not start while a step lacks its label or form."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from admin.steps import FORMS
from models import ProblemUpdate, db
from models.steps import STEP_FOR, STEPS, TAKEN, StepName
from models.vocab import Status
from tests.conftest import make_app


def test_a_step_people_take_without_its_form_stops_the_start(monkeypatch):
    monkeypatch.delitem(FORMS, STEPS[StepName.REVISIT].form)
    with pytest.raises(RuntimeError, match="办理步骤“回访”（revisit）没有表单：admin/steps/forms.py 的 FORMS 中没有“revisit”"):
        make_app("sqlite://")


def test_a_step_without_a_label_stops_the_start(monkeypatch):
    monkeypatch.setitem(STEPS, StepName.RATED, replace(STEPS[StepName.RATED], label=" "))
    with pytest.raises(RuntimeError, match="办理步骤 rated 没有名称"):
        make_app("sqlite://")


def test_every_step_people_take_has_a_form_and_the_systems_have_none():
    assert all(STEPS[code].form in FORMS for code in TAKEN)
    assert [code for code, step in STEPS.items() if not step.roles] == [
        StepName.ENTERED, StepName.RATED, StepName.AUTO_REMIND, StepName.AUTO_URGE, StepName.BLUE, StepName.YELLOW,
        StepName.RED]
    assert all(STEPS[code].form is None for code in STEPS if code not in TAKEN)


def test_the_imports_status_changes_are_the_declared_steps():
    assert STEP_FOR == {
        (Status.UNASSIGNED, Status.ASSIGNED): StepName.ASSIGN, (Status.ASSIGNED, Status.HANDLING): StepName.ACCEPT,
        (Status.HANDLING, Status.RESOLVED): StepName.RESOLVE, (Status.RESOLVED, Status.CLOSED): StepName.CLOSE,
        (Status.RESOLVED, Status.HANDLING): StepName.REOPEN,
        **{(s, Status.WITHDRAWN): StepName.WITHDRAW for s in (Status.UNASSIGNED, Status.ASSIGNED, Status.HANDLING)},
    }


def test_every_line_of_the_demo_is_a_declared_step_moving_as_declared(app):
    runner = app.test_cli_runner()
    for args in (["seed"], ["seed", "--demo", "--problems", "60", "--anchor", "2026-12-07"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        lines = db.session.execute(select(ProblemUpdate.step, ProblemUpdate.action, ProblemUpdate.to_status)).all()
        assert lines and {step for step, _, _ in lines} <= set(STEPS)
        assert all(action == STEPS[step].label and to == STEPS[step].target for step, action, to in lines)
