"""docs/ARCHITECTURE.md is the map of the code: every path and every name it cites in `backticks` exists.

A path (it has a slash or ends in .py/.html/.js/.css/.po) must be a file or folder of the repository; a dotted
reference into a module (`models/annex2.TEMPLATE_MARK`, `admin.pages.SecurePage`) must name a module that defines
the name; any other name (`STEPS`, `record_batch`, `masked()`, `Status.UNASSIGNED`) must be defined somewhere in
the application's code — as a function, a class, an assignment, or a string the code reads (a table, a setting). Things
that are not code (an HTTP header, an option, a command line with spaces) are left alone.
"""
from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
CODE = ("admin", "bench", "cli", "documents", "exports", "imports", "models", "ops", "portal", "seeds", "tests")
CITED = re.compile(r"`([^`\n]+)`")
PATH_LIKE = re.compile(r"/|\.(py|html|js|css|po|md|toml|ini)$")
NAME = re.compile(r"^[A-Za-z_][\w.]*(\(\))?$")


@cache
def definitions(path: Path) -> frozenset[str]:
    """The names a Python file defines: functions, classes, assignments (module or class level), annotated names, and
    the names it spells as strings (a table name, a setting, an environment variable, a WSGI key)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:  # a name, an attribute, or several at once (A, B = …)
                for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                    names.update([t.id] if isinstance(t, ast.Name) else [t.attr] if isinstance(t, ast.Attribute) else [])
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.match(node.value):
            names.add(node.value)
    return frozenset(names)


@cache
def every_definition() -> frozenset[str]:
    files = [ROOT / "app.py", ROOT / "config.py", *(p for d in CODE for p in (ROOT / d).rglob("*.py"))]
    return frozenset().union(*(definitions(p) for p in files if ".venv" not in p.parts))


def module_file(dotted: str) -> Path | None:
    """The file of a module written as a path or dotted (models/annex2, admin.pages), or None."""
    base = ROOT / dotted.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def missing(cited: str) -> str | None:
    """Why `cited` names nothing in the repository, or None when it does."""
    text = cited.strip()
    if " " in text or text.startswith("-") or "-" in text.split("/")[-1] and "/" not in text:
        return None  # a command line, an option or a header: not a name of the code
    if PATH_LIKE.search(text) and (ROOT / text.rstrip("/")).exists():
        return None
    if "/" in text:  # a path, or a path to a module and a name in it (models/annex2.TEMPLATE_MARK)
        module, _, name = text.partition(".") if not text.endswith((".py", "/")) else (text, "", "")
        if name and (file := module_file(module)) is not None:
            return None if name.removesuffix("()") in definitions(file) else f"{module} 中没有 {name}"
        return f"没有这个文件或目录：{text}"
    if not NAME.match(text):
        return None
    parts = text.removesuffix("()").split(".")
    for split in range(len(parts) - 1, 0, -1):  # admin.pages.SecurePage: the longest module prefix that exists
        file = module_file(".".join(parts[:split]))
        if file is not None:
            return None if parts[split] in definitions(file) else f"{'.'.join(parts[:split])} 中没有 {parts[split]}"
    return None if parts[-1] in every_definition() else f"代码中没有定义 {text}"


def test_every_path_and_name_the_architecture_cites_exists():
    cited = sorted(set(CITED.findall(DOC.read_text(encoding="utf-8"))))
    assert len(cited) > 50  # the map names the code it describes
    problems = [f"`{c}`：{why}" for c in cited if (why := missing(c))]
    assert not problems, "docs/ARCHITECTURE.md 引用了不存在的内容：\n" + "\n".join(problems)


def test_the_check_notices_a_stale_name():
    """The check itself can fail: a renamed function, a moved file and a name missing from its module are caught."""
    assert missing("no_such_function_anywhere()")
    assert missing("models/no_such_module.py")
    assert missing("models/annex2.NO_SUCH_MARK")
    assert missing("admin.base.NoSuchView")
    assert missing("models/workflow.py") is None and missing("record_batch") is None
