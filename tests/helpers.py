"""Reading what a page tells the user."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from models import db


def field_errors(html: str) -> list[str]:
    """Messages shown under form fields."""
    return [m.strip() for m in re.findall(r"<li>([^<]+)</li>", html)]


def flashes(html: str) -> list[str]:
    """Flashed messages (alerts) on a page."""
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r"</button>\s*([^<]+?)\s*</div>", html)]


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))
