"""How the panel shows a problem's state to a clerk, the same on every page (ledger, problem page, desk): the coloured
亮灯, the days left or overdue, 是/否; and where a step sends the user back to."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import request
from markupsafe import Markup, escape

from models.calendar import workdays_left
from models.ledger import ASSIGNED, Light

LIGHT_CLASSES = {Light.RED: "light-red", Light.YELLOW: "light-yellow", Light.GREEN: "light-green", Light.GREY: "light-grey"}


def light_badge(value: str | None) -> Markup:
    """亮灯 as a coloured badge (empty while a problem waits to be assigned)."""
    if value is None:
        return Markup("")
    return Markup(f'<span class="badge light {LIGHT_CLASSES[value]}">{escape(value)}</span>')


def days_left(problem, today: date) -> int | None:
    """Working days left to the deadline of a running problem (0 on the day, negative once past it: at least one
    working day overdue, even on the weekend after a Friday deadline); None otherwise."""
    if problem.status not in ASSIGNED or problem.deadline is None:
        return None
    return workdays_left(problem.deadline, today)


def days_text(problem, today: date) -> str:
    """剩余 N 个工作日, 今天到期 or 逾期 N 个工作日, for a running problem with a deadline; empty otherwise."""
    left = days_left(problem, today)
    if left is None:
        return ""
    return f"剩余{left}个工作日" if left > 0 else "今天到期" if left == 0 else f"逾期{-left}个工作日"


def yes_no(value) -> str:
    return "是" if value else "否"


def safe_next() -> str | None:
    """The page to go back to after a step (?next= or a form's next), if it is a page of this site."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or "\\" in target or parts.scheme or parts.netloc:
        return None
    return target
