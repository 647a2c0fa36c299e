"""Load test: 20 logged-in users against gunicorn on PostgreSQL for 60 seconds (make loadtest).

    python bench/load.py [--problems 100000] [--users 20] [--seconds 60] [--workers 4]

Builds the database (as bench/run.py does, on LOAD_DATABASE_URL, default a `zq_load` database on the local
PostgreSQL server, emptied and rebuilt), makes one account per simulated user (coordinators, working groups,
responsible units, leaders), serves the app with gunicorn the way `make serve` does, and runs bench/locustfile.py
with locust (installed apart from the app by `make loadtest`, see bench/requirements-load.txt). It prints
throughput, p50 / p95 latency and errors per kind of request and in all, and whether the targets hold
(no errors, p95 under 300 ms over the whole run and under 500 ms for every kind of request). Each user pauses 1–5 s between clicks, as a person reading a page does;
LOAD_WAIT_MIN and LOAD_WAIT_MAX change that.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import secrets
import socket
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from admin.ledger import ProblemView  # noqa: E402
from models.annex2 import HEADER_OF  # noqa: E402
from models.scope import read_filter  # noqa: E402
from bench.run import PASSWORD, build_app, build_database, count_of, filter_arg  # noqa: E402
from models import Body, Campaign, Problem, Unit, User, db  # noqa: E402
from models.vocab import BodyKind, Status  # noqa: E402

DATA = ROOT / "bench" / ".data"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/zq_load"
P95_TARGET_MS = 300  # the whole run
PAGE_P95_TARGET_MS = 500  # every kind of request
MAX_PAGES = 100  # users read the first hundred pages of what they see, at random
KINDS = ("coordinator", "group", "handler") * 3 + ("leader",)  # 20 users: 6 + 6 + 6 + 2


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist yet."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    import psycopg

    server = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


def make_accounts(app, users: int) -> list[dict]:
    """One account per simulated user: the mix of roles an office would have logged in at once."""
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.code == "SJY"))
        groups = db.session.scalars(select(Body).where(Body.campaign_id == campaign.id, Body.kind == BodyKind.WORKING_GROUP).order_by(Body.id)).all()
        busy_units = db.session.scalars(
            select(Unit).join(Problem, Problem.responsible_unit_id == Unit.id)
            .where(Problem.campaign_id == campaign.id, Problem.status == Status.HANDLING)
            .group_by(Unit.id).order_by(func.count().desc(), Unit.id).limit(len(groups))).all()
        plan = []
        for n in range(users):
            kind = KINDS[n % len(KINDS)]
            scope = {"group": {"body": groups[n % len(groups)]}, "handler": {"unit": busy_units[n % len(busy_units)]}}
            plan.append((f"load{n:02d}", kind, scope.get(kind, {})))
        status = filter_arg(app, "problem", HEADER_OF["status"])
        accounts = []
        for username, role, scope in plan:
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, role=role, display_name=f"压力测试{username}", active=True,
                            campaign=campaign, **scope)
                user.set_password(PASSWORD)
                db.session.add(user)
                db.session.flush()
            seen = db.session.scalar(select(func.count()).select_from(Problem).where(read_filter(Problem, user)))
            running = db.session.scalar(select(func.count()).select_from(Problem)
                                        .where(read_filter(Problem, user), Problem.status == Status.HANDLING))
            accounts.append({
                "username": username, "password": PASSWORD, "role": role,
                "pages": max(1, min(MAX_PAGES, math.ceil(seen / ProblemView.page_size))),
                "running_url": f"/admin/problem/?{status}={quote('办理中')}",
                "running_pages": max(1, min(MAX_PAGES, math.ceil(running / ProblemView.page_size))),
            })
        db.session.commit()
    return accounts


def existing_problems(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(Problem)) or 0
        except Exception:  # no schema yet
            db.session.rollback()
            return 0


def refuse_busy_port(port: int) -> None:
    """Stop before building anything when another program listens on `port`: the load would go to it instead (a
    `make run` left on the same port answered /healthz, and every login of the run failed against its accounts)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"端口 {port} 已有程序在监听（例如另一个 make run）：压力测试会发到它那里。请先停止它，或用 --port 换一个端口。")


def wait_until_healthy(base: str, server: subprocess.Popen, seconds: int = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn 已退出（例如端口被占用），见 bench/.data/gunicorn.log")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn 未能在 60 秒内就绪，见 bench/.data/gunicorn.log")


def report(stats_csv: Path, seconds: int, judge: bool = True) -> bool:
    """Print the run's table; with `judge`, whether the cadres' latency targets hold."""
    with open(stats_csv, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    print(f"{'请求':<28}{'次数':>8}{'错误':>6}{'每秒':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for row in rows:
        name = "合计" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        print(f"{name:<28}{int(row['Request Count']):>8}{int(row['Failure Count']):>6}{float(row['Requests/s']):>8.1f}"
              f"{row['50%']:>9}{row['95%']:>9}")
    total = next(r for r in rows if r["Name"] == "Aggregated")
    errors, p95 = int(total["Failure Count"]), float(total["95%"])
    slow = [f"{r['Name']} {float(r['95%']):.0f} ms" for r in rows
            if r["Name"] != "Aggregated" and float(r["95%"]) >= PAGE_P95_TARGET_MS]
    print(f"\n吞吐 {float(total['Requests/s']):.1f} 次/秒（{seconds} 秒共 {int(total['Request Count'])} 次请求）  "
          f"p50 {total['50%']} ms  p95 {p95:.0f} ms  错误 {errors} 次")
    if not judge:
        return errors == 0
    ok = errors == 0 and p95 < P95_TARGET_MS and not slow
    goal = f"零错误，合计 p95 < {P95_TARGET_MS} ms，每种请求 p95 < {PAGE_P95_TARGET_MS} ms"
    print(f"全部达标（{goal}）。" if ok else
          f"未达标：错误 {errors} 次，合计 p95 {p95:.0f} ms" + (f"，{'、'.join(slow)}" if slow else "") + f"（目标：{goal}）")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=count_of(100), default=100_000)
    parser.add_argument("--users", type=count_of(1), default=20)
    parser.add_argument("--seconds", type=count_of(1), default=60)
    parser.add_argument("--workers", type=count_of(1), default=4, help="gunicorn worker processes (make serve's default)")
    parser.add_argument("--port", type=count_of(1024), default=5077)
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run of the same size")
    parser.add_argument("--locust", default=str(DATA / "load-venv" / "bin" / "locust"))
    parser.add_argument("--portal", action="store_true",
                        help="enterprises submitting through the portal (bench/locust_portal.py), one a second each; "
                             "--users of them (default 50: 50 submissions a second)")
    args = parser.parse_args()
    refuse_busy_port(args.port)
    if args.portal:
        return portal_load(args)
    url = os.environ.get("LOAD_DATABASE_URL", DEFAULT_URL)
    DATA.mkdir(exist_ok=True)
    if not Path(args.locust).exists():
        raise SystemExit(f"未找到 locust（{args.locust}）：请用 make loadtest 运行，它会先安装 bench/requirements-load.txt。")

    print(f"机器：{os.cpu_count()} 核，{platform.platform()}，Python {platform.python_version()}")
    ensure_database(url)
    app = build_app(url)
    start = time.perf_counter()
    if not (args.reuse and existing_problems(app) == args.problems + 1):  # the demo's problems and the seeded one
        build_database(app, args.problems)
    accounts = make_accounts(app, args.users)
    with app.app_context():
        server = db.session.execute(text("SELECT version()")).scalar()
        db.engine.dispose()
    print(f"数据库：{server.split(',')[0]}；问题 {args.problems:,}；建库 {time.perf_counter() - start:.0f} s")
    roles = {}
    for account in accounts:
        roles[account["role"]] = roles.get(account["role"], 0) + 1
    print("用户：" + "，".join(f"{role} {n} 人" for role, n in roles.items()))
    users_file = DATA / "load-users.json"
    users_file.write_text(json.dumps(accounts, ensure_ascii=False), encoding="utf-8")

    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32)}
    log = open(DATA / "gunicorn.log", "w")
    gunicorn = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--workers", str(args.workers),
                                 "--bind", f"127.0.0.1:{args.port}", "app:create_app()"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(base, gunicorn)
        wait = (os.environ.get("LOAD_WAIT_MIN", "1"), os.environ.get("LOAD_WAIT_MAX", "5"))
        print(f"gunicorn：{args.workers} 个工作进程；locust：{args.users} 个用户，{args.seconds} 秒，"
              f"每次点击之间停 {wait[0]}–{wait[1]} 秒（LOAD_WAIT_MIN / LOAD_WAIT_MAX）\n")
        subprocess.run([args.locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
                        "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--host", base,
                        "--csv", str(DATA / "load"), "--loglevel", "WARNING"],
                       env={**os.environ, "LOAD_USERS": str(users_file)}, check=False,
                       stdout=subprocess.DEVNULL)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(30)
        log.close()
    return 0 if report(DATA / "load_stats.csv", args.seconds) else 1


PORTAL_RATE_TARGET = 0.95  # of one submission a second per simulated enterprise, sustained


def portal_load(args) -> int:
    """Enterprises submitting 诉求 through the portal (bench/locust_portal.py) against gunicorn on PostgreSQL: the
    seeds and no demo ledger (a submission touches the appeal and limit tables only), TRUSTED_PROXIES=1 so that each
    request's X-Forwarded-For is its enterprise's address. Target: no errors and the submissions/s sustained."""
    users = args.users if args.users != 20 else 50
    url = os.environ.get("LOAD_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    app = build_app(url)
    build_database(app, 0)
    with app.app_context():
        server = db.session.execute(text("SELECT version()")).scalar()
        db.engine.dispose()
    print(f"机器：{os.cpu_count()} 核；数据库：{server.split(',')[0]}")
    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "TRUSTED_PROXIES": "1"}
    log = open(DATA / "gunicorn.log", "w")
    gunicorn = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--workers", str(args.workers),
                                 "--bind", f"127.0.0.1:{args.port}", "app:create_app()"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(base, gunicorn)
        print(f"gunicorn：{args.workers} 个工作进程；locust：{users} 家企业，每家每秒提交 1 条，{args.seconds} 秒\n")
        subprocess.run([args.locust, "-f", str(ROOT / "bench" / "locust_portal.py"), "--headless", "--only-summary",
                        "-u", str(users), "-r", str(users), "-t", f"{args.seconds}s", "--host", base,
                        "--csv", str(DATA / "portal"), "--loglevel", "WARNING"], check=False, stdout=subprocess.DEVNULL)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(30)
        log.close()
    ok = report(DATA / "portal_stats.csv", args.seconds, judge=False)  # the portal's target is its rate, below
    with open(DATA / "portal_stats.csv", encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    rate = float(rows["提交诉求"]["Requests/s"]) if "提交诉求" in rows else 0.0
    failed = int(rows["提交诉求"]["Failure Count"]) if "提交诉求" in rows else 1
    sustained = rate >= users * PORTAL_RATE_TARGET and failed == 0
    print(f"提交诉求 {rate:.1f} 条/秒，失败 {failed} 条（目标：≥ {users * PORTAL_RATE_TARGET:.1f} 条/秒，零失败）："
          + ("达标。" if sustained else "未达标。"))
    return 0 if ok and sustained else 1


if __name__ == "__main__":
    sys.exit(main())
