"""The enterprise portal (/portal/, models.intake): an enterprise submits a 诉求 without logging in, the office or the
linked working group accepts it as a ledger problem (or refuses it with a reason), the enterprise looks up its progress
with its 受理编号 and 查询码 and rates the result; a rating of 不满意 holds back 销号 until the office visits again.
The abuse limits (CSRF, per-address and per-phone limits, the CAPTCHA, wrong-code throttling, sniffed files) too."""
from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import timedelta

import pytest
from docx import Document
from PIL import Image
from sqlalchemy import func, select

from models import (Appeal, AppealFile, AuditLog, Body, Campaign, Person, PortalChallenge, PortalHit, Problem, Unit, User,
                    db, local_now)
import documents
from models import intake, workflow
from models.documents import Kind
from models.portal import AppealStatus, Revisit
from models.steps import StepName
from models.vocab import Status
from tests.conftest import csrf_token, hidden_inputs
from tests.helpers import flashes
from tests.servers import Client, gunicorn

FIRM = "汨罗市星火新材料有限公司"


def valid_code(first17: str = "91430681MA4L0NEW1") -> str:
    from models.uscc import check_character
    return first17 + check_character(first17)


def picture(kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, kind)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def campaign_code(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Campaign.code).where(Campaign.code == "SJY"))


def fields(**extra) -> dict:
    return {"enterprise_name": FIRM, "credit_code": valid_code(), "contact": "周经理", "phone": "13812345678",
            "category": "用工", "description": "企业扩产急需熟练技工约50名，希望协助对接职业院校和人社部门招聘。", **extra}


def post_appeal(client, path="/portal/SJY/", files=(), solve=None, **extra):
    """Submit the form as a phone would; where the page asks for a CAPTCHA, `solve` (the app) reads one the way a
    person reads the picture: by making a challenge whose answer the test knows."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_token(page.text), **fields(**extra)}
    if 'name="captcha_token"' in page.text and solve is not None:
        with solve.app_context():
            data["captcha_token"], data["captcha"] = intake.new_challenge()
    if files:
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(path, data=data, content_type="multipart/form-data"), page


def receipt(client, response) -> tuple[str, str]:
    assert response.status_code == 302, response.text[-2000:]
    done = client.get(response.headers["Location"])
    number = re.search(r'id="appeal-number">([^<]+)<', done.text).group(1)
    code = re.search(r'id="appeal-code">([^<]+)<', done.text).group(1)
    assert "data:image/png;base64," in done.text  # the receipt as a picture to keep
    again = client.get(response.headers["Location"])
    assert code not in again.text and "只显示一次" in again.text  # shown once
    return number, code


def sent(seeded, enterprise) -> tuple[str, str, int]:
    """A 诉求 sent from the portal by `enterprise` (a test client): its 受理编号, 查询码 and id."""
    number, code = receipt(enterprise, post_appeal(enterprise)[0])
    with seeded.app_context():
        return number, code, db.session.scalar(select(Appeal.id).where(Appeal.number == number))


def accept(office, appeal_id: int, **choices):
    """受理 from the 诉求's page, as the office takes it: the response (a redirect when accepted)."""
    page = office.get(f"/admin/appeal/details/?id={appeal_id}")
    return office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": appeal_id,
                                                      "decision": "accept", **choices})


def test_an_enterprise_submits_tracks_and_rates_and_the_office_accepts_and_closes(seeded, login_as):
    enterprise = seeded.test_client()
    response, _ = post_appeal(enterprise, files=[("营业执照.png", picture()), ("说明.pdf", PDF)])
    number, code = receipt(enterprise, response)
    assert re.fullmatch(r"SQ\d{13}", number) and len(code) == intake.CODE_LENGTH
    with seeded.app_context():
        appeal = db.session.scalar(select(Appeal).where(Appeal.number == number))
        assert appeal.status == AppealStatus.WAITING and len(appeal.files) == 2
        assert code not in appeal.code_hash and appeal.code_hash.startswith("pbkdf2:sha256:20000$")  # stored hashed
        trail = db.session.scalar(select(AuditLog.changes).where(AuditLog.table_name == "appeal"))
        assert appeal.code_hash not in str(trail) and "code_hash" in trail  # the audit says it was set, not what
        appeal_id = appeal.id

    # the office finds it on its desk and in the queue, and accepts it: a new enterprise and a problem (服务平台)
    office = login_as("coordinator")
    assert re.search(r"待受理诉求.{0,400}?>\s*1\s*<", office.get("/admin/").text, re.S)
    assert number in office.get("/admin/appeal/").text
    page = office.get(f"/admin/appeal/details/?id={appeal_id}")
    assert "企业名单中没有，受理时新建" in page.text and "营业执照.png" in page.text
    accepted = office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": appeal_id,
                                                          "decision": "accept"})
    assert accepted.status_code == 302, flashes(office.get("/admin/appeal/").text)
    with seeded.app_context():
        appeal = db.session.get(Appeal, appeal_id)
        problem = appeal.problem
        assert appeal.status == AppealStatus.ACCEPTED and problem.source == intake.SOURCE
        assert problem.enterprise.name == FIRM and problem.enterprise.credit_code == valid_code()
        assert problem.status == Status.UNASSIGNED and problem.category == "用工"
        assert {f.problem_id for f in appeal.files} == {problem.id}  # the attachments carried over
        assert "受理编号" in problem.updates[0].note
        problem_id, file_id = problem.id, appeal.files[0].id
    assert office.get(f"/admin/problem/attachment/?id={file_id}").data == picture()
    with seeded.test_request_context():  # 申请办结 of a portal problem says which of its fields the enterprise reads
        from admin.steps import resolve_fields
        fields = resolve_fields(db.session.get(Problem, problem_id))
        assert "企业查询进展时会看到这里填写的办理结果" in fields["resolution"].kwargs["description"]
        assert fields["note"].args[0] == "补充说明（企业看不到）"

    # it runs the loop; the enterprise sees only the public steps
    with seeded.app_context():
        problem = db.session.get(Problem, problem_id)
        office_user = db.session.scalar(select(User).where(User.username == "coordinator"))
        unit = db.session.scalar(select(Unit).where(Unit.campaign_id == problem.campaign_id, Unit.name == "市人社局"))
        person = db.session.scalar(select(Person).where(Person.unit_id == unit.id)) or Person(
            campaign_id=problem.campaign_id, name="人社局 李科长", unit=unit)
        workflow.assign(problem, office_user, unit, workflow.today() + timedelta(days=10), lead_person=person,
                        note="内部说明：请人社局周五前对接")
        handler = type("U", (), {"id": None, "role": "admin", "unit_id": None, "role_label": "系统管理员"})()
        workflow.accept(problem, handler, note="内部签收意见")
        workflow.resolve(problem, handler, "已组织两场专场招聘会，企业招到技工52名。")
        db.session.commit()
    looked = enterprise.post("/portal/track", data={"csrf_token": csrf_token(enterprise.get("/portal/track").text),
                                                    "number": number, "code": code.lower()})
    assert looked.status_code == 200
    timeline = looked.text.split('id="public-timeline"')[1].split("</ul>")[0]
    assert "已交办：由市人社局办理" in timeline and "已办结" in timeline and "招到技工52名" in timeline
    assert "内部" not in looked.text and "李科长" not in looked.text  # no notes, no people
    assert "非常不满意" in looked.text  # the rating form, on the five 好差评 levels

    # 不满意: back to the office's desk for 回访; 销号 refused until then
    rated = enterprise.post("/portal/track", data={"csrf_token": csrf_token(looked.text), "number": number,
                                                   "code": code, "rating": "不满意",
                                                   "comment": "招来的人不够熟练<img src=x onerror=alert(1)>"})
    assert 'id="rated"' in rated.text and "回访" in rated.text
    with seeded.app_context():
        problem = db.session.get(Problem, problem_id)
        office_user = db.session.scalar(select(User).where(User.username == "coordinator"))
        assert db.session.get(Appeal, appeal_id).revisit == Revisit.PENDING
        assert "须先回访" in workflow.refusal(workflow.StepName.CLOSE, problem, office_user)
        assert [u.note for u in problem.updates if u.step == StepName.RATED] == [
            "不满意（企业自评）：招来的人不够熟练<img src=x onerror=alert(1)>"]
    desk = office.get("/admin/").text
    assert re.search(r"企业不满意待回访.{0,400}?>\s*1\s*<", desk, re.S)
    assert "您已经评价过" in enterprise.post("/portal/track", data={
        "csrf_token": csrf_token(looked.text), "number": number, "code": code, "rating": "满意"}).text  # once
    assert login_as("handler").get(f"/admin/problem/attachment/?id={file_id}").status_code == 404  # not its problem
    with seeded.app_context():
        rsj = db.session.scalar(select(Unit).where(Unit.name == "市人社局", Unit.campaign_id == db.session.get(
            Problem, problem_id).campaign_id))
    assert login_as("handler", "rsj", unit=rsj).get(f"/admin/problem/attachment/?id={file_id}").data == picture()
    case = office.get(f"/admin/problem/details/?id={problem_id}").text  # the case file: 回访 offered, 销号 not
    assert "不满意（企业自评）：招来的人不够熟练&lt;img" in case and "/step/revisit/" in case and "/step/close/" not in case
    assert "<img src=x" not in case
    assert re.search(r'class="btn btn-primary" id="step-primary" href="[^"]*/step/revisit/', case)  # the step it waits for
    form = office.get(f"/admin/problem/step/revisit/?id={problem_id}")
    assert "企业评价：不满意" in form.text and "联系人：周经理（13812345678）" in form.text  # whom to call, and why
    assert "招到技工52名" in form.text  # the result the enterprise rated
    done = office.post(f"/admin/problem/step/revisit/?id={problem_id}", data={
        **hidden_inputs(form.text), "ids": str(problem_id), "note": "电话回访：企业认可招聘会，技能培训另行安排。"})
    assert done.status_code == 302, flashes(done.text)
    close_form = office.get(f"/admin/problem/step/close/?id={problem_id}").text
    assert "企业在服务平台的评价（企业自评）：不满意" in close_form  # beside the office's own 满意度
    assert "回访记录" in close_form and "企业认可招聘会" in close_form
    assert "<img src=x" not in close_form and "&lt;img src=x" in close_form  # what the enterprise typed, as text
    with seeded.app_context():
        problem = db.session.get(Problem, problem_id)
        office_user = db.session.scalar(select(User).where(User.username == "coordinator"))
        workflow.close(problem, office_user, "基本满意")
        db.session.commit()
        assert problem.status == Status.CLOSED and db.session.get(Appeal, appeal_id).revisit == Revisit.DONE
        assert [u.step for u in problem.updates][-3:] == [StepName.RATED, StepName.REVISIT, StepName.CLOSE]
        data, _, _ = documents.issue(Kind.CLOSE, [problem], office_user, workflow.today())
        sheet = "\n".join(cell.text for table in Document(io.BytesIO(data)).tables for row in table.rows for cell in row.cells)
        assert "企业自评（服务平台）" in sheet and "不满意（受理编号" in sheet and "；已回访）" in sheet  # 销号审批单


def test_a_wrong_code_reveals_nothing_and_repeated_ones_are_throttled(seeded):
    enterprise = seeded.test_client()
    number, code = receipt(enterprise, post_appeal(enterprise)[0])
    stranger = seeded.test_client()
    token = csrf_token(stranger.get("/portal/track").text)
    wrong = stranger.post("/portal/track", data={"csrf_token": token, "number": number, "code": "X" * 10})
    missing = stranger.post("/portal/track", data={"csrf_token": token, "number": "SQ2099010199999", "code": "X" * 10})
    assert wrong.status_code == missing.status_code == 400
    strip = lambda html: html.replace(number, "N").replace("SQ2099010199999", "N")  # noqa: E731
    assert strip(wrong.text) == strip(missing.text)  # the same page whether the number exists or not
    assert FIRM not in wrong.text
    for _ in range(3):
        stranger.post("/portal/track", data={"csrf_token": token, "number": number, "code": "Y" * 10})
    throttled = stranger.post("/portal/track", data={"csrf_token": token, "number": number, "code": code})
    assert "错误次数过多" in throttled.text and FIRM not in throttled.text  # even the right pair waits now


def test_files_whose_content_is_not_what_their_name_says_are_refused(seeded):
    client = seeded.test_client()
    for name, content, message in (("发票.pdf", picture(), "内容是 PNG 文件"), ("照片.jpg", picture("PNG"), "内容是 PNG"),
                                   ("病毒.png", b"MZ\x90\x00" + b"\x00" * 200, "不是 JPG、PNG 图片或 PDF"),
                                   ("空.pdf", b"", "空文件"), ("大.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 10), "超过 5 MB")):
        response, _ = post_appeal(client, files=[(name, content)])
        assert response.status_code == 400 and message in response.text, (name, response.text[-1500:])
        assert "已选的附件需要重新选择" in response.text  # a browser does not keep a refused form's files
    page = client.get("/portal/SJY/")
    huge = client.post("/portal/SJY/", data={"csrf_token": csrf_token(page.text), **fields(),
                                             "files": [(io.BytesIO(b"0" * (intake.MAX_BODY_BYTES + 1)), "大.pdf")]},
                       content_type="multipart/form-data")
    assert huge.status_code == 413 and "上传的文件太大" in huge.text and "返回诉求直报首页" in huge.text
    with seeded.app_context():
        assert db.session.scalar(select(func.count(Appeal.id))) == 0  # nothing kept


def test_bad_fields_get_chinese_messages_and_change_nothing(seeded):
    client = seeded.test_client()
    wrong_check = valid_code()[:-1] + ("3" if valid_code()[-1] != "3" else "4")
    for extra, message in (({"credit_code": wrong_check}, "校验位错误"), ({"phone": "12345"}, "联系电话应为"),
                           ({"description": "太短"}, "诉求内容请写"), ({"category": "不存在的类型"}, "请从列表中选择"),
                           ({"enterprise_name": ""}, "请填写企业名称"), ({"contact": "周\x01"}, "控制字符")):
        response, _ = post_appeal(client, **extra)
        assert response.status_code == 400 and message in response.text, (extra, response.text[-800:])
        assert "重新选择" not in response.text  # no files were chosen: nothing to choose again
    page = client.get("/portal/SJY/")
    no_token = client.post("/portal/SJY/", data=fields())
    assert no_token.status_code == 400 and "页面打开的时间过长或已失效" in no_token.text  # in an enterprise's words
    assert "CSRF" not in no_token.text and "<title>400 " in no_token.text and "企业诉求直报</title>" in no_token.text
    with seeded.app_context():
        assert db.session.scalar(select(func.count(Appeal.id))) == 0
    assert page.status_code == 200 and "<script" not in page.text.split("<body>")[1].replace("<script src", "")


def test_a_second_submission_needs_the_captcha_and_each_answer_is_good_once(seeded):
    client = seeded.test_client()
    receipt(client, post_appeal(client)[0])
    page = client.get("/portal/SJY/")
    assert 'name="captcha_token"' in page.text and "data:image/png;base64," in page.text
    token = re.search(r'name="captcha_token" value="([^"]+)"', page.text).group(1)
    wrong = client.post("/portal/SJY/", data={"csrf_token": csrf_token(page.text), **fields(phone="13900001111"),
                                              "captcha_token": token, "captcha": "ZZZZ"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.text
    with seeded.app_context():  # the answer is kept only hashed; a right answer passes once
        token, answer = intake.new_challenge()
        assert db.session.get(PortalChallenge, token).answer_hash != answer
    right = client.post("/portal/SJY/", data={"csrf_token": csrf_token(page.text), **fields(phone="13900001111"),
                                              "captcha_token": token, "captcha": answer.lower()})
    assert right.status_code == 302
    replay = client.post("/portal/SJY/", data={"csrf_token": csrf_token(page.text), **fields(phone="13900002222"),
                                               "captcha_token": token, "captcha": answer})
    assert replay.status_code == 400 and "验证码不正确" in replay.text


def test_the_limits_per_address_and_per_phone(seeded):
    with seeded.app_context():
        for _ in range(intake.SUBMIT_PER_PHONE[0]):
            intake.hit("phone", intake.phone_key("13812345678"))
        db.session.commit()
    client = seeded.test_client()
    response, _ = post_appeal(client)
    assert response.status_code == 400 and "同一联系电话一天内最多提交" in response.text
    with seeded.app_context():
        for _ in range(intake.SUBMIT_PER_ADDRESS[0]):
            intake.hit("submit", "127.0.0.1")
        db.session.commit()
        token, answer = intake.new_challenge()
    page = client.get("/portal/SJY/")
    blocked = client.post("/portal/SJY/", data={"csrf_token": csrf_token(page.text), **fields(phone="13700000000"),
                                                "captcha_token": token, "captcha": answer})
    assert blocked.status_code == 400 and "提交过于频繁" in blocked.text
    with seeded.app_context():
        assert db.session.scalar(select(func.count(Appeal.id))) == 0


def test_a_groups_card_routes_to_that_group_and_each_role_sees_the_queue_in_its_scope(seeded, login_as):
    group_client = login_as("group")  # 工作组（循环园）
    cards = group_client.get("/admin/portal_cards/")
    assert cards.status_code == 200 and cards.text.count('class="qr-card"') == 1 and "<svg" in cards.text
    address = re.search(r'class="address">([^<]+)<', cards.text).group(1).replace("&amp;", "&")
    path = address.split("localhost", 1)[-1]
    enterprise = seeded.test_client()
    number, _ = receipt(enterprise, post_appeal(enterprise, path=path)[0])
    other, _ = receipt(enterprise, post_appeal(enterprise, phone="13600000000", solve=seeded,
                                               description="另一家企业反映的用电报装问题，希望尽快安排。")[0])
    with seeded.app_context():
        routed = db.session.scalar(select(Appeal).where(Appeal.number == number))
        assert routed.body.name == "工作组（循环园）"
    listed = group_client.get("/admin/appeal/").text
    assert number in listed and other not in listed  # its card's only
    assert other in login_as("coordinator").get("/admin/appeal/").text
    assert {number, other} <= set(re.findall(r"SQ\d{13}", login_as("admin").get("/admin/appeal/").text))
    for role in ("handler", "leader"):
        client = login_as(role)
        assert client.get("/admin/appeal/").status_code == 403
        assert client.get("/admin/portal_cards/").status_code == 403
    forged = path.split("g=")[0] + "g=" + "abc.def"  # a changed token routes nowhere
    third, _ = receipt(enterprise, post_appeal(enterprise, path=forged, phone="13500000000", solve=seeded)[0])
    with seeded.app_context():
        assert db.session.scalar(select(Appeal.body_id).where(Appeal.number == third)) is None
        other_id = db.session.scalar(select(Appeal.id).where(Appeal.number == other))
    page = group_client.get(f"/admin/appeal/details/?id={other_id}")
    assert page.status_code in (302, 404) or "记录不存在" in page.text
    refused = group_client.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(cards.text), "id": other_id,
                                                                "decision": "accept"})
    assert refused.status_code in (302, 404)
    with seeded.app_context():
        assert db.session.get(Appeal, other_id).status == AppealStatus.WAITING


def test_refusal_is_told_to_the_enterprise_and_what_it_typed_is_escaped_in_the_panel(seeded, login_as):
    enterprise = seeded.test_client()
    number, code = receipt(enterprise, post_appeal(
        enterprise, enterprise_name="<script>alert(1)</script>有限公司",
        description="<img src=x onerror=alert(1)> 希望协调解决厂区道路积水问题。")[0])
    office = login_as("coordinator")
    listed = office.get("/admin/appeal/").text
    assert "<script>alert(1)" not in listed and "&lt;script&gt;" in listed and "<img src=x" not in listed
    with seeded.app_context():
        appeal_id = db.session.scalar(select(Appeal.id).where(Appeal.number == number))
    page = office.get(f"/admin/appeal/details/?id={appeal_id}")
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
    short = office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": appeal_id,
                                                       "decision": "refuse", "reason": "否"})
    assert "须写明理由" in " ".join(flashes(office.get(short.headers["Location"]).text))
    office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": appeal_id,
                                               "decision": "refuse", "reason": "道路积水属市政维修，已转12345热线办理。"})
    looked = enterprise.post("/portal/track", data={"csrf_token": csrf_token(enterprise.get("/portal/track").text),
                                                    "number": number, "code": code})
    assert "不予受理。理由：道路积水属市政维修" in looked.text and "rating-form" not in looked.text


def test_the_limits_and_the_captcha_hold_across_two_server_processes(seeded, tmp_path):
    """Two gunicorn processes on one database: the CAPTCHA one asks for, the other checks; an answer used on one is
    used up on the other; the wrong lookups and the submissions of one address count on both."""
    url = seeded.config["SQLALCHEMY_DATABASE_URI"]
    with gunicorn(url, tmp_path) as one, gunicorn(url, tmp_path) as two:
        first = Client(one.base)
        def submit(client, **extra):
            status, page, _ = client.request("/portal/SJY/")
            assert status == 200
            data = {"csrf_token": csrf_token(page), **fields(**extra)}
            if 'name="captcha_token"' in page:
                with seeded.app_context():
                    data["captcha_token"], data["captcha"] = intake.new_challenge()
            return client.request("/portal/SJY/", data, files={"files": ("说明.pdf", PDF)}), data

        (status, _, headers), _ = submit(first)
        assert status == 302 and headers["Location"].endswith("/portal/done")
        assert 'name="captcha_token"' in Client(two.base).request("/portal/SJY/")[1]  # the other process knows
        (status, _, _), used = submit(Client(two.base), phone="13900001111")
        assert status == 302
        page = first.request("/portal/SJY/")[1]
        replay = first.request("/portal/SJY/", {"csrf_token": csrf_token(page), **fields(phone="13900002222"),
                                                "captcha_token": used["captcha_token"], "captcha": used["captcha"]})
        assert replay[0] == 400 and "验证码不正确" in replay[1]  # an answer is good once, whichever process took it
        for n in range(intake.SUBMIT_PER_ADDRESS[0] - 2):
            assert submit(Client((one, two)[n % 2].base), phone=f"1370000000{n}")[0][0] == 302
        (status, page, _), _ = submit(Client(two.base), phone="13600000009")
        assert status == 400 and "提交过于频繁" in page  # five from this address, counted on both
        for n in range(intake.WRONG_LOOKUPS[0]):
            client = Client((one, two)[n % 2].base)
            token = csrf_token(client.request("/portal/track")[1])
            assert client.request("/portal/track", {"csrf_token": token, "number": "SQ2099010199999",
                                                    "code": "ABCDEFGHJK"})[0] == 400
        client = Client(one.base)
        token = csrf_token(client.request("/portal/track")[1])
        assert "错误次数过多" in client.request("/portal/track", {"csrf_token": token, "number": "SQ1", "code": "X"})[1]
    with seeded.app_context():
        assert db.session.scalar(select(func.count(Appeal.id))) == intake.SUBMIT_PER_ADDRESS[0]


def test_junk_to_every_portal_address_gets_a_page_not_an_error(seeded, login_as):
    client = seeded.test_client()
    token = csrf_token(client.get("/portal/track").text)
    junk = ["", "<script>", "%00", "x" * 5000, "１２３", "' OR 1=1 --", "SQ" + "9" * 30]
    for value in junk:
        for path in (f"/portal/{value}/", f"/portal/SJY/?g={value}", f"/portal/track?number={value}"):
            assert client.get(path).status_code in (200, 308, 404), path  # (/portal// is redirected to /portal/)
        for data in ({"number": value, "code": value}, {"number": value}, {"code": value, "rating": value},
                     {"number": value, "code": value, "rating": "非常满意", "comment": value}):
            response = client.post("/portal/track", data={"csrf_token": token, **data})
            assert response.status_code in (200, 400) and "<script>" not in response.text.split("<body>")[1], data
        response = client.post("/portal/SJY/", data={"csrf_token": token, **{key: value for key in fields()}})
        assert response.status_code == 400 and 'id="portal-error"' in response.text
        response = client.post("/portal/SJY/", data={"csrf_token": token, **fields(phone="13000000000"),
                                                     "captcha_token": value, "captcha": value})
        assert response.status_code in (302, 400), value  # the first from this address needs no CAPTCHA
    office = login_as("coordinator")
    page = office.get("/admin/appeal/")
    for value in ("abc", "-1", "99999999999999999999", ""):
        assert office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": value,
                                                          "decision": "accept"}).status_code == 404
        assert office.get(f"/admin/problem/attachment/?id={value}").status_code == 404
        assert office.get(f"/admin/appeal/details/?id={value}").status_code in (302, 404)


def test_the_daily_remind_forgets_limit_rows_no_window_counts(seeded):
    with seeded.app_context():
        old = local_now() - intake.KEEP_HITS - timedelta(minutes=1)
        db.session.add_all([PortalHit(kind="submit", key="10.0.0.1", at=old), PortalHit(kind="lookup", key="10.0.0.1"),
                            PortalChallenge(token="t" * 32, answer_hash="x", created_at=old)])
        db.session.commit()
    result = seeded.test_cli_runner().invoke(args=["remind", "--no-send"])
    assert result.exit_code == 0 and "清理门户限流和验证码记录2条" in result.output, result.output
    with seeded.app_context():
        assert [h.kind for h in db.session.scalars(select(PortalHit))] == ["lookup"]  # a recent one stays


def test_an_appeal_meets_the_enterprise_list_as_it_is_when_decided(seeded, login_as):
    """The queue tells how a 诉求's enterprise stands against the list now, not when it was sent: a second 诉求 with the
    same 统一社会信用代码 reads “已有” once the first is accepted; one with that code under another name is filed under
    the listed name, and the name the enterprise typed is kept on the timeline."""
    def sent(address, **extra):
        client = seeded.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        number, _ = receipt(client, post_appeal(client, **extra)[0])
        with seeded.app_context():
            return db.session.scalar(select(Appeal.id).where(Appeal.number == number))

    first = sent("10.1.0.1")
    same = sent("10.1.0.2", phone="13812345679")
    renamed = sent("10.1.0.3", phone="13812345670", enterprise_name="汨罗改名后的制造有限公司")
    office = login_as("coordinator")

    def note(appeal_id):
        page = office.get(f"/admin/appeal/details/?id={appeal_id}").text
        return re.search(r'id="firm-note">([^<]+)<', page).group(1), page

    assert note(same)[0] == "企业名单中没有，受理时新建"
    text, page = note(first)
    office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page), "id": first, "decision": "accept"})
    assert note(same)[0] == "企业名单中已有"
    text, page = note(renamed)
    assert f"与企业名单中的“{FIRM}”相同，名称不同" in text
    office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page), "id": renamed, "decision": "accept"})
    assert note(renamed)[0] == f"已按统一社会信用代码记在企业名单中的“{FIRM}”名下（企业填写的名称不同）"
    with seeded.app_context():
        problem = db.session.get(Appeal, renamed).problem
        assert problem.enterprise.name == FIRM
        assert "企业填写的名称为“汨罗改名后的制造有限公司”" in problem.updates[0].note


# --- odd input ---

def multipart_with_raw_names(token: str, files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A submission as a hostile client writes it: each file's name in RFC 2231's filename*, which carries any
    character (a browser would have escaped a line break or a quote)."""
    from urllib.parse import quote
    boundary = "zqboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in {"csrf_token": token, **fields()}.items()]
    for raw_name, content in files:
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
                     f"filename*=UTF-8''{quote(raw_name, safe='')}\r\nContent-Type: application/octet-stream\r\n\r\n"
                     .encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_a_line_break_quote_or_control_character_in_a_file_name_never_breaks_its_download(seeded, login_as):
    client = seeded.test_client()
    body, kind = multipart_with_raw_names(csrf_token(client.get("/portal/SJY/").text),
                                          [('营业执照\r\nSet-Cookie: x=1"\u202egnp.png', picture()), ("说明\x01\x7f.pdf", PDF)])
    number, _ = receipt(client, client.post("/portal/SJY/", data=body, content_type=kind))
    office = login_as("coordinator")
    with seeded.app_context():
        appeal = db.session.scalar(select(Appeal).where(Appeal.number == number))
        assert [f.name for f in appeal.files] == ["营业执照 Set-Cookie: x=1gnp.png", "说明.pdf"]  # cleaned when stored
        file_id = appeal.files[0].id
        # and one stored before names were cleaned, as an older version kept it
        old = AppealFile(appeal=appeal, name='旧\r\n附件"\u2028名.pdf', mime="application/pdf", size=len(PDF), data=PDF,
                         sha256="0" * 64)
        db.session.add(old)
        db.session.commit()
        old_id = old.id
    for attached, shown in ((file_id, "营业执照 Set-Cookie: x=1gnp.png"), (old_id, "旧 附件 名.pdf")):
        response = office.get(f"/admin/problem/attachment/?id={attached}")
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert "\r" not in disposition and "\n" not in disposition and "Set-Cookie" not in response.headers
        from urllib.parse import unquote
        assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == shown


def test_phone_digits_typed_full_width_or_in_another_script_are_read_as_ascii(seeded):
    def sent(address, phone):
        client = seeded.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return post_appeal(client, phone=phone)[0]

    for n, (typed, read) in enumerate((("１３８ １２３４ ５６７８", "13812345678"), ("٠٧٣٠－٥٢٢١٢٣٤", "0730-5221234"),
                                        ("１３８１２３４５６７８", "13812345678"))):
        response = sent(f"10.3.0.{n}", typed)
        assert response.status_code == 302, response.text[-800:]
    with seeded.app_context():
        assert sorted(db.session.scalars(select(Appeal.phone))) == ["0730-5221234", "13812345678", "13812345678"]
        assert intake.hits("phone", intake.phone_key("13812345678"), intake.SUBMIT_PER_PHONE[1]) == 2  # one phone
    for typed in ("一三八一二三四五六七八", "①③⑧①②③④⑤⑥⑦⑧", "13812345678x"):
        response = sent("10.3.1.1", typed)
        assert response.status_code == 400 and "联系电话应为" in response.text, typed
    with seeded.app_context():
        assert db.session.scalar(select(func.count(Appeal.id))) == 3


def photo_with_exif() -> bytes:
    """A camera's JPEG, 60 × 40 pixels stored sideways (Orientation 6: shown 40 × 60), with make, model, GPS and a
    comment."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Canon", "EOS 5D", 6  # Make, Model, Orientation
    exif[0x8825] = {1: "N", 2: (28.0, 48.0, 0.0), 3: "E", 4: (113.0, 5.0, 0.0)}  # GPS: where it was taken
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "red").save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    info.add_text("Author", "Zhou")
    info.add_itxt("Location", "汨罗市某路 8 号")
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    out = io.BytesIO()
    Image.new("RGBA", (30, 20), (0, 128, 0, 128)).save(out, "PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def test_uploaded_pictures_are_kept_upright_and_without_exif_gps_or_text(seeded):
    client = seeded.test_client()
    number, _ = receipt(client, post_appeal(client, files=[("现场.jpg", photo_with_exif()), ("截图.png", png_with_text())])[0])
    with seeded.app_context():
        stored = {f.name: f for f in db.session.scalar(select(Appeal).where(Appeal.number == number)).files}
        photo, screenshot = stored["现场.jpg"], stored["截图.png"]
        with Image.open(io.BytesIO(photo.data)) as kept:
            assert kept.format == "JPEG" and kept.size == (40, 60)  # turned as the camera meant it
            exif = kept.getexif()
            assert len(exif) == 0 and not exif.get_ifd(0x8825)  # no Make, Model, Orientation, GPS
            assert not {"exif", "comment", "xmp"} & set(kept.info)
            assert kept.getpixel((20, 30))[0] > 200  # still the red picture
        with Image.open(io.BytesIO(screenshot.data)) as kept:
            assert kept.format == "PNG" and kept.size == (30, 20) and kept.mode == "RGBA"
            assert kept.text == {} and len(kept.getexif()) == 0 and "exif" not in kept.info
        for raw in (photo.data, screenshot.data):
            assert b"Canon" not in raw and b"HUAWEI" not in raw and b"Zhou" not in raw and b"Exif" not in raw
        assert photo.size == len(photo.data) and photo.sha256 == hashlib.sha256(photo.data).hexdigest()


def test_a_picture_cut_short_is_refused_with_a_message(seeded):
    """A JPEG whose header is whole but whose pixels stop short passes the quick check; decoding it to strip its
    metadata must say so in Chinese rather than fail."""
    client = seeded.test_client()
    out = io.BytesIO()
    Image.effect_noise((400, 300), 64).convert("RGB").save(out, "JPEG")
    response, _ = post_appeal(client, files=[("现场.jpg", out.getvalue()[:3000])])
    assert response.status_code == 400 and "图片“现场.jpg”已损坏或不完整" in response.text, response.text[-1500:]
    with seeded.app_context():
        assert db.session.scalar(select(func.count(Appeal.id))) == 0


def test_a_phones_multi_picture_jpeg_is_taken_as_its_first_picture(seeded):
    """Many phones save a photo with a second picture inside (MPO: a depth map, a preview): Pillow names it MPO, and
    the portal refused it as no JPEG; it keeps the photo itself now."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (40, 30), "blue")])
    client = seeded.test_client()
    number, _ = receipt(client, post_appeal(client, files=[("手机照片.jpg", out.getvalue())])[0])
    with seeded.app_context():
        kept = db.session.scalar(select(Appeal).where(Appeal.number == number)).files[0]
        with Image.open(io.BytesIO(kept.data)) as picture:
            assert kept.mime == "image/jpeg" and picture.format == "JPEG" and getattr(picture, "n_frames", 1) == 1
            assert picture.getpixel((20, 15))[0] > 200


def test_the_query_code_is_not_in_the_session_cookie(seeded):
    from flask.sessions import SecureCookieSessionInterface

    client = seeded.test_client()
    response, _ = post_appeal(client)
    cookie = client.get_cookie("session").value
    number, code = receipt(client, response)
    kept = SecureCookieSessionInterface().get_signing_serializer(seeded).loads(cookie)
    assert kept["portal_done"]["number"] == number
    assert code not in json.dumps(kept) and code.lower() not in json.dumps(kept).lower()  # a seed, not the code


def test_only_those_who_decide_a_waiting_appeal_open_its_attachments(seeded, login_as):
    client = seeded.test_client()
    number, _ = receipt(client, post_appeal(client, files=[("营业执照.png", picture())])[0])
    with seeded.app_context():
        from tests.factories import named
        appeal = db.session.scalar(select(Appeal).where(Appeal.number == number))
        appeal.body = named(Body, "工作组（循环园）")  # it came through that group's card
        db.session.commit()
        appeal_id, file_id = appeal.id, appeal.files[0].id
    path = f"/admin/problem/attachment/?id={file_id}"
    office, group, leader, handler = login_as("coordinator"), login_as("group"), login_as("leader"), login_as("handler")
    assert office.get(path).data == picture() and group.get(path).data == picture()  # those who decide it
    assert leader.get(path).status_code in (403, 404) and handler.get(path).status_code in (403, 404)
    page = office.get(f"/admin/appeal/details/?id={appeal_id}")
    office.post("/admin/appeal/decide/", data={"csrf_token": csrf_token(page.text), "id": appeal_id, "decision": "accept"})
    assert leader.get(path).data == picture()  # a problem of the leader's campaign now, on its page
    assert handler.get(path).status_code == 404  # not (yet) the unit's problem


def test_renaming_a_step_keeps_the_lines_of_the_public_timeline(seeded, login_as, monkeypatch):
    """The timeline stores each step's code: a step renamed after its lines were written (交办 → 派单) still shows
    them to the enterprise, and the panel shows them under the new name."""
    from dataclasses import replace

    from models.steps import STEPS, StepName

    enterprise = seeded.test_client()
    number, code, appeal_id = sent(seeded, enterprise)
    office = login_as("coordinator")
    assert accept(office, appeal_id).status_code == 302
    with seeded.app_context():
        problem = db.session.get(Appeal, appeal_id).problem
        office_user = db.session.scalar(select(User).where(User.username == "coordinator"))
        unit = db.session.scalar(select(Unit).where(Unit.campaign_id == problem.campaign_id, Unit.name == "市人社局"))
        person = Person(campaign_id=problem.campaign_id, name="人社局 王科长", unit=unit)
        workflow.assign(problem, office_user, unit, workflow.today() + timedelta(days=10), lead_person=person)
        handler = type("U", (), {"id": None, "role": "admin", "unit_id": None, "role_label": "系统管理员"})()
        workflow.accept(problem, handler)
        db.session.commit()
        problem_id = problem.id
    for step, renamed in ((StepName.ASSIGN, "派单"), (StepName.ACCEPT, "接单")):
        monkeypatch.setitem(STEPS, step, replace(STEPS[step], label=renamed))
    looked = enterprise.post("/portal/track", data={"csrf_token": csrf_token(enterprise.get("/portal/track").text),
                                                    "number": number, "code": code})
    timeline = looked.text.split('id="public-timeline"')[1].split("</ul>")[0]
    assert "已交办：由市人社局办理" in timeline and "市人社局已签收，办理中" in timeline
    case = office.get(f"/admin/problem/details/?id={problem_id}").text
    assert re.findall(r'<span class="tl-what [^"]*">([^<]*)</span>', case) == ["录入", "派单", "接单"]
