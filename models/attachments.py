"""附件: the photos and documents a step of the timeline (ProblemUpdate), a 走访 (Visit) or a 报送 (Report) brings —
what each may be, checked by its content; what is kept of it (a picture re-encoded without its EXIF, with a
thumbnail); the limits per file and per problem (the campaign's settings); and who may open it (whoever may see the
row it belongs to: models.scope). Kept in the database, so that a backup and a restore carry them.

The portal's own attachments (AppealFile, models.portal) stay as they are; its pictures are cleaned the same way
(models.intake.without_metadata).
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

import olefile
from sqlalchemy import ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import FILE_BYTES, NAME_LENGTH, IdMixin, db, local_now
from .enterprise import Visit
from .errors import DomainError
from .problem import Problem, ProblemUpdate, Report
from .scope import read_filter
from .text import file_name

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file: .doc, .xls, .wps, .et (imports.package too)
MB = 1024 * 1024
MAX_FILES = 20  # files one form takes at once
THUMB_SIDE = 320  # pixels, the longest side of a thumbnail
WORD = ("WordDocument",)  # the stream an OLE Word (or WPS 文字) file holds
SHEET = ("Workbook", "Book")  # the stream an OLE Excel (or WPS 表格) file holds
# what a file may be, by its extension: (MIME type, what its content must be, how it reads in a message)
KINDS = {
    ".jpg": ("image/jpeg", "JPEG", "JPG 图片"), ".jpeg": ("image/jpeg", "JPEG", "JPG 图片"),
    ".png": ("image/png", "PNG", "PNG 图片"), ".pdf": ("application/pdf", "PDF", "PDF 文件"),
    ".doc": ("application/msword", WORD, "Word 文件"), ".wps": ("application/vnd.ms-works", WORD, "WPS 文字文件"),
    ".xls": ("application/vnd.ms-excel", SHEET, "Excel 文件"), ".et": ("application/vnd.ms-excel", SHEET, "WPS 表格文件"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word/document.xml", "Word 文件"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/workbook.xml", "Excel 文件"),
}
ACCEPT = ",".join(["image/jpeg", "image/png", *KINDS])  # the file input's accept=, for the browser's picker
ACCEPTED_WORDS = "JPG、PNG 图片，PDF，Word（.doc、.docx），Excel（.xls、.xlsx），WPS（.wps、.et）"
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")  # an iPhone's HEIC photo


class Attachment(IdMixin, db.Model):
    """A file brought by a timeline entry (and so on its problem), a visit or a report, with who added it and when."""

    __label__ = "附件"

    __tablename__ = "attachment"
    __column_labels__ = {"problem": "问题", "problem_update": "办理过程", "visit": "走访记录", "report": "报送记录",
                         "name": "文件名", "mime": "文件类型", "size": "文件大小（字节）", "sha256": "SHA-256 校验值",
                         "data": "文件内容", "thumbnail": "缩略图", "created_by": "上传人", "created_at": "上传时间"}

    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    problem: Mapped[Problem | None] = relationship()
    problem_update_id: Mapped[int | None] = mapped_column(ForeignKey("problem_update.id", ondelete="CASCADE"),
                                                          index=True)
    problem_update: Mapped[ProblemUpdate | None] = relationship()  # (no backref: a timeline line is never changed)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    visit: Mapped[Visit | None] = relationship()
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    report: Mapped[Report | None] = relationship()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    mime: Mapped[str] = mapped_column(String(100))  # from the content (checked), never from the browser
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(FILE_BYTES, deferred=True)
    thumbnail: Mapped[bytes | None] = mapped_column(FILE_BYTES, deferred=True)  # a small JPEG (MariaDB: past BLOB's 64 KB)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_by = relationship("User")
    created_at: Mapped[datetime] = mapped_column(default=local_now)

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")

    @property
    def size_text(self) -> str:
        return size_text(self.size)

    def __str__(self) -> str:
        return self.name


def size_text(size: int) -> str:
    """A file's size as people read it: 0.2 MB, 6 KB."""
    return f"{size / MB:.1f} MB" if size >= MB / 10 else f"{max(1, round(size / 1024))} KB"


@dataclass
class Checked:
    """A file as it will be kept: its clean name, MIME type, content and thumbnail."""

    name: str
    mime: str
    data: bytes
    thumbnail: bytes | None = None


def clean_name(raw: str | None) -> str:
    """A file's own name (the last part of a path), fit for a header (models.text.file_name)."""
    return file_name((raw or "").replace("\\", "/").rsplit("/", 1)[-1])[:100].strip() or "附件"


def content_matches(data: bytes, wanted) -> bool:
    """Whether `data` is what its extension says (KINDS' second column): a picture or a PDF that opens as one
    (models.intake.sniff), an OLE file holding a Word or Excel stream, a zip package holding the Word or Excel part."""
    from .intake import sniff  # noqa: PLC0415 (models.intake imports the workflow; only checking a file needs it)
    if wanted in ("JPEG", "PNG", "PDF"):
        return sniff(data) == wanted
    if isinstance(wanted, tuple):
        if not data.startswith(OLE_MAGIC):
            return False
        try:
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                return any(ole.exists(stream) for stream in wanted)
        except (OSError, ValueError, IndexError, KeyError, TypeError):
            return False
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return wanted in package.namelist()  # the names only: nothing is inflated
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, RuntimeError):
        return False


def check(name: str, data: bytes, limit_mb: int) -> Checked:
    """A file as it will be kept, or a DomainError in Chinese naming it: empty, over `limit_mb`, of a kind not taken
    (by its extension: ACCEPTED_WORDS), or whose content is not what its extension says (a renamed program, say).
    A picture is turned upright and re-encoded without its EXIF and other metadata (models.intake.without_metadata)
    and gets a thumbnail."""
    name = clean_name(name)
    if not data:
        raise DomainError(f"附件“{name}”是空文件，未保存。")
    if len(data) > limit_mb * MB:
        raise DomainError(f"附件“{name}”有 {len(data) / MB:.1f} MB，超过每个文件 {limit_mb} MB 的上限，未保存："
                          "照片请用手机“压缩”或截图后再上传，文档请拆分。")
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        raise DomainError(f"附件“{name}”是 HEIC 格式的照片，本系统打不开：请在手机相机设置中选“兼容性最佳”（JPG），"
                          "或在浏览器中选择照片上传（会自动转为 JPG）。")
    if suffix not in KINDS:
        raise DomainError(f"附件“{name}”的类型不能上传，只收 {ACCEPTED_WORDS}。")
    mime, wanted, words = KINDS[suffix]
    if not content_matches(data, wanted):
        raise DomainError(f"附件“{name}”的内容不是{words}（按文件内容判断，与扩展名“{suffix}”不符），未保存。")
    if not mime.startswith("image/"):
        return Checked(name, mime, data)
    from PIL import Image  # noqa: PLC0415 (only a picture needs it)
    from .intake import without_metadata  # noqa: PLC0415
    try:
        cleaned = without_metadata(data)
        return Checked(name, mime, cleaned, thumbnail(cleaned))
    except (OSError, SyntaxError, ValueError, KeyError, Image.DecompressionBombError):
        raise DomainError(f"图片“{name}”已损坏或不完整，打不开，请重新拍摄或换一张。") from None


def thumbnail(data: bytes) -> bytes:
    """A small JPEG of a picture (its longest side THUMB_SIDE pixels), for the pages' thumbnails."""
    from PIL import Image  # noqa: PLC0415

    with Image.open(io.BytesIO(data)) as picture:
        picture.thumbnail((THUMB_SIDE, THUMB_SIDE))
        out = io.BytesIO()
        picture.convert("RGB").save(out, "JPEG", quality=80)
        return out.getvalue()


def limits(campaign) -> tuple[int, int]:
    """The campaign's limits in MB: per file, per problem (or per visit or report)."""
    return campaign.file_max_mb, campaign.problem_files_max_mb


def stored_bytes(**owner) -> int:
    """What the files of one owner (problem_id=…, visit_id=… or report_id=…) already take."""
    (key, value), = owner.items()
    return db.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0))
                             .where(getattr(Attachment, key) == value)) or 0


def checked_files(uploads: list[tuple[str, bytes]], campaign, owners: list[dict] = ()) -> list[Checked]:
    """The files of one form as they will be kept, or a DomainError in Chinese naming the first refused: more than
    MAX_FILES, a file refused by `check`, or files that would take an owner (each of `owners`, e.g.
    {"problem_id": 7}; a new one counts from nothing) past the campaign's limit. Nothing is written."""
    uploads = [(name, data) for name, data in uploads if name or data]
    if len(uploads) > MAX_FILES:
        raise DomainError(f"一次最多上传 {MAX_FILES} 个附件，本次选了 {len(uploads)} 个，未保存。")
    per_file, per_owner = limits(campaign)
    kept = [check(name, data, per_file) for name, data in uploads]
    adding = sum(len(k.data) for k in kept)
    for owner in owners if kept else ():
        total = (stored_bytes(**owner) if all(owner.values()) else 0) + adding
        if total > per_owner * MB:
            what = OWNER_WORDS[next(iter(owner))](owner)
            raise DomainError(f"{what}的附件合计将达 {total / MB:.1f} MB，超过每个问题（记录）{per_owner} MB 的上限，"
                              "本次的附件和内容均未保存。请删减或压缩附件后再提交。")
    return kept


def _problem_words(owner) -> str:
    problem = db.session.get(Problem, owner["problem_id"]) if owner["problem_id"] else None
    return f"问题{problem.number}" if problem is not None and problem.number else "该问题"


OWNER_WORDS = {"problem_id": _problem_words, "visit_id": lambda owner: "该走访记录",
               "report_id": lambda owner: "该报送记录"}


def attach(files: list[Checked], user, **owner) -> list[Attachment]:
    """Attachment rows for checked files, on one owner: problem_update (with its problem), visit or report. Not
    committed."""
    update = owner.get("problem_update")
    if update is not None:
        owner["problem"] = update.problem
    rows = [Attachment(name=f.name, mime=f.mime, size=len(f.data), sha256=hashlib.sha256(f.data).hexdigest(),
                       data=f.data, thumbnail=f.thumbnail, created_by_id=getattr(user, "id", None),
                       created_at=local_now(), **owner) for f in files]
    db.session.add_all(rows)
    return rows


def of_problem(problem_id: int) -> dict[int | None, list[Attachment]]:
    """A problem's attachments (without their content), by the timeline entry that brought them."""
    rows = db.session.scalars(select(Attachment).where(Attachment.problem_id == problem_id)
                              .order_by(Attachment.id)).all()
    found: dict[int | None, list[Attachment]] = {}
    for row in rows:
        found.setdefault(row.problem_update_id, []).append(row)
    return found


def of_owner(**owner) -> list[Attachment]:
    """The attachments (without their content) of one visit or report: visit_id=… or report_id=…."""
    (key, value), = owner.items()
    return db.session.scalars(select(Attachment).where(getattr(Attachment, key) == value).order_by(Attachment.id)).all()


def may_open(attachment: Attachment, user) -> bool:
    """Whether `user` may open the file: whoever may see the row it belongs to — its problem (for a timeline
    entry's), its visit or its report (models.scope.read_filter, the rule of every page that shows them)."""
    for model, row_id in ((Problem, attachment.problem_id), (Visit, attachment.visit_id),
                          (Report, attachment.report_id)):
        if row_id is None:
            continue
        condition = read_filter(model, user)
        query = select(model.id).where(model.id == row_id)
        return db.session.scalar(query if condition is None else query.where(condition)) is not None
    return False
