"""An uploaded .xlsx checked as a stream before any reader expands it.

A small file can declare or hold an enormous sheet: a cell at XFD1048576 (the reader allocates every cell of the
rectangle up to it, and the process dies), a sheet dimension of a million rows, a 400 MB text compressed into 400 KB,
millions of empty rows, one long text repeated in every cell. Here every member of the package is inflated chunk by
chunk and counted, whatever its header claims; every XML part is parsed as a stream for its rows, cells and texts; and
the first limit passed refuses the whole file with a Chinese message. Nothing is held but counters, so a refused file
costs no more memory than an accepted one.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from array import array
from xml.parsers import expat


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
LIMIT_ADVICE = "请只保留需要导入的工作表和数据，删除多余的行、列后另存为新的 .xlsx 文件再导入。"


class ImportFailure(Exception):
    """The whole file is refused; the message says why, in Chinese. Nothing has been written."""


def check_xlsx(data: bytes) -> None:
    """Refuse (ImportFailure) a package that is not a plain .xlsx or that would expand past the limits."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ImportFailure("文件已损坏，或不是 .xlsx 格式的 Excel 工作簿。") from None
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names or names & {"content.xml", "xl/workbook.bin"}:
        raise ImportFailure("文件已损坏，或不是 .xlsx 格式的 Excel 工作簿。请在表格软件中“另存为”Excel 工作簿（*.xlsx）后再导入。")
    if len(members) > MAX_MEMBERS:
        raise ImportFailure(f"文件由{len(members)}个部分组成，超过上限{MAX_MEMBERS}个。{LIMIT_ADVICE}")
    declared = sum(m.file_size for m in members)
    if declared > MAX_INFLATED:
        raise ImportFailure(f"文件解压后有{megabytes(declared)}，超过上限{megabytes(MAX_INFLATED)}"
                            f"（文件可能含有超大的单元格或大量空白行列）。{LIMIT_ADVICE}")
    budget = Budget()
    for member in members:
        scan_member(data, member, budget)
    for sheet in budget.sheets:
        for lengths in budget.shared_lengths or [array("q")]:
            sheet.check_text(lengths)


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


def scan_member(data: bytes, member: zipfile.ZipInfo, budget: Budget) -> None:
    """Inflate one member as a stream, checking its real size, its checksum and, if it is XML, its content."""
    damaged = ImportFailure(f"文件已损坏（“{member.filename}”部分无法读取），或不是 .xlsx 格式的 Excel 工作簿。")
    if member.flag_bits & 0x1:
        raise ImportFailure("文件已加密（设有打开密码），请取消密码后另存为新的 .xlsx 文件再导入。")
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
    reader: XmlScan | None = None
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
                    reader = XmlScan(member.filename, budget)
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
