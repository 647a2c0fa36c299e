"""What a page costs a phone on 4G (issue 29, point 9): the bytes it transfers on a first visit and on a repeat visit.

    python bench/weight.py         # on a small demo database of its own (about half a minute)
    (make bench reports the same lines for its own database: bench/run.py calls `weights`)

A visit is measured as a browser makes it, through the WSGI app with `Accept-Encoding: gzip, deflate` (what a browser
sends over plain HTTP, as on an intranet): the page's HTML, then every script and style sheet it links and the web
fonts (.woff2) those style sheets name. Bytes are the compressed bodies plus the response headers. A repeat visit asks
again for the HTML and for each file not kept by the browser: a file answered with `immutable` and a max-age is not
asked again; any other is revalidated (If-None-Match), a 304 of headers alone.
"""
from __future__ import annotations

import posixpath
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LINKED = re.compile(r'<(?:script[^>]*\bsrc|link[^>]*\bhref)="([^"]+)"')
FONTS = re.compile(rb"url\(['\"]?([^'\")]+\.woff2)(?:\?[^'\")]*)?['\"]?\)")
BROWSER = {"Accept-Encoding": "gzip, deflate"}
TARGET_REPEAT_KB = 100
PAGES = {"我的待办": "/admin/", "问题台账": "/admin/problem/"}


@dataclass
class Weight:
    """One page: what the first visit and a repeat visit ask for and transfer."""

    first_requests: int = 0
    first_bytes: int = 0
    repeat_requests: int = 0
    repeat_bytes: int = 0
    html_bytes: int = 0


def sent(response) -> int:
    """The bytes of a response on the wire: status line, headers and (compressed) body."""
    head = len(f"HTTP/1.1 {response.status}\r\n") + sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 2
    return head + len(response.get_data())


def kept(response) -> bool:
    """Whether a browser keeps the response and does not ask for it again on the next page (a fresh max-age)."""
    control = response.headers.get("Cache-Control", "")
    return "immutable" in control or (re.search(r"max-age=([1-9]\d*)", control) is not None and "no-cache" not in control)


def page_weight(client, url: str) -> Weight:
    """The first and the repeat visit of `url` by a logged-in `client` (Flask's test client)."""
    weight = Weight()
    page = client.get(url, headers=BROWSER)
    assert page.status_code == 200, (url, page.status_code)
    html = client.get(url).text  # the same page, read uncompressed for its links
    weight.html_bytes = sent(page)
    assets = [a.replace("&amp;", "&") for a in LINKED.findall(html) if a.startswith("/") and not a.startswith("//")]
    fetched: dict[str, object] = {}
    for asset in assets:
        response = client.get(asset, headers=BROWSER)
        fetched[asset] = response
        if asset.split("?")[0].endswith(".css"):
            plain = client.get(asset).get_data()
            for font in FONTS.findall(plain):
                font_url = urljoin(asset, font.decode())
                path = posixpath.normpath(urlsplit(font_url).path)
                if path not in fetched:
                    fetched[path] = client.get(path, headers=BROWSER)
    weight.first_requests = 1 + len(fetched)
    weight.first_bytes = weight.html_bytes + sum(sent(r) for r in fetched.values())
    weight.repeat_requests, weight.repeat_bytes = 1, sent(client.get(url, headers=BROWSER))
    for asset, response in fetched.items():
        if kept(response):
            continue
        again = client.get(asset, headers={**BROWSER, "If-None-Match": response.headers.get("ETag", "")})
        weight.repeat_requests += 1
        weight.repeat_bytes += sent(again)
    return weight


def weights(app, users, login) -> list[str]:
    """Print each user's pages' first and repeat weight; the failures against the target (repeat < 100 KB)."""
    failures = []
    for who in users:
        client = login(app, who)
        for label, url in PAGES.items():
            w = page_weight(client, url)
            print(f"{who:<12} {label:<6} 首次 {w.first_requests:>2} 个请求 {w.first_bytes / 1024:7.1f} KB   "
                  f"再次 {w.repeat_requests:>2} 个请求 {w.repeat_bytes / 1024:6.1f} KB（HTML {w.html_bytes / 1024:.1f} KB）"
                  f"  (目标：再次 < {TARGET_REPEAT_KB} KB)")
            if w.repeat_bytes >= TARGET_REPEAT_KB * 1024:
                failures.append(f"{who} {label} 再次访问 {w.repeat_bytes / 1024:.0f} KB")
    return failures


def main() -> int:
    from bench.run import ANCHOR, DESK_USERS, build_app, build_database, client_for

    with tempfile.TemporaryDirectory() as folder:
        app = build_app(f"sqlite:///{folder}/weight.db")
        build_database(app, 400)
        print(f"== 页面传输量（Accept-Encoding: gzip, deflate；演示数据 400 个问题，{ANCHOR}）")
        failures = weights(app, DESK_USERS, lambda app, who: client_for(app, who))
    print("全部达标。" if not failures else "未达标：" + "；".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
