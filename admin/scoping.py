"""The current user's rows: which endpoints only read, and a query narrowed to what the user may see or change
(models.scope holds the rule; the panel's lists, forms, dropdowns and steps ask it through here)."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from models import scope

from .pages import current_role

READ_ENDPOINTS = {"index_view", "details_view", "create_view", "export", "annex2_view", "ajax_lookup"}


def user_role() -> str | None:
    return current_role()


def is_write_endpoint() -> bool:
    """Whether the current request changes rows (edit, delete, actions, custom pages) rather than reads them."""
    return has_request_context() and (request.endpoint or "").rsplit(".", 1)[-1] not in READ_ENDPOINTS


def scoped(model, query, write: bool = False):
    """`query` on `model` narrowed to the rows the current user may see (or, with `write`, change)."""
    return scope.scope_query(query, model, current_user, write)

