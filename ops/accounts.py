"""The account commands: `flask --app app create-user NAME --role ROLE …` and `flask --app app demo-accounts`."""
from __future__ import annotations

import secrets

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cli import CliError, find_campaign
from models import Body, Campaign, Unit, User, db
from models.errors import DomainError
from models.vocab import ROLE_LABELS, ROLES, BodyKind


def find_one(model, name: str, campaign: str | None, what: str, **criteria):
    """The single row of `model` called `name` (optionally in campaign `campaign`), or a CliError."""
    query = select(model).where(model.name == name, *(getattr(model, k) == v for k, v in criteria.items()))
    if campaign:
        query = query.join(Campaign, model.campaign_id == Campaign.id).where(Campaign.name == campaign)
    rows = db.session.scalars(query).all()
    if not rows:
        raise CliError(f"找不到{what}“{name}”" + (f"（专项行动“{campaign}”）" if campaign else "") + "。")
    if len(rows) > 1:
        raise CliError(f"有{len(rows)}个专项行动都有{what}“{name}”，请用 --campaign 指定专项行动名称。")
    return rows[0]


def save_user(username: str, role: str, password: str, unit: Unit | None = None, body: Body | None = None,
              campaign: Campaign | None = None, display_name: str | None = None) -> User:
    """Create an account; the model refuses a scope that does not suit the role."""
    if role == "group" and body is None:
        raise DomainError("工作组角色（group）必须用 --group 指定所属工作组。")
    if role == "handler" and unit is None:
        raise DomainError("责任单位角色（handler）必须用 --unit 指定所属单位。")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError(f"用户名“{username}”已存在。")
    user = User(username=username, role=role, unit=unit, body=body, campaign=campaign, display_name=display_name,
                active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="角色：" + "、".join(f"{k}={v}" for k, v in ROLE_LABELS.items()))
@click.option("--unit", metavar="单位", help="所属单位名称（责任单位角色必填）")
@click.option("--group", metavar="工作组", help="所属工作组名称（工作组角色必填）")
@click.option("--campaign", metavar="名称", help="专项行动名称（推进办、领导账号必填，除非只有一个专项行动；也用于区分重名的单位或工作组）")
@click.option("--display-name", metavar="姓名", help="显示的姓名")
@click.option("--password", metavar="密码", help="密码（省略时提示输入）")
def create_user_command(name, role, unit, group, campaign, display_name, password):
    """新建登录账号 NAME：flask --app app create-user NAME --role 角色 [--unit 单位] [--group 工作组]。"""
    name = name.strip()
    if not name or len(name) > 64:
        raise CliError("用户名不能为空，且不超过64个字符。")
    unit_row = find_one(Unit, unit, campaign, "单位") if unit else None
    body_row = find_one(Body, group, campaign, "工作组", kind=BodyKind.WORKING_GROUP) if group else None
    campaign_row = find_campaign(campaign) if role in ("coordinator", "leader") else None  # they see one campaign
    if password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    try:
        user = save_user(name, role, password, unit=unit_row, body=body_row, campaign=campaign_row,
                         display_name=display_name)
    except DomainError as error:
        db.session.rollback()
        raise CliError(str(error)) from None
    scope = user.body or user.unit or user.campaign
    click.echo(f"已创建用户“{user.username}”，角色：{user.role_label}" + (f"，范围：{scope}" if scope else "") + "。")


# One demo account per role, in the 汨罗 campaign the seeds load (code SJY).
DEMO_ACCOUNTS = (
    ("admin", "admin", {}, "系统管理员（演示）"),
    ("coordinator", "coordinator", {}, "推进办（演示）"),
    ("group", "group", {"body": "工作组（循环园）"}, "循环园工作组（演示）"),
    ("handler", "handler", {"unit": "市发改局"}, "市发改局（演示）"),
    ("leader", "leader", {}, "领导（演示）"),
)


@click.command("demo-accounts")
@with_appcontext
def demo_accounts_command():
    """为每种角色创建演示账号（已存在的不动），新密码只打印这一次。"""
    campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))
    if campaign is None:
        raise CliError("找不到汨罗专项行动，请先运行：flask --app app seed")
    created = []
    for username, role, scope, display_name in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        body = db.session.scalar(select(Body).where(Body.campaign_id == campaign.id, Body.name == scope["body"])) if "body" in scope else None
        unit = db.session.scalar(select(Unit).where(Unit.campaign_id == campaign.id, Unit.name == scope["unit"])) if "unit" in scope else None
        password = secrets.token_urlsafe(9)
        save_user(username, role, password, unit=unit, body=body,
                  campaign=campaign if role in ("coordinator", "leader") else None, display_name=display_name)
        created.append((username, ROLE_LABELS[role], str(body or unit or (campaign if role != "admin" else "全部")), password))
    if not created:
        click.echo("演示账号均已存在（密码在首次创建时已打印；忘记时请用 create-user 另建账号）。")
        return
    click.echo("=" * 72)
    click.echo("演示账号已创建（密码只显示这一次，请妥善保存）：")
    for username, role, scope, password in created:
        click.echo(f"  用户名 {username:<12} 密码 {password}  角色：{role}  范围：{scope}")
    click.echo("=" * 72)


