"""Names in a file matched to rows the way a clerk would: as written; else after normalising (traditional characters
as simplified, full-/half-width brackets, spaces — full-width ones too —, 有限责任公司 for 有限公司, a missing company
suffix), when that leaves exactly one; else not at all, with the closest names offered (rapidfuzz) for the user to
confirm in the preview. Nothing is guessed silently: a normalised match is said in the preview, with how the name was
written otherwise, and a close one waits for the user's choice."""
from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

from seeds.normalise import simplified

from .cells import name_key
from .workbook import Noted

CLOSE_SCORE = 80  # rapidfuzz's WRatio (0–100) from which a name is offered as a close match
CLOSE_LIMIT = 3  # close names offered for one unknown name
SPACES = re.compile(r"\s+")


class Names:
    """The rows of one kind (enterprises, units, working groups, people) a file may name, by name."""

    def __init__(self, rows, what: str, company: bool = False, chosen: dict[str, object] | None = None):
        self.what, self.company = what, company
        self.exact: dict[str, list] = {}
        self.keyed: dict[str, list] = {}
        for row in rows:
            self.exact.setdefault(row.name, []).append(row)
            self.keyed.setdefault(name_key(row.name, company), []).append(row)
        self.keys = list(self.keyed)
        self.chosen = chosen or {}  # a name in the file → the row the user confirmed for it
        self.unknown: dict[str, list] = {}  # names found nowhere → the close rows offered
        self.ids: dict[int, object] | None = None

    def match(self, name: str):
        """The row `name` means when it is one as written or once normalised: the row, Noted(row, how it was matched),
        or None when there is none; ValueError (in Chinese) when several rows answer to it."""
        rows = self.exact.get(name, [])
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise ValueError(f"有{len(rows)}个同名的{self.what}“{name}”，无法确定是哪一个")
        if name in self.chosen:
            return Noted(self.chosen[name], f"按您的确认，“{name}”即{self.what}“{self.chosen[name].name}”")
        rows = self.keyed.get(name_key(name, self.company), [])
        if len(rows) == 1:
            return Noted(rows[0], f"“{name}”按{self.what}“{rows[0].name}”匹配（{written_otherwise(name, rows[0].name)}）")
        if len(rows) > 1:
            raise ValueError(f"“{name}”与{len(rows)}个{self.what}（{'、'.join(r.name for r in rows[:3])}）写法相近，"
                             f"无法确定是哪一个，请写全称")
        return None

    def find(self, name: str):
        """The row `name` means: the row, Noted(row, how it was matched), or ValueError (in Chinese) naming close
        names when there are some."""
        found = self.match(name)
        if found is not None:
            return found
        if name not in self.unknown:  # a name the file repeats is looked for once
            self.unknown[name] = self.close(name_key(name, self.company))
        close = self.unknown[name]
        hint = f"；相近的有：{'、'.join(r.name for r in close)}，请在“请确认以下名称”中选择" if close else ""
        raise ValueError(f"{self.what}“{name}”不存在（或您无权使用）{hint}")

    def close(self, key: str) -> list:
        """The rows whose names are closest to `key` (at least CLOSE_SCORE), best first."""
        found = process.extract(key, self.keys, scorer=fuzz.WRatio, limit=CLOSE_LIMIT, score_cutoff=CLOSE_SCORE)
        return [self.keyed[choice][0] for choice, _, _ in found]

    def by_id(self, pk: int):
        """The row with id `pk` among these, or None."""
        if self.ids is None:
            self.ids = {row.id: row for rows in self.exact.values() for row in rows}
        return self.ids.get(pk)


def written_otherwise(written: str, stored: str) -> str:
    """How a name was written otherwise than the stored one it was matched to (name_key made them one), in Chinese:
    繁体字, 全角空格 or 空格, full-width or half-width characters, a company suffix."""
    said = []
    if simplified(written) != written:
        said.append("繁体字按简体读")
    if "\u3000" in written:
        said.append("全角空格")
    elif SPACES.search(written):
        said.append("空格")
    rest, target = (SPACES.sub("", simplified(name)) for name in (written, stored))
    if rest != target:
        same_width = unicodedata.normalize("NFKC", rest).lower() == unicodedata.normalize("NFKC", target).lower()
        said.append("全角、半角字符不同（如括号）" if same_width else "括号或公司名称后缀不同（如“有限责任公司”“有限公司”或省略）")
    return "；".join(said)
