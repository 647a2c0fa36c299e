"""Hostile and oversized workbooks, written as real .xlsx packages (each a few KB to a few MB on disk)."""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="问题清单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
ONE_TEXT = f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>企业名称</t></si></sst>'


def sheet(body: str, head: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{head}<sheetData>{body}</sheetData></worksheet>'


def package(path: Path, sheet_xml, shared=ONE_TEXT) -> Path:
    """A minimal .xlsx: `sheet_xml` and `shared` are text, or iterables of text written piece by piece (so that a
    part of hundreds of MB never sits in memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS), ("xl/workbook.xml", WORKBOOK),
                           ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS), ("xl/worksheets/sheet1.xml", sheet_xml),
                           ("xl/sharedStrings.xml", shared)):
            if isinstance(text, str):
                book.writestr(name, text)
            else:
                with book.open(name, "w") as part:
                    for piece in text:
                        part.write(piece.encode())
    return path


def far_cell(path: Path) -> Path:
    """One cell in A1 and one in the sheet's last cell, XFD1048576."""
    return package(path, sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
                               '<row r="1048576"><c r="XFD1048576" t="s"><v>0</v></c></row>'))


def huge_dimension(path: Path) -> Path:
    """A sheet that declares it spans a million rows and holds one cell."""
    return package(path, sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', '<dimension ref="A1:T1048576"/>'))


def huge_text(path: Path, megabytes: int = 400) -> Path:
    """One cell whose text is `megabytes` MB long, which compresses to a few hundred KB."""
    chunk = "助" * (1024 * 1024 // 3)

    def shared():
        yield f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'
        for _ in range(megabytes):
            yield chunk
        yield "</t></si></sst>"

    return package(path, sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), shared())


def empty_rows(path: Path, rows: int = 2_000_000) -> Path:
    """Two million empty rows."""
    def body():
        yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
        for _ in range(rows // 10_000):
            yield "<row/>" * 10_000
        yield "</sheetData></worksheet>"

    return package(path, body())


def repeated_text(path: Path, rows: int = 20_000, columns: int = 20) -> Path:
    """One 32,000-character text shown in every one of 400,000 cells: a reader copies it into each."""
    def body():
        yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
        for row in range(1, rows + 1):
            yield f'<row r="{row}">' + '<c t="s"><v>0</v></c>' * columns + "</row>"
        yield "</sheetData></worksheet>"

    return package(path, body(), f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>{"助" * 32_000}</t></si></sst>')


def entity_bomb(path: Path) -> Path:
    """The "billion laughs": nested entities that expand to gigabytes."""
    entities = '<!ENTITY a0 "哈哈哈哈哈哈哈哈哈哈">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    shared = f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]><sst xmlns="{MAIN}"><si><t>&a9;</t></si></sst>'
    return package(path, sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), shared)


def lying_size(path: Path, megabytes: int = 50) -> Path:
    """A part whose central directory claims 1 KB but which inflates to `megabytes` MB (some readers trust it)."""
    huge_text(path, megabytes)
    data = bytearray(path.read_bytes())
    name = b"xl/sharedStrings.xml"
    entry = data.find(b"PK\x01\x02")
    while data[entry + 46:entry + 46 + struct.unpack_from("<H", data, entry + 28)[0]] != name:
        entry = data.find(b"PK\x01\x02", entry + 4)
    struct.pack_into("<L", data, entry + 24, 1024)  # the uncompressed size
    path.write_bytes(bytes(data))
    return path


def wide_row(path: Path) -> Path:
    """A cell far to the right (column 200) of an otherwise ordinary row."""
    return package(path, sheet('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="GR1" t="s"><v>0</v></c></row>'))


BOMBS = {
    "far_cell": (far_cell, "第1048576行"),
    "huge_dimension": (huge_dimension, "声明的范围 A1:T1048576"),
    "huge_text": (huge_text, "解压后有"),
    "empty_rows": (empty_rows, "超过25000行"),
    "repeated_text": (repeated_text, "重复的文字按出现次数计"),
    "entity_bomb": (entity_bomb, "文档类型声明"),
    "lying_size": (lying_size, "文件已损坏"),
    "wide_row": (wide_row, "第200列"),
}
