"""The loader behind every searchable relationship field: safe ids and offsets (the role scope joins it later)."""
from __future__ import annotations

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader

from models import db

from .ids import parse_id

MAX_OFFSET = 100_000


class SafeAjaxLoader(QueryAjaxModelLoader):
    """Looks up related rows for a select box; a malformed id or offset finds nothing instead of failing."""

    def get_one(self, pk):
        number = parse_id(pk)
        if number is None:
            return None
        with db.session.no_autoflush:
            return db.session.get(self.model, number)

    def get_list(self, term: str, offset: int = 0, limit: int = 10):
        offset = min(max(offset or 0, 0), MAX_OFFSET)
        return super().get_list(term or "", offset, limit)
