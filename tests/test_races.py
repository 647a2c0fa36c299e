"""Races decided in the database: requests fired at the same instant at several gunicorn workers (four processes of
four threads) pass the portal's limits no more often than the limits say — the CAPTCHA after an address's first
submission, five submissions an hour from an address, three a day with one phone, five wrong 查询码 — and parallel
受理, ratings and import undos let one through and tell the others why in Chinese, never with an error page.

They run on every database: SQLite takes its one write lock where PostgreSQL and MariaDB lock a row."""
from __future__ import annotations

import io
import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from imports import CommandLineUser
from imports.enterprises import import_enterprises
from models import Appeal, Enterprise, ImportBatch, PortalHit, Problem, Unit, User, db, intake, workflow
from models.portal import AppealStatus
from models.steps import StepName
from tests.conftest import csrf_token, make_user
from tests.factories import miluo, named, staff_of
from tests.helpers import flashes
from tests.servers import Client, gunicorn
from tests.test_portal import PDF, fields

PARALLEL = 12


def at_once(calls: list) -> list:
    """Run each call in its own thread, all released at the same instant; their results in order."""
    start, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        start.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 (reported as the result, so that the test says which failed)
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return results


@pytest.fixture
def server(seeded, tmp_path):
    """Four gunicorn workers of four threads each, behind a trusted proxy on this machine, so that each request may
    say which address it comes from."""
    with gunicorn(seeded.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=4, threads=4, TRUSTED_PROXIES="1",
                  TRUSTED_PROXY_ADDRESSES="127.0.0.1") as running:
        yield running


def no_errors(server) -> None:
    """No request answered 500 and no traceback reached the log."""
    log = server.log.read_text()
    assert "Traceback" not in log and " 500 " not in log, log[-3000:]


def submission(server, address: str, **extra):
    """A form opened from `address` (its CSRF token and, when the page asked, a CAPTCHA the test reads as a person
    would); calling the result sends it: (status, page)."""
    client = Client(server.base)
    headers = {"X-Forwarded-For": address}
    page = client.request("/portal/SJY/", headers=headers)[1]
    data = {"csrf_token": csrf_token(page), **fields(**extra)}
    for key in ("captcha_token", "captcha"):
        if key in extra:
            data[key] = extra[key]
    return lambda: client.request("/portal/SJY/", data, files={"files": ("说明.pdf", PDF)}, headers=headers)[:2]


def appeals(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Appeal.id)))


def test_parallel_first_submissions_from_one_address_let_one_through_without_a_captcha(seeded, server):
    sends = [submission(server, "10.7.0.1", phone=f"1390000{n:04d}") for n in range(PARALLEL)]
    results = at_once(sends)
    passed = [page for status, page in results if status == 302]
    asked = [page for status, page in results if status == 400 and "验证码" in page]
    assert len(passed) == 1 and len(asked) == PARALLEL - 1, [(s, p[-300:]) for s, p in results]
    assert 'name="captcha_token"' in asked[0]  # the refused form asks for the picture now
    assert appeals(seeded) == 1
    no_errors(server)


def test_parallel_submissions_from_one_address_stop_at_five_an_hour(seeded, server):
    with seeded.app_context():  # the address has submitted once: each further one needs a CAPTCHA, solved here
        intake.hit("submit", "10.7.0.2")
        db.session.commit()
        answers = [intake.new_challenge() for _ in range(PARALLEL)]
    sends = [submission(server, "10.7.0.2", phone=f"1370000{n:04d}", captcha_token=token, captcha=answer)
             for n, (token, answer) in enumerate(answers)]
    results = at_once(sends)
    allowed = intake.SUBMIT_PER_ADDRESS[0] - 1
    assert [status for status, _ in results].count(302) == allowed, [(s, p[-300:]) for s, p in results]
    assert all("提交过于频繁" in page for status, page in results if status != 302)
    assert appeals(seeded) == allowed
    no_errors(server)


def test_parallel_submissions_with_one_phone_stop_at_three_a_day(seeded, server):
    sends = [submission(server, f"10.8.{n}.1", phone="13812345678") for n in range(PARALLEL)]
    results = at_once(sends)
    allowed = intake.SUBMIT_PER_PHONE[0]
    assert [status for status, _ in results].count(302) == allowed, [(s, p[-300:]) for s, p in results]
    assert all("同一联系电话一天内最多提交" in page for status, page in results if status != 302)
    assert appeals(seeded) == allowed
    no_errors(server)


def test_parallel_wrong_codes_from_one_address_check_at_most_five(seeded, server):
    def lookup():
        client = Client(server.base)
        headers = {"X-Forwarded-For": "10.9.0.1"}
        token = csrf_token(client.request("/portal/track", headers=headers)[1])
        return lambda: client.request("/portal/track", {"csrf_token": token, "number": "SQ2099010199999",
                                                        "code": "ABCDEFGHJK"}, headers=headers)[:2]

    results = at_once([lookup() for _ in range(PARALLEL)])
    limit = intake.WRONG_LOOKUPS[0]
    checked = [page for _, page in results if "受理编号或查询码不正确" in page]
    waiting = [page for _, page in results if "错误次数过多" in page]
    assert len(checked) == limit and len(waiting) == PARALLEL - limit, [(s, p[-300:]) for s, p in results]
    with seeded.app_context():
        assert db.session.scalar(select(func.count(PortalHit.id)).where(PortalHit.kind == "lookup")) == limit
    no_errors(server)


def waiting_appeal(app) -> int:
    """A 诉求 in the queue, as the portal files it."""
    with app.test_request_context():
        appeal, _ = intake.submit(miluo(), fields(), [], "10.6.0.1")
        return appeal.id


def test_parallel_decisions_on_one_appeal_let_one_through(seeded, server):
    appeal_id = waiting_appeal(seeded)
    deciders = []
    for n in range(6):
        make_user(seeded, f"office{n}", "coordinator")
        client = Client(server.base)
        assert client.login(f"office{n}") == 302
        page = client.request(f"/admin/appeal/details/?id={appeal_id}")[1]
        decision = {"decision": "accept"} if n % 2 else {"decision": "refuse", "reason": "同一事项已由热线办理。"}
        deciders.append((client, {"csrf_token": csrf_token(page), "id": appeal_id, **decision}))
    results = at_once([lambda c=client, d=data: c.request("/admin/appeal/decide/", d) for client, data in deciders])
    assert [status for status, _, _ in results] == [302] * len(deciders), [r[:2] for r in results]
    told = [flashes(client.request(urlsplit(headers["Location"]).path + "?" + urlsplit(headers["Location"]).query)[1])
            for (client, _), (_, _, headers) in zip(deciders, results)]
    winners = [words for words in told if any(w.startswith(("已受理", "已对诉求")) for w in words)]
    losers = [words for words in told if any("不能再处理" in w for w in words)]
    assert len(winners) == 1 and len(losers) == len(deciders) - 1, told
    with seeded.app_context():
        appeal = db.session.get(Appeal, appeal_id)
        made = db.session.scalar(select(func.count(Problem.id)).where(Problem.source == intake.SOURCE))
        assert made == (1 if appeal.status == AppealStatus.ACCEPTED else 0)
    no_errors(server)


def resolved_appeal(app, server) -> tuple[str, str]:
    """A 诉求 submitted through the portal, accepted, assigned, signed for and 办结: its 受理编号 and 查询码."""
    client = Client(server.base)
    page = client.request("/portal/SJY/", headers={"X-Forwarded-For": "10.5.0.1"})[1]
    status, _, headers = client.request("/portal/SJY/", {"csrf_token": csrf_token(page), **fields()},
                                        headers={"X-Forwarded-For": "10.5.0.1"})
    assert status == 302
    done = client.request("/portal/done")[1]
    number = re.search(r'id="appeal-number">([^<]+)<', done).group(1)
    code = re.search(r'id="appeal-code">([^<]+)<', done).group(1)
    with app.app_context():
        office = db.session.get(User, make_user(app, "office", "coordinator"))
        problem = intake.accept(db.session.scalar(select(Appeal).where(Appeal.number == number)), office)
        db.session.flush()
        unit = named(Unit, "市人社局")
        workflow.assign(problem, office, unit, workflow.today() + timedelta(days=10), lead_person=staff_of("市人社局"))
        root = CommandLineUser()
        workflow.accept(problem, root)
        workflow.resolve(problem, root, "已组织专场招聘会。")
        db.session.commit()
    return number, code


def test_parallel_ratings_of_one_result_record_one(seeded, server):
    number, code = resolved_appeal(seeded, server)
    raters = []
    for n in range(6):
        client, headers = Client(server.base), {"X-Forwarded-For": f"10.4.{n}.1"}
        token = csrf_token(client.request("/portal/track", headers=headers)[1])
        data = {"csrf_token": token, "number": number, "code": code, "rating": "满意" if n % 2 else "不满意"}
        raters.append(lambda c=client, d=data, h=headers: c.request("/portal/track", d, headers=h)[:2])
    results = at_once(raters)
    thanked = [page for status, page in results if status == 200 and 'id="rated"' in page]
    once = [page for status, page in results if status == 400 and "您已经评价过" in page]
    assert len(thanked) == 1 and len(once) == len(raters) - 1, [(s, p[-400:]) for s, p in results]
    with seeded.app_context():
        appeal = db.session.scalar(select(Appeal).where(Appeal.number == number))
        assert [u.step for u in appeal.problem.updates].count(StepName.RATED) == 1
    no_errors(server)


def enterprise_list(*names: str) -> bytes:
    book = Workbook()
    book.active.append(["企业名称", "统一社会信用代码"])
    for name in names:
        book.active.append([name, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_parallel_undos_of_one_import_undo_it_once(seeded, server):
    with seeded.app_context():
        result = import_enterprises(enterprise_list("汨罗市并发撤销测试一有限公司", "汨罗市并发撤销测试二有限公司"),
                                    miluo(), CommandLineUser(), file_name="企业.xlsx")
        assert not result.errors, result.errors
        batch_id = result.batch.id
    clients = []
    for n in range(6):
        make_user(seeded, f"office{n}", "coordinator")
        client = Client(server.base)
        assert client.login(f"office{n}") == 302
        clients.append((client, csrf_token(client.request("/admin/import/")[1])))
    results = at_once([lambda c=client, t=token: c.request("/admin/import/undo", {"csrf_token": t, "batch": batch_id})
                       for client, token in clients])
    assert [status for status, _, _ in results] == [302] * len(clients), [r[:2] for r in results]
    told = [" ".join(flashes(client.request("/admin/import/")[1])) for client, _ in clients]
    assert sum("已撤销企业名单导入" in words for words in told) == 1, told
    assert sum("未能撤销：该批导入已于" in words for words in told) == len(clients) - 1, told
    with seeded.app_context():
        assert db.session.get(ImportBatch, batch_id).undone_at is not None
        assert db.session.scalar(select(func.count(Enterprise.id)).where(Enterprise.name.like("%并发撤销测试%"))) == 0
    no_errors(server)
