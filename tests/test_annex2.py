"""附件2 is declared once (models.annex2): the ledger list, the exporter and the importer are made from it and agree."""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from admin.ledger import PROBLEM_LABELS, ProblemView
from exports.problems import ANNEX2_COLUMNS
from imports.problems import FIELD_COLUMN, Lookup, parsers
from models import Problem, annex2
from tests.factories import miluo

ROOT = Path(__file__).resolve().parent.parent


def test_the_ledger_list_shows_the_declared_columns_under_their_headers(seeded):
    """附件2 全列 (the ledger's full columns) are 附件2's columns, under its headers."""
    view = next(v for v in seeded.extensions["admin"][0]._views if isinstance(v, ProblemView) and v.endpoint == "problem")
    assert [key for key, _ in view._all_list_columns] == [column.key for column in annex2.COLUMNS]
    assert [label for _, label in view._all_list_columns] == list(annex2.HEADERS)
    assert all(PROBLEM_LABELS[column.key] == column.header for column in annex2.COLUMNS)


def test_the_exporter_writes_the_declared_columns(seeded, tmp_path):
    assert ANNEX2_COLUMNS == tuple((column.header, column.width) for column in annex2.COLUMNS)
    out = tmp_path / "p.xlsx"
    result = seeded.test_cli_runner().invoke(args=["export", "problems", "--out", str(out), "--campaign", miluo_name(seeded)])
    assert result.exit_code == 0, result.output
    assert tuple(cell.value for cell in load_workbook(io.BytesIO(out.read_bytes())).active[3]) == annex2.HEADERS


def miluo_name(app) -> str:
    with app.app_context():
        return miluo().name


def test_the_importer_reads_back_the_declared_columns(seeded):
    with seeded.app_context():
        convert = parsers(Lookup(miluo(), type("Admin", (), {"role": "admin", "is_authenticated": True})()))
    for column in annex2.READ_BACK:
        assert column.parse in convert, column
        assert hasattr(Problem, column.field), column
    assert FIELD_COLUMN == {column.field: column.header for column in annex2.READ_BACK}
    computed = {column.header for column in annex2.COLUMNS if not column.field}
    assert computed == {"序号", "所在镇（园区）", "亮灯", "销号时间"}  # what the system computes is not read back


def test_the_headers_are_written_in_one_source_file():
    sources = [p for p in ROOT.rglob("*.py") if not {".venv", "tests", ".data", "migrations"} & set(p.parts)]
    for header in ("企业诉求", "收集工作组", "收集时间", "亮灯", "销号时间"):  # the headers no other table uses
        holders = [str(p.relative_to(ROOT)) for p in sources if f'"{header}"' in p.read_text(encoding="utf-8")]
        assert holders == ["models/annex2.py"], (header, holders)
