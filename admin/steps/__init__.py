"""The workflow steps in the panel, beside one another: each step's form (forms.py, FORMS by the name its declaration
gives, models.steps) and the view that shows and takes them (view.py, StepsMixin of the problem views).

check_steps, called at start-up (admin.init_app), refuses to start while a step has no label, or a step that people
take has no function in models.workflow (ACTIONS) or no form here: adding a step is a declaration in models.steps, a
function in models.workflow and a form in forms.FORMS.
"""
from __future__ import annotations

from models import workflow
from models.steps import STEPS

from .forms import FORMS, resolve_fields, step_form, step_values  # noqa: F401 (the forms, for their callers)
from .view import StepsMixin  # noqa: F401


def check_steps() -> None:
    """Refuse to start when a step has no label, or a step people take has no function or no form."""
    for code, step in STEPS.items():
        if not (step.label or "").strip():
            raise RuntimeError(f"办理步骤 {code} 没有名称（models/steps.py 中它的 label）。")
        if not step.roles:  # taken by the system alone: no button, no form
            continue
        if code not in workflow.ACTIONS:
            raise RuntimeError(f"办理步骤“{step.label}”（{code}）没有办理函数（models/workflow.py 的 ACTIONS）。")
        if step.form not in FORMS:
            raise RuntimeError(f"办理步骤“{step.label}”（{code}）没有表单：admin/steps/forms.py 的 FORMS 中没有"
                               f"“{step.form or '（未指定）'}”。")
