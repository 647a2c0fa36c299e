"""Property-based fuzzing (Hypothesis) of every URL family of every role.

One account per role (admin, coordinator, group, handler, leader), each logged in with its own test client, on
the seeded database plus the access matrix's rows (two working groups, two units, two campaigns) and a few
problems further along the workflow, set up once for the module. The views are found in the app's Flask-Admin
registry and what each role may reach in the app's own policy table, so a new view is fuzzed without touching
this file.

Families: model views' lists; details and edit pages by id; edit posts; create posts; the ledger's workflow
steps (GET and POST); the 附件2 export of every ledger listing; the supervision pages and listings (?campaign=,
?days=); report downloads (?kind=&date=&campaign=&format=); the import page (POST of small random files).
Hypothesis writes malformed query strings (page, page_size, sort, desc, search with many terms, very long text,
control characters, SQL-ish text and unicode, flt… filters with huge and negative numbers and impossible dates,
ids such as 1,2 / -1 / 99999999999999999999 / 1e9 / NUL, repeated and badly percent-encoded parameters) and
malformed posts. Every post carries a valid CSRF token (and, on edit forms, the version token of the page just
read), so it reaches the form logic, and at least one value that must be refused: text with a control
character, an id of no row, of a row the user may not see or of another campaign's row, a number beyond 64 bits
or not finite, an impossible or absurd date (2024-02-30, 0001-01-01), a required field left blank, text over the
field's length.

The properties: no response is a server error (status >= 500, or an exception escaping the app) and no request
changes stored data. A cheap summary of every table is compared after every request of the sweep and every
Hypothesis example, and the full fingerprint of every table (row count and a hash of the rows in primary-key
order; login_attempt and last_login_at, which logging in changes, left out) at the end of every test. A change is
reported with the changed rows and then put back, so that Hypothesis shrinks against the original data.

Each family is one Hypothesis test per role (Hypothesis stops at the first failure of each). Before them, a
sweep per role requests every URL family of every view once with fixed malformed values, so that no view is left
to chance, and lists every failure it meets.
"""
from __future__ import annotations

import hashlib
import io
import re
import sys
import textwrap
import traceback
import zipfile
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from flask_admin.contrib.sqla import ModelView
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import Date, DateTime, Integer, Numeric, String, func, inspect, literal, select, union_all
from werkzeug.datastructures import MultiDict

from admin import access
from models import scope
from imports import IMPORTERS as IMPORTS
from models import Campaign, Enterprise, Person, Problem, Unit, User, db
from models.base import CampaignOwnedMixin
from models.vocab import ROLES
from models.workflow import STEPS
from tests.conftest import csrf_token, empty_all_tables, login, make_app, make_user, restore, stored_columns
from tests.factories import miluo, named, scoped_world

# --- the properties ---------------------------------------------------------------------------------------

IGNORED_TABLES = {"login_attempt"}  # every login writes one
IGNORED_COLUMNS = {"last_login_at"}  # a login sets it


def fuzz(max_examples: int):
    """Deterministic and bounded; no example database (nothing written outside the test), and no "explain"
    phase, which re-runs a failing example under a line tracer: minutes on an app this size."""
    return settings(derandomize=True, max_examples=max_examples, deadline=None, database=None, print_blob=False,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def table_rows(table) -> list[tuple]:
    columns = [c for c in table.columns if c.name not in IGNORED_COLUMNS]
    order = list(table.primary_key.columns) or columns
    return [tuple(row) for row in db.session.execute(select(*columns).order_by(*order))]


def fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and a hash of the rows of every table, in primary-key order."""
    found = {}
    for table in db.metadata.sorted_tables:
        if table.name in IGNORED_TABLES:
            continue
        rows = table_rows(table)
        found[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return found


def quick_state_query():
    """Row count, sum of ids and of versions and the latest update of every table, in one query: cheap enough for
    after every request, and any write through the app changes it (every write adds an audit_log row)."""
    parts = []
    for table in db.metadata.sorted_tables:
        if table.name in IGNORED_TABLES:
            continue
        columns = [func.count()]
        for name in ("id", "version"):
            integer = name in table.c and isinstance(table.c[name].type, Integer)
            columns.append(func.coalesce(func.sum(table.c[name]), 0) if integer else literal(0))
        columns.append(func.max(table.c.updated_at) if "updated_at" in table.c else literal(None))
        parts.append(select(literal(table.name), *columns).select_from(table))
    return union_all(*parts)


def row_changes(table, before: list[tuple]) -> str:
    """The rows of `table` added, removed or changed since `before`, keyed by primary key."""
    columns = [c.name for c in table.columns if c.name not in IGNORED_COLUMNS]
    keys = [columns.index(c.name) for c in table.primary_key.columns] or list(range(len(columns)))

    def keyed(rows):
        return {tuple(row[i] for i in keys): row for row in rows}

    old, new = keyed(before), keyed(table_rows(table))
    lines = []
    for key in sorted(old.keys() | new.keys(), key=repr):
        if old.get(key) == new.get(key):
            continue
        if key not in new:
            lines.append(f"  removed {key}: {old[key]!r:.300}")
        elif key not in old:
            lines.append(f"  added {key}: {dict(zip(columns, new[key]))!r:.600}")
        else:
            diff = {c: (a, b) for c, a, b in zip(columns, old[key], new[key]) if a != b}
            lines.append(f"  changed {key}: {diff!r:.600}")
    return "\n".join(lines[:12] + ([f"  … and {len(lines) - 12} more"] if len(lines) > 12 else []))


# --- the world: one logged-in client per role, the app's views, and the rows to aim at --------------------

def ledger_base(view):
    """The class that brings the workflow steps; its subclasses that narrow the list are the 督办 listings."""
    from admin.steps import StepsMixin  # the steps' page and buttons (admin/steps/view.py)

    return next(c for c in reversed(type(view).__mro__) if issubclass(c, StepsMixin) and c is not StepsMixin)


class World:
    def __init__(self, app):
        self.app = app
        registry = app.extensions["admin"][0]
        self.model_views = [v for v in registry._views if isinstance(v, ModelView)]
        self.pages = [v for v in registry._views if not isinstance(v, ModelView) and v is not registry.index_view]
        self.ledgers = [v for v in self.model_views if hasattr(v, "step_view")]
        self.listings = [v for v in self.ledgers if type(v).listing is not ledger_base(v).listing]  # 督办 listings
        self.reports = next(v for v in self.pages if hasattr(v, "download_view"))
        self.imports = next(v for v in self.pages if hasattr(v, "confirm"))
        self.clients, self.tokens, self.user_ids = {}, {}, {}
        self._cache: dict = {}

    # what the app's policy table lets each role reach
    def views(self, role: str, op: str) -> list[ModelView]:
        return [v for v in self.model_views if access.allows(role, v.endpoint, op)]

    def page_views(self, role: str) -> list:
        return [v for v in self.pages if role in access.PAGES.get(v.endpoint, ROLES)]

    def steps(self, role: str, view) -> list[str]:
        return [name for name in STEPS if access.allows_action(role, view.endpoint, name, view.action_family)]

    # rows, looked up once
    def cached(self, key, make):
        if key not in self._cache:
            with self.app.app_context():
                self._cache[key] = make()
                db.session.remove()
        return self._cache[key]

    def user(self, role: str) -> User:
        return db.session.get(User, self.user_ids[role])

    def ids(self, model) -> list[int]:
        return self.cached(("ids", model), lambda: list(db.session.scalars(select(model.id).order_by(model.id))))

    def campaigns_of(self, model) -> dict[int, int | None]:
        """{id: campaign id} of the rows of a campaign-owned table."""
        return self.cached(("campaigns", model), lambda: dict(db.session.execute(select(model.id, model.campaign_id)).all()))

    def visible(self, role: str, model) -> set[int]:
        return self.cached(("visible", role, model), lambda: set(db.session.scalars(
            scope.scope_query(select(model.id), model, self.user(role)))))

    def writable(self, role: str, model) -> list[int]:
        return self.cached(("writable", role, model), lambda: sorted(db.session.scalars(
            scope.scope_query(select(model.id), model, self.user(role), write=True))))

    def row_campaign(self, model, pk: int) -> int | None:
        from models.audit import audit_campaign

        return self.cached(("row_campaign", model, pk), lambda: audit_campaign(db.session.get(model, pk)))

    def home(self) -> int:
        return self.cached("home", lambda: miluo().id)

    # the requests, each recorded for the falsifying example's report
    def get(self, role: str, url: str):
        note(f"{role}: GET {url[:3000]}")
        response = self.clients[role].get(url)
        if response.status_code >= 500:
            raise AssertionError(f"{role}: GET {url[:500]} -> {response.status_code}")
        return response

    def post(self, role: str, url: str, data, **kwargs):
        note(f"{role}: POST {url[:3000]} {shown(data)}")
        response = self.clients[role].post(url, data=data, **kwargs)
        if response.status_code >= 500:
            raise AssertionError(f"{role}: POST {url[:500]} {shown(data)} -> {response.status_code}")
        return response

    # the data must not change
    def take_baseline(self):
        with self.app.app_context():
            self.snapshot = [(t, [dict(r._mapping) for r in db.session.execute(select(*stored_columns(t)))])
                             for t in db.metadata.sorted_tables]
            self.before = {t.name: table_rows(t) for t in db.metadata.sorted_tables if t.name not in IGNORED_TABLES}
            self.baseline = fingerprint()
            self.quick_query = quick_state_query()  # built once: building it costs ten times running it
            self.quick_baseline = self.quick_state()
            db.session.remove()

    def changed(self, full: bool = False) -> str | None:
        """What changed since the baseline (the changed rows, table by table), after putting the data back.
        Unless `full`, a cheap summary of every table is compared first, and the rows only if it differs."""
        with self.app.app_context():
            if not full and self.quick_state() == self.quick_baseline:
                db.session.remove()
                return None
            now = fingerprint()
            if now == self.baseline:
                db.session.remove()
                return None
            tables = {t.name: t for t in db.metadata.sorted_tables}
            report = "\n".join(f"{name}: {self.baseline[name][0]} -> {now[name][0]} rows\n{row_changes(tables[name], self.before[name])}"
                               for name in now if now[name] != self.baseline[name])
            db.session.rollback()
            self.put_back([name for name in now if now[name] != self.baseline[name]])
            db.session.remove()
            return report

    def put_back(self, names: list[str]) -> None:
        """Write the baseline rows of tables `names` back: removed rows first (parents before children), then
        changed ones, then delete added rows (children first). Should that fail, every table is rewritten."""
        tables = [(t, rows) for t, rows in self.snapshot if t.name in names]
        try:
            plans = []
            for table, rows in tables:
                columns = stored_columns(table)
                keys = [c.name for c in table.primary_key.columns]
                old = {tuple(r[k] for k in keys): r for r in rows}
                new = {tuple(r._mapping[k] for k in keys): dict(r._mapping) for r in db.session.execute(select(*columns))}
                plans.append((table, keys, old, new))
            for table, keys, old, new in plans:
                if missing := [old[k] for k in old.keys() - new.keys()]:
                    db.session.execute(table.insert(), sorted(missing, key=lambda r: [r[k] for k in keys]))
            for table, keys, old, new in plans:
                for key in old.keys() & new.keys():
                    if old[key] != new[key]:
                        db.session.execute(table.update().where(*(table.c[k] == v for k, v in zip(keys, key))).values(old[key]))
            for table, keys, old, new in reversed(plans):
                for key in new.keys() - old.keys():
                    db.session.execute(table.delete().where(*(table.c[k] == v for k, v in zip(keys, key))))
            db.session.commit()
        except Exception:  # noqa: BLE001 - fall back on rewriting every table
            db.session.rollback()
            empty_all_tables()
            restore(self.snapshot)

    def example(self, run, *args):
        """Run one example; then the data must be as it was."""
        try:
            run(self, *args)
        except BaseException:
            self.changed()  # put the data back for the next example, whatever failed
            raise
        finally:
            for client in self.clients.values():  # flashes of redirects nobody followed would pile up in the cookie
                with client.session_transaction() as session:
                    session.pop("_flashes", None)
        change = self.changed()
        if change:
            raise AssertionError(f"the data changed:\n{change}")

    def quick_state(self) -> dict[str, tuple]:
        return {name: tuple(rest) for name, *rest in db.session.execute(self.quick_query)}

    def assert_unchanged(self):
        """Every row of every table as it was (the full fingerprint), at the end of a test."""
        change = self.changed(full=True)
        if change:
            raise AssertionError(f"the data changed during the test:\n{change}")


def shown(data) -> str:
    if isinstance(data, MultiDict):
        return repr([(k, v if not hasattr(v, "read") else "<file>") for k, v in data.items(multi=True)])[:1500]
    return repr(data)[:1500]


@pytest.fixture(scope="module")
def world(db_url, seed_snapshot):
    """The seeded database, the access matrix's rows, a few problems at later steps, and one client per role."""
    app = make_app(db_url)
    with app.app_context():
        empty_all_tables()
        restore(seed_snapshot)
        scoped_world()
        later_problems()
        some_files()
    fuzzed = World(app)
    for role in ROLES:
        fuzzed.user_ids[role] = make_user(app, f"fuzz-{role}", role)
        client = app.test_client()
        assert login(client, f"fuzz-{role}").status_code == 302
        fuzzed.clients[role] = client
        fuzzed.tokens[role] = csrf_token(client.get("/admin/").text)
    fuzzed.take_baseline()
    yield fuzzed
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def some_files() -> None:
    """A picture on a problem's timeline, one on a visit and a document on a report (models.attachments)."""
    from PIL import Image

    from models import ProblemUpdate, Report, Visit, attachments

    picture = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 0, 0)).save(picture, "JPEG")
    checked = attachments.checked_files([("现场.jpg", picture.getvalue())], miluo())
    line = db.session.scalars(select(ProblemUpdate).order_by(ProblemUpdate.id)).first()
    attachments.attach(checked, None, problem_update=line)
    attachments.attach(checked, None, visit=db.session.scalars(select(Visit).order_by(Visit.id)).first())
    attachments.attach([attachments.Checked("周调度.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")], None,
                       report=db.session.scalars(select(Report).order_by(Report.id)).first())
    db.session.commit()


def later_problems() -> None:
    """Problems of 市发改局 (the handler's unit) in progress, awaiting an extension, flagged, resolved and closed,
    so that every workflow step has a problem it may be taken on."""
    from models.steps import StepName
    from models.workflow import record

    firm = named(Enterprise, "甲企业（合成）")
    fgj, person = named(Unit, "市发改局"), named(Person, "林恒求")
    common = dict(campaign=miluo(), enterprise=firm, responsible_unit=fgj, lead_person=person,
                  assigned_on=date(2024, 9, 10), deadline=date(2024, 10, 10))
    rows = [
        Problem(description="丙问题：办理中，申请延期", status="办理中", extension_requested_until=date(2024, 11, 1), flagged=True, **common),
        Problem(description="丙问题：已办结", status="已办结", resolution="已解决", resolved_on=date(2024, 9, 30), **common),
        Problem(description="丙问题：已销号", status="已销号", resolution="已解决", resolved_on=date(2024, 9, 30),
                closed_on=date(2024, 10, 2), satisfaction="满意", escalation_level="省级", **common),
    ]
    db.session.add_all(rows)
    for problem in rows:
        record(problem, None, StepName.PROGRESS)
    db.session.commit()


# --- values -----------------------------------------------------------------------------------------------

# not allowed in XML 1.0, so in no .xlsx or .docx cell; \x00 is also refused by PostgreSQL text
CONTROL = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
HUGE = ["99999999999999999999", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "1" + "0" * 40, "-99999999999999999999", "2147483648", "-2147483648", "4294967296"]
NUMBERS = HUGE + ["-1", "0", "1", "2", "1e9", "1e309", "-0", "1.5", "1,2", "+1", " 1", "1 ", "0x10", "NaN", "inf",
                  "abc", "", "²", "①", "٣", "１２", "߁", "𝟙", "1_000", "00000000000000000001"]
BAD_DATES = ["0001-01-01", "9999-12-31", "2024-13-45", "2024-02-30", "0000-00-00", "2024-00-10", "10000-01-01",
             "2024-2-3", "20240230", "2024/02/30", "-2024-01-01", "2024-W60", "2024-12-32", "1900-02-29",
             "2023-02-29", "0001-01-01T00:00:00", "9999-12-31 23:59:59", "2024-02-29", "２０２４-０１-０１"]
SQLISH = ["' OR '1'='1", "'; DROP TABLE problem; --", "%", "_", "\\", "%' --", '" OR 1=1 --', "%%%", "[", "*",
          "1) UNION SELECT 1,2,3--", "NULL", "' || '", "\\%", "%_%", "ESCAPE '\\'", "/*", "--", ";"]
UNICODE = ["汨罗", "🚀", "e\u0301", "\u202e反转", "\ufeff", "\u200b", "𠀀", "Ｓｊｙ", "ǅ", "ß", "İ", "ﷺ", "\u3000",
           "SJY-2024-0001", "=1+1", "@SUM(A1)", "-2", "+3", "<script>alert(1)</script>", "{{7*7}}", "${7*7}"]
WORDS = ["问题", "企业", "SJY", "2024", "%", "_", "a", "汨罗", "OR", "'", "1", "甲"]
RAW = ["%00", "%ZZ", "%C0%80", "%FF%FE", "%", "%E4%B8", "%2", "&&&", "=", "==", "a=b=c", "%u0041", "%0a", "%0d%0a"]
BAD_IDS = ["1,2", "-1", "0", "99999999999999999999", "1e9", "999999", "2147483648", " 1", "1 ", "+1", "１", "²",
           "0x1", "1.0", "", "abc", "1 OR 1=1", "\x00", "1;2", "[1]", "١"]

control_char = st.sampled_from(CONTROL)


@st.composite
def with_control(draw, base=None):
    """Text with at least one control character in it."""
    text = draw(base if base is not None else st.text(max_size=20))
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(control_char) + text[at:]


def long_text(low=300, high=5000):
    return st.builds(lambda piece, n: (piece * n)[:n], st.sampled_from(["a", "汨", "%", " ", "a b ", "' ", "\x01"]),
                     st.integers(low, high))


nasty_text = st.one_of(
    st.sampled_from(SQLISH + UNICODE + BAD_DATES + HUGE),
    st.text(max_size=40),
    with_control(),
    st.lists(st.sampled_from(WORDS + SQLISH), min_size=2, max_size=200).map(" ".join),  # many search terms
    long_text(),
)
number_like = st.one_of(st.sampled_from(NUMBERS), st.integers(-10**25, 10**25).map(str), st.integers(0, 40).map(str))
date_like = st.one_of(st.sampled_from(BAD_DATES), st.dates().map(date.isoformat),
                      st.tuples(st.integers(-1, 10000), st.integers(-1, 13), st.integers(-1, 40)).map(lambda t: "%04d-%02d-%02d" % t))


def encode(params: list[tuple[str, str]], raw: list[str] = ()) -> str:
    """A query string, with badly encoded fragments put in verbatim."""
    return "&".join([f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params] + list(raw))


@st.composite
def repeated_and_raw(draw, params):
    """The same parameter twice, and fragments that are not valid percent-encoding, now and then."""
    if params and draw(st.integers(0, 3)) == 0:
        key, _ = draw(st.sampled_from(params))
        params = params + [(key, draw(st.one_of(number_like, nasty_text)))]
    raw = draw(st.lists(st.sampled_from(RAW), max_size=1))
    return encode(params, raw)


def filter_value(flt):
    kind = type(flt).__name__
    if "Between" in kind:
        return st.tuples(date_like, date_like).map(" to ".join) | st.sampled_from(["to", " to ", "2024-01-01 to", "x to y"])
    if "DateTime" in kind:
        return st.one_of(date_like, date_like.map(lambda d: d + " 25:61:61"), st.sampled_from(BAD_DATES))
    if "Date" in kind:
        return date_like
    if "Boolean" in kind:
        return st.sampled_from(["1", "0", "2", "-1", "x", "", "99999999999999999999"])
    options = flt.options if isinstance(flt.options, list | tuple) else []
    return st.one_of(st.sampled_from([str(v) for v, _ in options] or ["1"]), number_like, nasty_text)


@st.composite
def list_query(draw, view):
    """page, page_size, sort, desc, search, flt… and days, each perhaps malformed."""
    params = []
    for key in ("page", "page_size", "sort", "desc", "days"):
        if draw(st.booleans()):
            params.append((key, draw(number_like)))
    if view.column_searchable_list and draw(st.booleans()):
        params.append(("search", draw(nasty_text)))
    filters = list((view._filter_args or {}).items())
    for _ in range(draw(st.integers(0, 3)) if filters else 0):
        position = draw(st.sampled_from(["0", "1", "2", "9", "99999999999999999999", "-1", "x", ""]))
        if draw(st.integers(0, 5)):
            key, (_, flt) = draw(st.sampled_from(filters))
            value = draw(filter_value(flt))
        else:
            key, value = draw(st.sampled_from(["999", "-1", "x", "", "1_2", "99999999999999999999"])), draw(nasty_text)
        params.append((f"flt{position}_{key}", value))
    return draw(repeated_and_raw(params))


def id_query(ids, key="id"):
    """?id= an existing row (visible or not to the user) or a malformed one, perhaps repeated."""
    one = st.one_of(st.sampled_from(ids).map(str), st.sampled_from(BAD_IDS), number_like) if ids else st.sampled_from(BAD_IDS)
    extra = st.lists(st.tuples(st.sampled_from(["url", "page", "search", "flt0_0", "modal"]), nasty_text), max_size=1)
    return st.builds(lambda v, more: [(key, v), *more], one, extra).flatmap(repeated_and_raw)


# --- forms ------------------------------------------------------------------------------------------------

class FormParser(HTMLParser):
    """The forms of a page: for each, its fields in order, as a browser would see them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.form = self.select = self.textarea = self.option = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = {"attrs": a, "fields": []}
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            self.form["fields"].append({"name": a["name"], "tag": "input", "type": kind, "attrs": a,
                                        "values": [a.get("value", "y" if kind == "checkbox" else "")]
                                        if kind not in ("checkbox", "radio") or "checked" in a else []})
        elif tag == "select" and a.get("name"):
            self.select = {"name": a["name"], "tag": "select", "type": "select", "attrs": a, "values": [], "options": []}
            self.form["fields"].append(self.select)
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
            self.select["options"].append(self.option)
        elif tag == "textarea" and a.get("name"):
            self.textarea = {"name": a["name"], "tag": "textarea", "type": "textarea", "attrs": a, "values": [""]}
            self.form["fields"].append(self.textarea)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["values"][0] += data
        if self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            self.textarea["values"][0] = re.sub(r"^\r?\n", "", self.textarea["values"][0])
            self.textarea = None
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            for option in self.select["options"]:
                if option["value"] is None:
                    option["value"] = option["text"].strip()
            chosen = [o["value"] for o in self.select["options"] if o["selected"]]
            if not chosen and self.select["options"] and "multiple" not in self.select["attrs"]:
                chosen = [self.select["options"][0]["value"]]
            self.select["values"] = chosen
            self.select = None
        elif tag == "form":
            self.form = None


def main_form(html: str) -> list[dict] | None:
    """The fields of a page's data form (Flask-Admin's and the step pages' forms have the class admin-form)."""
    forms = FormParser(html).forms
    forms = [f for f in forms if "admin-form" in f["attrs"].get("class", "")] or [
        f for f in forms if f["attrs"].get("method", "get").lower() == "post"]
    return max(forms, key=lambda f: len(f["fields"]))["fields"] if forms else None


class Field:
    """A form field, with what kind of value it takes (from the page and the model)."""

    def __init__(self, raw: dict, model):
        self.name, self.raw, self.values = raw["name"], raw, list(raw["values"])
        attrs = raw["attrs"]
        mapper = inspect(model)
        self.relation = mapper.relationships.get(self.name) if self.name in mapper.relationships else None
        column = model.__table__.columns.get(self.name)
        self.required = "required" in attrs
        self.multiple = "multiple" in attrs or attrs.get("data-multiple") == "1" or bool(self.relation and self.relation.uselist)
        self.max_length = int(attrs["maxlength"]) if attrs.get("maxlength", "").isdigit() else (
            getattr(column.type, "length", None) if column is not None and isinstance(column.type, String) else None)
        role = attrs.get("data-role", "")
        if self.name in ("csrf_token", "version_token") or raw["type"] in ("hidden",) and not self.relation and "select2" not in role:
            self.kind = "hidden"
        elif self.relation is not None:
            self.kind = "relation"
        elif raw["type"] == "checkbox":
            self.kind = "bool"
        elif raw["type"] == "password":
            self.kind = "password"
        elif raw["type"] == "file":
            self.kind = "file"
        elif raw["tag"] == "select":
            self.kind = "choice"
        elif role == "datetimepicker" or column is not None and isinstance(column.type, DateTime):
            self.kind = "datetime"
        elif role == "datepicker" or column is not None and isinstance(column.type, Date):
            self.kind = "date"
        elif raw["type"] == "number" or column is not None and isinstance(column.type, Integer | Numeric):
            self.kind = "number"
        else:
            self.kind = "text"
        self.options = [o["value"] for o in raw.get("options", []) if o["value"] not in ("", "__None")]

    @property
    def target(self):
        return self.relation.mapper.class_ if self.relation is not None else None


def campaign_bearing(relation) -> bool:
    return issubclass(relation.mapper.class_, CampaignOwnedMixin)


BAD_NUMBERS = HUGE[:6] + ["1e9", "12abc", "0x1F", "NaN", "Infinity", "-Infinity", "1e999", "--1"]
BAD_POST_DATES = ["0001-01-01", "2024-02-30", "2024-13-45", "0000-00-00", "99999-01-01", "2023-02-29"]
BAD_POST_DATETIMES = ["0001-01-01 00:00:00", "2024-02-30 10:00:00", "2024-13-45 00:00", "2024-01-01 25:61:00"]
BAD_RELATION_IDS = ["999999", "99999999999999999999", "-1", "abc", "0", "１", "\x00"]


def bad_values(world, role, model, field: Field, fields: list[Field], values: dict, row_campaign) -> dict[str, list]:
    """Values `field` must refuse, by why: {reason: [values]}. The first of each is the one the sweep posts."""
    found = {}
    current = (field.values or [""])[0]
    if field.kind == "text":
        found["control character"] = [current + "\x01", "\x0b" + current, current[:1] + "\x00" + current[1:], "\x1f"]
        if field.max_length:
            found["text too long"] = ["字" * (field.max_length + 1), "a" * (field.max_length + 3)]
    elif field.kind == "number":
        found["number out of range or malformed"] = BAD_NUMBERS
    elif field.kind == "date":
        found["impossible or absurd date"] = BAD_POST_DATES
    elif field.kind == "datetime":
        found["impossible or absurd date"] = BAD_POST_DATETIMES
    elif field.kind == "choice":
        found["value not among the choices"] = ["不存在的选项", "\x01", "99999999999999999999"]
    elif field.kind == "relation":
        target = field.target
        found["id of no row"] = BAD_RELATION_IDS + ([] if field.multiple else ["1,2"])
        unseen = sorted(set(world.ids(target)) - world.visible(role, target))
        if unseen:
            found["id of a row the user may not see"] = [str(pk) for pk in unseen]
        if row_campaign is not None and issubclass(target, CampaignOwnedMixin):
            others = [f for f in fields if f is not field and f.relation is not None and f.name != "campaign"
                      and campaign_bearing(f.relation) and any(v not in ("", "__None") for v in values[f.name])]
            if role != "admin" or (field.name != "campaign" and (issubclass(model, CampaignOwnedMixin) or others)):
                foreign = [str(pk) for pk, c in world.campaigns_of(target).items() if c != row_campaign]
                if foreign:
                    found["id of another campaign's row"] = foreign
        if field.multiple:
            found = {why: [values[field.name] + [v] for v in vs] for why, vs in found.items()}
    if field.required and field.kind not in ("bool", "hidden", "file"):
        # sent blank, as a browser sends a cleared field (left out, a field may legitimately keep its default)
        found["required value missing"] = [""]
    return found


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def form_data(fields: list[Field], values: dict) -> MultiDict:
    data = MultiDict()
    for f in fields:
        for value in values[f.name]:
            data.add(f.name, value)
    return data


noise_text = st.one_of(st.sampled_from(SQLISH + UNICODE),
                       st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30))


@st.composite
def malformed_post(draw, world, role, model, raw_fields, row_campaign, fill=None):
    """The form's own values (filled in where `fill` says), with one to three values it must refuse and perhaps
    some harmless noise in other text fields."""
    fields = [Field(raw, model) for raw in raw_fields]
    values = {f.name: list(f.values) for f in fields}
    if fill is not None:
        fill(fields, values)
    candidates = [(f, found) for f in fields if (found := bad_values(world, role, model, f, fields, values, row_campaign))]
    assert candidates, f"no field of {model.__name__} to put a bad value in: {[f.name for f in fields]}"
    bad = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3, unique_by=lambda c: c[0].name))
    # Another campaign's row is wrong only next to rows of this one: on a table without a campaign of its own,
    # once one link points there, the other links are left as they are (two such links could agree).
    anchored = issubclass(model, CampaignOwnedMixin)
    moved = False
    for f, found in bad:
        if f.relation is not None and not anchored and moved:
            continue
        reason = draw(st.sampled_from(sorted(found)))
        options = [st.sampled_from(found[reason])]
        if reason == "control character":
            options.append(with_control(st.one_of(st.just((f.values or [""])[0]), st.text(max_size=12))))
        values[f.name] = as_list(draw(st.one_of(*options)))
        moved = moved or f.relation is not None
        note(f"refused value expected ({reason}): {f.name}={values[f.name]!r:.200}")
    quiet = [f for f in fields if f.kind == "text" and f.name not in {b.name for b, _ in bad}]
    for f in draw(st.lists(st.sampled_from(quiet), max_size=2, unique_by=lambda f: f.name)) if quiet else []:
        text = draw(noise_text)
        values[f.name] = [text[: f.max_length] if f.max_length else text]
    return form_data(fields, values)


def create_fill(world, role):
    """Plausible values for a new row's required fields, so that the bad value is what the form must refuse."""
    home = world.home()

    def fill(fields, values):
        for f in fields:
            if f.name == "campaign" and f.relation is not None:  # (a browser would send a dropdown's first option)
                values[f.name] = [str(home)]
            elif f.kind in ("hidden", "bool", "file") or any(v not in ("", "__None") for v in values[f.name]):
                continue
            elif f.kind == "password":
                values[f.name] = ["fuzz-password-123"]
            elif not f.required:
                continue
            elif f.kind == "relation":
                owned = world.campaigns_of(f.target) if issubclass(f.target, CampaignOwnedMixin) else {}
                usable = [pk for pk in sorted(world.visible(role, f.target)) if owned.get(pk, home) == home]
                usable = [pk for pk in usable if not f.options or str(pk) in f.options]
                values[f.name] = [str(usable[0])] if usable else []
            elif f.kind == "choice":
                values[f.name] = f.options[:1]
            elif f.kind == "date":
                values[f.name] = ["2024-09-20"]
            elif f.kind == "datetime":
                values[f.name] = ["2024-09-20 10:00:00"]
            elif f.kind == "number":
                values[f.name] = ["1"]
            else:
                values[f.name] = ["模糊测试" + f.name]
    return fill


# --- the families -----------------------------------------------------------------------------------------

def draw_view(data, views, label="view"):
    """One of `views`, drawn (and reported) by its endpoint."""
    endpoint = data.draw(st.sampled_from([v.endpoint for v in views]), label=label)
    return next(v for v in views if v.endpoint == endpoint)


def list_pages(world, role, data):
    view = draw_view(data, world.views(role, "list"))
    world.get(role, f"{view.url}/?{data.draw(list_query(view), label='query')}")


def record_pages(world, role, data):
    view = draw_view(data, world.views(role, "details"))
    query = data.draw(id_query(world.ids(view.model)), label="query")
    world.get(role, f"{view.url}/details/?{query}")
    if access.allows(role, view.endpoint, "edit"):
        world.get(role, f"{view.url}/edit/?{query}")


def edit_posts(world, role, data):
    targets = [v for v in world.views(role, "edit") if world.writable(role, v.model)]
    view = draw_view(data, targets)
    pk = data.draw(st.sampled_from(world.writable(role, view.model)), label="id")
    url = f"{view.url}/edit/?id={pk}"
    page = world.get(role, url)
    assert page.status_code == 200, f"{role} may edit {view.endpoint} {pk} but the form is {page.status_code}"
    fields = main_form(page.text)
    post = data.draw(malformed_post(world, role, view.model, fields, world.row_campaign(view.model, pk)), label="post")
    world.post(role, url, post)


def create_posts(world, role, data):
    view = draw_view(data, world.views(role, "create"))
    url = f"{view.url}/new/"
    page = world.get(role, url)
    assert page.status_code == 200, f"{role} may create {view.endpoint} but the form is {page.status_code}"
    fields = main_form(page.text)
    post = data.draw(malformed_post(world, role, view.model, fields, world.home(), create_fill(world, role)), label="post")
    world.post(role, url, post)


def ledger_steps(world, role, data):
    view = draw_view(data, [v for v in world.ledgers if world.steps(role, v)])
    step = data.draw(st.sampled_from(world.steps(role, view)) | st.sampled_from(
        ["nope", "ASSIGN", "assign ", "%00", "..", "a" * 300, "删除"]), label="step")
    problems = world.ids(Problem)
    one = st.sampled_from(problems).map(str) | st.sampled_from(BAD_IDS)
    wanted = data.draw(st.lists(one, min_size=1, max_size=4), label="ids")
    query = data.draw(st.sampled_from(["ids", "id"]).flatmap(lambda key: repeated_and_raw([(key, ",".join(wanted))])), label="query")
    url = f"{view.url}/step/{quote(step, safe='')}/?{query}"
    page = world.get(role, url)
    fields = main_form(page.text) if page.status_code == 200 else None
    if fields is None:
        return
    if not any(f["name"] != "csrf_token" for f in fields):  # no form to fill: a post with only the token
        return
    seen = world.visible(role, Problem)  # the form is that of the first of the problems the user may see
    shown_first = min(int(i) for i in ",".join(wanted).split(",") if i.strip().isascii() and i.strip().isdigit() and int(i) in seen)
    row_campaign = world.row_campaign(Problem, shown_first)
    post = data.draw(malformed_post(world, role, Problem, fields, row_campaign), label="post")
    world.post(role, url, post)


def annex2_exports(world, role, data):
    view = draw_view(data, world.views(role, "export"))
    world.get(role, f"{view.url}/annex2/?{data.draw(list_query(view), label='query')}")


def campaign_param(world):
    return st.one_of(st.sampled_from(world.ids(Campaign)).map(str), st.sampled_from(BAD_IDS), number_like)


def supervision_pages(world, role, data):
    pages = world.page_views(role) + world.listings
    view = draw_view(data, pages, label="page")
    params = data.draw(st.lists(st.tuples(st.sampled_from(["campaign", "days", "page", "x", "campaign"]),
                                          st.one_of(campaign_param(world), number_like, nasty_text)), max_size=3), label="params")
    world.get(role, f"{view.url}/?{data.draw(repeated_and_raw(params), label='query')}")


def report_kinds(world) -> list[str]:
    page = world.clients["admin"].get(f"{world.reports.url}/").text
    return sorted(set(re.findall(r'name="kind" value="(\w+)"', page)) | set(re.findall(r"kind=(\w+)", page)))


def report_downloads(world, role, data):
    kinds = world.cached("report kinds", lambda: report_kinds(world))
    params = [("kind", data.draw(st.sampled_from(kinds) | st.sampled_from(["", "nope", "PROBLEMS", "../x"]), label="kind"))]
    params.append(("date", data.draw(st.one_of(date_like, st.sampled_from(["", "today", "2024-09-15"])), label="date")))
    if data.draw(st.booleans()):
        params.append(("campaign", data.draw(campaign_param(world), label="campaign")))
    if data.draw(st.booleans()):
        params.append(("format", data.draw(st.sampled_from(["docx", "xlsx", "DOCX", "pdf", "", "docx\x00"]), label="format")))
    world.get(role, f"{world.reports.url}/download?{data.draw(repeated_and_raw(params), label='query')}")


def headers_of(kind: str) -> tuple[str, ...]:
    return getattr(sys.modules[IMPORTS[kind].run.__module__], "HEADERS", ())


cell_value = st.one_of(
    st.none(), st.sampled_from(SQLISH + UNICODE + BAD_DATES + list(STEPS) + ["待交办", "已交办", "已办结", "已销号",
                                                                              "市发改局", "甲企业（合成）", "工作组（循环园）"]),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30), st.integers(-10**20, 10**20),
    st.floats(allow_nan=False), st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(["SJY-2024-0001", "SJY-2024-0002", "SSYF-0001", "SJY-2024-9999"]),
)


@st.composite
def upload(draw, kinds):
    """A small file: random bytes, an empty file, a zip that is no workbook, or a workbook with the import's
    header (or a damaged one) and a few rows of odd cells."""
    shape = draw(st.sampled_from(["bytes", "empty", "zip", "book", "book", "book"]))
    name = draw(st.sampled_from(["问题清单.xlsx", "a.xlsx", "../../etc/passwd.xlsx", "x.csv", "", "a" * 300 + ".xlsx",
                                 "名单\x01.xlsx", "😀.XLSX"]))
    if shape == "bytes":
        return draw(st.binary(max_size=300)), name
    if shape == "empty":
        return b"", name
    out = io.BytesIO()
    if shape == "zip":
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr(draw(st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "a.txt"])), draw(st.binary(max_size=200)))
        return out.getvalue(), name
    headers = list(headers_of(draw(st.sampled_from(kinds))))
    if headers and draw(st.integers(0, 4)) == 0:
        del headers[draw(st.integers(0, len(headers) - 1))]
    book = Workbook()
    sheet = book.active
    for _ in range(draw(st.integers(0, 2))):
        sheet.append([draw(cell_value) for _ in range(3)])
    sheet.append(headers)
    for _ in range(draw(st.integers(0, 4))):
        sheet.append([draw(cell_value) for _ in headers])
    return xlsx(book), name


def imports(world, role, data):
    kinds = sorted(IMPORTS)
    kind = data.draw(st.sampled_from(kinds) | st.sampled_from(["", "nope", "users"]), label="kind")
    content, name = data.draw(upload(kinds), label="file")
    query = data.draw(st.lists(st.tuples(st.just("campaign"), campaign_param(world)), max_size=1).flatmap(repeated_and_raw), label="query")
    post = MultiDict([("csrf_token", world.tokens[role]), ("kind", kind), ("file", (io.BytesIO(content), name))])
    world.post(role, f"{world.imports.url}/?{query}", post, content_type="multipart/form-data")


# --- the sweep: every URL family of every view once, with fixed values, every failure listed -----------

class Sweep:
    """Requests whose failures are collected rather than raised, so that one run lists them all."""

    def __init__(self, world, role):
        self.world, self.role, self.failures, self.forms = world, role, [], 0
        self.posts_per_form = 2

    def request(self, method: str, url: str, data=None, why: str | None = None, **kwargs):
        client = self.world.clients[self.role]
        where = f"{self.role}: {method} {url[:300]}" + (f" {why or shown(data)[:800]}" if data is not None else "")
        response = None
        try:
            response = client.get(url) if method == "GET" else client.post(url, data=data, **kwargs)
            if response.status_code >= 500:
                self.failures.append(f"{where}\n  -> {response.status_code}")
        except Exception as error:  # noqa: BLE001 - every exception escaping the app is a failure to list
            frames = traceback.extract_tb(error.__traceback__)
            ours = [f for f in frames if "/site-packages/" not in f.filename and "/tests/" not in f.filename] or frames
            self.failures.append(f"{where}\n  -> {type(error).__name__}: {str(error)[:300]} "
                                 f"(at {ours[-1].filename}:{ours[-1].lineno})")
        with client.session_transaction() as session:
            session.pop("_flashes", None)
        change = self.world.changed()
        if change:
            self.failures.append(f"{where}\n  -> the data changed:\n" + textwrap.indent(change, "     "))
        return response

    def post_each_bad_value(self, url: str, page, model, row_campaign, fill=None) -> None:
        """Post the form of `page` once for each reason a value must be refused (the first field it applies to)."""
        if page is None or page.status_code != 200:
            self.failures.append(f"{self.role}: GET {url} -> {getattr(page, 'status_code', None)}, expected the form")
            return
        fields = [Field(raw, model) for raw in main_form(page.text) or []]
        values = {f.name: list(f.values) for f in fields}
        if fill is not None:
            fill(fields, values)
        chosen = {}  # reason -> (field, value): the first field each reason applies to
        for f in fields:
            for reason, bad in bad_values(self.world, self.role, model, f, fields, values, row_campaign).items():
                chosen.setdefault(reason, (f, bad[0]))
        reasons = sorted(chosen)
        self.forms += 1
        for reason in [reasons[(self.forms + k) % len(reasons)] for k in range(min(self.posts_per_form, len(reasons)))]:
            f, bad = chosen[reason]
            self.request("POST", url, form_data(fields, {**values, f.name: as_list(bad)}), why=f"{f.name}={bad!r:.80} ({reason})")


def fixed_queries(view, i: int, many_terms: bool = False) -> list[str]:
    """Two malformed list queries for the i-th view: paging and sorting, then search and every filter (or, with
    `many_terms`, a search of over a thousand words alone)."""
    paging = [("page", HUGE[i % len(HUGE)]), ("page_size", NUMBERS[i % len(NUMBERS)]), ("sort", NUMBERS[(i + 7) % len(NUMBERS)]),
              ("desc", "99999999999999999999"), ("days", ["²", "99999999999999999999", "-1", "①"][i % 4]), ("page", "-1")]
    search = [("search", " ".join(WORDS * (90 if many_terms else 1)) + " " + SQLISH[i % len(SQLISH)] + CONTROL[i % len(CONTROL)])]
    for key, (_, flt) in (view._filter_args or {}).items() if not many_terms else ():  # (the search alone)
        kind, n = type(flt).__name__, int(key) + i
        value = ("0001-01-01 to 9999-12-31" if "Between" in kind else ["0001-01-01", "9999-12-31", "2024-13-45"][n % 3]
                 if "Date" in kind else ["²", HUGE[n % len(HUGE)], UNICODE[n % len(UNICODE)]][n % 3])
        search.append((f"flt{key}_{key}", value))
    return [encode(paging, [RAW[i % len(RAW)]]), encode(search)]


def step_target(world, role: str, step: str) -> int | None:
    """A problem `role` may take `step` on now."""
    from models.workflow import refusal

    def find():
        user, writable = world.user(role), set(world.writable(role, Problem))
        return next((p.id for p in db.session.scalars(select(Problem).order_by(Problem.id))
                     if p.id in writable and refusal(step, p, user) is None), None)
    return world.cached(("step target", role, step), find)


def sweep_role(world, role: str) -> list[str]:
    sweep = Sweep(world, role)
    searchable = [v for v in world.views(role, "list") if v.column_searchable_list]
    for i, view in enumerate(world.views(role, "list")):
        sweep.request("GET", f"{view.url}/?{fixed_queries(view, i)[i % 2]}")
        if view is searchable[0] and role == ROLES[0]:  # a search of over a thousand words (slow: once a run)
            sweep.request("GET", f"{view.url}/?{fixed_queries(view, i, many_terms=True)[1]}")
    for i, view in enumerate(world.views(role, "details")):
        ids = world.ids(view.model)
        odd = encode([("id", BAD_IDS[i % len(BAD_IDS)]), ("url", "http://example.com/")])
        if ids and i % 2:
            sweep.request("GET", f"{view.url}/details/?" + encode([("id", str(ids[-1])), ("id", "99999999999999999999")]))
        else:
            sweep.request("GET", f"{view.url}/details/?{odd}")
        if access.allows(role, view.endpoint, "edit"):
            sweep.request("GET", f"{view.url}/edit/?{odd}")
    for view in world.views(role, "edit"):
        if rows := world.writable(role, view.model):
            url = f"{view.url}/edit/?id={rows[0]}"
            sweep.post_each_bad_value(url, sweep.request("GET", url), view.model, world.row_campaign(view.model, rows[0]))
    for view in world.views(role, "create"):
        url = f"{view.url}/new/"
        sweep.post_each_bad_value(url, sweep.request("GET", url), view.model, world.home(), create_fill(world, role))
    for view in world.ledgers:
        targets = [(step, pk) for step in world.steps(role, view) if (pk := step_target(world, role, step)) is not None]
        if view in world.listings:  # the listings share the ledger's steps: one try each, with extra ids
            for step, pk in targets[:1]:
                sweep.request("GET", f"{view.url}/step/{step}/?ids={pk},99999999999999999999,-1,{max(world.ids(Problem))}")
            continue
        for step, pk in targets:
            url = f"{view.url}/step/{step}/?ids={pk}"
            sweep.post_each_bad_value(url, sweep.request("GET", url), Problem, world.row_campaign(Problem, pk))
    for i, view in enumerate(world.views(role, "export")):
        many = i == 0 and role == ROLES[0]
        sweep.request("GET", f"{view.url}/annex2/?{fixed_queries(view, i, many_terms=many)[1 if many else i % 2]}")
    campaigns = world.ids(Campaign)
    for view in world.page_views(role) + world.listings:
        sweep.request("GET", f"{view.url}/?campaign=99999999999999999999&campaign={campaigns[-1]}&days=%C2%B2")
    if role in access.PAGES.get(world.reports.endpoint, ()):
        for kind in world.cached("report kinds", lambda: report_kinds(world)):
            for day in ("0001-01-01", "9999-12-31") if kind in ("weekly", "dekad") else ("2024-13-45",):
                sweep.request("GET", f"{world.reports.url}/download?" + encode(
                    [("kind", kind), ("date", day), ("campaign", str(campaigns[0])), ("format", "docx")]))
    from models import Attachment  # each file and its thumbnail, and ids that are none (admin.attachments)

    for pk in [*world.ids(Attachment), 0, 99999999999999999999]:
        for tail in ("", "/thumb", "/thumb/x"):
            sweep.request("GET", f"/admin/attachment/{pk}{tail}")
    for kind in sorted(IMPORTS):
        book = Workbook()
        book.active.append(list(headers_of(kind)))
        book.active.append(["\u202e", 99999999999999999999, "9999-12-31", "SJY-2024-9999", "=1+1", "0001-01-01", None, -1.5] * 4)
        for content in (b"PK\x03\x04 damaged", xlsx(book)):
            sweep.request("POST", f"{world.imports.url}/?campaign={campaigns[0]}", MultiDict(
                [("csrf_token", world.tokens[role]), ("kind", kind), ("file", (io.BytesIO(content), "问题清单.xlsx"))]),
                content_type="multipart/form-data")
    return sweep.failures


def xlsx(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the tests: every family, for every role --------------------------------------------------------------

def needs(world, role, available) -> None:
    assert available, f"the policy gives {role} nothing of this kind: leave the role out of the test's parameters"


EDITORS = [role for role in ROLES if any("edit" in ops.get(role, ()) for ops in access.POLICY.values())]  # (handlers
# and leaders edit no record: what they change, they change by workflow steps)


@pytest.mark.parametrize("role", ROLES)
def test_every_url_family_of_every_view_once(world, role):
    """Nothing left to chance: every list, details and edit page, every form (two posts, each with one value to
    refuse, the reasons taken in turn from form to form), every workflow step, export, supervision page, report and
    import the role may reach, once, with fixed malformed values; all failures listed together."""
    failures = sweep_role(world, role)
    change = world.changed(full=True)
    failures += [f"{role}: the data changed during the sweep:\n{change}"] if change else []
    if failures:
        raise AssertionError(f"{len(failures)} failures:\n" + "\n".join(failures))


# Each family of requests, how many examples each role gets, and what of the policy it needs (None: every role).
FAMILIES = {
    "lists": (list_pages, 25, lambda world, role: world.views(role, "list")),
    "details_and_edit_pages": (record_pages, 20, lambda world, role: world.views(role, "details")),
    "edit_posts": (edit_posts, 16, lambda world, role: [v for v in world.views(role, "edit") if world.writable(role, v.model)]),
    "create_posts": (create_posts, 12, lambda world, role: world.views(role, "create")),
    "ledger_steps": (ledger_steps, 10, lambda world, role: [v for v in world.ledgers if world.steps(role, v)]),
    "annex2_exports": (annex2_exports, 10, lambda world, role: world.views(role, "export")),
    "supervision_pages": (supervision_pages, 10, None),
    "report_downloads": (report_downloads, 6, lambda world, role: role in access.PAGES.get(world.reports.endpoint, ())),
    "imports": (imports, 10, None),
}
CASES = [(family, role) for family in FAMILIES for role in (EDITORS if family == "edit_posts" else ROLES)]


@pytest.mark.parametrize("family, role", CASES)
def test_malformed_requests(world, family, role):
    """Hypothesis's examples of one family for one role: no server error, no change to any table."""
    requests, examples, reach = FAMILIES[family]
    if reach is not None:
        needs(world, role, reach(world, role))

    @fuzz(examples)
    @given(data=st.data())
    def run(data):
        world.example(requests, role, data)

    run()
    world.assert_unchanged()
