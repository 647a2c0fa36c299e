"""导入 in the panel: upload a filled-in sheet of a kind imports.IMPORTERS lets the user run, see what it would change,
confirm the names it spells otherwise, then import; the campaign's import batches, with 撤销. The importers check and
write (imports/), the pending upload waits in imports.pending, who sees and undoes which batch is models.scope's."""
from __future__ import annotations

from flask import abort, flash, redirect, request, session
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from exports import reporting_unit, templates
from imports import IMPORTERS, importers_for, pending
from imports.package import FORMATS
from imports.problems import Lookup
from imports.results import ASSIGN_ON_CONFIRM, SAME, SKIPPED
from imports.workbook import MAX_BYTES, ImportFailure
from models import Enterprise, EnterpriseGroup, ImportBatch, db, terms
from models.batches import batches_seen, undo
from models.errors import DomainError
from models.scope import FIRM_CREATORS, TERM_ADDERS, may_undo_batch
from models.terms import TERM_LENGTH, VOCABULARIES, Vocabulary

from .campaigns import chosen_campaign, user_campaigns
from .files import download
from .ids import parse_id
from .pages import SecurePage
from .reports import user_unit

BATCHES_SHOWN = 20  # import batches listed on the import page
NOTES_SHOWN = 300  # cells read otherwise than written, listed on the preview (all are counted)


class ImportView(SecurePage):
    """导入: upload a filled-in sheet (.xlsx, .xls or .ods), see what it would change, how each cell was read and every
    error; confirm the names the file spells otherwise (a close enterprise or unit, or a new enterprise); then import."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        campaign = chosen_campaign()
        if request.method == "GET":
            return self.page(campaign=campaign)
        kind = request.form.get("kind", "")
        if kind not in self.kinds() or campaign is None:
            abort(403)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要导入的表格文件（.xlsx、.xls 或 .ods）。", "error")
            return redirect(self.get_url(".index", campaign=campaign.id))
        data = upload.read(MAX_BYTES + 1)
        result = self.run(kind, data, campaign, dry_run=True)
        token = None
        if result is not None and (not result.errors or result.unknown):
            token = self.keep(data, kind, campaign.id, upload.filename)
        return self.page(campaign=campaign, result=result, kind=kind, token=token, filename=upload.filename)

    @expose("/choose", methods=("POST",))
    def choose(self):
        """Check the kept file again with the user's choices for the names it spells otherwise."""
        waiting = self.waiting()
        if waiting is None:
            return redirect(self.get_url(".index"))
        campaign = self.pending_campaign(waiting)
        choices = chosen_names(request.form)
        data = pending.read(waiting["token"])
        if data is None:
            flash("导入已过期或不存在，请重新上传文件。", "error")
            return redirect(self.get_url(".index"))
        result = self.run(waiting["kind"], data, campaign, dry_run=True, choices=choices)
        pending.save_choices(waiting["token"], choices)
        return self.page(campaign=campaign, result=result, kind=waiting["kind"], filename=waiting.get("filename"),
                         token=waiting["token"] if result is not None and (not result.errors or result.unknown) else None,
                         choices=choices)

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        """Import the kept file for real; duplicates (the same file again, repeated rows) only when the user ticked
        仍然导入重复的内容."""
        waiting = self.waiting()
        if waiting is None:
            return redirect(self.get_url(".index"))
        campaign = self.pending_campaign(waiting)
        data, choices = pending.read(waiting["token"]), pending.load_choices(waiting["token"])
        pending.forget(waiting["token"])
        session.pop("pending_import", None)
        if data is None:
            flash("导入已过期或不存在，请重新上传文件。", "error")
            return redirect(self.get_url(".index"))
        choices = {**(choices or {}), "assign_named": request.form.get("assign_named") == "1"}  # 交办 to the 牵头单位 named
        result = self.run(waiting["kind"], data, campaign, dry_run=False, choices=choices, file_name=waiting.get("filename"),
                          allow_duplicates=request.form.get("allow_duplicates") == "1")
        return self.page(campaign=campaign, result=result, kind=waiting["kind"], filename=waiting.get("filename"))

    @expose("/undo", methods=("POST",))
    def undo_view(self):
        """撤销 an import batch (models.batches.undo): by whoever made it, or the campaign's 推进办 or the administrator."""
        batch = self.batch(request.form.get("batch"))
        if not may_undo_batch(batch, current_user):  # whether it can still be undone, models.batches.undo says (a second click too)
            abort(403)
        try:
            undo(batch, current_user._get_current_object())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(f"未能撤销：{error}", "error")
        else:
            flash(f"已撤销{batch}：删除新增的{batch.created_count}条、恢复更新的{batch.updated_count}条。", "success")
        return redirect(self.get_url(".index", campaign=batch.campaign_id))

    @expose("/template")
    def template_view(self):
        """A blank form to fill in offline (exports.templates): ?kind=problems|enterprises&format=xlsx|xls; for a working
        group the problem form lists its linked enterprises, one row each."""
        campaign = chosen_campaign()
        kind, suffix = request.args.get("kind", ""), request.args.get("format", "xlsx")
        if campaign is None or kind not in self.kinds() or suffix not in ("xlsx", "xls"):
            abort(404)
        unit = user_unit() or reporting_unit(campaign)
        if kind == "problems":
            group = current_user.body if current_user.role == "group" else None
            firms = []
            if group is not None:
                firms = db.session.scalars(select(Enterprise).join(EnterpriseGroup).where(
                    EnterpriseGroup.body_id == group.id, Enterprise.campaign_id == campaign.id).order_by(Enterprise.name)).all()
            form = templates.problems_form(campaign.name, unit, terms.values(campaign.id, Vocabulary.CATEGORY), firms,
                                           group.name if group is not None else None)
            name = f"问题清单填报模板（{group.name if group is not None else campaign.name}）"
        else:
            form = templates.enterprises_form(campaign.name, unit, terms.values(campaign.id, Vocabulary.OWNERSHIP))
            name = f"企业名单填报模板（{campaign.name}）"
        content = templates.xls_bytes(form) if suffix == "xls" else templates.xlsx_bytes(form)
        return download(content, f"{name}.{suffix}")

    @expose("/file")
    def file_view(self):
        """The file an import batch read, as it was uploaded."""
        batch = self.batch(request.args.get("batch"))
        if batch.file is None:
            abort(404)
        return download(batch.file.data, batch.file_name)

    def batch(self, raw) -> ImportBatch:
        """The import batch `raw` names, if the user may see it (404 otherwise)."""
        pk = parse_id(raw)
        batch = db.session.get(ImportBatch, pk) if pk is not None else None
        if batch is None or batch not in self.batches(batch.campaign_id, limit=None):
            abort(404)
        return batch

    def batches(self, campaign_id: int | None, limit: int | None = BATCHES_SHOWN) -> list[ImportBatch]:
        """The campaign's import batches the user may see, newest first: all of them for the 推进办 and the
        administrator, one's own for the others."""
        if campaign_id is None or campaign_id not in {c.id for c in user_campaigns()}:
            return []
        query = batches_seen(select(ImportBatch).where(ImportBatch.campaign_id == campaign_id), current_user)
        return list(db.session.scalars(query.order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit)))

    def may_undo(self, batch: ImportBatch) -> bool:
        return batch.undone_at is None and may_undo_batch(batch, current_user)

    def kinds(self) -> dict[str, str]:
        """The kinds of import the user may run, with their labels (imports.IMPORTERS)."""
        return {kind: importer.label for kind, importer in importers_for(current_user.role).items()}

    def page(self, campaign, result=None, kind=None, token=None, filename=None, choices=None):
        return self.render("admin/import.html", kinds=self.kinds(), campaign=campaign, campaigns=user_campaigns(),
                           result=result, kind=kind, token=token, filename=filename, choices=choices or {},
                           batches=self.batches(campaign.id if campaign else None), may_undo=self.may_undo,
                           may_create_firms=current_user.role in FIRM_CREATORS,
                           may_add_terms=current_user.role in TERM_ADDERS, kind_labels=Lookup.KINDS, max_mb=MAX_BYTES // 1024 // 1024,
                           formats="、".join(FORMATS.values()), note_limit=NOTES_SHOWN, skipped=SKIPPED, same=SAME,
                           assign_on_confirm=ASSIGN_ON_CONFIRM)

    def waiting(self) -> dict | None:
        """The user's checked upload named by the form's token, or None (with a message) when there is none."""
        waiting = session.get("pending_import") or {}
        token = request.form.get("token", "")
        if not token or waiting.get("token") != token or waiting.get("user") != current_user.id:
            flash("导入已过期或不存在，请重新上传文件。", "error")
            return None
        return waiting

    def pending_campaign(self, waiting: dict):
        campaign = next((c for c in user_campaigns() if c.id == waiting.get("campaign")), None)
        if campaign is None or waiting.get("kind") not in self.kinds():
            abort(403)
        return campaign

    def run(self, kind, data, campaign, dry_run, choices=None, file_name="", allow_duplicates=False):
        try:
            return IMPORTERS[kind].run(data, campaign, current_user._get_current_object(), dry_run=dry_run,
                                       choices=choices, file_name=file_name, allow_duplicates=allow_duplicates)
        except (ImportFailure, DomainError) as failure:
            flash(str(failure), "error")
            return None

    def keep(self, data: bytes, kind: str, campaign_id: int, filename: str) -> str:
        """Keep a checked upload until the user confirms it (one pending import per session)."""
        old = (session.get("pending_import") or {}).get("token")
        if old:
            pending.forget(old)
        token = pending.keep(data)
        session["pending_import"] = {"token": token, "kind": kind, "campaign": campaign_id, "user": current_user.id,
                                     "filename": (filename or "")[:100]}
        return token


def chosen_names(form) -> dict:
    """The preview's choices: for each name the file spells otherwise (name-K-N), the row chosen (choice-K-N: an id,
    or "new" with a 统一社会信用代码 in code-K-N for an enterprise to create); in the form imports.problems.Lookup takes."""
    choices: dict = {}
    for key, name in form.items():
        if not key.startswith("name-") or key.count("-") != 2:
            continue
        _, kind, index = key.split("-")
        value = form.get(f"choice-{kind}-{index}", "")
        if kind in VOCABULARIES and value:  # a value the vocabulary does not know: a term in use, or a new one
            choices.setdefault("terms", {}).setdefault(kind, {})[name] = value[:TERM_LENGTH]
            continue
        if kind not in Lookup.KINDS:
            continue
        if value == "new" and kind == "enterprise":
            choices.setdefault("new", {})[name] = form.get(f"code-{kind}-{index}", "").strip()[:18]
        elif value.isdigit():
            choices.setdefault(kind, {})[name] = int(value)
    return choices
