"""The base of every admin view, by the names the views have always imported it by. It lives in modules of one
concern each: the secure base view (admin/secure.py), the current user's rows (admin/scoping.py), the list pages
(admin/listing.py), the forms and their start-up check (admin/forms.py), a model's columns as users know them
(admin/columns.py) and the Chinese messages and error pages (admin/errors.py)."""
from __future__ import annotations

from .columns import attribute_for, column_value, details_columns, relationship_for, shown_value
from .errors import INTEGRITY_MESSAGES, check_unique, integrity_message, stale_message
from .forms import INTERNAL_COLUMNS, MAX_INTEGER, ScopedModelConverter, check_forms, form_fields
from .listing import (DEEP_ROWS, MAX_FILTER_LENGTH, MAX_FILTERS, MAX_PAGE, MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS, ROW_ID,
                      bounded_search, reversed_order, warn_once)
from .scoping import READ_ENDPOINTS, is_write_endpoint, scoped, user_role
from .secure import ENDPOINT_OPS, SecureModelView

__all__ = [
    "DEEP_ROWS", "ENDPOINT_OPS", "INTEGRITY_MESSAGES", "INTERNAL_COLUMNS", "MAX_FILTERS", "MAX_FILTER_LENGTH", "MAX_INTEGER",
    "MAX_PAGE", "MAX_SEARCH_LENGTH", "MAX_SEARCH_TERMS", "READ_ENDPOINTS", "ROW_ID", "ScopedModelConverter",
    "SecureModelView", "attribute_for", "bounded_search", "check_forms", "check_unique", "column_value",
    "details_columns", "form_fields", "integrity_message", "is_write_endpoint", "relationship_for", "reversed_order",
    "scoped", "shown_value", "stale_message", "user_role", "warn_once",
]
