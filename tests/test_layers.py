"""The layers point one way (models ← cli, seeds, documents ← exports, imports, ops, portal ← admin ← app) and no module needs another
to be imported first: each imports on its own in a fresh interpreter."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "cli", "seeds", "documents", "exports", "imports", "ops", "portal", "admin")
BELOW_ADMIN = ("models", "cli", "seeds", "documents", "exports", "imports", "ops", "portal")


def module_names() -> list[str]:
    names = ["app", "config"]
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


# One fresh interpreter imports each module of the project on its own: before each, every module of the project is
# forgotten (sys.modules), so that an import cycle among them shows as it would in a new process; the libraries they
# use stay loaded, which is what makes a hundred imports take seconds rather than a minute and a half.
ALONE = """
import importlib, json, sys, traceback
names, project = json.loads(sys.argv[1]), tuple(sys.argv[2].split(","))
import flask, flask_admin, sqlalchemy, wtforms, openpyxl  # the libraries, once
failed = {}
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in project]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failed[name] = traceback.format_exc()[-2000:]
print(json.dumps(failed))
"""


@pytest.fixture(scope="module")
def import_failures() -> dict[str, str]:
    """What went wrong importing each module on its own (nothing, for a module that imports)."""
    import json

    project = ",".join(("app", "config", *PACKAGES))
    done = subprocess.run([sys.executable, "-c", ALONE, json.dumps(module_names()), project], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", module_names())
def test_every_module_imports_on_its_own(module, import_failures):
    assert module not in import_failures, import_failures.get(module)


def test_a_cycle_is_caught(tmp_path):
    """The check above would see a cycle: two modules of a package that import each other's names fail on their own."""
    package = tmp_path / "cyc"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyc.b import B\nA = 1\n")
    (package / "b.py").write_text("from cyc.a import A\nB = 2\n")
    import json

    done = subprocess.run([sys.executable, "-c", ALONE, json.dumps(["cyc.a", "cyc.b"]), "cyc"], cwd=tmp_path,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"},
                          timeout=120)
    failed = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(failed) == {"cyc.a", "cyc.b"} and "ImportError" in failed["cyc.a"]


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


def test_the_papers_do_not_import_the_reports():
    """documents (the 公文 layout and the papers) sits under exports, which lays its Word bulletins out with it."""
    offenders = {str(path.relative_to(ROOT)): sorted(n for n in imported(path) if n.split(".")[0] in ("exports", "imports"))
                 for path in (ROOT / "documents").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_model_layer_imports_no_other_layer_of_the_project():
    offenders = {str(path.relative_to(ROOT)): sorted(n for n in imported(path) if n.split(".")[0] in (*PACKAGES, "app", "config")
                                                   and not n.startswith("models"))
                 for path in (ROOT / "models").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
