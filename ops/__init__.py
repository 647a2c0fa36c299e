"""Running the app in production: a health check, one log line per request, trusted reverse proxies, the backup and
restore commands, and the account commands; every command of the app is guarded here (cli)."""
from __future__ import annotations

import ipaddress
import logging
import sys

import click
import time

from flask import Blueprint, Flask, g, jsonify, request
from flask_login import current_user
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from models import db

from cli import guard_commands
from cli.zh import speak_chinese

from .accounts import create_user_command, demo_accounts_command
from .backup import backup_command, restore_command
from .workdays import workdays_command
from .remind import remind_command

bp = Blueprint("ops", __name__)


def warm_up(app: Flask) -> int:
    """Compile every template of the panel once, before a worker takes its first request (gunicorn.conf.py): Jinja
    compiles a template on first use, and a fresh worker's first pages would otherwise each pay for it (about 0.4 s in
    all). Returns how many templates were compiled."""
    names = [name for name in app.jinja_env.list_templates() if name.endswith(".html")]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
request_log = logging.getLogger("zhuqi.requests")


@bp.route("/healthz")
def health():
    """200 when the app can reach its database, 503 (with the reason) when it cannot. No login needed."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # any database failure makes the process unhealthy
        db.session.rollback()
        return jsonify(status="error", database=type(error).__name__), 503
    return jsonify(status="ok", database="ok")


def start_timer() -> None:
    g.request_started = time.perf_counter()


def log_request(response):
    """One line per request: method, path, status, user, duration, client address."""
    elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
    who = current_user.username if current_user and current_user.is_authenticated else "-"
    request_log.info('%s %s %s user=%s %.0fms addr=%s', request.method, request.full_path.rstrip("?"), response.status_code,
                     who, elapsed, request.remote_addr or "-")
    return response


class TrustedProxies:
    """Werkzeug's ProxyFix for the requests that come from a listed reverse proxy (TRUSTED_PROXY_ADDRESSES, checked
    against REMOTE_ADDR before anything reads X-Forwarded-*): the proxy's X-Forwarded-For, -Proto and -Host then say the
    client's address, scheme and host. A request from anywhere else, such as one that reached gunicorn's port directly,
    keeps its own address whatever headers it sends."""

    def __init__(self, wsgi_app, networks: tuple, hops: int):
        self.direct, self.networks = wsgi_app, networks
        self.proxied = ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    def __call__(self, environ, start_response):
        fixed = from_proxy(environ.get("REMOTE_ADDR"), self.networks)
        return (self.proxied if fixed else self.direct)(environ, start_response)


def from_proxy(remote: str | None, networks: tuple) -> bool:
    """Whether a request's REMOTE_ADDR is one of the trusted proxies' (an IPv4 address seen over IPv6 counts as itself)."""
    try:
        address = ipaddress.ip_address((remote or "").split("%", 1)[0])
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in network for network in networks)


def init_app(app: Flask) -> None:
    """Register the health check, the request log (unless REQUEST_LOG is off) and the backup commands."""
    app.register_blueprint(bp)
    if app.config.get("REQUEST_LOG", True):
        if not request_log.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(message)s"))
            request_log.addHandler(handler)
            request_log.setLevel(logging.INFO)
            request_log.propagate = False
        app.before_request(start_timer)
        app.after_request(log_request)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:  # behind nginx or another reverse proxy: trust its X-Forwarded-For/Proto/Host, when it is the sender
        app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXY_ADDRESSES"], proxies)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_accounts_command)
    app.cli.add_command(workdays_command)
    app.cli.add_command(remind_command)
    guard_commands(app.cli)  # ops is set up last (app.py): every command of every module is registered by now
    running = click.get_current_context(silent=True)  # the flask command, when the app is loaded by it
    speak_chinese(app.cli, *([running.find_root().command] if running is not None else []))
