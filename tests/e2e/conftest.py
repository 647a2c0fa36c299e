"""End-to-end fixtures: the app served on localhost from a thread, Debian's Chromium driven by Playwright, every
request that would leave the server blocked and failed, and a screenshot saved when a test fails."""
from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, make_user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("未找到 Chromium（Debian 包 chromium）：浏览器端到端测试已跳过；.ci/run 会安装它")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server(seeded):
    """The seeded app, served over HTTP on a free localhost port for the length of one test."""
    httpd = make_server("127.0.0.1", 0, seeded, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, server, request):
    """A fresh browser page; requests outside the server are blocked and fail the test; a failure leaves a screenshot."""
    context = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1400, "height": 900})
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(server) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    tab.base = server
    yield tab
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    assert not outside, f"requests left the server: {outside}"


@pytest.fixture
def users(seeded):
    """One account per role (the password is PASSWORD)."""
    for role in ("admin", "coordinator", "group", "handler", "leader"):
        make_user(seeded, role, role)
    return PASSWORD


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto(page.base + "/admin/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/.*"))

