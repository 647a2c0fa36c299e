"""诉求直报 from submission to rating: an enterprise submits (submit), the office or the working group accepts it as a
ledger problem or refuses it (accept, refuse), the enterprise looks up its progress with its 受理编号 and 查询码 (find,
public_timeline) and rates the result (rate); a rating below the campaign's satisfied levels holds the problem back
from 销号 until the office has visited again (models.workflow: 回访 or 重新办理).

Every rule of the portal lives here; portal/ (the public pages) and admin/intake.py (the queue) only call it.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError
from werkzeug.security import check_password_hash, generate_password_hash

from . import terms
from .attachments import clean_name
from .base import db, hold, local_now
from .enterprise import Enterprise, EnterpriseGroup
from .errors import DomainError
from .org import Body, Campaign, Unit, rating_scale, towns
from .portal import Appeal, AppealFile, AppealStatus, PortalChallenge, PortalHit, Revisit
from .problem import Problem, ProblemUpdate
from .scope import APPEAL_DECIDERS, read_filter
from .terms import Vocabulary
from .text import refusal as text_refusal
from .user import take_turn
from .uscc import uscc_error
from .vocab import BodyKind, Status
from . import workflow
from .steps import STEPS, StepName

SOURCE = "服务平台"  # 问题来源 of a problem accepted from the portal
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 查询码: no 0/O or 1/I to misread
CODE_LENGTH = 10  # 50 bits: with the lookup throttled, guessing one is hopeless; hashed, a stolen table does not tell it
CODE_HASH = "pbkdf2:sha256:20000"  # about 10 ms to check: slow for a thief, quick enough for a lookup
DESCRIPTION = (10, 2000)  # characters
MAX_FILES, MAX_FILE_BYTES, MAX_PIXELS = 3, 5 * 1024 * 1024, 40_000_000
MAX_BODY_BYTES = MAX_FILES * MAX_FILE_BYTES + 64 * 1024  # a submission's whole request
# Limits held in the database (portal_hit), shared by every worker: (kind, how many, within)
SUBMIT_PER_ADDRESS = (5, timedelta(hours=1))
SUBMIT_PER_PHONE = (3, timedelta(days=1))
CAPTCHA_AFTER = timedelta(days=1)  # an address that submitted within this long must solve a CAPTCHA to submit again
WRONG_LOOKUPS = (5, timedelta(minutes=15))  # wrong 受理编号/查询码 pairs from one address before it must wait
CHALLENGE_MINUTES = 10
PHONE = re.compile(r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}")  # ASCII digits (normal_phone): \d would pass ０-９ too
NUMBER = re.compile(r"SQ\d{13,20}")  # 受理编号: SQ, the day, the id
FILE_KINDS = {"JPEG": ("image/jpeg", (".jpg", ".jpeg")), "PNG": ("image/png", (".png",)),
              "PDF": ("application/pdf", (".pdf",))}
PICTURE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG"}  # Pillow's name → ours (a phone's MPO is a JPEG)
# the timeline an enterprise sees: which steps, and how they read (no notes but the 办理结果, no people)
PUBLIC_STEPS = tuple(code for code, step in STEPS.items() if step.public)


@dataclass
class Upload:
    name: str
    data: bytes


@dataclass
class Entry:
    when: datetime | date
    text: str


# --- limits and the CAPTCHA ---

def phone_key(phone: str) -> str:
    """What the limits count a phone number by (its SHA-256), after normal_phone."""
    return hashlib.sha256(phone.encode()).hexdigest()


def normal_phone(typed: str) -> str:
    """A phone number as people type it on a phone, in ASCII: full-width ０-９ and every other Unicode decimal digit as
    0-9 (unicodedata), any dash as "-", spaces dropped; what is still not a number is left for PHONE to refuse."""
    kept = []
    for character in typed:
        if character.isspace():
            continue
        digit = unicodedata.decimal(character, None)
        kept.append(str(digit) if digit is not None else "-" if unicodedata.category(character) == "Pd" else character)
    return "".join(kept)


TURN_TRIES = 3


def turn(kind: str, key: str) -> str:
    """The lock row (models.user.take_turn) that the portal's requests about `key` queue on: one of 65,536 per kind,
    named by a hash, so the lock table never holds an address or a phone number (requests of two keys sharing a row
    merely wait for one another)."""
    return f"portal:{kind}:{hashlib.sha256(key.encode()).hexdigest()[:4]}"


def in_turn(keys: list[str], decide):
    """`decide()` within a turn on `keys`, in a fresh transaction, committed: the counts it reads include every request
    committed before the turn, and the next request, queued behind it, counts what it wrote — so parallel requests in
    any number of processes pass a limit no more often than it allows (as logins do: models.user). A DomainError it
    raises ends the turn with nothing written (unless it committed first)."""
    for tries in range(TURN_TRIES):
        db.session.commit()
        try:
            take_turn(keys)
            decided = decide()
            db.session.commit()
            return decided
        except OperationalError:  # chosen as a deadlock's victim, or SQLite busy past its timeout: queue again
            db.session.rollback()
            if tries == TURN_TRIES - 1:
                raise


def hits(kind: str, key: str, within: timedelta) -> int:
    return db.session.scalar(select(func.count()).select_from(PortalHit).where(
        PortalHit.kind == kind, PortalHit.key == key, PortalHit.at > local_now() - within)) or 0


def hit(kind: str, key: str) -> None:
    db.session.add(PortalHit(kind=kind, key=key[:64], at=local_now()))


KEEP_HITS = timedelta(days=2)  # longer than every window above: older rows count for nothing


def prune() -> int:
    """Forget the limit rows no window counts any more and the spent or expired CAPTCHAs (`flask remind` does it
    daily); how many rows went. Not committed."""
    now = local_now()
    gone = db.session.execute(delete(PortalHit).where(PortalHit.at < now - KEEP_HITS)).rowcount
    gone += db.session.execute(delete(PortalChallenge).where(
        PortalChallenge.created_at < now - timedelta(minutes=CHALLENGE_MINUTES))).rowcount
    return gone


def captcha_needed(address: str) -> bool:
    """After an address's first submission (within CAPTCHA_AFTER), each further one must solve a CAPTCHA."""
    return hits("submit", address, CAPTCHA_AFTER) > 0


def new_challenge() -> tuple[str, str]:
    """A CAPTCHA's token and answer (4 characters); the answer is kept hashed, for one try. (Expired ones go with
    prune, daily: deleting them here, a range of the index, deadlocked parallel requests on MariaDB.)"""
    token, answer = secrets.token_hex(16), "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))
    db.session.add(PortalChallenge(token=token, answer_hash=_answer_hash(token, answer), created_at=local_now()))
    db.session.commit()
    return token, answer


def solved(token: str | None, answer: str | None) -> bool:
    """Whether `answer` is the CAPTCHA's: each token is good for one try (whichever worker gets it), then used up."""
    if not token or not answer or not re.fullmatch(r"[0-9a-f]{32}", token):
        return False
    done = db.session.execute(update(PortalChallenge).where(
        PortalChallenge.token == token, PortalChallenge.used.is_(False),
        PortalChallenge.created_at > local_now() - timedelta(minutes=CHALLENGE_MINUTES))
        .values(used=True).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    stored = db.session.scalar(select(PortalChallenge.answer_hash).where(PortalChallenge.token == token))
    return secrets.compare_digest(stored or "", _answer_hash(token, answer.strip().upper()))


def _answer_hash(token: str, answer: str) -> str:
    return hashlib.sha256(f"{token}:{answer}".encode()).hexdigest()


# --- submitting ---

def check_file(upload: Upload) -> tuple[str, str]:
    """The MIME type and name of an attachment whose content is what its name says: a JPEG or PNG picture that opens
    as one (Pillow), or a PDF; else a DomainError in Chinese. The name is the file's own, fit for a header
    (models.attachments.clean_name: no line break, quote or control character)."""
    name = clean_name(upload.name)
    if not upload.data:
        raise DomainError(f"附件“{name}”是空文件。")
    if len(upload.data) > MAX_FILE_BYTES:
        raise DomainError(f"附件“{name}”超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请压缩后再上传。")
    kind = sniff(upload.data)
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind is None:
        raise DomainError(f"附件“{name}”不是 JPG、PNG 图片或 PDF 文件（按文件内容判断），请换一个文件。")
    mime, suffixes = FILE_KINDS[kind]
    if suffix not in suffixes:
        raise DomainError(f"附件“{name}”的内容是 {kind} 文件，与文件扩展名“{suffix or '（无）'}”不符，请检查后重新上传。")
    return mime, name


def kept(upload: Upload) -> tuple[str, str, bytes]:
    """What is stored of an attachment that check_file accepts: its name, MIME type and content — a picture without
    its metadata (without_metadata)."""
    mime, name = check_file(upload)
    if mime == "application/pdf":
        return name, mime, upload.data
    from PIL import Image  # noqa: PLC0415 (only a submission with a picture needs it)
    try:
        return name, mime, without_metadata(upload.data)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):  # its header was whole, its pixels are not
        raise DomainError(f"图片“{name}”已损坏或不完整，打不开，请重新拍摄或换一张。") from None


def without_metadata(data: bytes) -> bytes:
    """A JPEG or PNG picture as it looks (turned upright by its EXIF orientation, Pillow's exif_transpose) and encoded
    again without what a camera or phone writes beside the pixels: EXIF (make, model, GPS position, time), XMP, JPEG
    comments, PNG text chunks, a phone's extra MPO pictures. Only the colour profile (which says how to show the
    colours, not who took the picture or where) and a PNG's transparency are kept."""
    from PIL import Image, ImageOps  # noqa: PLC0415 (only a submission with a picture needs it)

    with Image.open(io.BytesIO(data)) as picture:
        kind = PICTURE_FORMATS[picture.format]
        keep = {key: picture.info[key] for key in ("icc_profile", "transparency") if picture.info.get(key) is not None}
        if kind == "JPEG" and picture.format == "JPEG":
            keep.update(quality="keep", subsampling="keep")  # the original's compression: no visible loss
        ImageOps.exif_transpose(picture, in_place=True)
        picture.info = {}
        out = io.BytesIO()
        picture.save(out, kind, **keep)
        return out.getvalue()


def sniff(data: bytes) -> str | None:
    """"JPEG", "PNG" or "PDF" when `data` opens as one (a picture within MAX_PIXELS, a PDF with its end), else None."""
    if data.startswith(b"%PDF-"):
        return "PDF" if b"%%EOF" in data[-2048:] else None
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 (only a submission with a picture needs it)
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.format not in PICTURE_FORMATS or picture.width * picture.height > MAX_PIXELS:
                return None
            picture.verify()
            return PICTURE_FORMATS[picture.format]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def submit(campaign: Campaign, form: dict, uploads: list[Upload], address: str, body: Body | None = None,
           captcha: tuple[str | None, str | None] = (None, None)) -> tuple[Appeal, str]:
    """A new 诉求 and the seed of its 查询码 (code_of: shown once): every field checked, the limits and (after an
    address's first submission) the CAPTCHA enforced. The CAPTCHA decision and the limits are taken in a turn on the
    address and the phone (in_turn), with the write, so that no burst of parallel submissions passes them. Committed;
    a DomainError in Chinese changes nothing but the CAPTCHA's use."""
    values = {key: (form.get(key) or "").strip() for key in
              ("enterprise_name", "credit_code", "contact", "phone", "category", "description")}
    values["credit_code"] = values["credit_code"].upper()
    values["phone"] = normal_phone(values["phone"])
    problems = _field_problems(campaign, values)
    if problems:
        raise DomainError("；".join(problems) + "。")
    if len(uploads) > MAX_FILES:
        raise DomainError(f"最多上传 {MAX_FILES} 个附件。")
    checked = [kept(upload) for upload in uploads]
    if body is not None and (body.campaign_id != campaign.id or body.kind != BodyKind.WORKING_GROUP):
        body = None
    seed = secrets.token_urlsafe(16)
    code_hash = generate_password_hash(code_of(seed), CODE_HASH)  # (slow on purpose: before the turn, not in it)
    campaign_id, body_id, phone = campaign.id, body.id if body is not None else None, phone_key(values["phone"])

    def decide() -> Appeal:
        if captcha_needed(address) and not solved(*captcha):
            db.session.commit()  # the challenge is used up even when the answer is wrong
            raise DomainError("验证码不正确或已过期，请看新图片重新输入。" if captcha[0] else
                              "本网络 24 小时内已提交过诉求，再次提交请输入下方图片中的验证码。")
        if hits("submit", address, SUBMIT_PER_ADDRESS[1]) >= SUBMIT_PER_ADDRESS[0]:
            raise DomainError("提交过于频繁：同一网络一小时内最多提交 5 条诉求，请稍后再试或拨打服务热线。")
        if hits("phone", phone, SUBMIT_PER_PHONE[1]) >= SUBMIT_PER_PHONE[0]:
            raise DomainError("同一联系电话一天内最多提交 3 条诉求；已提交的诉求可以用受理编号和查询码查询进展。")
        firm = db.session.scalar(select(Enterprise).where(Enterprise.campaign_id == campaign_id,
                                                          Enterprise.credit_code == values["credit_code"]))
        appeal = Appeal(campaign_id=campaign_id, code_hash=code_hash, body_id=body_id, enterprise=firm,
                        address=address[:45], category=values["category"] or None, created_at=local_now(),
                        **{key: values[key] for key in ("enterprise_name", "credit_code", "contact", "phone",
                                                        "description")})
        for name, mime, data in checked:
            appeal.files.append(AppealFile(name=name, mime=mime, size=len(data), data=data,
                                           sha256=hashlib.sha256(data).hexdigest()))
        db.session.add(appeal)
        db.session.flush()
        appeal.number = f"SQ{appeal.created_at:%Y%m%d}{appeal.id:05d}"
        hit("submit", address)
        hit("phone", phone)
        return appeal

    return in_turn([turn("address", address), turn("phone", phone)], decide), seed


def code_of(seed: str) -> str:
    """The 查询码 a receipt's seed stands for: an HMAC of it under the app's SECRET_KEY, in CODE_ALPHABET. The cookie
    that carries a receipt to /portal/done holds the seed, which tells nothing without the key, never the code."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"portal-code:{seed}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    return "".join(CODE_ALPHABET[(number >> (5 * place)) % len(CODE_ALPHABET)] for place in range(CODE_LENGTH))


def _field_problems(campaign: Campaign, values: dict) -> list[str]:
    found = []
    labels = {"enterprise_name": "企业名称", "credit_code": "统一社会信用代码", "contact": "联系人", "phone": "联系电话",
              "category": "诉求类型", "description": "诉求内容"}
    for key, label in labels.items():
        message = text_refusal(label, values[key])
        if message:
            return [message.rstrip("。")]
        if not values[key] and key != "category":
            found.append(f"请填写{label}")
    if found:
        return found
    if len(values["enterprise_name"]) > 100:
        found.append("企业名称不超过100个字")
    error = uscc_error(values["credit_code"])
    if error:
        found.append(error)
    if len(values["contact"]) > 32:
        found.append("联系人不超过32个字")
    if not PHONE.fullmatch(values["phone"]):
        found.append("联系电话应为11位手机号码或带区号的固定电话，如 13812345678、0730-5221234")
    if values["category"] and values["category"] not in terms.values(campaign.id, Vocabulary.CATEGORY):
        found.append("请从列表中选择诉求类型")
    low, high = DESCRIPTION
    if not low <= len(values["description"]) <= high:
        found.append(f"诉求内容请写 {low} 至 {high} 个字（现为 {len(values['description'])} 个字）")
    return found


# --- the queue: 受理 and 不予受理 ---

def queue_refusal(appeal: Appeal, user) -> str | None:
    """Why `user` may not decide on `appeal` (in Chinese), or None: the 推进办 and the administrator decide within
    their campaigns, a working group on the 诉求 that came through its card or concern its linked enterprises."""
    if user.role not in APPEAL_DECIDERS:
        return "只有推进办和工作组可以受理企业诉求。"
    scope = read_filter(Appeal, user)
    query = select(Appeal.id).where(Appeal.id == appeal.id)
    if db.session.scalar(query if scope is None else query.where(scope)) is None:
        return f"诉求{appeal.number}不在您的权限范围内。"
    if appeal.status != AppealStatus.WAITING:
        who = appeal.decided_by.shown_name if appeal.decided_by is not None else "他人"
        when = f"于{appeal.decided_at:%Y-%m-%d %H:%M}" if appeal.decided_at else ""
        return f"诉求{appeal.number}已由{who}{when}处理（{appeal.status}），不能再处理。"
    return None


def appeal_of(problem) -> Appeal | None:
    """The 诉求 a problem was accepted from through the portal, if it was."""
    return db.session.scalar(select(Appeal).where(Appeal.problem_id == problem.id).limit(1))


def listed_firms(appeal: Appeal) -> tuple[Enterprise | None, Enterprise | None]:
    """The campaign's enterprises a 诉求 meets, now: the one with its 统一社会信用代码 (what 受理 files it under), or
    else the one with the name the enterprise typed."""
    if appeal.status in (AppealStatus.ACCEPTED, AppealStatus.MERGED) and appeal.enterprise is not None:
        return appeal.enterprise, None
    same = (Enterprise.campaign_id == appeal.campaign_id)
    coded = db.session.scalar(select(Enterprise).where(same, Enterprise.credit_code == appeal.credit_code))
    if coded is not None:
        return coded, None
    return None, db.session.scalar(select(Enterprise).where(same, Enterprise.name == appeal.enterprise_name))


def town_refusal(appeal: Appeal, firm: Enterprise | None, town_id) -> tuple[Unit | None, str | None]:
    """The 所在镇（园区） chosen at 受理 (one of the campaign's towns, models.org.towns), and why it is refused. The page
    asks it of a new enterprise (or a listed one with none) as a required field; a client that sends none (a script,
    an older page) leaves it empty, as before."""
    choices = {unit.id: unit for unit in towns(appeal.campaign_id)}
    try:
        town = choices.get(int(town_id)) if town_id not in (None, "") else None
    except (TypeError, ValueError):
        town = None
    if town_id not in (None, "") and town is None:
        return None, "所选所在镇（园区）不是本专项行动的镇或园区，请重新选择。"
    return town, None


def accept(appeal: Appeal, user, category: str | None = None, town_id=None) -> Problem:
    """受理: the 诉求 becomes a ledger problem (问题来源 服务平台), of the enterprise with its 统一社会信用代码 (entered
    now when the campaign has none), collected by the group whose card it came through (or the deciding group, or
    the enterprise's one linked group), with the attachments carried over. Parallel decisions on one 诉求 queue on its
    row (models.base.hold): the first decides, the others are told so. Commits what the session held before; the
    decision itself is not committed."""
    message = queue_refusal(appeal, user) if hold(appeal) else "该诉求已不存在。"
    if message:
        raise DomainError(message)
    firm, named = listed_firms(appeal)
    town, refused = town_refusal(appeal, firm or named, town_id)
    if refused:
        raise DomainError(refused)
    if firm is None:
        if named is not None and named.credit_code and named.credit_code != appeal.credit_code:
            raise DomainError(f"企业名单中已有“{named.name}”，但统一社会信用代码是 {named.credit_code}，与诉求所填"
                              f" {appeal.credit_code} 不同：请先核实企业信息（在企业名单中更正）再受理。")
        firm = named or Enterprise(campaign_id=appeal.campaign_id, name=appeal.enterprise_name)
        firm.credit_code = appeal.credit_code
        firm.contact, firm.phone = firm.contact or appeal.contact, firm.phone or appeal.phone
        db.session.add(firm)
    if town is not None and firm.town_id is None:
        firm.town = town
    body = appeal.body or (user.body if user.role == "group" else None) or _only_group(firm)
    problem = Problem(campaign_id=appeal.campaign_id, enterprise=firm, description=appeal.description,
                      category=category or appeal.category, source=SOURCE, collected_by_body=body,
                      collected_on=appeal.created_at.date())
    renamed = (f"；企业填写的名称为“{appeal.enterprise_name}”，按统一社会信用代码记在“{firm.name}”名下"
               if firm.name != appeal.enterprise_name else "")
    workflow.entered_via(problem, f"企业通过服务平台提交（受理编号 {appeal.number}），"
                                  f"{user.display_name or user.username}受理{renamed}")
    db.session.add(problem)
    for attached in appeal.files:
        attached.problem = problem
    appeal.status, appeal.problem, appeal.enterprise = AppealStatus.ACCEPTED, problem, firm
    appeal.decided_by_id, appeal.decided_at = user.id, local_now()
    return problem


def merge(appeal: Appeal, user, target_id) -> Problem:
    """合并: a 诉求 that repeats an open problem of the same enterprise (the one with its 统一社会信用代码) joins it
    instead of becoming a problem of its own: the 诉求 is 已合并, linked to the problem, its files carried over, and the
    enterprise's lookup of its 受理编号 shows that problem's progress. Queued on the 诉求's row as accept is; the
    problem must be one the user may see. Not committed."""
    message = queue_refusal(appeal, user) if hold(appeal) else "该诉求已不存在。"
    if message:
        raise DomainError(message)
    firm, _ = listed_firms(appeal)
    if firm is None:
        raise DomainError(f"企业名单中没有统一社会信用代码为 {appeal.credit_code} 的企业，诉求{appeal.number}没有可并入的问题；"
                          "请受理为新问题。")
    scope = read_filter(Problem, user)
    query = select(Problem).where(Problem.id == (target_id if isinstance(target_id, int) else -1))
    target = db.session.scalar(query if scope is None else query.where(scope))
    refused = workflow.merge_refusal(firm.id, appeal.campaign_id, target, f"诉求{appeal.number}（{firm.name}）")
    if refused:
        raise DomainError(refused)
    for attached in appeal.files:
        attached.problem = target
    appeal.status, appeal.problem, appeal.enterprise = AppealStatus.MERGED, target, firm
    appeal.decided_by_id, appeal.decided_at = user.id, local_now()
    return target


def merge_choices(appeal: Appeal, user) -> list[Problem]:
    """The open problems of the 诉求's enterprise the user may see: what it may be merged into."""
    firm, _ = listed_firms(appeal)
    if firm is None:
        return []
    scope = read_filter(Problem, user)
    query = select(Problem).where(*workflow.merge_targets(firm.id, appeal.campaign_id)).order_by(Problem.id.desc())
    return db.session.scalars(query if scope is None else query.where(scope)).all()


def _only_group(firm: Enterprise) -> Body | None:
    if firm.id is None:
        return None
    groups = db.session.scalars(select(Body).join(EnterpriseGroup, EnterpriseGroup.body_id == Body.id)
                                .where(EnterpriseGroup.enterprise_id == firm.id).limit(2)).all()
    return groups[0] if len(groups) == 1 else None


def refuse(appeal: Appeal, user, reason: str) -> None:
    """不予受理, with the reason the enterprise will read on its lookup page; queued on the 诉求's row as accept is.
    Commits what the session held before; the decision itself is not committed."""
    message = queue_refusal(appeal, user) if hold(appeal) else "该诉求已不存在。"
    if message:
        raise DomainError(message)
    reason = (reason or "").strip()
    if not 4 <= len(reason) <= 500:
        raise DomainError("不予受理须写明理由（4 至 500 字），企业查询时可以看到。")
    appeal.status, appeal.reason = AppealStatus.REFUSED, reason
    appeal.decided_by_id, appeal.decided_at = user.id, local_now()


# --- looking up and rating ---

def find(number: str, code: str, address: str) -> Appeal | None:
    """The 诉求 with this 受理编号 and 查询码, or None: a wrong pair is counted against the address and tells nothing
    (a number that does not exist costs the same hash check as a wrong code). Raises DomainError once the address has
    had WRONG_LOOKUPS[0] wrong pairs within WRONG_LOOKUPS[1]. As a login does (models.user), each lookup first takes a
    turn on its address, counts and records itself as wrong, then checks the pair (and forgets the record when it is
    right): parallel lookups in any number of processes check no more pairs than the limit allows."""
    limit, within = WRONG_LOOKUPS

    def claim() -> int | None:
        if hits("lookup", address, within) >= limit:
            return None
        claimed = PortalHit(kind="lookup", key=address[:64], at=local_now())
        db.session.add(claimed)
        db.session.flush()
        return claimed.id

    claimed = in_turn([turn("lookup", address)], claim)
    if claimed is None:
        raise DomainError(f"查询码错误次数过多，请 {int(within.total_seconds() // 60)} 分钟后再试。")
    number, code = (number or "").strip().upper()[:24], (code or "").strip().upper()[:32]
    well_formed = NUMBER.fullmatch(number) is not None  # (a NUL byte, say, would not even reach PostgreSQL)
    appeal = db.session.scalar(select(Appeal).where(Appeal.number == number)) if well_formed else None
    good = check_password_hash(appeal.code_hash if appeal is not None else _DUMMY, code)
    if appeal is None or not good:
        db.session.commit()
        return None
    db.session.execute(delete(PortalHit).where(PortalHit.id == claimed))
    db.session.commit()
    return appeal


_DUMMY = generate_password_hash(secrets.token_hex(8), CODE_HASH)


def public_timeline(appeal: Appeal) -> list[Entry]:
    """What the enterprise may know of its 诉求: submitted, 受理 or 不予受理 (with the reason), and the problem's
    交办 (to which unit), 签收 (办理中), 申请办结 (with the 办理结果), 销号 and 重新办理 — no notes, no people."""
    entries = [Entry(appeal.created_at, "已提交，等待受理")]
    if appeal.status == AppealStatus.REFUSED:
        entries.append(Entry(appeal.decided_at, f"不予受理。理由：{appeal.reason}"))
    if appeal.status not in (AppealStatus.ACCEPTED, AppealStatus.MERGED) or appeal.problem is None:
        return entries
    problem = appeal.problem
    entries.append(Entry(appeal.decided_at, "已受理，列入问题台账" if appeal.status == AppealStatus.ACCEPTED
                         else "已受理：与您反映过的同一问题合并办理，以下为该问题的进展"))
    steps = db.session.execute(select(ProblemUpdate.step, ProblemUpdate.created_at)
                               .where(ProblemUpdate.problem_id == problem.id, ProblemUpdate.step.in_(PUBLIC_STEPS))
                               .order_by(ProblemUpdate.created_at, ProblemUpdate.id)).all()
    unit = problem.responsible_unit.name if problem.responsible_unit is not None else "责任单位"
    said = {  # how the public steps read to the enterprise; another public step reads as its label
        StepName.ASSIGN: f"已交办：由{unit}办理" + (f"，办理时限 {problem.deadline:%Y-%m-%d}" if problem.deadline else ""),
        StepName.ACCEPT: f"{unit}已签收，办理中",
        StepName.RESOLVE: f"{unit}已办结",
        StepName.CLOSE: "已销号，办理完毕",
        StepName.REOPEN: "重新办理中",
        StepName.WITHDRAW: "已撤销",
    }
    entries += [Entry(when, said.get(code) or STEPS[code].label) for code, when in steps]
    if problem.status in (Status.RESOLVED, Status.CLOSED) and problem.resolution:
        entries.append(Entry(problem.resolved_on or entries[-1].when, f"办理结果：{problem.resolution}"))
    if appeal.rating:
        entries.append(Entry(appeal.rated_at, f"您的评价：{appeal.rating}"))
    return entries


def may_rate(appeal: Appeal) -> bool:
    return (appeal.problem is not None and appeal.problem.status in (Status.RESOLVED, Status.CLOSED)
            and appeal.rating is None)


def rate(appeal: Appeal, level: str, comment: str | None) -> None:
    """一事一评: the enterprise's rating of the result (once per 办结), on the timeline as 企业评价; one below the
    campaign's satisfied levels puts the problem on the 推进办's desk for 回访 and holds back its 销号. Parallel ratings
    queue on the 诉求's row (models.base.hold): the first is recorded, the others are told it was. Committed."""
    if not hold(appeal):
        raise DomainError("该诉求已不存在。")
    if not may_rate(appeal):
        raise DomainError("您已经评价过这一办理结果，谢谢。" if appeal.rating is not None
                          else "该诉求尚未办结，办结后才能评价。")
    levels = appeal.campaign.ratings()
    if level not in levels:
        raise DomainError(f"请选择评价：{'、'.join(levels)}。")
    comment = (comment or "").strip() or None
    if comment is not None and (len(comment) > 500 or text_refusal("评价意见", comment)):
        raise DomainError(text_refusal("评价意见", comment) or "评价意见不超过500字。")
    appeal.rating, appeal.rating_comment, appeal.rated_at = level, comment, local_now()
    unsatisfied = levels.index(level) >= appeal.campaign.rating_satisfied
    appeal.revisit = Revisit.PENDING if unsatisfied else None
    workflow.record(appeal.problem, None, StepName.RATED, note=f"{level}（企业自评）" + (f"：{comment}" if comment else ""))
    db.session.commit()



def satisfied(appeal: Appeal) -> bool | None:
    """Whether the enterprise's own rating counts as satisfied (None before it rated)."""
    if appeal.rating is None:
        return None
    levels = appeal.campaign.ratings()
    return appeal.rating in levels and levels.index(appeal.rating) < appeal.campaign.rating_satisfied


def own_ratings(problem_scope) -> tuple[int, int]:
    """The enterprises' own ratings (一事一评) of the problems matching `problem_scope` (None: all): how many rated,
    and how many of those within their campaign's satisfied levels — the 企业自评满意率, beside the office's 满意率."""
    query = (select(Appeal.rating, Campaign.rating_levels, Campaign.rating_satisfied, func.count())
             .join(Problem, Problem.id == Appeal.problem_id).join(Campaign, Campaign.id == Appeal.campaign_id)
             .where(Appeal.rating.is_not(None)).group_by(Appeal.rating, Campaign.rating_levels, Campaign.rating_satisfied))
    if problem_scope is not None:
        query = query.where(problem_scope)
    rated = content = 0
    for rating, levels, satisfied_levels, n in db.session.execute(query):
        scale = rating_scale(levels)
        rated += n
        content += n if rating in scale and scale.index(rating) < satisfied_levels else 0
    return rated, content
