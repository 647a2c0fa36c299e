"""Sending the outbox (models.reminders.Delivery) beyond the panel: e-mail over SMTP to a unit's address, and a group
robot's webhook (企业微信; 钉钉, signed with the robot's secret). Run by `flask remind`, never inside a request.

A run never stops at one bad message and never loses one:
- what is due goes out unit by unit: the lines waiting for one unit make one message (an e-mail to its address, a post
  to the robot naming it; a robot's post split where it would pass the robot's 2,048 bytes);
- a message is claimed before it is sent (待发送 → 发送中, by an UPDATE that only one process can win), so two runs at
  once never send it twice; a claim older than DELIVERY_LEASE_MINUTES (a run that was killed) goes back to 待发送;
- a failure is kept as the message's last error and the message waits (2, 4, 8… minutes) for a later run, up to
  DELIVERY_MAX_ATTEMPTS tries, then stays 失败 until someone asks for it again (重新发送 on 外发消息);
- a receiver that cannot be reached (a refused or hung connection) costs its timeout once: the rest of its messages
  wait for the next run without losing a try;
- robots are paced under their documented 20 messages a minute, and a robot's "too fast" answer (企业微信 45009,
  钉钉 130101, HTTP 429) makes its messages wait rather than use up a try;
- a run stops taking messages after DELIVERY_RUN_SECONDS; the rest stay 待发送 for the next run."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from models import Problem, ProblemUpdate, db, local_now
from models.reminders import DINGTALK, EMAIL, FAILED, PENDING, ROBOTS, SENDING, SENT, WECOM, Delivery, masked

log = logging.getLogger("zhuqi.delivery")
ROBOT_BYTES = 2048  # 企业微信's limit on a text message's content (UTF-8 bytes); 钉钉 takes more
PACE_SHARE = 0.9  # robots are sent at most this share of their documented rate
THROTTLED_SECONDS = {WECOM: 60, DINGTALK: 600}  # how long a robot answering "too fast" is left alone (钉钉: 10 minutes)
RATE_LIMIT_CODES = {WECOM: {45009}, DINGTALK: {130101}}
MAX_RETRY_AFTER = 600  # seconds: a longer Retry-After is read as this


class DeliveryError(Exception):
    """A message that did not go out (in Chinese, kept as the message's last error). `unreachable`: the receiver
    itself could not be reached (a refused or hung connection), so its other messages wait for the next run."""

    def __init__(self, message: str, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


class RateLimited(Exception):
    """The robot answered "too fast": its messages wait `seconds`, and the try does not count."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def header_safe(text: str, limit: int = 200) -> str:
    """One line for a mail header: line breaks and other control characters (a name typed on the portal may hold
    them) become spaces, runs of spaces one, at most `limit` characters."""
    flat = "".join(" " if ord(c) < 32 or ord(c) == 127 or c in "\u2028\u2029\u0085" else c for c in text or "")
    return " ".join(flat.split())[:limit]


def entry(line: ProblemUpdate, numbered: int | None = None) -> list[str]:
    """The lines of a message about one timeline line (numbered when the message carries several)."""
    problem: Problem = line.problem
    firm = f"（{header_safe(problem.enterprise.name, 60)}）" if problem.enterprise else ""
    head = f"{numbered}. " if numbered is not None else ""
    text = [f"{head}【{line.label}】问题{problem.number}{firm}：{header_safe(problem.description, 200)}",
            f"{line.label}：{line.note or ''}"]
    if problem.deadline:
        text.append(f"办理时限：{problem.deadline:%Y-%m-%d}")
    panel = (current_app.config.get("PANEL_URL") or "").rstrip("/")
    if panel:
        text.append(f"查看：{panel}/admin/problem/details/?id={problem.id}")
    return text if numbered is None else [text[0], *("   " + t for t in text[1:])]


def message_text(lines: list[ProblemUpdate]) -> tuple[str, str]:
    """The subject and the text of one message carrying one or several timeline lines of one unit's problems."""
    first = lines[0].problem
    unit = first.responsible_unit.name if first.responsible_unit else "责任单位"
    if len(lines) == 1:
        line = lines[0]
        firm = f"（{first.enterprise.name}）" if first.enterprise else ""
        return header_safe(f"【{line.label}】问题{first.number}{firm}"), "\n".join([f"{unit}：", *entry(line)])
    actions = list(dict.fromkeys(line.label for line in lines))
    body = [f"{unit}：", f"以下{len(lines)}个问题的{'、'.join(actions)}，请及时办理并报告进展："]
    for n, line in enumerate(lines, 1):
        body += entry(line, n)
    kind = actions[0] if len(actions) == 1 else "提醒与督办"
    return header_safe(f"【{kind}】{unit}：{len(lines)}个问题"), "\n".join(body)


def send_email(address: str, subject: str, text: str) -> None:
    """One e-mail through the configured SMTP server, with Date and Message-ID headers."""
    config = current_app.config
    sender = header_safe(config.get("SMTP_FROM") or config.get("SMTP_USER") or "zhuqi@localhost")
    message = EmailMessage()
    message["Subject"], message["To"], message["From"] = header_safe(subject), header_safe(address), sender
    message["Date"] = format_datetime(datetime.now(ZoneInfo(config.get("TIMEZONE") or "Asia/Shanghai")))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("<> ") or "localhost")
    message.set_content(text)
    security, timeout = config["SMTP_SECURITY"], int(config["DELIVERY_TIMEOUT"])
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=timeout,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=timeout)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"邮件服务器连不上（{reason(error)}）", unreachable=True) from None
    with server:
        try:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                server.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"邮件服务器拒绝登录或加密连接（{type(error).__name__}：{error}）", unreachable=True) from None
        try:
            server.send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise DeliveryError(f"邮件未能发出，连接中断（{reason(error)}）", unreachable=True) from None
        except smtplib.SMTPException as error:
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
    """One post to the group robot; RateLimited when it answers "too fast"."""
    if channel == DINGTALK:
        url = signed(url, current_app.config.get("WEBHOOK_SECRET"))
    content = f"{subject}\n{text}"
    if len(content.encode()) > ROBOT_BYTES:  # one long line alone: cut at the robot's limit rather than be refused
        content = content.encode()[:ROBOT_BYTES - 3].decode(errors="ignore") + "…"
    body = json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=int(current_app.config["DELIVERY_TIMEOUT"])) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as error:
        if error.code == 429:
            raise RateLimited(retry_after(error.headers.get("Retry-After"), THROTTLED_SECONDS[channel])) from None
        raise DeliveryError(f"群机器人拒收（HTTP {error.code}）") from None
    except (OSError, ValueError) as error:  # refused, hung, a name that does not resolve
        raise DeliveryError(f"群机器人连不上（{reason(getattr(error, 'reason', error))}）", unreachable=True) from None
    try:
        code = json.loads(answer).get("errcode", 0)
    except (ValueError, AttributeError):
        code = None
    if code in RATE_LIMIT_CODES[channel]:
        raise RateLimited(THROTTLED_SECONDS[channel])
    if code != 0:
        raise DeliveryError(f"群机器人拒收：{masked(answer[:300].decode(errors='replace'))}")


REASONS = ((ConnectionRefusedError, "对方拒绝连接"), (TimeoutError, "等待回应超时"), (socket.gaierror, "域名无法解析"),
           (ssl.SSLError, "加密连接失败"), (ConnectionResetError, "连接被对方断开"))


def reason(error: BaseException) -> str:
    """Why a connection failed, in words a clerk can pass on (the system's own name of it after, for the IT staff)."""
    words = next((text for kind, text in REASONS if isinstance(error, kind)), "连接出错")
    return f"{words}：{type(error).__name__}"


def retry_after(value: str | None, default: float) -> float:
    """An HTTP Retry-After in seconds (a number; a date or nothing gives `default`), at most MAX_RETRY_AFTER."""
    try:
        return min(max(float(value), 1.0), MAX_RETRY_AFTER)
    except (TypeError, ValueError):
        return default


@dataclass
class Receiver:
    """Where messages go in a run: the SMTP server, or the robot. Paced, throttled or found unreachable."""

    interval: float = 0.0  # seconds between two messages
    ready_at: float = 0.0  # monotonic time before which it takes nothing
    unreachable: bool = False


@dataclass
class Message:
    """One message to send: the outbox rows it carries (one unit's), on one channel to one address."""

    channel: str
    address: str
    ids: list[int]
    lines: list[ProblemUpdate]


@dataclass
class RunReport:
    """What a run did: outbox rows sent, failed for now (待发送 again), failed for good (失败), left for the next run
    (not tried), released from a dead run's claim; the messages it posted; each failure in words."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    left: int = 0
    released: int = 0
    messages: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {SENT: self.sent, PENDING: self.retry, FAILED: self.failed}


def robot_config() -> tuple[str, str] | None:
    """The configured group robot: (channel, URL), or None."""
    config = current_app.config
    if not config.get("WEBHOOK_URL"):
        return None
    return (DINGTALK if (config.get("WEBHOOK_KIND") or "").lower() == "dingtalk" else WECOM), config["WEBHOOK_URL"]


def messages(rows: list[Delivery]) -> list[Message]:
    """The due rows as messages: one unit's lines together (e-mail: one per unit and address, as units may share one;
    robot: one per unit, split where the text would pass ROBOT_BYTES), in the order of each unit's oldest row."""
    groups: dict[tuple, list[Delivery]] = {}
    for row in rows:
        unit = row.update.problem.responsible_unit_id
        key = ("robot", unit) if row.channel in ROBOTS else (row.channel, row.address, unit)
        groups.setdefault(key, []).append(row)
    found = []
    for key, members in groups.items():
        batch: list[Delivery] = []
        for row in members:
            candidate = [*batch, row]
            if batch and key[0] == "robot" and len("\n".join(message_text([r.update for r in candidate])).encode()) > ROBOT_BYTES:
                found.append(batch)
                candidate = [row]
            batch = candidate
        found.append(batch)
    return [Message(b[0].channel, b[0].address, [r.id for r in b], [r.update for r in b]) for b in found]


def send_pending(now: datetime | None = None, clock=time.monotonic, sleep=time.sleep) -> RunReport:
    """Send what waits in the outbox and is due, unit by unit, within the run's time budget (see the module)."""
    now = now or local_now()
    config = current_app.config
    limit, lease = int(config["DELIVERY_MAX_ATTEMPTS"]), int(config["DELIVERY_LEASE_MINUTES"])
    started, budget = clock(), float(config["DELIVERY_RUN_SECONDS"])
    report = RunReport()
    report.released = db.session.execute(
        update(Delivery).where(Delivery.status == SENDING,
                               or_(Delivery.claimed_at.is_(None), Delivery.claimed_at < now - timedelta(minutes=lease)))
        .values(status=PENDING, next_try_at=None).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    robot = robot_config()
    mail = bool(config.get("SMTP_HOST"))
    due = db.session.scalars(
        select(Delivery).where(Delivery.status == PENDING, or_(Delivery.next_try_at.is_(None), Delivery.next_try_at <= now))
        .options(joinedload(Delivery.update).joinedload(ProblemUpdate.problem).joinedload(Problem.responsible_unit),
                 joinedload(Delivery.update).joinedload(ProblemUpdate.problem).joinedload(Problem.enterprise))
        .order_by(Delivery.id)).unique().all()
    sendable = [row for row in due if (row.channel in ROBOTS and robot) or (row.channel == EMAIL and mail)]
    if len(sendable) < len(due):
        report.left += len(due) - len(sendable)
        report.notes.append(f"{len(due) - len(sendable)}条的渠道（邮件服务器或群机器人）现在没有配置，留待配置后发送")
    receivers = {"mail": Receiver(), "robot": Receiver(interval=60 / (int(config["ROBOT_PER_MINUTE"]) * PACE_SHARE))}
    queue = deque(messages(sendable))
    db.session.commit()
    while queue:
        message = queue.popleft()
        receiver = receivers["robot" if message.channel in ROBOTS else "mail"]
        wait = receiver.ready_at - clock()
        if receiver.unreachable or clock() + max(wait, 0) - started > budget:
            report.left += len(message.ids)
            continue
        if wait > 0:
            sleep(wait)
        claimed = claim(message, now)
        if not claimed:
            continue
        lines = [line for pk, line in zip(message.ids, message.lines) if pk in claimed]  # another run took the others
        try:
            subject, text = message_text(lines)
            if message.channel in ROBOTS:
                send_webhook(robot[0], robot[1], subject, text)
            else:
                send_email(message.address, subject, text)
        except RateLimited as limited:
            receiver.ready_at = clock() + limited.seconds
            unclaim(claimed, now + timedelta(seconds=limited.seconds))
            queue.appendleft(message)  # tried again after the wait, if the run lasts that long
            continue
        except Exception as error:  # a message that cannot go out is kept with its error, never stops the run
            if not isinstance(error, DeliveryError):
                log.exception("delivery of outbox rows %s failed", claimed)
                error = DeliveryError(f"发送时出错（{type(error).__name__}：{error}）")
            receiver.unreachable = error.unreachable
            failed(claimed, str(error), limit, now, message, report)
        else:
            receiver.ready_at = clock() + receiver.interval
            db.session.execute(update(Delivery).where(Delivery.id.in_(claimed))
                               .values(status=SENT, sent_at=local_now(), last_error=None)
                               .execution_options(synchronize_session=False))
            report.sent += len(claimed)
            report.messages += 1
        db.session.commit()
    return report


def claim(message: Message, now: datetime) -> list[int]:
    """Take the message's rows that are still 待发送 (another run may have taken some): each by one UPDATE that only
    one process can win. Committed; the ids taken."""
    taken = [pk for pk in message.ids if db.session.execute(
        update(Delivery).where(Delivery.id == pk, Delivery.status == PENDING)
        .values(status=SENDING, attempts=Delivery.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False)).rowcount]
    db.session.commit()
    return taken


def unclaim(ids: list[int], not_before: datetime) -> None:
    """Give rows back untried (the robot asked us to wait): their try does not count."""
    db.session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status == SENDING)
                       .values(status=PENDING, attempts=Delivery.attempts - 1, claimed_at=None, next_try_at=not_before)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def failed(ids: list[int], error: str, limit: int, now: datetime, message: Message, report: RunReport) -> None:
    """Keep a failed try: 失败 for good after `limit` tries, else 待发送 after a wait that doubles with each try."""
    for row in db.session.scalars(select(Delivery).where(Delivery.id.in_(ids))):
        final = row.attempts >= limit
        row.status, row.last_error, row.claimed_at = (FAILED if final else PENDING), error[:2000], None
        row.next_try_at = None if final else now + timedelta(minutes=2 ** row.attempts)
        if final:
            report.failed += 1
        else:
            report.retry += 1
        log.warning("delivery %s to %s failed (attempt %s of %s): %s", row.id, row.channel, row.attempts, limit, error)
    numbers = "、".join(dict.fromkeys(line.problem.number or str(line.problem_id) for line in message.lines))
    report.failures.append(f"{message.channel} → {masked(message.address)}（问题{numbers}）：{error}")
