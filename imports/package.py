"""An uploaded workbook (.xlsx, .ods or .xls) checked as a stream before any reader expands it.

A small file can declare or hold an enormous sheet: a cell at XFD1048576 (the reader allocates every cell of the
rectangle up to it, and the process dies), a sheet dimension of a million rows, a 400 MB text compressed into 400 KB,
millions of empty rows, one long text repeated in every cell. Here every member of the package is inflated chunk by
chunk and counted, whatever its header claims; every XML part is parsed as a stream for its rows, cells and texts; and
the first limit passed refuses the whole file with a Chinese message. Nothing is held but counters, so a refused file
costs no more memory than an accepted one.

An .ods is a zip package too, checked the same way, its content.xml counted with the repeats LibreOffice writes
(a row or cell "repeated" a million times); an .xls (Excel 97–2003, as WPS and old Excel save) is an OLE2 compound
file whose cell records are counted one by one, and the texts of its shared string table by their lengths.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from array import array
from xml.parsers import expat

import olefile

from models.attachments import OLE_MAGIC  # an OLE2 compound file: .xls (and .doc, .msg…)

MAX_BYTES = 10 * 1024 * 1024  # the upload itself
MAX_ROWS = 20_000  # data rows of one import
MAX_MEMBERS = 1_000  # parts in the package (a workbook has a dozen; a few hundred with pictures)
MAX_INFLATED = 100 * 1024 * 1024  # all parts together, uncompressed
MAX_SHEET_ROWS = MAX_ROWS + 5_000  # the farthest row a sheet may use: the data rows, a title block and notes
MAX_COLUMNS = 100  # the farthest column (CV); 附件2 has 20
MAX_CELLS = 1_000_000  # cells written in one sheet, empty ones included
MAX_TEXT = 20_000_000  # characters of cell text in one sheet, a shared text counted in every cell that shows it

CHUNK = 256 * 1024
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a zip member's local header, before its name and extra field
CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
LIMIT_ADVICE = "请只保留需要导入的工作表和数据，删除多余的行、列后另存为新文件再导入。"
MAX_MERGED = 10_000  # merged ranges of one sheet
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
FORMATS = {"xlsx": "Excel 工作簿（.xlsx）", "xls": "Excel 97-2003 工作簿（.xls）", "ods": "OpenDocument 电子表格（.ods）"}
NOT_A_WORKBOOK = ("这不是能导入的表格文件。可以导入 Excel 工作簿（.xlsx）、Excel 97-2003 工作簿（.xls，WPS 也能保存）"
                  "和 OpenDocument 电子表格（.ods）；请在表格软件中“另存为”其中一种格式后再导入。")


class ImportFailure(Exception):
    """The whole file is refused; the message says why, in Chinese. Nothing has been written."""


def sniff(data: bytes) -> str | None:
    """The workbook format `data` is in, by its content (never by the file's name): "xlsx", "ods", "xls", or None."""
    if data.startswith(OLE_MAGIC):
        return "xls"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = set(package.namelist())
        if "mimetype" in names and package.getinfo("mimetype").file_size <= 100:
            return "ods" if package.read("mimetype").strip() == ODS_MIMETYPE else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, zlib.error, RuntimeError):
        return None
    return "xlsx" if "xl/workbook.xml" in names else None


def check_workbook(data: bytes) -> tuple[str, list[list[tuple[int, int, int, int]]] | None]:
    """Refuse (ImportFailure) what is not a workbook or would expand past the limits; its format, and for an .ods the
    merged ranges of each sheet ((first row, first column, last row, last column), from 0), which the reader does
    not give for that format."""
    kind = sniff(data)
    if kind == "xlsx":
        check_xlsx(data)
        return kind, None
    if kind == "ods":
        return kind, check_ods(data)
    if kind == "xls":
        check_xls(data)
        return kind, None
    if data.startswith(b"PK\x03\x04"):
        raise ImportFailure("文件已损坏，或不是能导入的表格文件（.xlsx、.xls、.ods）。请在表格软件中重新“另存为”后再导入。")
    if looks_like_text(data[:4096]):
        raise ImportFailure("这是文本文件（如 CSV），不是能导入的表格文件。请用表格软件打开后“另存为”Excel 工作簿（.xlsx）再导入。")
    raise ImportFailure(NOT_A_WORKBOOK)


def looks_like_text(head: bytes) -> bool:
    """Whether the start of a file reads as text in UTF-8 or GBK (a CSV or TSV export), not as a binary file."""
    for encoding in ("utf-8-sig", "gbk"):
        try:
            decoded = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(c < " " and c not in "\t\r\n" for c in decoded)
    return False


def check_xlsx(data: bytes) -> None:
    """Refuse (ImportFailure) a package that is not a plain .xlsx or that would expand past the limits."""
    members = package_members(data, "xlsx")
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names or names & {"content.xml", "xl/workbook.bin"}:
        raise ImportFailure("文件已损坏，或不是 .xlsx 格式的 Excel 工作簿。请在表格软件中“另存为”Excel 工作簿（*.xlsx）后再导入。")
    budget = checked_members(data, members, lambda member, budget: XmlScan(member.filename, budget))
    for sheet in budget.sheets:
        for lengths in budget.shared_lengths or [array("q")]:
            sheet.check_text(lengths)


def check_ods(data: bytes) -> list[list[tuple[int, int, int, int]]]:
    """Refuse (ImportFailure) an .ods that would expand past the limits; the merged ranges of each of its sheets."""
    members = package_members(data, "ods")
    if "content.xml" not in {m.filename for m in members}:
        raise ImportFailure("文件已损坏，或不是 .ods 格式的电子表格。")
    found: list[OdsScan] = []

    def scanner(member, budget):
        if member.filename == "content.xml":
            found.append(OdsScan(member.filename))
            return found[-1]
        return XmlScan(member.filename, budget)
    checked_members(data, members, scanner)
    return [table.merged for table in found[0].tables] if found else []


def package_members(data: bytes, kind: str) -> list[zipfile.ZipInfo]:
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ImportFailure(f"文件已损坏，或不是{FORMATS[kind]}。") from None
    if len(members) > MAX_MEMBERS:
        raise ImportFailure(f"文件由{len(members)}个部分组成，超过上限{MAX_MEMBERS}个。{LIMIT_ADVICE}")
    declared = sum(m.file_size for m in members)
    if declared > MAX_INFLATED:
        raise ImportFailure(f"文件解压后有{megabytes(declared)}，超过上限{megabytes(MAX_INFLATED)}"
                            f"（文件可能含有超大的单元格或大量空白行列）。{LIMIT_ADVICE}")
    return members


def checked_members(data: bytes, members: list[zipfile.ZipInfo], scanner) -> "Budget":
    """Inflate and check every member, each XML part read by `scanner(member, budget)`."""
    budget = Budget()
    for member in members:
        scan_member(data, member, budget, scanner)
    return budget


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def number(count: int) -> str:
    """20000000 as 2000万, as a Chinese reader counts."""
    return f"{count // 10_000}万" if count >= 10_000 and count % 10_000 == 0 else str(count)


class Budget:
    """What the package has inflated so far, and what its parts hold."""

    def __init__(self):
        self.inflated = 0
        self.shared_lengths: list[array] = []  # per part holding shared texts: the length of each, in order
        self.sheets: list[SheetScan] = []


def scan_member(data: bytes, member: zipfile.ZipInfo, budget: Budget, scanner) -> None:
    """Inflate one member as a stream, checking its real size, its checksum and, if it is XML, its content."""
    damaged = ImportFailure(f"文件已损坏（“{member.filename}”部分无法读取），或不是能导入的表格文件。")
    if member.flag_bits & 0x1:
        raise ImportFailure("文件已加密（设有打开密码），请取消密码后另存为新文件再导入。")
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise damaged
    header = data[member.header_offset:member.header_offset + LOCAL_HEADER.size]
    if len(header) < LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise damaged
    name_length, extra_length = LOCAL_HEADER.unpack(header)[-2:]
    start = member.header_offset + LOCAL_HEADER.size + name_length + extra_length
    raw = memoryview(data)[start:start + member.compress_size]
    if len(raw) < member.compress_size:
        raise damaged
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if member.compress_type == zipfile.ZIP_DEFLATED else None
    reader = None
    size, crc, first = 0, 0, True
    try:
        for chunk in inflate(raw, inflater):
            size += len(chunk)
            budget.inflated += len(chunk)
            if budget.inflated > MAX_INFLATED:
                raise ImportFailure(f"文件解压后超过{megabytes(MAX_INFLATED)}（文件可能含有超大的单元格或大量空白行列）。"
                                    f"{LIMIT_ADVICE}")
            crc = zlib.crc32(chunk, crc)
            if first:
                first = False
                if chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                    reader = scanner(member, budget)
            if reader is not None:
                reader.feed(chunk)
        if reader is not None:
            reader.feed(b"", final=True)
    except (zlib.error, expat.ExpatError):
        raise damaged from None
    if (inflater is not None and not inflater.eof) or size != member.file_size or crc != member.CRC:
        raise damaged


def inflate(raw: memoryview, inflater):
    """The member's bytes, at most CHUNK at a time however much a compressed chunk expands."""
    for start in range(0, len(raw), CHUNK):
        piece = bytes(raw[start:start + CHUNK])
        if inflater is None:
            yield piece
            continue
        while piece:
            out = inflater.decompress(piece, CHUNK)
            if out:
                yield out
            piece = inflater.unconsumed_tail
    if inflater is not None:
        tail = inflater.flush()
        if tail:
            yield tail


class XmlScan:
    """One XML part parsed as a stream: the rows, cells and shared texts of a worksheet, the lengths of the shared
    texts. Elements are matched by local name, as the reader matches them; text is looked at only where it counts
    (a shared text's length, a cell's shared-text index): inline text is no longer than the part itself. A document
    type declaration (the way to an entity expansion bomb) has no place in a workbook and is refused.

    It runs for every cell of an upload, so the cell's path is written out rather than split into small calls."""

    def __init__(self, name: str, budget: Budget):
        self.name, self.budget = name, budget
        self.sheet: SheetScan | None = None
        self.lengths: array | None = None  # of the shared texts, if this part holds them
        self.text = 0  # characters of the shared text being read
        self.shared_cell = False  # whether the cell being read shows a shared text
        self.index: list[str] = []  # the shared-text index of that cell
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.EntityDeclHandler = self.doctype
        self.parser.StartElementHandler = self.start  # (end and character handlers only while they matter)

    def feed(self, chunk: bytes, final: bool = False) -> None:
        self.parser.Parse(chunk, final)

    def doctype(self, *args) -> None:
        raise ImportFailure(f"文件的“{self.name}”部分含有文档类型声明，Excel 工作簿中不应出现，可能是异常文件。")

    def start(self, name: str, attributes: dict) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        sheet = self.sheet
        if sheet is not None:
            if name == "c":
                sheet.cells += 1
                if sheet.cells > MAX_CELLS:
                    raise ImportFailure(f"工作表有超过{number(MAX_CELLS)}个单元格（含空白单元格）。{LIMIT_ADVICE}")
                ref = attributes.get("r")
                if ref:
                    letters = ref.rstrip(DIGITS)
                    column, row = COLUMNS.get(letters), ref[len(letters):]
                    if column is None or not (row.isascii() and row.isdigit() and len(row) <= 7):
                        raise ImportFailure(f"文件已损坏（单元格位置“{ref[:20]}”无效），或不是 .xlsx 格式的 Excel 工作簿。")
                    sheet.column, sheet.row_number = column, int(row)
                else:
                    sheet.column += 1
                if sheet.row_number > MAX_SHEET_ROWS or sheet.column > MAX_COLUMNS:
                    raise too_far(f"（单元格 {ref}）" if ref else "", sheet.row_number, sheet.column)
                self.shared_cell = attributes.get("t") == "s"
            elif name == "v":
                if self.shared_cell:
                    self.index = []
                    self.parser.CharacterDataHandler = self.index.append
                    self.parser.EndElementHandler = self.end
            elif name == "row":
                sheet.row(attributes.get("r"))
        elif name == "sheetData":  # the part is a worksheet from here on (what follows its rows has no cells)
            self.sheet = SheetScan()
            self.budget.sheets.append(self.sheet)
        elif name == "si":
            if self.lengths is None:
                self.lengths = array("q")
                self.budget.shared_lengths.append(self.lengths)
            if len(self.lengths) >= MAX_CELLS:
                raise ImportFailure(f"文件中的文字超过{number(MAX_CELLS)}段。{LIMIT_ADVICE}")
            self.text = 0
            self.parser.CharacterDataHandler = self.count
            self.parser.EndElementHandler = self.end
        elif name == "dimension":
            check_dimension(attributes.get("ref") or "")

    def end(self, name: str) -> None:
        """The end of a shared text (its length) or of a shared-text cell's value (its index); the elements
        inside a shared text (runs, phonetic hints) end too, and count on."""
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "si":
            self.lengths.append(self.text)
        elif name == "v" and self.sheet is not None:
            index = "".join(self.index).strip()
            self.sheet.shared.append(int(index) if index.isascii() and index.isdigit() and len(index) < 10 else -1)
        else:
            return
        self.parser.CharacterDataHandler = self.parser.EndElementHandler = None

    def count(self, data: str) -> None:
        self.text += len(data)
        if self.text > MAX_TEXT:
            raise ImportFailure(f"文件中有一段文字超过{number(MAX_TEXT)}个字。{LIMIT_ADVICE}")


DIGITS = "0123456789"
COLUMNS = {}  # the columns A … ZZZ by their letters, the way a cell reference names them


def name_columns() -> None:
    letters = [chr(c) for c in range(65, 91)]
    names = letters + [a + b for a in letters for b in letters] + [a + b + c for a in letters for b in letters for c in letters]
    COLUMNS.update((name, column_number(name)) for name in names)


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


name_columns()


def too_far(where: str, row: int, column: int) -> ImportFailure | None:
    """A refusal when (row, column) lies beyond what a sheet may use."""
    if row > MAX_SHEET_ROWS:
        return ImportFailure(f"工作表用到了第{row}行{where}，超过上限{MAX_SHEET_ROWS}行：每个文件最多导入{number(MAX_ROWS)}行数据。"
                             f"请删除多余的行，或分成几个文件导入。")
    if column > MAX_COLUMNS:
        return ImportFailure(f"工作表用到了第{column}列{where}，超过上限{MAX_COLUMNS}列。{LIMIT_ADVICE}")
    return None


def check_dimension(ref: str) -> None:
    """The range a sheet declares it uses (A1:T200): refused when it reaches past the limits."""
    corner = ref.rpartition(":")[2].replace("$", "")
    match = CELL_REF.fullmatch(corner)
    if match:
        refusal = too_far(f"（声明的范围 {ref[:40]}）", int(match.group(2)), column_number(match.group(1)))
        if refusal:
            raise refusal


class SheetScan:
    """The rows and cells of one worksheet, positioned as the reader positions them (the cells by XmlScan.start),
    and the shared texts they show."""

    def __init__(self):
        self.rows = self.cells = 0
        self.row_number = self.column = 0
        self.shared = array("q")  # the index of the shared text each such cell shows
        self.inline = 0  # characters of text written in the cells themselves (an .xls's LABEL records)

    def row(self, number: str | None) -> None:
        self.rows += 1
        if self.rows > MAX_SHEET_ROWS:
            raise ImportFailure(f"工作表有超过{MAX_SHEET_ROWS}行（含空白行）。{LIMIT_ADVICE}")
        self.row_number = int(number) if number and number.isascii() and number.isdigit() and len(number) <= 7 else self.row_number + 1
        self.column = 0
        refusal = too_far("", self.row_number, self.column)
        if refusal:
            raise refusal

    def check_text(self, lengths: array) -> None:
        """Count the shared texts the cells show, each as often as it is shown (once the shared texts are known).
        A package with several parts of shared texts is checked against each: the reader uses one of them."""
        text = sum(lengths[index] if 0 <= index < len(lengths) else 0 for index in self.shared)
        if text > MAX_TEXT:
            raise ImportFailure(f"工作表的文字超过{number(MAX_TEXT)}个字（重复的文字按出现次数计）。{LIMIT_ADVICE}")


def repeat_count(attributes: dict, suffix: str) -> int:
    """An .ods row's or cell's repeat (or span) attribute, 1 when absent; a damaged value refuses the file."""
    for name, value in attributes.items():
        if name.endswith(suffix):
            if not (value.isascii() and value.isdigit() and len(value) <= 9 and int(value) >= 1):
                raise ImportFailure(f"文件已损坏（“{name}”的值“{value[:20]}”无效），或不是 .ods 格式的电子表格。")
            return int(value)
    return 1


class OdsTable:
    """One sheet of an .ods as the reader will hold it: where its last used row and column are, how many cells
    with a value it has and how much text, every repeat multiplied out; its merged ranges."""

    def __init__(self):
        self.row = 0  # rows so far (0-based index of the next row)
        self.cells = self.text = 0
        self.merged: list[tuple[int, int, int, int]] = []


class OdsScan:
    """content.xml of an .ods, parsed as a stream. A row or a cell may say it repeats (number-rows-repeated,
    number-columns-repeated): empty ones cost the reader nothing, and LibreOffice ends every sheet with a million
    empty rows; a repeated cell or row with a value counts as often as it repeats, and refuses the file once it
    would reach past the limits."""

    def __init__(self, name: str):
        self.name = name
        self.tables: list[OdsTable] = []
        self.table: OdsTable | None = None
        self.row_repeat = self.column = self.row_cells = self.row_text = 0
        self.cell_repeat = self.cell_text = 0
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = self.parser.EntityDeclHandler = self.doctype
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end

    def feed(self, chunk: bytes, final: bool = False) -> None:
        self.parser.Parse(chunk, final)

    def doctype(self, *args) -> None:
        raise ImportFailure(f"文件的“{self.name}”部分含有文档类型声明，电子表格中不应出现，可能是异常文件。")

    def start(self, name: str, attributes: dict) -> None:
        name = name.rpartition(":")[2]
        table = self.table
        if name == "table":
            self.table = OdsTable()
            self.tables.append(self.table)
        elif table is None:
            return
        elif name == "table-row":
            self.row_repeat = repeat_count(attributes, "number-rows-repeated")
            self.column = self.row_cells = self.row_text = 0
        elif name in ("table-cell", "covered-table-cell"):
            repeat = repeat_count(attributes, "number-columns-repeated")
            if any(key.endswith("value-type") for key in attributes):
                self.row_cells += repeat
                if self.column + repeat > MAX_COLUMNS or table.row + 1 > MAX_SHEET_ROWS:
                    raise too_far("", table.row + 1, self.column + repeat)
                self.cell_repeat, self.cell_text = repeat, 0
                self.parser.CharacterDataHandler = self.count
            if name == "table-cell":
                rows, columns = repeat_count(attributes, "number-rows-spanned"), repeat_count(attributes, "number-columns-spanned")
                if rows > 1 or columns > 1:
                    if len(table.merged) >= MAX_MERGED:
                        raise ImportFailure(f"工作表有超过{number(MAX_MERGED)}处合并单元格。{LIMIT_ADVICE}")
                    table.merged.append((table.row, self.column, table.row + rows - 1, self.column + columns - 1))
            self.column += repeat

    def count(self, data: str) -> None:
        self.cell_text += len(data)
        if self.cell_text > MAX_TEXT:
            raise ImportFailure(f"文件中有一段文字超过{number(MAX_TEXT)}个字。{LIMIT_ADVICE}")

    def end(self, name: str) -> None:
        name = name.rpartition(":")[2]
        table = self.table
        if table is None:
            return
        if name in ("table-cell", "covered-table-cell"):
            if self.parser.CharacterDataHandler is not None:
                self.row_text += self.cell_text * self.cell_repeat
                self.parser.CharacterDataHandler = None
        elif name == "table-row":
            if self.row_cells:
                last = table.row + self.row_repeat
                if last > MAX_SHEET_ROWS:
                    raise too_far("", last, self.column)
                table.cells += self.row_cells * self.row_repeat
                table.text += self.row_text * self.row_repeat
                if table.cells > MAX_CELLS:
                    raise ImportFailure(f"工作表有超过{number(MAX_CELLS)}个单元格。{LIMIT_ADVICE}")
                if table.text > MAX_TEXT:
                    raise ImportFailure(f"工作表的文字超过{number(MAX_TEXT)}个字（重复的文字按出现次数计）。{LIMIT_ADVICE}")
            table.row += self.row_repeat
        elif name == "table":
            self.table = None


# BIFF8 records of an .xls (Microsoft's [MS-XLS]) that the check reads.
BOF, EOF, FILEPASS, SST, CONTINUE, DIMENSIONS = 0x0809, 0x000A, 0x002F, 0x00FC, 0x003C, 0x0200
WORKSHEET = 0x0010  # a BOF's substream type
ONE_CELL = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0201, 0x0006, 0x0205, 0x00D6}  # NUMBER RK LABELSST LABEL BLANK FORMULA BOOLERR RSTRING
MANY_CELLS = {0x00BD, 0x00BE}  # MULRK, MULBLANK: a row's run of cells
LABELSST, INLINE_TEXT = 0x00FD, {0x0204, 0x00D6}
DAMAGED_XLS = "文件已损坏，或不是 Excel 97-2003 工作簿（.xls）。请在表格软件中“另存为”Excel 工作簿（.xlsx）后再导入。"


def check_xls(data: bytes) -> None:
    """Refuse (ImportFailure) an .xls that is damaged, encrypted or would expand past the limits: every cell record
    of every worksheet is positioned and counted, and the texts of the shared string table are counted in every cell
    that shows them (the reader makes a copy for each)."""
    try:
        with olefile.OleFileIO(data) as ole:
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            if name is None:
                raise ImportFailure(DAMAGED_XLS)
            stream = ole.openstream(name).read(MAX_INFLATED + 1)
    except ImportFailure:
        raise
    except Exception:  # olefile refuses a damaged compound file with many kinds of error
        raise ImportFailure(DAMAGED_XLS) from None
    if len(stream) > MAX_INFLATED:
        raise ImportFailure(f"文件的工作簿部分超过{megabytes(MAX_INFLATED)}。{LIMIT_ADVICE}")
    try:
        sheets, lengths = xls_records(stream)
    except (struct.error, IndexError, ValueError):
        raise ImportFailure(DAMAGED_XLS) from None
    for sheet in sheets:
        sheet.check_text(lengths)


def xls_records(stream: bytes) -> tuple[list["SheetScan"], array]:
    """Walk the workbook stream's records: each worksheet's cells (positions, count, inline text, the shared texts
    they show) and the lengths of the shared texts."""
    sheets: list[SheetScan] = []
    sheet: SheetScan | None = None
    sst: list[bytes] | None = None
    lengths = array("q")
    position = 0
    while position + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, position)
        body = stream[position + 4:position + 4 + size]
        position += 4 + size
        if kind != CONTINUE and sst is not None:
            lengths = sst_lengths(sst)
            sst = None
        if kind == BOF:
            sheet = None
            if len(body) >= 4 and struct.unpack_from("<H", body, 2)[0] == WORKSHEET:
                sheet = SheetScan()
                sheets.append(sheet)
        elif kind == EOF:
            sheet = None
        elif kind == FILEPASS:
            raise ImportFailure("文件已加密（设有打开密码），请取消密码后另存为新文件再导入。")
        elif kind == SST:
            sst = [body]
        elif kind == CONTINUE and sst is not None:
            sst.append(body)
        elif sheet is None:
            continue
        elif kind in ONE_CELL or kind in MANY_CELLS:
            row, first = struct.unpack_from("<HH", body, 0)
            last = struct.unpack_from("<H", body, len(body) - 2)[0] if kind in MANY_CELLS else first
            if last < first:
                raise ValueError("a run of cells that ends before it starts")
            sheet.cells += last - first + 1
            if sheet.cells > MAX_CELLS:
                raise ImportFailure(f"工作表有超过{number(MAX_CELLS)}个单元格（含空白单元格）。{LIMIT_ADVICE}")
            refusal = too_far("", row + 1, last + 1)
            if refusal:
                raise refusal
            if kind == LABELSST:
                sheet.shared.append(struct.unpack_from("<I", body, 6)[0])
            elif kind in INLINE_TEXT:
                sheet.inline += struct.unpack_from("<H", body, 6)[0]
                if sheet.inline > MAX_TEXT:
                    raise ImportFailure(f"工作表的文字超过{number(MAX_TEXT)}个字。{LIMIT_ADVICE}")
        elif kind == DIMENSIONS and len(body) >= 12:
            _, rows, _, columns = struct.unpack_from("<IIHH", body, 0)
            refusal = too_far("（声明的范围）", rows, columns)
            if refusal:
                raise refusal
    if sst is not None:
        lengths = sst_lengths(sst)
    return sheets, lengths


def sst_lengths(parts: list[bytes]) -> array:
    """The length in characters of each text of an SST record and its CONTINUE records. A text's characters may go on
    in the next record, which then starts with a byte saying how wide they are there; its formatting runs and
    phonetic data follow the characters and are skipped."""
    part, offset = 0, 8
    unique = struct.unpack_from("<I", parts[0], 4)[0]
    lengths = array("q")

    def take(count: int) -> bytes:
        nonlocal part, offset
        out = b""
        while len(out) < count:
            if offset >= len(parts[part]):
                part, offset = part + 1, 0
            piece = parts[part][offset:offset + count - len(out)]
            out += piece
            offset += len(piece)
        return out

    for _ in range(min(unique, MAX_CELLS)):
        if part >= len(parts) - 1 and offset >= len(parts[part]):
            break
        characters, flags = struct.unpack("<HB", take(3))
        runs = struct.unpack("<H", take(2))[0] if flags & 0x08 else 0
        extra = struct.unpack("<i", take(4))[0] if flags & 0x04 else 0
        left, wide = characters, flags & 0x01
        while left:
            if offset >= len(parts[part]):  # continued in the next record, which says how wide its characters are
                part, offset = part + 1, 0
                wide = parts[part][0] & 0x01
                offset = 1
            step = min(left, (len(parts[part]) - offset) // (2 if wide else 1))
            if step <= 0:
                raise ValueError("a text that stops inside a character")
            offset += step * (2 if wide else 1)
            left -= step
        take(4 * runs + max(extra, 0))
        lengths.append(characters)
    return lengths
