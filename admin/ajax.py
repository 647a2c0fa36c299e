"""The loader behind every searchable relationship field: scoped to the user, safe ids and offsets."""
from __future__ import annotations

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_login import current_user

from models import db
from models.text import clean

from .ids import parse_id
from models.scope import scope_query

MAX_OFFSET = 100_000
MAX_TERM = 100  # characters of what is typed into the box


class SafeAjaxLoader(QueryAjaxModelLoader):
    """Looks up related rows for a select box among those the user may see; a malformed id or offset finds nothing."""

    def get_query(self):
        return scope_query(db.session.query(self.model), self.model, current_user)

    def get_one(self, pk):
        number = parse_id(pk)
        if number is None:
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(self.model.id == number).one_or_none()

    def get_list(self, term: str, offset: int = 0, limit: int = 10):
        offset = min(max(offset or 0, 0), MAX_OFFSET)
        return super().get_list(clean(term or "")[:MAX_TERM], offset, limit)
