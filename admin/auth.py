"""Login (with throttling), logout, changing one's own password, and the account commands."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import click
from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext
from flask_admin import BaseView, expose
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from models import Body, Campaign, Unit, User, db, local_now
from models.errors import CliError, DomainError
from models.user import MIN_PASSWORD_LENGTH, claim_login_attempt, logged_in_user, password_matches
from models.vocab import ROLE_LABELS, ROLES, BodyKind

from exports import find_campaign

from .fields import plain_text

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    """The account of the session's login, or None when that login has ended (logout, a new password,
    deactivation, its age) or never existed."""
    user_id, _, token = str(session_key).partition(":")
    return logged_in_user(user_id, token)


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64), plain_text])
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
        username = form.username.data.strip()
        attempt, locked_until = claim_login_attempt(username, request.remote_addr or "unknown")
        if locked_until is not None:
            flash(f"登录失败次数过多，已暂停登录，请于{locked_until:%H:%M}后再试。", "error")
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(select(User).where(User.username == username))
        if password_matches(user, form.password.data):
            attempt.succeeded = True
            user.last_login_at = local_now()
            user.start_login()
            db.session.commit()
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        flash("用户名或密码错误，或账号已停用。", "error")
        status = 401
    elif request.method == "POST":
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the login, on the server too: a copy of the session cookie opens nothing afterwards."""
    current_user.end_login()
    db.session.commit()
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
def root():
    return redirect(url_for("admin.index"))


class PasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"), Length(min=MIN_PASSWORD_LENGTH, max=256, message=f"新密码至少需要{MIN_PASSWORD_LENGTH}个字符。")])
    confirm = PasswordField("再次输入新密码", validators=[EqualTo("new", "两次输入的新密码不一致。")])


class AccountView(BaseView):
    """Every user changes their own password here (linked from the top bar, not the menu)."""

    def is_visible(self) -> bool:
        return False

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = PasswordForm()
        if form.validate_on_submit():
            if not current_user.check_password(form.current.data):
                form.current.errors.append("当前密码不正确。")
            elif form.new.data == form.current.data:
                form.new.errors.append("新密码不能与当前密码相同。")
            else:
                current_user.set_password(form.new.data)
                current_user.keep_login()  # this login goes on; the others, made with the old password, have ended
                db.session.commit()
                flash("密码已修改。其他已登录的会话需要用新密码重新登录。", "success")
                return redirect(url_for("admin.index"))
        return self.render("admin/account_password.html", form=form)


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
@click.option("--unit", help="所属单位名称（责任单位角色必填）")
@click.option("--group", help="所属工作组名称（工作组角色必填）")
@click.option("--campaign", help="专项行动名称（推进办、领导账号必填，除非只有一个专项行动；也用于区分重名的单位或工作组）")
@click.option("--display-name", help="显示的姓名")
@click.option("--password", help="密码（省略时提示输入）")
def create_user_command(name, role, unit, group, campaign, display_name, password):
    """Create a login account: flask --app app create-user NAME --role ROLE [--unit UNIT] [--group GROUP]."""
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
    """Create the missing demo accounts, one per role, and print each new password once."""
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


def init_app(app: Flask) -> None:
    """Bind login to the app and register the auth routes and account commands."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_accounts_command)
