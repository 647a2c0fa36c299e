"""Reading what a page tells the user."""
from __future__ import annotations

import hashlib
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


def fingerprint(app, skip: tuple[str, ...] = ("login_attempt",)) -> dict[str, str]:
    """Every table's rows in primary-key order, hashed: equal fingerprints mean that no row was added, removed or
    changed (login attempts are left out: a test's own logins add them)."""
    with app.app_context():
        found = {}
        for table in db.metadata.sorted_tables:
            if table.name not in skip:
                rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
                found[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        db.session.rollback()
        return found
