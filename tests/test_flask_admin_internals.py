"""The private parts of Flask-Admin the panel overrides or reads (admin/flask_admin_internals.py) are still there,
with the parameters the panel relies on, in the pinned version."""
from __future__ import annotations

import importlib
import inspect
from importlib.metadata import version
from pathlib import Path

import pytest

from admin.flask_admin_internals import FLASK_ADMIN_VERSION, OVERRIDDEN, READ

ROOT = Path(__file__).resolve().parent.parent


def resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_the_list_is_for_the_pinned_version():
    pinned = next(line.split("==")[1].split()[0] for line in (ROOT / "requirements.txt").read_text().splitlines()
                  if line.startswith("Flask-Admin=="))
    assert FLASK_ADMIN_VERSION == pinned == version("Flask-Admin"), \
        "Flask-Admin changed: check every entry of admin/flask_admin_internals.py against its source, then update it"


@pytest.mark.parametrize("owner, name", sorted(OVERRIDDEN))
def test_every_overridden_private_method_keeps_its_parameters(owner, name):
    parameters, ours = OVERRIDDEN[(owner, name)]
    method = getattr(resolve(owner), name)
    assert tuple(inspect.signature(method).parameters) == parameters, f"{owner}.{name} changed; {ours} overrides it"
    assert name in vars(resolve(ours)), f"{ours} no longer overrides {name}: take it off the list"


@pytest.mark.parametrize("owner, name", sorted(READ))
def test_every_private_attribute_read_is_still_there(app, owner, name):
    cls = resolve(owner)
    if hasattr(cls, name):
        return
    source = "".join(inspect.getsource(c) for c in cls.__mro__ if c.__module__.startswith("flask_admin"))
    assert f"self.{name} =" in source or f"self.{name}:" in source, f"{owner}.{name} is gone; {READ[(owner, name)]} uses it"


def test_no_other_private_flask_admin_method_is_overridden():
    """An override of another private method of Flask-Admin must be added to the list (and so to this check)."""
    from flask_admin.contrib.sqla.form import AdminModelConverter
    from flask_admin.contrib.sqla.view import ModelView

    import admin.forms
    import admin.ledger
    import admin.secure

    listed = {name for _, name in OVERRIDDEN} | {"_urls", "_default_view"}  # (these two @expose writes on every view)
    bases = [cls for cls in admin.secure.SecureModelView.__mro__ if cls.__module__.startswith("admin.")]  # and its parts
    for ours, theirs in (*((cls, ModelView) for cls in bases), (admin.ledger.ProblemView, ModelView),
                         (admin.forms.ScopedModelConverter, AdminModelConverter)):
        private = {n for n in vars(ours) if n.startswith("_") and not n.startswith("__") and hasattr(theirs, n)}
        assert private <= listed, f"{ours.__name__} overrides {sorted(private - listed)}: add to admin/flask_admin_internals.py"
