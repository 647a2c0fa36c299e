"""Sending the outbox (models.reminders.Delivery) beyond the panel: e-mail over SMTP to a unit's address, and a group
robot's webhook (企业微信; 钉钉, signed with the robot's secret). Run by `flask remind`, never inside a request.

Each message is claimed before it is sent (待发送 → 发送中, by one UPDATE that only one process can win), so two runs
at once never send it twice; a failure is logged and the message waits (2, 4, 8… minutes) for the next run, up to
DELIVERY_MAX_ATTEMPTS tries, then stays 失败 with its last error. A message that was claimed but whose run died is
never sent again (at most once)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update

from models import Problem, db, local_now
from models.reminders import DINGTALK, EMAIL, FAILED, PENDING, SENDING, SENT, Delivery

log = logging.getLogger("zhuqi.delivery")
TIMEOUT = 10  # seconds for one SMTP or HTTP exchange


class DeliveryError(Exception):
    """A message that did not go out (in Chinese, kept as the message's last error)."""


def message_text(delivery: Delivery) -> tuple[str, str]:
    """The subject and the text of one message."""
    line = delivery.update
    problem: Problem = line.problem
    unit = problem.responsible_unit.name if problem.responsible_unit else "责任单位"
    firm = f"（{problem.enterprise.name}）" if problem.enterprise else ""
    subject = f"【{line.action}】问题{problem.number}{firm}"
    body = [f"{unit}：", f"问题{problem.number}{firm}：{problem.description[:200]}",
            f"{line.action}：{line.note or ''}"]
    if problem.deadline:
        body.append(f"办理时限：{problem.deadline:%Y-%m-%d}")
    panel = (current_app.config.get("PANEL_URL") or "").rstrip("/")
    if panel:
        body.append(f"查看：{panel}/admin/problem/details/?id={problem.id}")
    return subject, "\n".join(body)


def send_email(address: str, subject: str, text: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["Subject"], message["To"] = subject, address
    message["From"] = config.get("SMTP_FROM") or config.get("SMTP_USER") or "zhuqi@localhost"
    message.set_content(text)
    security = config["SMTP_SECURITY"]
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=TIMEOUT,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=TIMEOUT)
        with server:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                server.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"邮件未能发出（{type(error).__name__}：{error}）") from None


def signed(url: str, secret: str | None, now_ms: int | None = None) -> str:
    """A 钉钉 robot's URL with its signature: timestamp and HMAC-SHA256 of “timestamp\\nsecret”, base64, URL-encoded."""
    if not secret:
        return url
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def send_webhook(channel: str, url: str, subject: str, text: str) -> None:
    if channel == DINGTALK:
        url = signed(url, current_app.config.get("WEBHOOK_SECRET"))
    body = json.dumps({"msgtype": "text", "text": {"content": f"{subject}\n{text}"}}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            answer = response.read(65536)
    except OSError as error:
        raise DeliveryError(f"群机器人未能送达（{type(error).__name__}：{error}）") from None
    try:
        code = json.loads(answer).get("errcode", 0)
    except (ValueError, AttributeError):
        code = None
    if code != 0:
        raise DeliveryError(f"群机器人拒收：{answer[:300].decode(errors='replace')}")


def send_one(delivery: Delivery) -> None:
    subject, text = message_text(delivery)
    if delivery.channel == EMAIL:
        send_email(delivery.address, subject, text)
    else:
        send_webhook(delivery.channel, delivery.address, subject, text)


def send_pending(now: datetime | None = None) -> dict[str, int]:
    """Send what waits in the outbox and is due; how many were sent, failed for now, and failed for good."""
    now = now or local_now()
    limit = int(current_app.config["DELIVERY_MAX_ATTEMPTS"])
    counts = {SENT: 0, PENDING: 0, FAILED: 0}
    due = db.session.scalars(select(Delivery.id).where(
        Delivery.status == PENDING, or_(Delivery.next_try_at.is_(None), Delivery.next_try_at <= now))
        .order_by(Delivery.id)).all()
    db.session.commit()
    for delivery_id in due:
        claimed = db.session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == PENDING)
                                     .values(status=SENDING, attempts=Delivery.attempts + 1)).rowcount
        db.session.commit()
        if not claimed:  # another run took it
            continue
        delivery = db.session.get(Delivery, delivery_id)
        try:
            send_one(delivery)
        except DeliveryError as error:
            final = delivery.attempts >= limit
            delivery.status, delivery.last_error = (FAILED if final else PENDING), str(error)
            delivery.next_try_at = None if final else now + timedelta(minutes=2 ** delivery.attempts)
            log.warning("delivery %s to %s failed (attempt %s of %s): %s", delivery.id, delivery.channel,
                        delivery.attempts, limit, error)
            counts[delivery.status] += 1
        else:
            delivery.status, delivery.sent_at, delivery.last_error = SENT, local_now(), None
            counts[SENT] += 1
        db.session.commit()
    return counts
