"""Flask-Admin's own texts in Chinese: our catalogue (admin/translations) corrects and completes the zh_Hans_CN
catalogue Flask-Admin ships, so it must be the one that wins.

Flask-Babel merges a domain's catalogues in the order of its directories, each overriding the one before, and
Flask-Admin lists the app's directory first: ours would only add strings, never correct one
(pallets-eco/flask-admin#1882). The domain below reads Flask-Admin's catalogue first and ours last, and keeps one
merged catalogue per list of directories (a request outside any admin view reads Flask-Admin's alone, and must not
leave that in the cache for the views).
"""
from __future__ import annotations

from flask_admin import babel


class OursLastDomain(babel.CustomDomain):
    """Flask-Admin's translation domain, with the app's catalogue merged last."""

    @property
    def translation_directories(self) -> list[str]:
        return list(reversed(super().translation_directories))

    def get_translations_cache(self, ctx):
        return self.cache.setdefault(tuple(self.translation_directories), {})


def prefer_our_catalogue() -> None:
    """Make Flask-Admin's gettext (bound to its module-level domain) read our catalogue last. Idempotent."""
    babel.domain.__class__ = OursLastDomain
    babel.domain.cache.clear()
