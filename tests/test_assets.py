"""Light pages (issue 29, point 9): every static file a page links, ours and Flask-Admin's, is under a fingerprinted URL
answered with a year's immutable Cache-Control; a changed file gets a new URL; pages and assets are compressed."""
from __future__ import annotations

import gzip
import re
import zlib

from flask import Blueprint, url_for

from ops.assets import IMMUTABLE
from models.vocab import ROLES

ASSET = re.compile(r'(?:src|href)="(/(?:admin/)?static/[^"]+)"')


def assets(page: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in ASSET.findall(page)]


def test_every_asset_of_every_roles_desk_and_ledger_is_fingerprinted_and_kept_a_year(seeded, login_as):
    seen = set()
    for role in ROLES:
        client = login_as(role)
        for page in ("/admin/", "/admin/problem/", "/admin/problem/new/" if role in ("group", "coordinator") else "/admin/stats/"):
            urls = assets(client.get(page).text)
            assert urls and any(u.startswith("/admin/static/") for u in urls) and any(u.startswith("/static/") for u in urls)
            for url in urls:
                assert re.search(r"[?&]v=[0-9a-f]{12}$", url), url
                seen.add(url)
    anonymous = seeded.test_client()
    for page in ("/login", "/portal/SJY/"):  # the login page and the enterprise portal, on a phone before any login
        urls = assets(anonymous.get(page).text)
        assert urls and all(re.search(r"[?&]v=[0-9a-f]{12}$", url) for url in urls), (page, urls)
        seen.update(urls)
    for url in seen:
        response = anonymous.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE, url


def test_a_static_url_without_the_current_fingerprint_is_revalidated(seeded):
    client = seeded.test_client()
    assert "immutable" not in client.get("/static/zq.css").headers["Cache-Control"]
    assert "immutable" not in client.get("/static/zq.css?v=000000000000").headers["Cache-Control"]
    assert client.get("/static/../config.py?v=1").status_code == 404


def test_a_changed_file_gets_a_new_url(app, tmp_path):
    folder = tmp_path / "assets"
    folder.mkdir()
    (folder / "probe.js").write_text("var a = 1;\n")
    app.register_blueprint(Blueprint("probe", __name__, static_folder=str(folder), static_url_path="/probe-static"))
    with app.test_request_context():
        first = url_for("probe.static", filename="probe.js")
    (folder / "probe.js").write_text("var a = 22;\n")
    with app.test_request_context():
        second = url_for("probe.static", filename="probe.js")
    assert first != second and re.search(r"v=[0-9a-f]{12}$", second)
    client = app.test_client()
    assert client.get(second).headers["Cache-Control"] == IMMUTABLE and client.get(second).text == "var a = 22;\n"
    assert "immutable" not in client.get(first).headers["Cache-Control"]  # the old fingerprint is not the file's now


def test_pages_and_assets_are_compressed_for_a_browser_that_accepts_it(seeded, login_as):
    client = login_as("handler")
    page = client.get("/admin/", headers={"Accept-Encoding": "gzip, deflate"})
    assert page.headers["Content-Encoding"] == "gzip" and "我的待办" in gzip.decompress(page.data).decode()
    css = next(u for u in assets(client.get("/admin/").text) if "bootstrap.min.css" in u)
    response = client.get(css, headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["Content-Encoding"] == "deflate"
    body = zlib.decompress(response.data)
    assert len(response.data) < len(body) / 4 and b"bootstrap" in body.lower()


def test_a_repeat_visit_of_a_phones_pages_transfers_under_100_kb(seeded, login_as):
    from bench.weight import TARGET_REPEAT_KB, page_weight

    for role in ("handler", "group"):
        weight = page_weight(login_as(role), "/admin/")
        assert weight.first_requests > 10 and weight.first_bytes > 100 * 1024  # the files are there on a first visit
        assert weight.repeat_requests <= 3 and weight.repeat_bytes < TARGET_REPEAT_KB * 1024, (role, weight)
