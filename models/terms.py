"""Vocabularies as data: the terms each campaign uses in its coded columns (问题类型, 问题来源, 满意度 …).

The 推进办 edits them in the panel: adds a term, renames one (the rows that carry it follow, and the old name is kept
as a former name, which imports still accept), retires one (old rows keep it; new rows cannot take it). A column
governed by a vocabulary says so (`term_column`); one rule, checked before every flush whoever writes, admits in it
only a term of the row's own campaign that is in use, or the value the row already had. The workflow's own states,
kinds of bodies and reports stay in code (models.vocab).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, event, func, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, set_committed_value

from .calendar import add_workdays
from .base import SHORT, CampaignOwnedMixin, IdMixin, TimestampMixin, VersionMixin, campaign_of, choice, db
from .errors import DomainError
from .vocab import (ESCALATION_LEVELS, EVENT_KINDS, OWNERSHIPS, POLICY_LEVELS, PROBLEM_CATEGORIES, PROBLEM_NATURES,
                    PROBLEM_SOURCES, SATISFACTION_LEVELS, SATISFIED_LEVELS, VISIT_FORMS, Escalation)


class Vocabulary:
    """The vocabularies a campaign edits, by the name the office gives them."""

    CATEGORY = "问题类型"
    NATURE = "问题性质"
    SOURCE = "问题来源"
    ESCALATION = "上报层级"
    SATISFACTION = "满意度"
    VISIT_FORM = "走访形式"
    EVENT_KIND = "会议类型"
    OWNERSHIP = "所有制"
    POLICY_LEVEL = "政策层级"


# Every vocabulary with the terms a new campaign starts with (in this order).
DEFAULT_TERMS: dict[str, tuple[str, ...]] = {
    Vocabulary.CATEGORY: PROBLEM_CATEGORIES,
    Vocabulary.NATURE: PROBLEM_NATURES,
    Vocabulary.SOURCE: PROBLEM_SOURCES,
    Vocabulary.ESCALATION: ESCALATION_LEVELS,
    Vocabulary.SATISFACTION: SATISFACTION_LEVELS,
    Vocabulary.VISIT_FORM: VISIT_FORMS,
    Vocabulary.EVENT_KIND: EVENT_KINDS,
    Vocabulary.OWNERSHIP: OWNERSHIPS,
    Vocabulary.POLICY_LEVEL: POLICY_LEVELS,
}
VOCABULARIES = tuple(DEFAULT_TERMS)

# Terms the code names, which can be neither renamed nor retired: the level a problem starts at (the index of
# escalated problems tests it), and the form a visit takes when none is given.
LOCKED_TERMS = {(Vocabulary.ESCALATION, Escalation.LOCAL), (Vocabulary.VISIT_FORM, "实地走访")}

TERM_LENGTH = 32


def term_column(vocabulary: str, **kwargs):
    """A text column that holds a term of `vocabulary` (checked against the row's campaign before every flush)."""
    assert vocabulary in DEFAULT_TERMS, vocabulary
    return mapped_column(String(SHORT), info={"vocabulary": vocabulary}, **kwargs)


class Term(IdMixin, TimestampMixin, VersionMixin, CampaignOwnedMixin, db.Model):
    """A term of one of a campaign's vocabularies (词条)."""

    __label__ = "词条"

    __tablename__ = "term"
    __table_args__ = (
        UniqueConstraint("campaign_id", "vocabulary", "value"),
        Index("ix_term_campaign_vocabulary_position", "campaign_id", "vocabulary", "position"),
    )

    vocabulary: Mapped[str] = mapped_column(choice(VOCABULARIES, "vocabulary"))
    value: Mapped[str] = mapped_column(String(TERM_LENGTH))
    position: Mapped[int] = mapped_column(Integer, default=0)  # the order of the dropdowns (and of 上报层级's levels)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)  # 停用: old rows keep it, new rows cannot take it
    locked: Mapped[bool] = mapped_column(Boolean, default=False)  # the code names it: neither renamed nor retired
    satisfied: Mapped[bool | None] = mapped_column(Boolean)  # 满意度: counts towards 满意率
    default_days: Mapped[int | None] = mapped_column(Integer)  # 问题类型: the default 办理时限 at 交办, in working days
    former_values: Mapped[str | None] = mapped_column(Text)  # earlier names, one a line, oldest first

    def formers(self) -> list[str]:
        return [v for v in (self.former_values or "").splitlines() if v]

    def check(self) -> None:
        self.value = (self.value or "").strip()
        if not self.value:
            raise DomainError("词条名称不能为空。")
        if len(self.value) > TERM_LENGTH:
            raise DomainError(f"词条名称“{self.value[:TERM_LENGTH]}…”过长：最多 {TERM_LENGTH} 个字。")
        if self.vocabulary != Vocabulary.SATISFACTION:
            if self.satisfied:
                raise DomainError("“计入满意率”只用于满意度词条。")
            self.satisfied = None  # a form's unticked box
        elif self.satisfied is None:
            self.satisfied = False
        if self.default_days is not None and (self.vocabulary != Vocabulary.CATEGORY or not 1 <= self.default_days <= 365):
            raise DomainError("默认办理时限只用于问题类型，且应在 1 至 365 个工作日之间。")
        if (self.vocabulary, self.value) in LOCKED_TERMS and self.id is None:
            self.locked = True
        history = inspect(self).attrs
        if inspect(self).persistent and (history.vocabulary.history.deleted or history.campaign_id.history.deleted):
            raise DomainError("词条不能移到另一个词表或专项行动；请在那里新增一个词条，再停用这一个。")
        renamed = history.value.history.deleted
        if self.locked and ((renamed and renamed[0] != self.value) or self.retired):
            was = renamed[0] if renamed else self.value
            raise DomainError(f"词条“{was}”由系统使用，不能改名或停用。")

    def __str__(self) -> str:
        return f"{self.value}（已停用）" if self.retired else self.value


def governed_columns(vocabulary: str | None = None) -> list:
    """(model, column) of every column that holds a term (of `vocabulary`, or of any)."""
    found = []
    for mapper in db.Model.registry.mappers:
        for column in mapper.local_table.columns:
            if column.info.get("vocabulary") and vocabulary in (None, column.info["vocabulary"]):
                found.append((mapper.class_, column))
    return found


def terms(campaign_id: int, vocabulary: str, with_retired: bool = False) -> list[Term]:
    """The terms of a campaign's vocabulary in their order (those in use, or all)."""
    query = select(Term).where(Term.campaign_id == campaign_id, Term.vocabulary == vocabulary)
    if not with_retired:
        query = query.where(Term.retired == False)  # noqa: E712 (SQL)
    return list(db.session.scalars(query.order_by(Term.position, Term.id)))


def values(campaign_id: int, vocabulary: str) -> list[str]:
    """The names of the terms of a campaign's vocabulary that are in use, in order."""
    return [t.value for t in terms(campaign_id, vocabulary)]


def add_term(campaign_id: int, vocabulary: str, value: str) -> Term:
    """A new term at the end of a campaign's vocabulary (the 推进办 adds it, in the panel or while importing a file
    that uses it); DomainError when the name is too long or taken."""
    value = (value or "").strip()
    if not value or len(value) > TERM_LENGTH:
        raise DomainError(f"{vocabulary}的名称须为 1 至 {TERM_LENGTH} 个字。")
    existing = terms(campaign_id, vocabulary, with_retired=True)
    if any(t.value == value for t in existing):
        raise DomainError(f"{vocabulary}“{value}”已经存在（可能已停用）。")
    term = Term(campaign_id=campaign_id, vocabulary=vocabulary, value=value,
                position=max((t.position for t in existing), default=0) + 1)
    db.session.add(term)
    return term


def satisfied_values(campaign_id):
    """SQL: the campaign's 满意度 terms that count towards 满意率 (`campaign_id` a value or a column)."""
    return select(Term.value).where(Term.campaign_id == campaign_id, Term.vocabulary == Vocabulary.SATISFACTION,
                                    Term.satisfied == True)  # noqa: E712 (SQL)


def resolver(campaign_id: int, vocabulary: str):
    """A function from what a file or a form says to the term's current name: the name itself, or a former name of
    a term (a file written before a rename); None for anything else. Terms not in use are not offered."""
    in_use = terms(campaign_id, vocabulary)
    known = {name: term.value for term in reversed(in_use) for name in term.formers()}
    known.update((term.value, term.value) for term in in_use)  # a current name wins over another's former one
    return known.get


def category_term(problem) -> Term | None:
    """The 问题类型 term a problem carries, in its campaign."""
    if not problem.category:
        return None
    return db.session.scalar(select(Term).where(Term.campaign_id == problem.campaign_id,
                                                Term.vocabulary == Vocabulary.CATEGORY, Term.value == problem.category))


def default_deadline(problem, day: date) -> tuple[int | None, date | None, str | None]:
    """The 办理时限 the 交办 form proposes: working days, the date they come to after `day` (by the work calendar,
    models.calendar), and a line saying why. The problem's type's default first, else the campaign's; (None, None,
    None) when neither has one."""
    term = category_term(problem)
    if term is not None and term.default_days:
        days, why = term.default_days, f"问题类型“{term.value}”默认办理时限 {term.default_days} 个工作日（可在“词表”中修改）"
    elif problem.campaign.deadline_days:
        days, why = problem.campaign.deadline_days, f"本专项行动默认办理时限 {problem.campaign.deadline_days} 个工作日（可在专项行动设置中修改）"
    else:
        return None, None, None
    until = add_workdays(day, days)
    return days, until, f"{why}，按工作日历即 {until:%Y-%m-%d}，可改。"


def default_terms(campaign) -> list[Term]:
    """The terms a new campaign starts with."""
    made = []
    for vocabulary, names in DEFAULT_TERMS.items():
        for position, name in enumerate(names, start=1):
            made.append(Term(campaign=campaign, vocabulary=vocabulary, value=name, position=position,
                             locked=(vocabulary, name) in LOCKED_TERMS,
                             satisfied=(name in SATISFIED_LEVELS) if vocabulary == Vocabulary.SATISFACTION else None))
    return made


def copy_terms(source_campaign_id: int, campaign) -> list[Term]:
    """Copies of another campaign's terms (in use or not) for `campaign`."""
    rows = db.session.scalars(select(Term).where(Term.campaign_id == source_campaign_id).order_by(Term.id))
    return [Term(campaign=campaign, vocabulary=t.vocabulary, value=t.value, position=t.position, retired=t.retired,
                 locked=t.locked, satisfied=t.satisfied, default_days=t.default_days) for t in rows]


def term_refusal(obj, allowed) -> str | None:
    """Why a row's terms are not its campaign's (a Chinese message), or None. `allowed(campaign_id)` gives the
    campaign's terms in use: {vocabulary: {name, …}}."""
    state = inspect(obj)
    for column in obj.__table__.columns:
        vocabulary = column.info.get("vocabulary")
        value = obj.__dict__.get(column.key)
        if vocabulary is None or value is None:
            continue
        # the attribute's history alone (state.attrs would build every attribute's, for each row of an import)
        if state.persistent and not state.get_history(column.key, PASSIVE_NO_INITIALIZE).has_changes():
            continue
        campaign_id = campaign_of(obj)
        names = allowed(campaign_id).get(vocabulary, ()) if campaign_id is not None else ()
        if value not in names:
            listed = "、".join(names) if names else "（无）"
            return f"{obj.__label__}的{vocabulary}“{value}”不在本专项行动的{vocabulary}中（可选：{listed}）；可由推进办在“词表”中添加。"
    return None


@event.listens_for(Session, "before_flush")
def _keep_terms(session: Session, flush_context, instances) -> None:
    """Whoever writes: a new campaign gets the default terms of each vocabulary it does not bring terms of; a renamed term takes
    its rows along and remembers its old name; a term in use is not deleted; every row's terms are its campaign's."""
    from .org import Campaign

    for campaign in [o for o in session.new if isinstance(o, Campaign)]:
        brought = {o.vocabulary for o in session.new if isinstance(o, Term) and o.campaign is campaign}
        session.add_all(t for t in default_terms(campaign) if t.vocabulary not in brought)
    for term in [o for o in session.dirty if isinstance(o, Term)]:
        old = inspect(term).attrs.value.history.deleted
        if old and old[0] != term.value:
            _rename(session, term, old[0])
    for term in [o for o in session.deleted if isinstance(o, Term)]:
        used = _uses(session, term)
        if used:
            raise DomainError(f"词条“{term.value}”已被 {used} 条记录使用，不能删除；可以停用它（已有记录保留，新记录不能再选）。")

    cache: dict[int, dict[str, set[str]]] = {}

    def allowed(campaign_id: int) -> dict[str, set[str]]:
        if campaign_id not in cache:
            found: dict[str, set[str]] = {}
            with session.no_autoflush:
                rows = session.execute(select(Term.vocabulary, Term.value).where(
                    Term.campaign_id == campaign_id, Term.retired == False)).all()  # noqa: E712 (SQL)
            for vocabulary, value in rows:
                found.setdefault(vocabulary, set()).add(value)
            for term in session.new:  # terms added in this same flush
                if isinstance(term, Term) and not term.retired and campaign_of(term) == campaign_id:
                    found.setdefault(term.vocabulary, set()).add(term.value)
            cache[campaign_id] = found
        return cache[campaign_id]

    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, db.Model) and not isinstance(obj, Term):
            message = term_refusal(obj, allowed)
            if message:
                raise DomainError(message)


def _rename(session: Session, term: Term, old: str) -> None:
    """Rows of the term's campaign that carry `old` now carry the term's new name (their version moves on, so an
    edit begun before the rename is refused rather than writing the old name back)."""
    if term.value in [t.value for t in session.scalars(select(Term).where(
            Term.campaign_id == term.campaign_id, Term.vocabulary == term.vocabulary, Term.id != term.id))]:
        raise DomainError(f"{term.vocabulary}中已有“{term.value}”，不能把“{old}”改成同名。")
    term.former_values = "\n".join([*(v for v in term.formers() if v != term.value), old])
    for model, column in governed_columns(term.vocabulary):
        table = model.__table__
        values = {column.key: term.value}
        if "version" in table.c:
            values["version"] = table.c.version + 1
        session.execute(update(table).where(table.c.campaign_id == term.campaign_id, column == old).values(**values)
                        .execution_options(synchronize_session=False))
        for obj in list(session.identity_map.values()):  # rows already loaded read the new name and version
            if isinstance(obj, model) and obj.__dict__.get(column.key) == old and campaign_of(obj) == term.campaign_id:
                set_committed_value(obj, column.key, term.value)
                if "version" in table.c and obj.__dict__.get("version") is not None:
                    set_committed_value(obj, "version", obj.version + 1)


def _uses(session: Session, term: Term) -> int:
    """How many rows of the term's campaign carry it."""
    total = 0
    for model, column in governed_columns(term.vocabulary):
        table = model.__table__
        total += session.scalar(select(func.count()).select_from(table).where(
            table.c.campaign_id == term.campaign_id, column == term.value)) or 0
    return total
