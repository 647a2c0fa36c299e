"""Configuration from the environment, and the shipped translation catalogue."""
from __future__ import annotations

import os

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app import create_app
from config import ConfigError, normalise_database_url

CATALOG = os.path.join(os.path.dirname(os.path.dirname(__file__)), "admin", "translations", "zh_Hans_CN", "LC_MESSAGES")


def test_database_url_picks_bundled_drivers():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("mysql://root@h/db") == "mysql+pymysql://root@h/db?charset=utf8mb4"
    assert normalise_database_url("mariadb://root@h/db?x=1") == "mysql+pymysql://root@h/db?x=1&charset=utf8mb4"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_environment_configures_database_and_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_default_database_is_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{os.path.join(app.instance_path, 'zhuqi.db')}"


def test_counts_from_the_environment_must_be_whole_numbers(monkeypatch, tmp_path):
    """TRUSTED_PROXIES is 0 unless the environment says otherwise, and must be a whole number. (The yellow window and
    the other campaign settings are not the environment's: tests/test_settings.py.)"""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    assert create_app().config["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert create_app().config["TRUSTED_PROXIES"] == 2
    for bad in ("三", "2.5", "-1", "²"):  # "²" passes str.isdigit but is no number int() reads
        monkeypatch.setenv("TRUSTED_PROXIES", bad)
        with pytest.raises(ConfigError, match=f"环境变量 TRUSTED_PROXIES 应为代理层数（非负整数），当前为“{bad}”"):
            create_app()


def plain(text):
    """A message's id or text, a plural one (singular and plural forms) as a tuple."""
    return tuple(text) if isinstance(text, (list, tuple)) else text


def test_compiled_translations_match_their_source():
    with open(os.path.join(CATALOG, "admin.po"), "rb") as po, open(os.path.join(CATALOG, "admin.mo"), "rb") as mo:
        source = {plain(m.id): plain(m.string) for m in read_po(po) if m.id}
        compiled = {plain(m.id): plain(m.string) for m in read_mo(mo) if m.id}
    assert source == compiled, "run `make translations`"
