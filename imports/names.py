"""Names in a file matched to rows the way a clerk would: as written; else after normalising (full-/half-width
brackets, spaces, 有限责任公司 for 有限公司, a missing company suffix), when that leaves exactly one; else not at all,
with the closest names offered (rapidfuzz) for the user to confirm in the preview. Nothing is guessed silently: a
normalised match is said in the preview, a close one waits for the user's choice."""
from __future__ import annotations

from rapidfuzz import fuzz, process

from .cells import name_key
from .workbook import Noted

CLOSE_SCORE = 80  # rapidfuzz's WRatio (0–100) from which a name is offered as a close match
CLOSE_LIMIT = 3  # close names offered for one unknown name


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

    def find(self, name: str):
        """The row `name` means: the row, Noted(row, how it was matched), or ValueError (in Chinese) naming close
        names when there are some."""
        rows = self.exact.get(name, [])
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise ValueError(f"有{len(rows)}个同名的{self.what}“{name}”，无法确定是哪一个")
        if name in self.chosen:
            return Noted(self.chosen[name], f"按您的确认，“{name}”即{self.what}“{self.chosen[name].name}”")
        key = name_key(name, self.company)
        rows = self.keyed.get(key, [])
        if len(rows) == 1:
            return Noted(rows[0], f"“{name}”按{self.what}“{rows[0].name}”匹配（括号、空格或“有限公司”等写法不同）")
        if len(rows) > 1:
            raise ValueError(f"“{name}”与{len(rows)}个{self.what}（{'、'.join(r.name for r in rows[:3])}）写法相近，"
                             f"无法确定是哪一个，请写全称")
        close = self.close(key)
        self.unknown[name] = close
        hint = f"；相近的有：{'、'.join(r.name for r in close)}，请在“请确认以下名称”中选择" if close else ""
        raise ValueError(f"{self.what}“{name}”不存在（或您无权使用）{hint}")

    def close(self, key: str) -> list:
        """The rows whose names are closest to `key` (at least CLOSE_SCORE), best first."""
        found = process.extract(key, self.keys, scorer=fuzz.WRatio, limit=CLOSE_LIMIT, score_cutoff=CLOSE_SCORE)
        return [self.keyed[choice][0] for choice, _, _ in found]

    def by_id(self, pk: int):
        return next((row for rows in self.exact.values() for row in rows if row.id == pk), None)
