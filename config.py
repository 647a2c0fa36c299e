"""Configuration: defaults, then instance/config.py, then the environment, then a test mapping."""
from __future__ import annotations

import ipaddress
import os

from flask import Flask
from zxcvbn import zxcvbn

from cli import CliError

DEV_SECRET = "dev-only-not-secret"
MIN_SECRET_LENGTH = 32
MIN_SECRET_GUESSES = 30  # log10 of the guesses zxcvbn estimates: 32 random bytes (token_hex(32), token_urlsafe(32),
# as the README says) score 41 and up; a phrase of words, a repeated character or a keyboard row 26 and below (a key of
# only 16 random bytes scores 28 to 35 and may be refused)
APP_ENVS = ("development", "production")
# Settings read from the environment as whole numbers, and what each counts (for the message when one is not)
# (The yellow window, 7日无进展, 即将到期 and the ranking minimum are each campaign's settings: models.org.Campaign.)
COUNTS = {"TRUSTED_PROXIES": "代理层数", "SMTP_PORT": "SMTP 端口", "DELIVERY_MAX_ATTEMPTS": "外发最多尝试次数",
          "DELIVERY_TIMEOUT": "外发一次连接的超时秒数", "DELIVERY_RUN_SECONDS": "每次外发最多用的秒数",
          "DELIVERY_LEASE_MINUTES": "发送中消息的租期（分钟）", "ROBOT_PER_MINUTE": "群机器人每分钟最多收的消息数"}
POSITIVE = ("SMTP_PORT", "DELIVERY_MAX_ATTEMPTS", "DELIVERY_TIMEOUT", "DELIVERY_RUN_SECONDS", "DELIVERY_LEASE_MINUTES",
            "ROBOT_PER_MINUTE")  # 0 would send nothing, or divide by it
# Delivery of 提醒/催办/督办 beyond the panel (ops.delivery), each optional: e-mail over SMTP to each unit's address,
# and a group robot's webhook (企业微信, or 钉钉 signed with its secret)
DELIVERY_SETTINGS = ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_SECURITY",
                     "WEBHOOK_URL", "WEBHOOK_KIND", "WEBHOOK_SECRET", "PANEL_URL")
SMTP_SECURITIES = ("none", "starttls", "ssl")
WEBHOOK_KINDS = ("wecom", "dingtalk")
# Whose X-Forwarded-For to believe (ops.TrustedProxies): in development, without a list, a proxy on this machine only
LOOPBACK = ("127.0.0.1", "::1")


class ConfigError(CliError, RuntimeError):
    """A setting the app refuses to start with: a Chinese sentence (错误：… on the command line), never a traceback."""

DRIVERS = {
    "postgres://": "postgresql+psycopg://",
    "postgresql://": "postgresql+psycopg://",
    "mysql://": "mysql+pymysql://",
    "mariadb://": "mysql+pymysql://",
}


def normalise_database_url(url: str) -> str:
    """Pick the bundled driver for plain postgresql:// and mysql:// URLs and make MySQL speak utf8mb4."""
    for prefix, replacement in DRIVERS.items():
        if url.startswith(prefix):
            url = replacement + url[len(prefix):]
            break
    if url.startswith("mysql+pymysql://") and "charset=" not in url:
        url += ("&" if "?" in url else "?") + "charset=utf8mb4"
    return url


def load(app: Flask, test_config: dict | None = None) -> None:
    """Fill `app.config` in layers: defaults, instance file, environment, test mapping."""
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        SECRET_KEY=DEV_SECRET,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(app.instance_path, 'zhuqi.db')}",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        TIMEZONE="Asia/Shanghai",
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        ADMIN_PAGE_SIZE=50,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        APP_ENV="development",
        PASSWORD_HASH_METHOD="scrypt",
        REQUEST_LOG=True,  # one log line per request (ops/__init__.py)
        TRUSTED_PROXIES=0,  # reverse proxies in front of the app whose X-Forwarded-* headers to trust ...
        TRUSTED_PROXY_ADDRESSES=None,  # ... when the request comes from one of these addresses or networks
        SMTP_PORT=25,
        SMTP_SECURITY="none",
        DELIVERY_MAX_ATTEMPTS=5,
        DELIVERY_TIMEOUT=10,  # seconds for one SMTP or HTTP exchange
        DELIVERY_RUN_SECONDS=600,  # a run of flask remind stops taking messages after this (cron runs every 15 minutes)
        DELIVERY_LEASE_MINUTES=30,  # a message 发送中 for longer (its run was killed) is sent again; longer than a run
        ROBOT_PER_MINUTE=20,  # what 企业微信 and 钉钉 document for a group robot; sent at 90 % of it
    )
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("APP_ENV"):
        app.config["APP_ENV"] = os.environ["APP_ENV"]
    for key, what in COUNTS.items():
        value = os.environ.get(key)
        if value:
            if not (value.isascii() and value.isdigit()):
                raise ConfigError(f"环境变量 {key} 应为{what}（非负整数），当前为“{value}”。")
            app.config[key] = int(value)
    for key in DELIVERY_SETTINGS:
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    if os.environ.get("TRUSTED_PROXY_ADDRESSES"):
        app.config["TRUSTED_PROXY_ADDRESSES"] = os.environ["TRUSTED_PROXY_ADDRESSES"]
    if os.environ.get("APP_TIMEZONE"):
        app.config["TIMEZONE"] = os.environ["APP_TIMEZONE"]
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    for key in POSITIVE:
        if int(app.config[key]) < 1:
            raise ConfigError(f"{key}（{COUNTS[key]}）应为正整数，当前为“{app.config[key]}”。")
    if app.config["DELIVERY_LEASE_MINUTES"] * 60 <= app.config["DELIVERY_RUN_SECONDS"]:
        raise ConfigError("DELIVERY_LEASE_MINUTES（发送中消息的租期）应长于 DELIVERY_RUN_SECONDS（每次外发最多用的时间），"
                          "否则一次运行中还在发送的消息会被当作中断而重发。")
    if app.config["APP_ENV"] not in APP_ENVS:
        raise ConfigError(f"APP_ENV 只能是 development（开发、试用）或 production（正式部署），当前为“{app.config['APP_ENV']}”。")
    if app.config["SMTP_SECURITY"] not in SMTP_SECURITIES:
        raise ConfigError(f"SMTP_SECURITY 只能是 none、starttls 或 ssl，当前为“{app.config['SMTP_SECURITY']}”。")
    if app.config.get("WEBHOOK_URL"):
        kind = app.config.get("WEBHOOK_KIND") or ""
        if kind not in WEBHOOK_KINDS:
            raise ConfigError(f"设置了 WEBHOOK_URL 时，WEBHOOK_KIND 须为 wecom（企业微信群机器人）或 dingtalk（钉钉群机器人），当前为“{kind}”。")
        if not app.config["WEBHOOK_URL"].startswith(("https://", "http://")):
            raise ConfigError("WEBHOOK_URL 应以 https:// 开头（群机器人的 Webhook 地址）。")
    app.config["TRUSTED_PROXY_ADDRESSES"] = proxy_networks(app)
    if app.config["APP_ENV"] == "production":
        secure_for_production(app)


def proxy_networks(app: Flask) -> tuple:
    """The addresses and networks of the reverse proxies whose X-Forwarded-* headers the app believes (ops), from
    TRUSTED_PROXY_ADDRESSES ("127.0.0.1,10.0.0.5", "10.0.0.0/24"; a list in a mapping too). With TRUSTED_PROXIES set
    and no list, production refuses to start (whoever reached the app's port directly could name any address and
    slip past the limits that count by address); development believes a proxy on this machine only."""
    listed = app.config.get("TRUSTED_PROXY_ADDRESSES") or ()
    if isinstance(listed, str):
        listed = listed.replace("，", ",").replace(" ", ",").split(",")
    networks = []
    for entry in (str(item).strip() for item in listed):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ConfigError(f"TRUSTED_PROXY_ADDRESSES 中的“{entry}”不是 IP 地址或网段，应写作如 127.0.0.1,10.0.0.5 或 10.0.0.0/24。") from None
    if int(app.config.get("TRUSTED_PROXIES") or 0) and not networks:
        if app.config["APP_ENV"] == "production":
            raise ConfigError("设置了 TRUSTED_PROXIES 时，还须用 TRUSTED_PROXY_ADDRESSES 列出反向代理（nginx）的地址，"
                              "如 TRUSTED_PROXY_ADDRESSES=127.0.0.1,10.0.0.5：否则直接连到应用端口的任何人都能伪造 "
                              "X-Forwarded-For，冒充别的地址绕过登录和门户的限流。")
        networks = [ipaddress.ip_network(address) for address in LOOPBACK]
    return tuple(networks)


def secure_for_production(app: Flask) -> None:
    """In production, refuse a missing, short or guessable SECRET_KEY and send cookies over HTTPS only."""
    secret = app.config.get("SECRET_KEY") or ""
    weak = secret == DEV_SECRET or len(secret) < MIN_SECRET_LENGTH or zxcvbn(secret[:100])["guesses_log10"] < MIN_SECRET_GUESSES
    if weak:
        raise ConfigError(
            f"APP_ENV=production 时必须通过环境变量 SECRET_KEY 设置至少{MIN_SECRET_LENGTH}个字符、无规律的随机密钥"
            "（同一字符重复、常见单词或短语、键盘顺序都容易被猜中），"
            "例如：export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
