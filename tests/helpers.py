"""Reading what a page tells the user."""
from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

from sqlalchemy import func, select

from models import db


def field_errors(html: str) -> list[str]:
    """Messages shown under form fields."""
    return [m.strip() for m in re.findall(r"<li>([^<]+)</li>", html)]


def flashes(html: str) -> list[str]:
    """Flashed messages (alerts) on a page."""
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r"</button>\s*([^<]+?)\s*</div>", html)]


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type", "text") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.values.append((name, a.get("value") or ("y" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in a:
            self.values.append((self.select, a.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea = name
            self.values.append((name, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            name, text = self.values[-1]
            self.values[-1] = (name, text + data)


def form_values(html: str) -> dict[str, str | list[str]]:
    """What a browser would submit for a page's main form (its largest POST form: not the navbar's 退出) as it
    stands: inputs, selected options, checked boxes, text areas; a field given twice becomes a list."""
    forms = []
    for match in re.finditer(r'<form[^>]*method="(?:POST|post)"', html):
        reader = _FormReader()
        reader.feed(html[match.start():html.index("</form>", match.start())])
        forms.append(reader.values)
    found: dict[str, str | list[str]] = {}
    for name, value in max(forms, key=len):
        if name in found:
            found[name] = [*([found[name]] if isinstance(found[name], str) else found[name]), value]
        else:
            found[name] = value
    return found


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fingerprint(app, skip: tuple[str, ...] = ("login_attempt",)) -> dict[str, str]:
    """Every table's rows in primary-key order, hashed: equal fingerprints mean that no row was added, removed or
    changed (login attempts are left out: a test's own logins add them)."""
    with app.app_context():
        found = {}
        for table in db.metadata.sorted_tables:
            if table.name not in skip:
                rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
                found[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        db.session.rollback()
        return found


A4_MM = (210, 297)
GONGWEN_MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}  # GB/T 9704


def outside_gongwen_margins(pdf) -> list[str]:
    """What of a PDF's text lies outside the 公文 type area (poppler's word boxes, 3 pt of slack), each page's page
    number aside, which belongs below the text; and the pages without such a number. Empty when it prints right."""
    import re
    import subprocess

    mm = 72 / 25.4
    width, height = (x * mm for x in A4_MM)
    left, right = GONGWEN_MARGINS_MM["left"] * mm - 3, width - GONGWEN_MARGINS_MM["right"] * mm + 3
    top, bottom = GONGWEN_MARGINS_MM["top"] * mm - 3, height - GONGWEN_MARGINS_MM["bottom"] * mm + 3
    layout = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    found = []
    for number, page in enumerate(layout.split("<page ")[1:], start=1):
        words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)]
        folio = [w for w in words if w[1] > bottom and (w[4].isdigit() or w[4] == "—")]
        if not any(w[4].isdigit() for w in folio):
            found.append(f"第{number}页没有页码")
        found += [f"第{number}页“{w[4]}”在版心外（{w[0]:.0f}, {w[1]:.0f}, {w[2]:.0f}, {w[3]:.0f}）"
                  for w in words if w not in folio and (w[0] < left or w[2] > right or w[1] < top or w[3] > bottom)]
    return found
