"""报表 in the panel: downloads of 附件2, 附件1, 周调度, 旬通报 and the enterprise list, and the import screen
(upload, preview, confirm). Reports are built by exports/, imports checked and written by imports/; both see only
what the user may see."""
from __future__ import annotations

import json
import os
import uuid

from flask import abort, current_app, flash, redirect, request, session
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from exports import build, reporting_unit
from exports import templates
from exports.enterprises import enterprises_workbook
from exports.periodic import task_day
from imports.enterprises import import_enterprises
from imports.package import FORMATS
from imports.problems import FIRM_CREATORS, SKIPPED, Lookup, import_problems
from imports.workbook import MAX_BYTES, ImportFailure
from models import Body, Enterprise, EnterpriseGroup, ImportBatch, Problem, Visit, db, local_now, terms
from models.terms import Vocabulary
from models.task import WEEKDAYS
from models.vocab import ReportKind
from models.batches import batches_seen, undo
from models.errors import DomainError
from models.periods import report_day

from .files import download, xlsx_bytes
from .ids import parse_id
from .campaigns import chosen_campaign, user_campaigns
from models.scope import read_filter, scope_query

from .pages import SecurePage

BATCHES_SHOWN = 20  # import batches listed on the import page
IMPORTS = {"problems": ("附件2问题清单", import_problems), "enterprises": ("企业名单", import_enterprises)}
IMPORT_ROLES = {"problems": ("admin", "coordinator", "group"), "enterprises": ("admin", "coordinator")}


def user_unit() -> str | None:
    """Who fills in a report made by the current user: their working group or unit, if they have one."""
    scope = current_user.body or current_user.unit
    return scope.name if scope is not None else None


class ReportsView(SecurePage):
    """报表导出: every report of a campaign, within the user's scope."""

    @expose("/")
    def index(self):
        campaign = chosen_campaign()
        weekday = WEEKDAYS[task_day(campaign, ReportKind.WEEKLY) - 1] if campaign is not None else None
        return self.render("admin/reports.html", campaign=campaign, campaigns=user_campaigns(),
                           today=local_now().date(), weekday=weekday)

    @expose("/download")
    def download_view(self):
        campaign = chosen_campaign()
        if campaign is None:
            abort(404)
        kind = request.args.get("kind", "")
        try:
            day = report_day(request.args.get("date") or local_now().date().isoformat())
        except DomainError as error:
            flash(str(error), "error")
            return redirect(self.get_url(".index", campaign=campaign.id))
        unit = user_unit() or reporting_unit(campaign)
        if kind == "enterprises":
            firms = db.session.scalars(scope_query(select(Enterprise).where(Enterprise.campaign_id == campaign.id),
                                                   Enterprise, current_user).order_by(Enterprise.name)).all()
            return download(xlsx_bytes(enterprises_workbook(firms, campaign.name, unit, day)), f"企业名单（{campaign.name}）.xlsx")
        if kind not in ("problems", "tasks", "weekly", "dekad"):
            abort(404)
        visible_bodies = set(db.session.scalars(scope_query(select(Body.id), Body, current_user)))
        content, name = build(kind, campaign, day, unit, problem_scope=read_filter(Problem, current_user),
                              visit_scope=read_filter(Visit, current_user), body_scope=lambda b: b.id in visible_bodies,
                              docx=request.args.get("format") == "docx")
        return download(content, name)


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
        pending = self.pending()
        if pending is None:
            return redirect(self.get_url(".index"))
        campaign = self.pending_campaign(pending)
        choices = chosen_names(request.form)
        data = self.read(pending["token"])
        if data is None:
            flash("导入已过期或不存在，请重新上传文件。", "error")
            return redirect(self.get_url(".index"))
        result = self.run(pending["kind"], data, campaign, dry_run=True, choices=choices)
        self.save_choices(pending["token"], choices)
        return self.page(campaign=campaign, result=result, kind=pending["kind"], filename=pending.get("filename"),
                         token=pending["token"] if result is not None and (not result.errors or result.unknown) else None,
                         choices=choices)

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        """Import the kept file for real; duplicates (the same file again, repeated rows) only when the user ticked
        仍然导入重复的内容."""
        pending = self.pending()
        if pending is None:
            return redirect(self.get_url(".index"))
        campaign = self.pending_campaign(pending)
        data, choices = self.read(pending["token"]), self.load_choices(pending["token"])
        self.forget(pending["token"])
        session.pop("pending_import", None)
        if data is None:
            flash("导入已过期或不存在，请重新上传文件。", "error")
            return redirect(self.get_url(".index"))
        result = self.run(pending["kind"], data, campaign, dry_run=False, choices=choices, file_name=pending.get("filename"),
                          allow_duplicates=request.form.get("allow_duplicates") == "1")
        return self.page(campaign=campaign, result=result, kind=pending["kind"], filename=pending.get("filename"))

    @expose("/undo", methods=("POST",))
    def undo_view(self):
        """撤销 an import batch (models.batches.undo): by whoever made it, or the campaign's 推进办 or the administrator."""
        batch = self.batch(request.form.get("batch"))
        if not self.undoer(batch):  # whether it can still be undone, models.batches.undo says (a second click too)
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

    def undoer(self, batch: ImportBatch) -> bool:
        """Whether the user is one who may undo `batch`: whoever made it, the 推进办 or the administrator."""
        return current_user.role in FIRM_CREATORS or batch.created_by_id == current_user.id

    def may_undo(self, batch: ImportBatch) -> bool:
        return batch.undone_at is None and self.undoer(batch)

    def kinds(self) -> dict[str, str]:
        return {k: v[0] for k, v in IMPORTS.items() if current_user.role in IMPORT_ROLES[k]}

    def page(self, campaign, result=None, kind=None, token=None, filename=None, choices=None):
        return self.render("admin/import.html", kinds=self.kinds(), campaign=campaign, campaigns=user_campaigns(),
                           result=result, kind=kind, token=token, filename=filename, choices=choices or {},
                           batches=self.batches(campaign.id if campaign else None), may_undo=self.may_undo,
                           may_create_firms=current_user.role in FIRM_CREATORS, max_mb=MAX_BYTES // 1024 // 1024,
                           formats="、".join(FORMATS.values()), note_limit=NOTES_SHOWN, skipped=SKIPPED)

    def pending(self) -> dict | None:
        """The user's checked upload named by the form's token, or None (with a message) when there is none."""
        pending = session.get("pending_import") or {}
        token = request.form.get("token", "")
        if not token or pending.get("token") != token or pending.get("user") != current_user.id:
            flash("导入已过期或不存在，请重新上传文件。", "error")
            return None
        return pending

    def pending_campaign(self, pending: dict):
        campaign = next((c for c in user_campaigns() if c.id == pending.get("campaign")), None)
        if campaign is None or current_user.role not in IMPORT_ROLES.get(pending.get("kind"), ()):
            abort(403)
        return campaign

    def run(self, kind, data, campaign, dry_run, choices=None, file_name="", allow_duplicates=False):
        try:
            return IMPORTS[kind][1](data, campaign, current_user._get_current_object(), dry_run=dry_run, choices=choices,
                                    file_name=file_name, allow_duplicates=allow_duplicates)
        except (ImportFailure, DomainError) as failure:
            flash(str(failure), "error")
            return None

    def path_of(self, token: str, suffix: str = ".upload") -> str:
        folder = os.path.join(current_app.instance_path, "uploads")
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, f"{uuid.UUID(token).hex}{suffix}")

    def read(self, token: str) -> bytes | None:
        try:
            with open(self.path_of(token), "rb") as file:
                return file.read()
        except OSError:
            return None

    def save_choices(self, token: str, choices: dict) -> None:
        with open(self.path_of(token, ".json"), "w", encoding="utf-8") as file:
            json.dump(choices, file, ensure_ascii=False)

    def load_choices(self, token: str) -> dict:
        try:
            with open(self.path_of(token, ".json"), encoding="utf-8") as file:
                return json.load(file)
        except (OSError, ValueError):
            return {}

    def forget(self, token: str) -> None:
        for suffix in (".upload", ".json"):
            if os.path.exists(self.path_of(token, suffix)):
                os.remove(self.path_of(token, suffix))

    def keep(self, data: bytes, kind: str, campaign_id: int, filename: str) -> str:
        """Keep a checked upload until the user confirms it (one pending import per session)."""
        old = (session.get("pending_import") or {}).get("token")
        if old:
            self.forget(old)
        token = uuid.uuid4().hex
        with open(self.path_of(token), "wb") as file:
            file.write(data)
        session["pending_import"] = {"token": token, "kind": kind, "campaign": campaign_id, "user": current_user.id,
                                     "filename": (filename or "")[:100]}
        return token


NOTES_SHOWN = 300  # cells read otherwise than written, listed on the preview (all are counted)


def chosen_names(form) -> dict:
    """The preview's choices: for each name the file spells otherwise (name-K-N), the row chosen (choice-K-N: an id,
    or "new" with a 统一社会信用代码 in code-K-N for an enterprise to create); in the form imports.problems.Lookup takes."""
    choices: dict = {}
    for key, name in form.items():
        if not key.startswith("name-") or key.count("-") != 2:
            continue
        _, kind, index = key.split("-")
        if kind not in Lookup.KINDS:
            continue
        value = form.get(f"choice-{kind}-{index}", "")
        if value == "new" and kind == "enterprise":
            choices.setdefault("new", {})[name] = form.get(f"code-{kind}-{index}", "").strip()[:18]
        elif value.isdigit():
            choices.setdefault(kind, {})[name] = int(value)
    return choices
