"""报表 in the panel: downloads of 附件2, 附件1, 周调度, 旬通报 and the enterprise list, and the import screen
(upload, preview, confirm). Reports are built by exports/, imports checked and written by imports/; both see only
what the user may see."""
from __future__ import annotations

import os
import uuid

from flask import abort, current_app, flash, redirect, request, session
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from exports import build, reporting_unit
from exports.enterprises import enterprises_workbook
from imports.enterprises import import_enterprises
from imports.problems import import_problems
from imports.workbook import MAX_BYTES, ImportFailure
from models import Body, Enterprise, Problem, Visit, db, local_now
from models.errors import DomainError
from models.periods import report_day

from .files import download, xlsx_bytes
from .campaigns import chosen_campaign, user_campaigns
from models.scope import read_filter, scope_query

from .pages import SecurePage

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
        return self.render("admin/reports.html", campaign=chosen_campaign(), campaigns=user_campaigns(),
                           today=local_now().date())

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
    """导入: upload a filled-in sheet, see what it would change (or every error), then confirm."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        kinds = {k: v[0] for k, v in IMPORTS.items() if current_user.role in IMPORT_ROLES[k]}
        campaign = chosen_campaign()
        if request.method == "GET":
            return self.render("admin/import.html", kinds=kinds, campaign=campaign, campaigns=user_campaigns(),
                               result=None, max_mb=MAX_BYTES // 1024 // 1024)
        kind = request.form.get("kind", "")
        if kind not in kinds or campaign is None:
            abort(403)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要导入的 Excel 文件。", "error")
            return redirect(self.get_url(".index", campaign=campaign.id))
        data = upload.read(MAX_BYTES + 1)
        result = self.run(kind, data, campaign, dry_run=True)
        token = None
        if result is not None and not result.errors:
            token = self.keep(data, kind, campaign.id)
        return self.render("admin/import.html", kinds=kinds, campaign=campaign, campaigns=user_campaigns(), result=result,
                           kind=kind, token=token, filename=upload.filename, max_mb=MAX_BYTES // 1024 // 1024)

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        pending = session.get("pending_import") or {}
        token = request.form.get("token", "")
        if not token or pending.get("token") != token or pending.get("user") != current_user.id:
            flash("导入已过期或不存在，请重新上传文件。", "error")
            return redirect(self.get_url(".index"))
        path = self.path_of(token)
        session.pop("pending_import", None)
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError:
            flash("导入已过期或不存在，请重新上传文件。", "error")
            return redirect(self.get_url(".index"))
        finally:
            if os.path.exists(path):
                os.remove(path)
        campaign = next((c for c in user_campaigns() if c.id == pending.get("campaign")), None)
        if campaign is None or current_user.role not in IMPORT_ROLES.get(pending.get("kind"), ()):
            abort(403)
        result = self.run(pending["kind"], data, campaign, dry_run=False)
        return self.render("admin/import.html", kinds={k: v[0] for k, v in IMPORTS.items() if current_user.role in IMPORT_ROLES[k]},
                           campaign=campaign, campaigns=user_campaigns(), result=result, kind=pending["kind"], token=None,
                           filename=pending.get("filename"), max_mb=MAX_BYTES // 1024 // 1024)

    def run(self, kind, data, campaign, dry_run):
        try:
            return IMPORTS[kind][1](data, campaign, current_user._get_current_object(), dry_run=dry_run)
        except (ImportFailure, DomainError) as failure:
            flash(str(failure), "error")
            return None

    def path_of(self, token: str) -> str:
        folder = os.path.join(current_app.instance_path, "uploads")
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, f"{uuid.UUID(token).hex}.xlsx")

    def keep(self, data: bytes, kind: str, campaign_id: int) -> str:
        """Keep a checked upload until the user confirms it (one pending import per session)."""
        old = (session.get("pending_import") or {}).get("token")
        if old and os.path.exists(self.path_of(old)):
            os.remove(self.path_of(old))
        token = uuid.uuid4().hex
        with open(self.path_of(token), "wb") as file:
            file.write(data)
        session["pending_import"] = {"token": token, "kind": kind, "campaign": campaign_id, "user": current_user.id,
                                     "filename": (request.files.get("file").filename or "")[:100]}
        return token

