"""`flask --app app backup PATH` and `flask --app app restore PATH --yes`.

SQLite is copied with its online backup API (safe while the app runs); PostgreSQL is dumped with pg_dump in its
custom format and restored with pg_restore; MariaDB/MySQL with mariadb-dump and the mariadb client. A restore
replaces every table with the backup's; stop the app's processes first.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from models import db
from cli import CliError

MAGIC = {"sqlite": b"SQLite format 3\0", "postgresql": b"PGDMP"}
MARIADB_END = b"-- Dump completed"  # the last line mariadb-dump writes: a dump without it was cut short


def tool(*names: str) -> str:
    """The first of `names` found on PATH, or a CliError naming the package to install."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    package = "postgresql-client" if names[0].startswith("pg_") else "mariadb-client"
    raise CliError(f"找不到 {names[0]} 命令，请先安装 {package}。")


def connection(url) -> tuple[list[str], dict]:
    """Command-line connection options and environment for a server database URL."""
    env = dict(os.environ)
    if url.get_backend_name() == "postgresql":
        args = ["--host", url.host or "localhost", "--port", str(url.port or 5432), "--username", url.username or "postgres"]
        if url.password:
            env["PGPASSWORD"] = url.password
    else:
        args = ["--host", url.host or "localhost", "--port", str(url.port or 3306), "--user", url.username or "root"]
        if url.password:
            env["MYSQL_PWD"] = url.password
    return args, env


def run(command: list[str], env: dict, stdin=None) -> None:
    result = subprocess.run(command, env=env, stdin=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise CliError(f"{Path(command[0]).name} 执行失败：{(result.stderr or result.stdout).strip()[:500]}")


def sqlite_path(url) -> str:
    if not url.database or url.database == ":memory:":
        raise CliError("内存数据库不能备份或恢复。")
    return url.database


def sqlite_copy(source, target) -> None:
    """Copy the SQLite database file `source` onto `target` with SQLite's online backup API."""
    reader, writer = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with writer:
            reader.backup(writer)
    finally:
        writer.close()
        reader.close()


def backup(url_text: str, target: Path) -> None:
    """Write a backup of the database at `url_text` to `target`."""
    url = make_url(url_text)
    backend = url.get_backend_name()
    if backend == "sqlite":
        sqlite_copy(sqlite_path(url), target)
    elif backend == "postgresql":
        args, env = connection(url)
        run([tool("pg_dump"), *args, "--format=custom", "--no-owner", "--file", str(target), url.database], env)
    elif backend == "mysql":
        args, env = connection(url)
        run([tool("mariadb-dump", "mysqldump"), *args, "--single-transaction", "--routines", "--default-character-set=utf8mb4",
             f"--result-file={target}", url.database], env)
    else:
        raise CliError(f"不支持备份 {backend} 数据库。")


def check_whole(backend: str, source: Path) -> None:
    """Refuse a backup that was damaged or cut short, before anything is replaced. (PostgreSQL's restore needs no
    check: it runs in one transaction and leaves the database as it was when the file turns out damaged.)"""
    damaged = CliError(f"备份文件 {source} 已损坏或不完整，未做任何恢复，数据库保持原样。")
    if backend == "sqlite":
        try:
            reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
            try:
                whole = reader.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                ours = reader.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone()
            finally:
                reader.close()
        except sqlite3.DatabaseError:
            raise damaged from None
        if not whole or not ours:
            raise damaged
    elif backend == "mysql":
        with open(source, "rb") as dump:
            dump.seek(max(source.stat().st_size - 512, 0))
            if MARIADB_END not in dump.read():
                raise damaged


def restore(url_text: str, source: Path) -> None:
    """Replace the database at `url_text` with the backup in `source`."""
    url = make_url(url_text)
    backend = url.get_backend_name()
    with open(source, "rb") as backup_file:
        head = backup_file.read(64)
    expected = MAGIC.get(backend)
    if (expected and not head.startswith(expected)) or (backend == "mysql" and b"dump" not in head.lower()):
        raise CliError(f"{source} 不是本数据库（{backend}）的备份文件。")
    check_whole(backend, source)
    if backend == "sqlite":
        sqlite_copy(source, sqlite_path(url))
    elif backend == "postgresql":
        args, env = connection(url)
        try:  # one transaction: a file that turns out damaged halfway leaves the database as it was
            run([tool("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                 "--dbname", url.database, str(source)], env)
        except CliError as error:
            raise CliError(f"恢复未完成，数据库保持原样（备份文件可能已损坏或不完整）。{error.format_message()}") from None
    elif backend == "mysql":
        args, env = connection(url)
        with open(source, "rb") as dump:
            run([tool("mariadb", "mysql"), *args, "--default-character-set=utf8mb4", url.database], env, stdin=dump)
    else:
        raise CliError(f"不支持恢复 {backend} 数据库。")


@click.command("backup")
@with_appcontext
@click.argument("path")
def backup_command(path):
    """把数据库备份到文件 PATH（不覆盖已有文件）。SQLite 用在线备份，PostgreSQL 用 pg_dump，MariaDB 用 mariadb-dump。"""
    target = Path(path)
    if not target.parent.is_dir():
        raise CliError(f"目录不存在：{target.parent}")
    if target.exists():
        raise CliError(f"文件已存在：{target}（不覆盖已有备份，请换一个文件名）")
    db.session.remove()
    try:
        backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
    except CliError:
        if target.exists():
            target.unlink()
        raise
    click.echo(f"已备份到 {target}（{target.stat().st_size / 1024:.0f} KB）。")


@click.command("restore")
@with_appcontext
@click.argument("path")
@click.option("--yes", is_flag=True, help="不再询问，直接用备份覆盖当前数据库")
def restore_command(path, yes):
    """用备份文件 PATH 替换数据库中的全部数据（先停止所有应用进程；损坏或不完整的备份在替换前就被拒绝）。"""
    source = Path(path)
    if not source.is_file():
        raise CliError(f"找不到备份文件：{path}")
    if not yes and not click.confirm("将用备份覆盖当前数据库中的全部数据，确定吗？", default=False):
        raise CliError("已取消，数据库未改动。")
    db.session.remove()
    db.engine.dispose()
    restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    click.echo(f"已从 {source} 恢复数据库。")
