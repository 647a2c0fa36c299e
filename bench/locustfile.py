"""The load test's users (locust): cadres who log in, then read the ledger, open problems and take workflow
steps, with a short pause between clicks. bench/load.py builds the database, starts gunicorn and runs this.

Every user opens their desk (我的待办), reads the ledger and opens problems; accounts come from the file named by
LOAD_USERS (written by bench/load.py), one per simulated user:
  coordinator (推进办): reads the ledger and problems, flags a running problem for 挂牌督办 or lifts it;
  handler (责任单位): reads its own problems and reports progress (报告进展) on one that is being handled;
  leader: reads, and writes an instruction (领导批示) on a problem;
  group (工作组): reads its own rows.
A write counts as failed unless the page it lands on confirms it (a success alert: “已将…交办…”, “已记录…的办理进展”).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

ACCOUNTS = itertools.cycle(json.load(open(os.environ["LOAD_USERS"], encoding="utf-8")))
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DETAILS = re.compile(r"/admin/problem/details/\?id=(\d+)")
DONE = "alert-success"  # the step's confirmation, in words (admin.steps.view.done_message)
NOTES = {"progress": "已与企业对接，正在协调办理（压力测试）", "comment": "请加快办理（压力测试）", "flag": "", "unflag": ""}


def token(html: str) -> str:
    found = TOKEN.search(html)
    return found.group(1) if found else ""


class Cadre(HttpUser):
    wait_time = between(float(os.environ.get("LOAD_WAIT_MIN", 1)), float(os.environ.get("LOAD_WAIT_MAX", 5)))  # reading a page

    def on_start(self):
        self.account = next(ACCOUNTS)
        self.ids: list[str] = []
        login = self.client.get("/login", name="登录页")
        with self.client.post("/login", name="登录", allow_redirects=False, catch_response=True,
                              data={"username": self.account["username"], "password": self.account["password"],
                                    "csrf_token": token(login.text)}) as response:
            if response.status_code != 302:
                response.failure(f"登录失败：{response.status_code}")

    @task(3)
    def desk(self):
        self.client.get("/admin/", name="我的待办")

    @task(6)
    def ledger_page(self):
        page = random.randrange(self.account["pages"])
        response = self.client.get(f"/admin/problem/?page={page}", name="台账列表（随机页）")
        self.ids = DETAILS.findall(response.text) or self.ids

    @task(3)
    def problem_details(self):
        if self.ids:
            self.client.get(f"/admin/problem/details/?id={random.choice(self.ids)}", name="问题详情")

    @task(2)
    def workflow_step(self):
        role = self.account["role"]
        if role == "group":
            return self.ledger_page()
        page = random.randrange(self.account["running_pages"])  # a random page, so that two users seldom meet
        running = self.client.get(f"{self.account['running_url']}&page={page}", name="台账列表（办理中筛选）")
        ids = DETAILS.findall(running.text)
        if not ids:
            return
        problem = random.choice(ids)
        if role == "coordinator":
            details = self.client.get(f"/admin/problem/details/?id={problem}", name="问题详情")
            step = "unflag" if "step/unflag/" in details.text else "flag"
        else:
            step = {"handler": "progress", "leader": "comment"}[role]
        url = f"/admin/problem/step/{step}/?id={problem}"
        form = self.client.get(url, name=f"办理步骤表单（{step}）")
        with self.client.post(url, name=f"办理步骤提交（{step}）", catch_response=True,
                              data={"csrf_token": token(form.text), "note": NOTES[step]}) as response:
            if DONE not in response.text:
                message = re.search(r'alert-(?:danger|error)[^>]*>.*?</button>\s*([^<]+)', response.text, re.S)
                response.failure(f"未执行：{message.group(1).strip() if message else response.status_code}")
