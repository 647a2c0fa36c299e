"""Text that XML 1.0 cannot carry: the control characters other than tab, line feed and carriage return, and the two
non-characters U+FFFE and U+FFFF. A workbook or Word document containing one cannot be written (openpyxl and
python-docx refuse it), so such text is refused at every way in and removed on every way out. And what a file's name
may hold where an HTTP header carries it (file_name)."""
from __future__ import annotations

import re
import unicodedata

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def control_character(value) -> str | None:
    """The first forbidden character of `value` as a reader can name it (\\x01), or None when there is none."""
    if not isinstance(value, str):
        return None
    found = FORBIDDEN.search(value)
    return None if found is None else f"\\x{ord(found.group()):02x}" if ord(found.group()) < 0x100 else f"\\u{ord(found.group()):04x}"


def refusal(what: str, value) -> str | None:
    """The Chinese message refusing `value` for `what` (a field or column), or None when the text is fine."""
    found = control_character(value)
    if found is None:
        return None
    return f"{what}含有不可见的控制字符（{found}，常见于从其他系统复制的文字），请删除后重新填写。"


def clean(value):
    """`value` without the forbidden characters (other values as they are), for files made from stored text."""
    return FORBIDDEN.sub("", value) if isinstance(value, str) else value


QUOTES = "\"'"


def file_name(name: str) -> str:
    """`name` fit to store as a file's name and to send in a Content-Disposition header: line breaks and tabs become
    spaces; quotes, other control characters and invisible formatting characters (a right-to-left override can make
    “exe.jpg” read “gpj.exe”) are removed."""
    kept = []
    for character in clean(name or ""):
        kind = unicodedata.category(character)
        if character in "\t\r\n" or kind in ("Zl", "Zp"):
            kept.append(" ")
        elif kind not in ("Cc", "Cf", "Cs") and character not in QUOTES:
            kept.append(character)
    return re.sub(" {2,}", " ", "".join(kept)).strip()
