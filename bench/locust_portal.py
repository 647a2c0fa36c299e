"""The load test's enterprises (locust, `make loadtest-portal`): each submits a 诉求 through the portal once a second
(the form, then the submission), from an address of its own each time as a reverse proxy passes it on
(X-Forwarded-For; the server runs with TRUSTED_PROXIES=1), so that the per-address limit and the CAPTCHA, which the
tests hold, do not stop a crowd of different enterprises. One submission in ten also fetches its receipt and looks
its progress up with the 受理编号 and 查询码. A submission counts as failed unless it lands on the receipt."""
from __future__ import annotations

import itertools
import random
import re

from locust import HttpUser, constant_throughput, task

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NUMBER, CODE = re.compile(r'id="appeal-number">([^<]+)<'), re.compile(r'id="appeal-code">([^<]+)<')
SERIAL = itertools.count()
CREDIT_CODE = "91430681MA4L0NEW1"


def check_character(first17: str) -> str:
    alphabet, weights = "0123456789ABCDEFGHJKLMNPQRTUWXY", (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    return alphabet[(31 - sum(alphabet.index(c) * w for c, w in zip(first17, weights)) % 31) % 31]


class Enterprise(HttpUser):
    wait_time = constant_throughput(1)

    @task
    def submit(self):
        n = next(SERIAL)
        address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        headers = {"X-Forwarded-For": address}
        form = self.client.get("/portal/SJY/", name="诉求表单", headers=headers)
        token = TOKEN.search(form.text)
        data = {"csrf_token": token.group(1) if token else "", "enterprise_name": f"压力测试企业{n % 997}有限公司",
                "credit_code": CREDIT_CODE + check_character(CREDIT_CODE), "contact": "测试联系人",
                "phone": f"139{n % 100_000_000:08d}", "category": "用工",
                "description": "压力测试：企业扩产急需熟练技工，希望协助对接职业院校招聘。"}
        with self.client.post("/portal/SJY/", name="提交诉求", data=data, headers=headers, allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302 or not response.headers.get("Location", "").endswith("/portal/done"):
                response.failure(f"提交失败：{response.status_code} {response.text[-300:]}")
                return
        if n % 10:
            return
        done = self.client.get("/portal/done", name="受理回执", headers=headers)
        number, code = NUMBER.search(done.text), CODE.search(done.text)
        if not (number and code):
            return
        page = self.client.get("/portal/track", name="查询页", headers=headers)
        token = TOKEN.search(page.text)
        with self.client.post("/portal/track", name="进展查询", headers=headers, catch_response=True,
                              data={"csrf_token": token.group(1) if token else "", "number": number.group(1),
                                    "code": code.group(1)}) as response:
            if "已提交，等待受理" not in response.text:
                response.failure("查询不到刚提交的诉求")
