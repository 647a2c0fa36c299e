"""Behind a reverse proxy (ops.TrustedProxies, config.proxy_networks): X-Forwarded-For names the client only when the
request comes from a listed proxy; anyone who reaches the app's port directly keeps their own address, whatever they
send, and so cannot slip past the limits that count by address. Production refuses to start when TRUSTED_PROXIES is set
without the proxies' addresses."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from app import create_app
from config import ConfigError
from models import Appeal, PortalHit, db, intake
from tests.conftest import csrf_token, make_app
from tests.servers import Client, gunicorn
from tests.test_portal import fields

STRONG = "Vq3k9XzP2mLr8TnB5wYc7HdJ4sFg6Ae1"  # 32 random characters, as production wants
PHONES = (f"1390000{n:04d}" for n in itertools.count())  # each submission its own phone: the limits are not tested here


def submitted_from(app, remote: str, forwarded: str) -> str:
    """Submit a 诉求 from REMOTE_ADDR `remote` claiming X-Forwarded-For `forwarded`: the address the portal kept."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    headers = {"X-Forwarded-For": forwarded}
    page = client.get("/portal/SJY/", headers=headers)
    response = client.post("/portal/SJY/", data={"csrf_token": csrf_token(page.text), **fields(phone=next(PHONES))},
                           headers=headers)
    assert response.status_code == 302, response.text[-1500:]
    with app.app_context():
        return db.session.scalar(select(Appeal.address).order_by(Appeal.id.desc()).limit(1))


def test_x_forwarded_for_is_believed_only_from_a_listed_proxy(seeded):
    app = make_app(seeded.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXIES=1,
                   TRUSTED_PROXY_ADDRESSES="10.0.0.5, 192.168.8.0/24")
    assert submitted_from(app, "10.0.0.5", "203.0.113.7") == "203.0.113.7"  # nginx on 10.0.0.5 names the client
    assert submitted_from(app, "192.168.8.20", "203.0.113.8") == "203.0.113.8"  # a listed network
    assert submitted_from(app, "198.51.100.9", "203.0.113.9") == "198.51.100.9"  # straight to the port: itself
    assert submitted_from(app, "::ffff:10.0.0.5", "203.0.113.10") == "203.0.113.10"  # the proxy seen over IPv6


def test_a_direct_request_cannot_spread_its_wrong_codes_over_made_up_addresses(seeded, tmp_path):
    """gunicorn with TRUSTED_PROXIES=1 and nginx elsewhere: a client on this machine reaching gunicorn directly with a
    new X-Forwarded-For each time is still one address, and is stopped after five wrong 查询码."""
    with gunicorn(seeded.config["SQLALCHEMY_DATABASE_URI"], tmp_path, TRUSTED_PROXIES="1",
                  TRUSTED_PROXY_ADDRESSES="10.0.0.5") as server:
        pages = []
        for n in range(intake.WRONG_LOOKUPS[0] + 1):
            client, headers = Client(server.base), {"X-Forwarded-For": f"203.0.113.{n}"}
            token = csrf_token(client.request("/portal/track", headers=headers)[1])
            pages.append(client.request("/portal/track", {"csrf_token": token, "number": "SQ2099010199999",
                                                          "code": "ABCDEFGHJK"}, headers=headers)[1])
    assert "错误次数过多" in pages[-1] and all("错误次数过多" not in page for page in pages[:-1])
    with seeded.app_context():
        assert set(db.session.scalars(select(PortalHit.key))) == {"127.0.0.1"}


def test_production_refuses_trusted_proxies_without_their_addresses(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    monkeypatch.delenv("TRUSTED_PROXY_ADDRESSES", raising=False)
    with pytest.raises(ConfigError, match="还须用 TRUSTED_PROXY_ADDRESSES 列出反向代理（nginx）的地址"):
        create_app()
    monkeypatch.setenv("TRUSTED_PROXY_ADDRESSES", "127.0.0.1,10.0.0.5")
    assert [str(n) for n in create_app().config["TRUSTED_PROXY_ADDRESSES"]] == ["127.0.0.1/32", "10.0.0.5/32"]
    monkeypatch.setenv("TRUSTED_PROXY_ADDRESSES", "10.0.0.x")
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_ADDRESSES 中的“10.0.0.x”不是 IP 地址或网段"):
        create_app()
    monkeypatch.delenv("TRUSTED_PROXY_ADDRESSES")
    monkeypatch.setenv("TRUSTED_PROXIES", "0")  # no proxy, no list needed
    assert create_app().config["TRUSTED_PROXY_ADDRESSES"] == ()


def test_development_without_a_list_believes_a_proxy_on_this_machine_only(seeded):
    app = make_app(seeded.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXIES=1)
    assert submitted_from(app, "127.0.0.1", "203.0.113.20") == "203.0.113.20"
    assert submitted_from(app, "10.0.0.7", "203.0.113.21") == "10.0.0.7"
