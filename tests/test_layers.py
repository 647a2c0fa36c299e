"""The layers point one way (models ← cli, seeds, exports, imports, ops ← admin ← app) and no module needs another
to be imported first: each imports on its own in a fresh interpreter."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "cli", "seeds", "exports", "imports", "ops", "admin")
BELOW_ADMIN = ("models", "cli", "seeds", "exports", "imports", "ops")


def module_names() -> list[str]:
    names = ["app", "config"]
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("module", module_names())
def test_every_module_imports_on_its_own(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def imported(path: Path) -> set[str]:
    """The modules a file imports (absolute names; relative imports stay within its package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_layer_below_the_panel_imports_it():
    offenders = {str(path.relative_to(ROOT)): sorted(n for n in imported(path) if n == "admin" or n.startswith("admin."))
                 for package in BELOW_ADMIN for path in (ROOT / package).rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_model_layer_imports_no_other_layer_of_the_project():
    offenders = {str(path.relative_to(ROOT)): sorted(n for n in imported(path) if n.split(".")[0] in (*PACKAGES, "app", "config")
                                                   and not n.startswith("models"))
                 for path in (ROOT / "models").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
