"""A new campaign from an existing one (复制专项行动): its settings, vocabularies and structure, to edit from there."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from .base import db
from .enterprise import Enterprise, EnterpriseGroup
from .errors import DomainError
from .org import Body, BodyTown, BodyUnit, Campaign, Person, Post, Unit
from .task import Task
from .scope import in_campaign
from .terms import copy_terms

# What a copy takes, in the order rows can refer to each other; a task starts again without its dates and status.
STRUCTURE = (Unit, Person, Body, BodyUnit, BodyTown, Post, Task)
FIRMS = (Enterprise, EnterpriseGroup)
LEFT_OUT = {"id", "campaign_id", "created_at", "updated_at", "version", "source_excerpt", "source_document_id"}
RESET = {Task: {"start_on": None, "due_on": None, "status": "未开始"}}


def copy_campaign(source: Campaign, name: str, code: str, enterprises: bool = False, start_on: date | None = None,
                  end_on: date | None = None) -> Campaign:
    """A new campaign called `name` (problem numbers prefixed `code`) with `source`'s settings, vocabularies (terms in
    use and retired), units, people, bodies with their units, posts and towns, and tasks (report days and targets
    kept, dates cleared), starting on `start_on` (whose year problem numbers carry) and ending on `end_on`; with `enterprises`, its enterprises and their working groups too. No problems, visits,
    meetings, reports, policies or stated figures: those are the new campaign's own. The copies carry no excerpt
    of the old campaign's document. Not committed."""
    name, code = (name or "").strip(), (code or "").strip()
    if not name or not code:
        raise DomainError("请填写新专项行动的名称和问题编号前缀。")
    if db.session.scalar(select(Campaign.id).where(Campaign.name == name)) is not None:
        raise DomainError(f"已有名为“{name}”的专项行动。")
    if db.session.scalar(select(Campaign.id).where(Campaign.code == code)) is not None:
        raise DomainError(f"问题编号前缀“{code}”已被其他专项行动使用。")
    if start_on and end_on and start_on > end_on:
        raise DomainError("开始日期不能晚于结束日期。")
    campaign = Campaign(name=name, code=code, region=source.region, issuer=source.issuer, goals=source.goals,
                        start_on=start_on, end_on=end_on,
                        supervisor_required=source.supervisor_required, rating_levels=source.rating_levels,
                        **{key: getattr(source, key) for key in Campaign.SETTING_LIMITS})
    with db.session.no_autoflush:  # the campaign and its terms in one flush: no default terms besides the copies
        db.session.add(campaign)
        db.session.add_all(copy_terms(source.id, campaign))
    db.session.flush()
    copies: dict[str, dict[int, int]] = {}
    for model in (*STRUCTURE, *(FIRMS if enterprises else ())):
        copies[model.__tablename__] = _copy_rows(model, source.id, campaign, copies)
    tasks = {t.id: t for t in db.session.scalars(select(Task).where(Task.campaign_id == campaign.id))}
    bodies = {b.id: b for b in db.session.scalars(select(Body).where(Body.campaign_id == campaign.id))}
    for task_id, body_id in db.session.execute(select(Task.id, Body.id).join(Task.submitters).where(
            Task.campaign_id == source.id)).all():
        tasks[copies["task"][task_id]].submitters.append(bodies[copies["body"][body_id]])
    db.session.flush()
    return campaign


def _copy_rows(model, source_id: int, campaign: Campaign, copies: dict[str, dict[int, int]]) -> dict[int, int]:
    """Copies of `model`'s rows of campaign `source_id` for `campaign`, their references moved to the copies; the old
    id of each row to its copy's."""
    table = model.__table__
    rows = db.session.scalars(select(model).where(in_campaign(model, source_id)).order_by(model.id)).all()
    made: dict[int, object] = {}
    later = []
    for row in rows:
        values = {}
        for column in table.columns:
            if column.name in LEFT_OUT:
                continue
            value = getattr(row, column.key)
            target = next(iter(column.foreign_keys)).column.table.name if column.foreign_keys else None
            if target == table.name and value is not None:  # a parent of the same table: set once all exist
                later.append((row.id, column.key, value))
                continue
            if target is not None and value is not None:
                value = copies[target][value]
            values[column.key] = value
        values.update(RESET.get(model, {}))
        copy = model(**values, **({"campaign": campaign} if "campaign_id" in table.c else {}))
        db.session.add(copy)
        made[row.id] = copy
    db.session.flush()
    ids = {old: copy.id for old, copy in made.items()}
    for old, key, parent in later:
        setattr(made[old], key, ids[parent])
    return ids
