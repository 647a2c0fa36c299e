"""The one idempotent seed loader: `flask --app app seed` reads seeds/data/*.yaml into the database.

Rows are found by their natural key (a campaign's name, a unit's name within its campaign, a task's
number…) and created only when missing; existing rows, including ones staff have since edited, are
left as they are, so running the loader twice changes nothing. Every row it creates carries its
provenance: the source document and the exact excerpt, which is checked against the document first.
"""
from __future__ import annotations

import copy
import re
from collections import Counter
from datetime import date
from functools import lru_cache
from pathlib import Path

import click
from flask.cli import with_appcontext
import yaml
from sqlalchemy import inspect, select

from models import (
    Body,
    BodyUnit,
    Campaign,
    Enterprise,
    Event,
    Person,
    PolicyDocument,
    Post,
    Problem,
    SourceDocument,
    StatedFigure,
    Task,
    Term,
    Unit,
    db,
    local_now,
)
from models.calendar import estimate_unpublished, load_package_calendar
from models.terms import VOCABULARIES
from models.base import ProvenanceMixin
from cli import CliError
from models.errors import DomainError
from models.periods import report_day

from .normalise import normalise

SEED_DIR = Path(__file__).resolve().parent
DATA_DIR = SEED_DIR / "data"
SOURCE_DIR = SEED_DIR / "sources"

TABLE_LABELS = {
    "enterprise_group": "联点关系",
    "visit": "走访",
    "problem_co_unit": "协办关系",
    "problem_update": "办理进展",
    "report": "报送",
    "source_document": "来源文件",
    "campaign": "专项行动",
    "stated_figure": "文件所述数据",
    "unit": "单位",
    "person": "人员",
    "body": "机构",
    "body_unit": "参加单位",
    "post": "职务安排",
    "policy": "政策",
    "task": "任务",
    "event": "会议",
    "enterprise": "企业",
    "problem": "问题",
    "term": "词条",
}


# The keys each kind of entry may have; anything else is a typo or a YAML quoting slip, and is refused.
KEYS = {
    "document": {"code", "file", "title", "normalise"},
    "campaign": {"name", "code", "doc_number", "issuer", "issued_on", "region", "parent_document", "goals",
                 "start_on", "end_on", "excerpt", "yellow_days", "stale_days", "due_soon_days", "ranking_min_problems",
                 "deadline_days", "escalate_days", "doc_prefix", "supervisor_required"},
    "vocabularies": set(VOCABULARIES),
    "terms": {"value", "default_days", "satisfied", "retired"},
    "figures": {"label", "value", "unit", "counted", "excerpt"},
    "units": {"name", "names", "kind", "kinds", "full_name", "full_names", "excerpt"},
    "people": {"name", "position", "unit", "phone", "excerpt"},
    "bodies": {"name", "full_name", "kind", "parent", "lead_unit", "duties", "dissolves_at_end", "excerpt",
               "units", "posts"},
    "body_units": {"role", "names", "excerpt"},
    "posts": {"role", "person", "sending_unit", "note", "excerpt"},
    "policies": {"title", "doc_number", "level", "issuer", "domain", "excerpt"},
    "tasks": {"code", "section", "parent", "title", "content", "responsible_text", "responsible_unit",
              "responsible_body", "submitter_kinds", "recipient_text", "start_on", "due_on", "due_text",
              "recurrence", "recurrence_day", "recurrence_text", "report_kind", "target_text", "target_value",
              "target_unit", "excerpt"},
    "enterprises": {"name", "credit_code", "ownership", "industry", "excerpt"},
    "events": {"title", "kind", "held_on", "date_text", "organiser", "co_organiser", "venue", "attendance_total",
               "attendance_cadres", "attendance_enterprises", "summary", "excerpt"},
    "problems": {"enterprise", "description", "demand", "category", "nature", "source", "collected_by", "remark",
                 "status", "flagged", "escalation_level", "excerpt"},
}


CHINESE_DIGITS = "零一二三四五六七八九"


def number_forms(value) -> list[str]:
    """How a document may write a number: 27 as "27"; below 100 also 二十七 (and 两 for 2)."""
    number = int(value) if float(value).is_integer() else value
    forms = [str(number)]
    if isinstance(number, int) and 0 <= number < 100:
        tens, ones = divmod(number, 10)
        chinese = ((CHINESE_DIGITS[tens] if tens > 1 else "") + "十" if tens else "") + (CHINESE_DIGITS[ones] if ones or not tens else "")
        forms.append(chinese)
        if number == 2:
            forms.append("两")
    return forms


def without_dates(excerpt: str) -> str:
    """A task's content from its excerpt: the passages that say what to do, without those that only give the date's
    year or month (……2024年9月)."""
    passages = excerpt.split(ProvenanceMixin.EXCERPT_SEPARATOR)
    kept = [p for p in passages if p and not re.fullmatch(r"(决定于)?\d{4}年(\d{1,2}月)?(\d{1,2}日)?", p)]
    return ProvenanceMixin.EXCERPT_SEPARATOR.join(kept or passages)


class SeedError(Exception):
    """A seed file is wrong; the message says where, in Chinese."""


@lru_cache(maxsize=16)
def _parse_yaml(text: str):
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_yaml(text: str):
    """Parse YAML safely (with libyaml when present); a fresh copy each time, as the loader may not change the cache."""
    return copy.deepcopy(_parse_yaml(text))


class CampaignSeed:
    """Loads one campaign's YAML file."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = read_yaml(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise SeedError(f"{path.name}：无法读取种子文件（{error}）") from None
        self.created: Counter[str] = Counter()
        self.document: SourceDocument | None = None
        self.campaign: Campaign | None = None

    # --- helpers ---
    def fail(self, message: str):
        raise SeedError(f"{self.path.name}：{message}")

    def cite(self, item: dict, where: str) -> dict:
        """Provenance fields for `item`, after checking every passage of its excerpt is in the document."""
        excerpt = item.get("excerpt")
        if not excerpt:
            self.fail(f"{where} 缺少 excerpt（来源摘录）")
        for passage in excerpt.split(ProvenanceMixin.EXCERPT_SEPARATOR):
            if passage and passage not in self.document.text:
                self.fail(f"{where} 的摘录不在文件中：“{passage[:40]}”")
        return {"source_document": self.document, "source_excerpt": excerpt}

    def stated(self, item: dict, where: str, *names: str) -> None:
        """Refuse an entry whose excerpt does not contain its facts: each named field's value, and a number as the
        text writes it (in digits, or in Chinese numerals below 100)."""
        for name in names:
            value = item.get(name)
            if value is None:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                written = number_forms(value)
                if not any(re.search(rf"(?<![0-9.]){re.escape(form)}(?![0-9])", item["excerpt"]) for form in written):
                    self.fail(f"{where}的 {name}（{written[0]}）不在其摘录中：文件没有这样写的数字，不能作为文件所述")
            elif str(value) not in item["excerpt"]:
                self.fail(f"{where}的 {name}“{value}”不在其摘录中")

    def get_or_create(self, model, key: dict, **fields):
        """The row of `model` matching `key`, created with `fields` when there is none."""
        row = db.session.scalars(select(model).filter_by(**key).limit(1)).first()
        if row is None:
            row = model(**key, **fields)
            db.session.add(row)
            db.session.flush()
            self.created[model.__tablename__] += 1
        return row

    def named(self, model, name: str | None, what: str):
        """The campaign's row of `model` called `name` (None for no name)."""
        if name is None:
            return None
        row = db.session.scalars(select(model).filter_by(campaign=self.campaign, name=name)).first()
        if row is None:
            self.fail(f"引用了未定义的{what}“{name}”")
        return row

    def pick(self, item: dict, *names: str) -> dict:
        return {name: item[name] for name in names if item.get(name) is not None}

    # --- sections, in dependency order ---
    def check_keys(self) -> None:
        """Refuse unknown sections and keys before writing anything."""
        def check(items, kind):
            for item in items if isinstance(items, list) else [items]:
                if not isinstance(item, dict):
                    self.fail(f"{kind} 中有一项不是键值表：{item!r}")
                unknown = set(item) - KEYS[kind]
                if unknown:
                    self.fail(f"{kind} 中出现未知字段 {sorted(map(str, unknown))}（可能是摘录含英文逗号却未加引号）")
                if kind == "bodies":
                    check(item.get("units", []), "body_units")
                    check(item.get("posts", []), "posts")

        if not isinstance(self.data, dict) or "document" not in self.data or "campaign" not in self.data:
            self.fail("种子文件必须包含 document 和 campaign 两节")
        for section, items in self.data.items():
            if section not in KEYS or section in ("body_units", "posts", "terms"):
                self.fail(f"未知的节“{section}”")
            check(items, section)
        for vocabulary, items in (self.data.get("vocabularies") or {}).items():
            if not isinstance(items, list) or not items:
                self.fail(f"vocabularies 的“{vocabulary}”应为一个非空的列表")
            check([{"value": i} if isinstance(i, str) else i for i in items], "terms")

    def run(self) -> Counter[str]:
        self.check_keys()
        self.load_document(self.data["document"])
        self.load_campaign(self.data["campaign"])
        for item in self.data.get("figures", []):
            where = f"数据“{item['label']}”"
            if item.get("counted"):
                listed = len(re.sub(r"等.*$", "", item["excerpt"]).split("、"))
                if listed != item["value"]:
                    self.fail(f"{where}标为所列名称数（counted），但摘录列出 {listed} 个名称，不是 {item['value']} 个")
            else:
                self.stated(item, where, "value")
            self.get_or_create(StatedFigure, {"campaign": self.campaign, "label": item["label"]},
                               value=item["value"], unit=item.get("unit"), counted=bool(item.get("counted")),
                               **self.cite(item, where))
        for item in self.data.get("units", []):
            self.load_units(item)
        for item in self.data.get("people", []):
            self.stated(item, f"人员“{item['name']}”", "name")
            self.get_or_create(Person, {"campaign": self.campaign, "name": item["name"]},
                               position=item.get("position"), unit=self.named(Unit, item.get("unit"), "单位"),
                               **self.cite(item, f"人员“{item['name']}”"))
        for item in self.data.get("bodies", []):
            self.load_body(item)
        for item in self.data.get("policies", []):
            self.get_or_create(PolicyDocument, {"campaign": self.campaign, "title": item["title"]},
                               **self.pick(item, "doc_number", "level", "issuer", "domain"),
                               **self.cite(item, f"政策“{item['title']}”"))
        for item in self.data.get("tasks", []):
            self.load_task(item)
        for item in self.data.get("enterprises", []):
            self.get_or_create(Enterprise, {"campaign": self.campaign, "name": item["name"]},
                               **self.pick(item, "credit_code", "ownership", "industry"),
                               **self.cite(item, f"企业“{item['name']}”"))
        for item in self.data.get("events", []):
            self.get_or_create(
                Event, {"campaign": self.campaign, "title": item["title"]},
                organiser=self.named(Body, item.get("organiser"), "机构"),
                co_organiser=self.named(Unit, item.get("co_organiser"), "单位"),
                **self.pick(item, "kind", "held_on", "date_text", "venue", "attendance_total",
                            "attendance_cadres", "attendance_enterprises", "summary"),
                **self.cite(item, f"会议“{item['title']}”"),
            )
        for item in self.data.get("problems", []):
            enterprise = self.named(Enterprise, item.get("enterprise"), "企业")
            self.get_or_create(
                Problem, {"campaign": self.campaign, "enterprise": enterprise, "description": item["description"]},
                collected_by_body=self.named(Body, item.get("collected_by"), "机构"),
                **self.pick(item, "demand", "category", "nature", "source", "remark", "status", "flagged",
                            "escalation_level"),
                **self.cite(item, f"问题“{item['description']}”"),
            )
        return self.created

    def load_document(self, item: dict) -> None:
        source = SOURCE_DIR / item["file"]
        try:
            raw = source.read_text(encoding="utf-8")
        except OSError:
            self.fail(f"找不到来源文件 {source}")
        text = normalise(raw) if item.get("normalise") else raw
        self.document = self.get_or_create(SourceDocument, {"code": str(item["code"])},
                                           filename=item["file"], title=item["title"], raw_text=raw, text=text)

    def load_campaign(self, item: dict) -> None:
        """The campaign, with its settings and (when new) its vocabularies: those the file lists, the default terms
        of the others (models.terms)."""
        fields = self.pick(item, "code", "doc_number", "issuer", "issued_on", "region", "parent_document",
                           "goals", "start_on", "end_on", "yellow_days", "stale_days", "due_soon_days",
                           "ranking_min_problems", "deadline_days", "escalate_days", "doc_prefix", "supervisor_required")
        provenance = self.cite(item, "专项行动")
        self.campaign = db.session.scalars(select(Campaign).filter_by(name=item["name"]).limit(1)).first()
        if self.campaign is not None:
            return
        self.campaign = Campaign(name=item["name"], document=self.document, **fields, **provenance)
        db.session.add(self.campaign)
        for vocabulary, items in (self.data.get("vocabularies") or {}).items():
            for position, term in enumerate(items, start=1):
                term = {"value": term} if isinstance(term, str) else term
                db.session.add(Term(campaign=self.campaign, vocabulary=vocabulary, position=position, **term))
        db.session.flush()
        self.created["campaign"] += 1
        self.created["term"] += len(self.campaign_terms())

    def campaign_terms(self) -> list:
        return db.session.scalars(select(Term.id).where(Term.campaign_id == self.campaign.id)).all()

    def load_units(self, item: dict) -> None:
        names = item.get("names") or [item["name"]]
        kinds = item.get("kinds") or {}
        full_names = item.get("full_names") or {}
        provenance = self.cite(item, f"单位“{'、'.join(names)}”")
        for name in names:
            if name not in item["excerpt"]:
                self.fail(f"单位“{name}”不在其摘录中")
            self.get_or_create(Unit, {"campaign": self.campaign, "name": name},
                               kind=kinds.get(name, item.get("kind")),
                               full_name=full_names.get(name, item.get("full_name")), **provenance)

    def load_body(self, item: dict) -> None:
        where = f"机构“{item['name']}”"
        lead = self.named(Unit, item.get("lead_unit"), "单位")
        body = self.get_or_create(
            Body, {"campaign": self.campaign, "name": item["name"]},
            kind=item["kind"], full_name=item.get("full_name"), parent=self.named(Body, item.get("parent"), "机构"),
            lead_unit=lead, duties=item.get("duties"), dissolves_at_end=bool(item.get("dissolves_at_end")),
            **self.cite(item, where),
        )
        for group in item.get("units", []):
            provenance = self.cite(group, f"{where}的{group['role']}")
            for name in group["names"]:
                if name not in group["excerpt"]:
                    self.fail(f"{where}的{group['role']}“{name}”不在其摘录中")
                self.get_or_create(BodyUnit, {"body": body, "unit": self.named(Unit, name, "单位"), "role": group["role"]},
                                   **provenance)
        for post in item.get("posts", []):
            sending = lead if post.get("sending_unit") == "lead" else self.named(Unit, post.get("sending_unit"), "单位")
            person = self.named(Person, post.get("person"), "人员")
            self.get_or_create(Post, {"body": body, "role": post["role"], "person": person, "sending_unit": sending},
                               note=post.get("note"), **self.cite(post, f"{where}的{post['role']}"))

    def load_task(self, item: dict) -> None:
        where = f"任务“{item['code']}”"
        self.stated(item, where, "target_value")
        parent = None
        if item.get("parent"):
            parent = db.session.scalars(select(Task).filter_by(campaign=self.campaign, code=item["parent"])).first()
            if parent is None:
                self.fail(f"{where}的上级任务“{item['parent']}”未定义")
        submitters = []
        if item.get("submitter_kinds"):
            submitters = db.session.scalars(
                select(Body).filter(Body.campaign == self.campaign, Body.kind.in_(item["submitter_kinds"])).order_by(Body.id)
            ).all()
        fields = self.pick(item, "section", "title", "responsible_text", "recipient_text", "start_on", "due_on",
                           "due_text", "recurrence", "recurrence_day", "recurrence_text", "report_kind",
                           "target_text", "target_value", "target_unit")
        provenance = self.cite(item, where)
        self.get_or_create(
            Task, {"campaign": self.campaign, "code": item["code"]}, parent=parent,
            content=item.get("content", without_dates(item["excerpt"])),
            responsible_unit=self.named(Unit, item.get("responsible_unit"), "单位"),
            responsible_body=self.named(Body, item.get("responsible_body"), "机构"),
            submitters=submitters, **fields, **provenance,
        )


def seed_files() -> list[Path]:
    """The campaign seed files, in a stable order."""
    return sorted(DATA_DIR.glob("*.yaml"))


def load_seeds(paths: list[Path] | None = None) -> list[tuple[str, Counter[str]]]:
    """Load the work calendar's days from the chinese-calendar package (those missing) and compute the statutory days
    of the years not yet published, then every seed file in one transaction each; return what each created."""
    load_package_calendar()
    estimate_unpublished()
    db.session.commit()
    results = []
    for path in paths or seed_files():
        seed = CampaignSeed(path)
        try:
            created = seed.run()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        results.append((seed.campaign.name, created))
    return results


def check_seed(path: Path) -> str:
    """Load one seed file and roll it back: every check of the loader, nothing written. What it would create."""
    seed = CampaignSeed(path)
    try:
        created = seed.run()
    except SeedError as error:
        raise CliError(str(error)) from None
    except DomainError as error:
        raise CliError(f"{path.name}：{error}") from None
    finally:
        db.session.rollback()
    return f"{seed.data['campaign']['name']}：导入时将{describe(created)}（未写入数据库）"


def describe(created: Counter[str]) -> str:
    """A Chinese summary of rows created per table."""
    if not created:
        return "无新增（已全部存在）"
    return "新增 " + "、".join(f"{TABLE_LABELS.get(t, t)} {n}" for t, n in created.items())


MAX_DEMO_PROBLEMS = 1_000_000


def parse_demo_options(problems: str, anchor: str | None) -> tuple[int, date | None]:
    """--problems and --anchor, checked with Chinese messages."""
    if not problems.isdigit() or not 1 <= int(problems) <= MAX_DEMO_PROBLEMS:
        raise CliError(f"--problems 应为1到{MAX_DEMO_PROBLEMS}之间的整数，当前为“{problems}”。")
    if anchor is None:
        return int(problems), None
    if anchor == "today":
        return int(problems), local_now().date()
    try:
        return int(problems), report_day(anchor)
    except DomainError as error:
        raise CliError(f"--anchor 应为 YYYY-MM-DD 格式的日期或 today：{error}") from None


@click.command("seed")
@with_appcontext
@click.option("--file", "files", multiple=True, type=click.Path(dir_okay=False), help="只导入指定的种子文件（可重复）")
@click.option("--check", "checks", multiple=True, type=click.Path(dir_okay=False),
              help="只检查这个种子文件（格式、来源文件、每段摘录及其中的名称和数字），不写入数据库（可重复）")
@click.option("--demo", is_flag=True, help="再为汨罗专项行动生成合成的演示数据（企业、联点、走访、各种状态的问题）")
@click.option("--problems", default="60", metavar="N", show_default=True, help="演示问题的数量（与 --demo 一起使用）")
@click.option("--anchor", metavar="日期", help="演示数据围绕的日期 YYYY-MM-DD 或 today（默认：专项行动开始日）")
def seed_command(files, checks, demo, problems, anchor):
    """导入 seeds/data/ 下各专项行动的种子数据和工作日历（重复运行不改变任何数据）；--demo 另加合成的演示数据，
    --check 只检查种子文件。"""
    if not inspect(db.engine).has_table("campaign"):
        raise CliError("数据库尚未建表，请先运行：flask --app app db upgrade")
    if checks:
        for path in map(Path, checks):
            if not path.is_file():
                raise CliError(f"找不到种子文件：{path}")
            click.echo(f"{path.name}：检查通过，{check_seed(path)}")
        return
    count, anchor_day = parse_demo_options(problems, anchor)
    paths = [Path(f) for f in files] or None
    for path in paths or []:
        if not path.is_file():
            raise CliError(f"找不到种子文件：{path}")
    try:
        results = load_seeds(paths)
    except SeedError as error:
        raise CliError(str(error)) from None
    for name, created in results:
        click.echo(f"{name}：{describe(created)}")
    if demo:
        from .demo import DemoError, load_demo

        try:
            written = load_demo(count, anchor_day)
        except DemoError as error:
            raise CliError(str(error)) from None
        if written is None:
            click.echo("演示数据已存在，未再次生成。")
        else:
            click.echo("演示数据（合成）：" + "、".join(f"{TABLE_LABELS.get(t, t)} {n}" for t, n in written.items()))
