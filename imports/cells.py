"""Headers and cell values as offices write them, read the way a clerk reads them.

A header is found by its name, not its place: full-width and half-width forms are one (NFKC), traditional characters
read as simplified (OpenCC), spaces and line breaks inside it go, a trailing “*” or “（必填）” goes, and a few other
names offices use for a column mean the column (SYNONYMS). Under a group cell of a two-row header (责任单位 merged over
牵头 / 配合) a column is named by the group and its sub-name together when that is a known name (责任单位牵头,
责任单位配合), else by its sub-name alone (进展 under 办理情况).

A date may be a date cell, an Excel serial number, or text such as 2024-9-18, 2024.9.18, 2024/9/18, 2024年9月18日,
20240918 or 9月18日 (the year then taken from the sheet's 填报时间, else the campaign's); 是/否 may be √/×, 有/无, Y/N.
Whatever was read differently from how it was written is said, cell by cell, in the preview.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from models.annex2 import HEADER_OF
from models.vocab import NO, YES
from seeds.normalise import simplified

# Other names of a column, as offices write them (each is compared after header_key). The README lists them. 附件2's
# columns are named by models.annex2, which alone spells their headers.
SYNONYMS = {
    HEADER_OF["number"]: ("编号", "问题编码"),
    HEADER_OF["enterprise"]: ("企业", "企业全称", "企业名", "市场主体名称", "企业（单位）名称", "单位名称"),
    HEADER_OF["enterprise.town"]: ("所在镇", "所在乡镇", "所在镇（街道）", "所在镇（街道、园区）", "镇（园区）", "乡镇（园区）", "所属镇（园区）", "所属乡镇"),
    HEADER_OF["category"]: ("问题类别", "问题分类", "类型", "类别"),
    HEADER_OF["description"]: ("问题", "问题内容", "存在问题", "存在的问题", "具体问题", "问题简述", "问题及诉求"),
    HEADER_OF["demand"]: ("诉求", "诉求内容", "企业需求", "意见建议", "企业意见建议"),
    HEADER_OF["collected_by_body"]: ("工作组", "收集单位", "收集组", "反映工作组"),
    HEADER_OF["collected_on"]: ("收集日期", "反映时间", "反映日期", "发现时间", "走访时间"),
    HEADER_OF["responsible_unit"]: ("牵头单位", "主办单位", "承办单位", "责任部门",
                                    "责任单位牵头", "责任单位主办", "责任单位牵头单位", "责任单位主办单位"),
    HEADER_OF["co_units"]: ("配合单位", "协助单位", "协办部门", "责任单位配合", "责任单位协办", "责任单位配合单位",
                            "责任单位协办单位"),
    HEADER_OF["lead_person"]: ("负责人", "领办人"),
    HEADER_OF["supervisor"]: ("跟踪督办人", "督办责任人"),
    HEADER_OF["deadline"]: ("时限", "完成时限", "办结时限", "办理期限"),
    HEADER_OF["progress"]: ("进展", "进展情况", "办理情况", "办理进度"),
    HEADER_OF["status"]: ("状态",),
    HEADER_OF["satisfaction"]: ("企业满意度", "企业评价"),
    HEADER_OF["remark"]: ("说明",),
    "统一社会信用代码": ("信用代码", "社会信用代码", "统一代码", "统一社会信用代码（注册号）"),
    "所有制": ("企业性质", "经济类型", "所有制类型"),
    "规上企业": ("是否规上", "是否规上企业", "规模以上", "是否规模以上企业"),
    "行业": ("所属行业", "行业类别", "行业分类"),
    "联系电话": ("电话", "手机", "手机号码", "联系方式"),
    "联点工作组": ("联系工作组", "挂点工作组", "联点组"),
}
REQUIRED_MARK = re.compile(r"\((?:必填|选填|可选|必须填写)\)")
TITLE_DATE = re.compile(r"填报(?:时间|日期)\s*[:：]?\s*(.+)")
FULL_DATE = re.compile(r"(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?")
COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
SHORT_DATE = re.compile(r"(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?")
CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
CHINESE_DATE = re.compile(r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})[日号]")
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0, as its serial numbers count (1900 date system)
SERIALS = (20_000, 80_000)  # serial numbers that are plausibly dates (1954 to 2119)
TRUE_WORDS = {YES, "√", "✓", "✔", "有", "Y", "y", "YES", "Yes", "yes", "对", "1"}
FALSE_WORDS = {NO, "×", "✗", "✘", "无", "N", "n", "NO", "No", "no", "0"}
# A row that is a note under the table, not data: its first cell starts so (填表说明, 合计 …).
NOTE_STARTS = ("填表说明", "说明：", "说明:", "注：", "注:", "备注：", "备注:", "合计", "小计", "总计", "填表人", "审核人",
               "制表人", "制表：", "制表:", "联系人：", "联系人:", "联系电话：", "联系电话:")


def header_key(value) -> str:
    """A header as compared: in simplified characters, NFKC (full-width letters, digits and brackets as half-width), no
    whitespace anywhere, no trailing required-marks."""
    text = unicodedata.normalize("NFKC", simplified(str(value if value is not None else "")))
    text = re.sub(r"\s+", "", text)
    text = REQUIRED_MARK.sub("", text)
    return text.strip("*※:")


def header_names(canonical: tuple[str, ...]) -> dict[str, str]:
    """Every accepted spelling of the given headers (header_key of each name and synonym) → its header."""
    names = {}
    for header in canonical:
        for name in (header, *SYNONYMS.get(header, ())):
            names.setdefault(header_key(name), header)
    return names


def is_note(value) -> bool:
    text = str(value).strip() if value is not None else ""
    return bool(text) and text.startswith(NOTE_STARTS)


def title_date(values) -> date | None:
    """The 填报时间 a title row states (填报时间：2024年9月20日), if any."""
    for value in values:
        match = TITLE_DATE.search(str(value)) if isinstance(value, str) else None
        if match:
            try:
                day, _ = read_date(match.group(1).strip(), None)
                return day
            except ValueError:
                return None
    return None


def read_date(value, year: int | None, year_source: str = "") -> tuple[date | None, str | None]:
    """A cell as a date, and a note when it was written otherwise than as a date (how it was read); ValueError in
    Chinese when it is not one. `year` is taken for a date written without one (9月18日); without it such a date is
    refused."""
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value == int(value) and SERIALS[0] <= value <= SERIALS[1]:
            day = EXCEL_EPOCH + timedelta(days=int(value))
            return day, f"Excel 日期序号 {int(value)} 读作 {day:%Y-%m-%d}"
        if value == int(value) and COMPACT_DATE.fullmatch(str(int(value))):
            value = str(int(value))
        else:
            raise ValueError(f"无法识别的日期“{value}”，请写成 2024-09-08 的形式")
    raw = str(value).strip()
    text = unicodedata.normalize("NFKC", raw)
    for pattern in (FULL_DATE, COMPACT_DATE):
        match = pattern.fullmatch(text)
        if match:
            day = checked_date(raw, *map(int, match.groups()))
            return day, None if raw == f"{day:%Y-%m-%d}" else f"“{raw}”读作 {day:%Y-%m-%d}"
    match = CHINESE_DATE.fullmatch(text)
    if match:
        day = checked_date(raw, int(match.group(1).translate(CHINESE_DIGITS)), chinese_number(match.group(2)),
                           chinese_number(match.group(3)))
        return day, f"“{raw}”读作 {day:%Y-%m-%d}"
    match = SHORT_DATE.fullmatch(text)
    if match:
        if year is None:
            raise ValueError(f"日期“{raw}”没有写年份，表头上方也没有填报时间可参照，请写成 2024-09-08 的形式")
        day = checked_date(raw, year, *map(int, match.groups()))
        return day, f"“{raw}”未写年份，按{year_source or ''}{'的年份' if year_source else ''}{year}年读作 {day:%Y-%m-%d}"
    raise ValueError(f"无法识别的日期“{raw[:40]}”，请写成 2024-09-08 的形式")


def chinese_number(text: str) -> int:
    """一 … 三十一 as a number."""
    if "十" not in text:
        return int(text.translate(CHINESE_DIGITS))
    tens, _, ones = text.partition("十")
    return (int(tens.translate(CHINESE_DIGITS)) if tens else 1) * 10 + (int(ones.translate(CHINESE_DIGITS)) if ones else 0)


def checked_date(raw: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"“{raw}”不是有效的日期") from None


def read_yes_no(value) -> tuple[bool | None, str | None]:
    """是/否 (also √/×, 有/无, Y/N, 1/0) as True/False, with a note when written otherwise than 是 or 否."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return value, None
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
    if text in TRUE_WORDS:
        return True, None if text == YES else f"“{text}”读作“{YES}”"
    if text in FALSE_WORDS:
        return False, None if text == NO else f"“{text}”读作“{NO}”"
    raise ValueError(f"应填“{YES}”或“{NO}”（也可写 √/×），当前为“{text[:20]}”")


COMPANY_TAILS = ("股份有限公司", "有限公司", "有限责任公司", "公司")


def name_key(name: str, company: bool = False) -> str:
    """A name (or a problem's description) as compared when it is not found as written: in simplified characters, NFKC
    (brackets, digits, letters half-width), no spaces (full-width ones included), ASCII letters in one case; for an
    enterprise also 有限责任公司 as 有限公司 and without the company suffix, so that 湖南金龍(汨罗)新材料有限責任公司 and
    湖南金龙（汨罗）新材料 are one."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", simplified(name))).lower()
    if company:
        text = text.replace("有限责任公司", "有限公司")
        for tail in COMPANY_TAILS:
            if text.endswith(tail) and len(text) > len(tail) + 1:
                return text[: -len(tail)]
    return text
