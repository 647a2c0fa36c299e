"""Login (with throttling), logout, and changing one's own password. (The account commands are in ops.accounts.)"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_admin import expose
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from models import User, db, local_now
from models.user import MIN_PASSWORD_LENGTH, claim_login_attempt, logged_in_user, password_matches

from .fields import plain_text
from .pages import SecurePage

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


class AccountView(SecurePage):
    """Every user changes their own password here (linked from the top bar, not the menu)."""

    def is_visible(self) -> bool:
        return False

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


def init_app(app: Flask) -> None:
    """Bind login to the app and register the auth routes."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
