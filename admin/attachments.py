"""附件 in the panel: the file inputs of the step forms, 录入问题, 走访 and 报送 (static/attachments.js shrinks photos and
refuses a wrong or oversized file before upload; models.attachments checks them again on the server), the files of a
record's page, and the page that serves a file — only to whoever may see the row it belongs to."""
from __future__ import annotations

import io
from dataclasses import dataclass

from flask import abort, current_app, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms import MultipleFileField
from wtforms.validators import ValidationError

from models import attachments, db
from models.attachments import ACCEPT, ACCEPTED_WORDS, MAX_FILES, Attachment
from models.errors import DomainError
from models.text import file_name

from .ids import parse_id
from .pages import SecurePage

FIELD = "ui_files"  # the inputs' name (a helper field: a step never sees it, admin.steps.forms.UI_PREFIX)
SCRIPT = "attachments.js"
RESELECT = "已填写的内容保留；浏览器不保留已选的文件，附件请重新选择。"  # a refused form comes back without its files


def files_field():
    """A file input that takes several photos and documents; on a phone, the picker offers the camera too."""
    return MultipleFileField("附件（照片、文件）", render_kw={"accept": ACCEPT, "class": "attach-input form-control-file",
                                                         "data-accept": ",".join(attachments.KINDS)},
                             description=f"可选，最多 {MAX_FILES} 个：{ACCEPTED_WORDS}。照片上传前自动压缩。")


def limit_attributes(field, campaign) -> None:
    """What the browser checks before upload: the campaign's limit per file (models.attachments.limits), and what one
    request may carry at most (MAX_CONTENT_LENGTH; past it the server could only answer 413, and the text is lost)."""
    whole = current_app.config.get("MAX_CONTENT_LENGTH")
    extra = {"data-max-request-mb": whole // attachments.MB - 1} if whole else {}
    if campaign is not None:
        extra["data-max-mb"] = attachments.limits(campaign)[0]
    field.render_kw = {**(field.render_kw or {}), **extra}


def uploads() -> list[tuple[str, bytes]]:
    """The files the request carries in the attachment inputs: (name, content)."""
    return [(f.filename or "", f.read()) for f in request.files.getlist(FIELD) if f.filename]


def script_url() -> str:
    return url_for("static", filename=SCRIPT)


@dataclass
class Shown:
    """A file as a page shows it (templates/admin/attachments.html): where it opens, its thumbnail, name, size, type."""

    url: str
    thumb: str | None
    name: str
    size: str
    mime: str

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")

    @property
    def kind(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "file"


def shown(rows: list[Attachment]) -> list[Shown]:
    return [Shown(url_for("attachment.file_view", file_id=row.id),
                  url_for("attachment.thumb_view", file_id=row.id) if row.is_image else None,
                  row.name, row.size_text, row.mime) for row in rows]


def shown_portal(rows, url) -> list[Shown]:
    """The portal's files (AppealFile, opened by `url(row)`): a picture is its own thumbnail."""
    return [Shown(url(row), url(row) if row.mime.startswith("image/") else None, row.name,
                  attachments.size_text(row.size), row.mime) for row in rows]


def timeline_files(problem, portal: list[Shown]) -> dict[int, list[Shown]]:
    """A problem's files by the timeline line that brought them; the portal's with the 录入 line."""
    found = {line: shown(rows) for line, rows in attachments.of_problem(problem.id).items()}
    if portal and problem.updates:
        first = problem.updates[0].id
        found[first] = portal + found.get(first, [])
    return found


class AttachedFiles:
    """A model view whose create (and edit) form takes files for its row: `owner_key` names the row's column in
    Attachment (visit_id, report_id); a problem's files go on its first timeline line (录入). The files are checked
    before the row is saved; one refused refuses the whole form (the typed text shown again)."""

    owner_key = "visit_id"
    files_on_edit = True
    form_extra_fields = {FIELD: files_field()}

    def __init__(self, *args, **kwargs):
        if self.form_columns is not None and FIELD not in self.form_columns:  # a listed form shows only what it lists
            self.form_columns = (*self.form_columns, FIELD)
        super().__init__(*args, **kwargs)

    @property
    def extra_js(self):
        """The script, on the pages with the file input or the files (not on the lists)."""
        pages = ("create_view", "edit_view", "details_view")
        return [script_url()] if (request.endpoint or "").rsplit(".", 1)[-1] in pages else []

    def create_form(self, obj=None):
        form = super().create_form(obj)
        limit_attributes(form[FIELD], current_user.campaign)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if not self.files_on_edit:
            del form[FIELD]
        else:
            limit_attributes(form[FIELD], getattr(obj, "campaign", None) or current_user.campaign)
        return form

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        model.__dict__.pop(FIELD, None)  # populate_obj set it; the row has no such column
        if FIELD not in form or not request.files:
            return
        try:
            owner = self.owner_of(model)
            checked = attachments.checked_files(uploads(), model.campaign, [{self.owner_key: model.id}])
            attachments.attach(checked, current_user, **owner)
        except DomainError as error:
            raise ValidationError(f"{error}{RESELECT}") from None

    def owner_of(self, model) -> dict:
        return {self.owner_key.removesuffix("_id"): model}

    def attachments_of(self, model) -> list[Shown]:
        """The files of the row a record's page shows."""
        return shown(attachments.of_owner(**{self.owner_key: model.id}))


class AttachmentView(SecurePage):
    """/admin/attachment/<id> (the file) and /<id>/thumb (its thumbnail): to whoever may see its row
    (models.attachments.may_open); to anyone else a 404, never the bytes."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        abort(404)

    @expose("/<file_id>")
    def file_view(self, file_id):
        return self.send(file_id, thumb=False)

    @expose("/<file_id>/thumb")
    def thumb_view(self, file_id):
        return self.send(file_id, thumb=True)

    def send(self, file_id: str, thumb: bool):
        pk = parse_id(file_id)  # (a number too large for the database is none)
        attached = db.session.get(Attachment, pk) if pk is not None else None
        if attached is None or not attachments.may_open(attached, current_user):
            abort(404)
        if thumb and attached.thumbnail is None:
            abort(404)
        content, mime = (attached.thumbnail, "image/jpeg") if thumb else (attached.data, attached.mime)
        response = file_response(content, mime, attached.name)
        response.headers["Cache-Control"] = "private, max-age=3600"  # a file never changes; only its reader sees it
        return response


# What a served file may do in the browser: a picture nothing but show itself; a PDF opens in the browser's own viewer,
# which Chromium runs as an embedded object that a default-src 'none' (object-src falls back to it) would block
# (crbug.com/271452), so a PDF is only kept from being framed by another site. Other files download.
PICTURE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
PDF_POLICY = "frame-ancestors 'self'"


def file_response(content: bytes, mime: str, name: str):
    """A stored file sent to the browser: a picture or PDF shown (inline), anything else downloaded, under its Chinese
    name (RFC 5987, models.text.file_name), its type never guessed by the browser (nosniff)."""
    inline = mime.startswith("image/") or mime == "application/pdf"
    response = send_file(io.BytesIO(content), mimetype=mime, as_attachment=not inline,
                         download_name=file_name(name) or "附件", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = PDF_POLICY if mime == "application/pdf" else PICTURE_POLICY
    return response
