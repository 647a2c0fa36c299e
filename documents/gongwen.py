"""The layout of a 公文 as GB/T 9704-2012 sets it, for every Word paper the panel makes (python-docx):

  A4 (210 × 297 mm); margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; body 仿宋_GB2312 三号 (16 pt) on a
  fixed 28.95 pt line (22 lines of 28 characters); title 方正小标宋简体 二号 (22 pt) centred; headings 黑体 (一、) and
  楷体_GB2312 (（一）); 文号 centred under the issuing mark; page numbers 宋体 四号 “— 1 —”, odd pages at the right and
  even pages at the left, one character in; table headers bold and repeated on every page.

A machine without the 公文 fonts (LibreOffice on Linux, WPS or Word on a plain Windows) shows the usual stand-ins:
the font table names them (仿宋_GB2312 → 仿宋, 楷体_GB2312 → 楷体, 方正小标宋简体 → 宋体), and LibreOffice maps all of
them to the CJK serif it has (Noto Serif CJK)."""
from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

from models.text import clean

BODY_FONT, TITLE_FONT, HEADING_FONT, SUBHEADING_FONT, NUMBER_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"
FALLBACKS = {"仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体", "方正小标宋简体": "宋体"}
BODY_SIZE, TITLE_SIZE, NUMBER_SIZE, TABLE_SIZE = 16, 22, 14, 12  # 三号, 二号, 四号, 小四
LINE = Pt(28.95)  # 22 lines on the 225 mm type area
MARGINS = {"top": 37, "bottom": 35, "left": 28, "right": 26}  # mm
RED = RGBColor(0xC0, 0x00, 0x00)
COLOURS = {"蓝色": RGBColor(0x1F, 0x4E, 0x9A), "黄色": RGBColor(0xBF, 0x8F, 0x00), "红色": RED}


def chinese_date(day: date) -> str:
    """成文日期 as papers print it: 2024年10月15日."""
    return f"{day.year}年{day.month}月{day.day}日"


def new_document() -> Document:
    """An empty paper: A4, 公文 margins, 仿宋 三号 on a fixed line, page numbers “— N —” at the outer side."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS["top"]), Mm(MARGINS["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS["left"]), Mm(MARGINS["right"])
    section.header_distance, section.footer_distance = Mm(15), Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, Pt(BODY_SIZE)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    doc.settings.odd_and_even_pages_header_footer = True
    page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)
    name_fallbacks(doc)
    return doc


def set_font(run, font: str, size: float, bold: bool = False, colour: RGBColor | None = None) -> None:
    """A run's font, Chinese and Latin alike (Word keeps the east-Asian font apart)."""
    run.font.name, run.font.size, run.font.bold = font, Pt(size), bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if colour is not None:
        run.font.color.rgb = colour


def text(paragraph, value, font: str = BODY_FONT, size: float = BODY_SIZE, bold: bool = False, colour=None):
    run = paragraph.add_run(clean("" if value is None else str(value)))
    set_font(run, font, size, bold, colour)
    return run


def page_number(paragraph, alignment) -> None:
    """“— N —” in 宋体 四号, one character in from the outer edge."""
    paragraph.alignment = alignment
    indent = Pt(NUMBER_SIZE)
    if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
        paragraph.paragraph_format.right_indent = indent
    else:
        paragraph.paragraph_format.left_indent = indent
    text(paragraph, "— ", NUMBER_FONT, NUMBER_SIZE)
    field = paragraph.add_run()
    set_font(field, NUMBER_FONT, NUMBER_SIZE)
    for kind, code in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif code == " PAGE ":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = code
        else:
            element = OxmlElement("w:t")
            element.text = code
        field._element.append(element)
    text(paragraph, " —", NUMBER_FONT, NUMBER_SIZE)


def name_fallbacks(doc) -> None:
    """Name, in the font table, the common font each 公文 font stands in for where it is missing."""
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    table = parse_xml(part.blob)
    for font, alternative in FALLBACKS.items():
        table.append(parse_xml(f'<w:font {nsdecls("w")} w:name="{font}"><w:altName w:val="{alternative}"/>'
                               f'<w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'))
    from lxml import etree

    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def paragraph(doc, value="", font: str = BODY_FONT, size: float = BODY_SIZE, bold: bool = False, align=None,
              indent: bool = True, colour=None, before: float = 0, after: float = 0):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    elif indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    if before:
        p.paragraph_format.space_before = Pt(before)
    if after:
        p.paragraph_format.space_after = Pt(after)
    if value:
        text(p, value, font, size, bold, colour)
    return p


def issuing_mark(doc, issuer: str, number: str) -> None:
    """发文机关标志 in red 小标宋 and, under it, the 文号 centred above a red rule."""
    paragraph(doc, issuer, TITLE_FONT, 26, align=WD_ALIGN_PARAGRAPH.CENTER, colour=RED)
    p = paragraph(doc, number, BODY_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, before=6)
    rule(p, "C00000", 12)


def rule(paragraph, colour: str, size_eighths: int) -> None:
    """A line under `paragraph` across the type area (the red 版头 rule, a 督办单's coloured one)."""
    borders = parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="{size_eighths}" w:space="6" '
                        f'w:color="{colour}"/></w:pBdr>')
    paragraph._p.get_or_add_pPr().append(borders)


def title(doc, value: str, colour=None) -> None:
    paragraph(doc, value, TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, colour=colour, before=12, after=6)


def heading(doc, value: str) -> None:
    """一、… in 黑体, kept on the page of what follows it."""
    paragraph(doc, value, HEADING_FONT, BODY_SIZE).paragraph_format.keep_with_next = True


def addressee(doc, value: str) -> None:
    paragraph(doc, f"{value}：", indent=False)


def signature(doc, issuer: str, day: date) -> None:
    """署名 and 成文日期, right-aligned four characters in, a line below the text, kept together on one page."""
    for n, value in enumerate((issuer, chinese_date(day))):
        p = paragraph(doc, value, align=WD_ALIGN_PARAGRAPH.RIGHT, before=0 if n else 29)
        p.paragraph_format.right_indent = Pt(BODY_SIZE * 4)
        p.paragraph_format.keep_with_next = not n


def repeat_header(row) -> None:
    trPr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    trPr.append(element)


def cant_split(row) -> None:
    trPr = row._tr.get_or_add_trPr()
    trPr.append(OxmlElement("w:cantSplit"))


def grid(doc, headers: list[str] | None, rows: list[list], widths_mm: list[float] | None = None,
         size: float = TABLE_SIZE, label_column: bool = False):
    """A bordered table in 仿宋 小四: the header row bold (黑体) and repeated on each page; with `label_column`, the first
    column bold as in a form (项目 | 内容)."""
    table = doc.add_table(rows=0, cols=len(headers or rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if headers:
        cells = table.add_row().cells
        repeat_header(table.rows[-1])
        for cell, value in zip(cells, headers):
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            fit(p)
            text(p, value, HEADING_FONT, size, bold=True)
    for values in rows:
        cells = table.add_row().cells
        cant_split(table.rows[-1])
        for index, (cell, value) in enumerate(zip(cells, values)):
            lines = str("" if value is None else value).split("\n")
            p = cell.paragraphs[0]
            fit(p)
            bold = label_column and index == 0
            for n, line in enumerate(lines):
                if n:
                    p = cell.add_paragraph()
                    fit(p)
                text(p, line, HEADING_FONT if bold else BODY_FONT, size, bold=bold)
    if widths_mm:  # Word reads the cells' widths, LibreOffice the grid's: set both, and keep them
        table.autofit = False
        for column, width in zip(table.columns, widths_mm):
            column.width = Mm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths_mm):
                cell.width = Mm(width)
    return table


def fit(paragraph) -> None:
    """Table text on a single line spacing (the body's fixed 28.95 pt would leave tall gaps)."""
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(1)


def page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def to_bytes(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
