"""Login, logout and the account commands (`create-user`, `demo-accounts`)."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import click
from flask.cli import with_appcontext
from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from models import Body, Campaign, Unit, User, db, local_now
from models.errors import CliError, DomainError
from models.vocab import ROLE_LABELS, ROLES

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The logged-in account, or None when the session names no active account."""
    if not str(user_id).isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=256)])


def safe_next(target: str | None) -> str:
    """Where to go after login: only a path on this server, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The Chinese login page; posts `username` and `password`."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is not None and user.check_password(form.password.data) and user.active:
            login_user(user)
            user.last_login_at = local_now()
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
        flash("用户名或密码错误，或账号已停用。", "error")
        status = 401
    elif request.method == "POST":
        for errors in form.errors.values():
            for error in errors:
                flash("登录表单已过期，请刷新页面后重试。" if "CSRF" in str(error) else error, "error")
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
def root():
    return redirect(url_for("admin.index"))


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
              display_name: str | None = None) -> User:
    """Create an account, checking that its scope suits its role."""
    if role == "group" and body is None:
        raise DomainError("工作组角色（group）必须用 --group 指定所属工作组。")
    if role == "handler" and unit is None:
        raise DomainError("责任单位角色（handler）必须用 --unit 指定所属单位。")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError(f"用户名“{username}”已存在。")
    user = User(username=username, role=role, unit=unit, body=body, display_name=display_name, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="角色：" + "、".join(f"{k}={v}" for k, v in ROLE_LABELS.items()))
@click.option("--unit", help="所属单位名称（责任单位角色必填）")
@click.option("--group", help="所属工作组名称（工作组角色必填）")
@click.option("--campaign", help="专项行动名称（单位或工作组重名时用来区分）")
@click.option("--display-name", help="显示的姓名")
@click.option("--password", help="密码（省略时提示输入）")
def create_user_command(name, role, unit, group, campaign, display_name, password):
    """Create a login account: flask --app app create-user NAME --role ROLE [--unit UNIT] [--group GROUP]."""
    name = name.strip()
    if not name or len(name) > 64:
        raise CliError("用户名不能为空，且不超过64个字符。")
    unit_row = find_one(Unit, unit, campaign, "单位") if unit else None
    body_row = find_one(Body, group, campaign, "工作组", kind="工作组") if group else None
    if password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    try:
        user = save_user(name, role, password, unit=unit_row, body=body_row, display_name=display_name)
    except DomainError as error:
        db.session.rollback()
        raise CliError(str(error)) from None
    click.echo(f"已创建用户“{user.username}”，角色：{user.role_label}。")


@click.command("demo-accounts")
@with_appcontext
def demo_accounts_command():
    """Create the demo admin account if it is missing and print its password once."""
    if db.session.scalar(select(User.id).where(User.username == "admin")) is not None:
        click.echo("演示账号 admin 已存在（密码在首次创建时已打印）。")
        return
    password = secrets.token_urlsafe(9)
    save_user("admin", "admin", password, display_name="系统管理员（演示）")
    click.echo("=" * 60)
    click.echo(f"演示管理员账号已创建：用户名 admin  密码 {password}")
    click.echo("请妥善保存，此密码只显示这一次。")
    click.echo("=" * 60)


def init_app(app: Flask) -> None:
    """Bind login to the app and register the auth routes and account commands."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_accounts_command)
