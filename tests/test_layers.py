"""The layers point one way (models ← cli, config, seeds, documents ← exports, imports, ops, portal ← admin ← app), no
module's imports come round to it again, and every module imports.

The layers and the cycles are read from the source (ast) in this process, and one fresh interpreter imports every
module: a few seconds together, however busy the machine. The graph is read as Python runs it: `from package import
module` imports that module, `from package import name` the package (its __init__); a cycle counts the imports that run
when a module is imported (not those inside a function, nor under `if TYPE_CHECKING:`), the layers count every import.
"""
from __future__ import annotations

import ast
import graphlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = (("models",), ("cli", "config", "seeds", "documents"), ("exports", "imports", "ops", "portal"), ("admin",), ("app",))
RANK = {top: rank for rank, tops in enumerate(LAYERS) for top in tops}


def project_modules(root: Path, tops=tuple(RANK)) -> dict[str, Path]:
    """Every module under `root` of the top-level modules and packages `tops`, by its dotted name."""
    modules = {}
    for top in tops:
        if (root / f"{top}.py").is_file():
            modules[top] = root / f"{top}.py"
        for path in sorted((root / top).rglob("*.py")) if (root / top).is_dir() else ():
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path], at_import: bool) -> set[str]:
    """The modules of `modules` that module `name` imports; with `at_import`, only those it imports when it is itself
    imported."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()

    def visit(nodes) -> None:
        for node in nodes:
            if at_import and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if at_import and isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                submodules = {f"{module}.{alias.name}" for alias in node.names} & modules.keys()
                found.update(submodules)
                if len(submodules) < len(node.names):
                    found.add(module)
            visit(ast.iter_child_nodes(node))

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return {module for module in found if module in modules and module != name}


def import_graph(root: Path, tops=tuple(RANK), at_import: bool = False) -> dict[str, set[str]]:
    """Each module under `root` and the modules of the project it imports."""
    modules = project_modules(root, tops)
    return {name: imports_of(name, path, modules, at_import) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Modules that import one another round in a circle (the first and the last are the same), or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a module from a higher layer than its own (`importer → imported`)."""
    def rank(module: str) -> int:
        return RANK[module.split(".")[0]]

    return sorted(f"{name} → {imported}" for name, imports in graph.items() for imported in imports
                  if rank(imported) > rank(name))


# One fresh interpreter imports every module, one after another; it prints what went wrong with each that failed.
IMPORT_ALL = """
import importlib, json, sys, traceback
failed = {}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except BaseException:
        failed[name] = traceback.format_exc()[-2000:]
print(json.dumps(failed))
"""


def import_failures(root: Path, names: list[str]) -> dict[str, str]:
    """What went wrong importing each of `names` in a fresh interpreter (nothing, for a module that imports)."""
    done = subprocess.run([sys.executable, "-c", IMPORT_ALL, json.dumps(names)], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_module_imports():
    assert import_failures(ROOT, sorted(project_modules(ROOT))) == {}


def test_no_import_cycle():
    assert find_cycle(import_graph(ROOT, at_import=True)) is None


def test_no_module_imports_a_higher_layer():
    assert upward_imports(import_graph(ROOT)) == []


def test_every_package_has_a_layer():
    """A new top-level package of the project must be given its place in LAYERS (or it would go unchecked)."""
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench", "migrations", "docs"}
    assert packages <= RANK.keys(), sorted(packages - RANK.keys())


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """A small project of its own under `root`: {relative path: source}."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_a_cycle_is_reported(tmp_path):
    """Two modules that import each other's names, however they spell it, make a cycle; the same import inside a
    function does not (it runs later), nor does one only for type checking."""
    write_tree(tmp_path, {
        "models/__init__.py": "",
        "models/a.py": "from models.b import B\nA = 1\n",
        "models/b.py": "from .a import A\nB = 2\n",
        "models/c.py": "def later():\n    from models.d import D\n    return D\nC = 3\n",
        "models/d.py": "from typing import TYPE_CHECKING\nfrom models import c\nD = 4\nif TYPE_CHECKING:\n    from models.c import C\n",
    })
    graph = import_graph(tmp_path, ("models",), at_import=True)
    cycle = find_cycle(graph)
    assert cycle is not None and set(cycle) == {"models.a", "models.b"} and cycle[0] == cycle[-1]
    del graph["models.a"], graph["models.b"]
    assert find_cycle(graph) is None
    assert find_cycle(import_graph(tmp_path, ("models",))) is not None  # counting the later imports too: c ⇄ d
    failed = import_failures(tmp_path, ["models.a", "models.c", "models.d"])  # and Python agrees
    assert set(failed) == {"models.a"} and "ImportError" in failed["models.a"]


def test_a_cycle_through_a_package_is_reported(tmp_path):
    """A package that imports its module, which takes a name from the package, is a cycle too."""
    write_tree(tmp_path, {
        "exports/__init__.py": "from . import sheets\nTITLE = '附件2'\n",
        "exports/sheets.py": "from exports import TITLE\n",
    })
    assert set(find_cycle(import_graph(tmp_path, ("exports",), at_import=True))) == {"exports", "exports.sheets"}
    assert "ImportError" in import_failures(tmp_path, ["exports"])["exports"]


def test_an_upward_import_is_reported(tmp_path):
    """A module that imports from a higher layer is reported, whether the import runs at once or inside a function,
    and whether it names a module, a package or a name of a package; imports down or within a layer are not."""
    write_tree(tmp_path, {
        "models/__init__.py": "",
        "models/rows.py": "import exports\n",
        "models/rules.py": "def late():\n    from admin.views import ProblemView\n    return ProblemView\n",
        "exports/__init__.py": "from models import rows\nfrom imports import cells\nfrom . import sheets\n",
        "exports/sheets.py": "from models.rows import *\n",
        "imports/__init__.py": "",
        "imports/cells.py": "from exports import sheets\n",
        "admin/__init__.py": "",
        "admin/views.py": "from models.rows import *\nfrom exports.sheets import *\nProblemView = 1\n",
    })
    assert upward_imports(import_graph(tmp_path, ("models", "imports", "exports", "admin"))) == [
        "models.rows → exports", "models.rules → admin.views"]
