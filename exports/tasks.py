"""附件1 工作任务清单: tasks in, a print-ready workbook out."""
from __future__ import annotations

from datetime import date

from openpyxl import Workbook

from .style import filled_line, table_sheet, workbook

ANNEX1_COLUMNS = (
    ("序号", 9), ("类别", 9), ("任务", 22), ("具体内容", 60), ("责任主体", 14), ("开始日期", 11), ("完成时限", 11),
    ("时限（原文）", 11), ("周期", 10), ("量化目标", 22), ("状态", 8),
)


def task_row(task) -> list:
    responsible = task.responsible_text or (task.responsible_body.name if task.responsible_body else None) or (
        task.responsible_unit.name if task.responsible_unit else None)
    return [task.code, task.section, task.title, task.content, responsible, task.start_on, task.due_on, task.due_text,
            task.schedule_text, task.target_text, task.status]


def annex1_workbook(tasks, campaign_name: str, reporting_unit: str, filled_on: date) -> Workbook:
    """附件1 工作任务清单 for `tasks`, in the document's order."""
    wb = workbook()
    line = filled_line(reporting_unit, filled_on)
    table_sheet(wb, "工作任务清单", f"{campaign_name}工作任务清单", line, list(ANNEX1_COLUMNS),
                (task_row(t) for t in tasks))
    return wb
