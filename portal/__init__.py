"""The enterprise's door (/portal/): submit a 诉求 from a phone, look up its progress with the 受理编号 and 查询码,
and rate the result (一事一评). No login; every rule is models.intake's, every form carries a CSRF token (Flask-WTF),
and the limits and CAPTCHA answers live in the database so that every worker enforces the same ones.
"""
from __future__ import annotations

import base64
import re

from captcha.image import ImageCaptcha
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from models import Body, Campaign, db, terms
from models import intake
from models.errors import DomainError
from models.terms import Vocabulary
from models.vocab import BodyKind

from .receipt import receipt_png

bp = Blueprint("portal", __name__, url_prefix="/portal")
CODE = re.compile(r"[A-Za-z0-9]{1,16}")
CAPTCHA = ImageCaptcha(width=160, height=60)


def address() -> str:
    """The submitter's address (behind a reverse proxy, TRUSTED_PROXIES makes it the client's: ops.init_app)."""
    return (request.remote_addr or "unknown")[:45]


def group_token(body: Body) -> str:
    """What a working group's card puts in the portal address: its id, signed so that it cannot be changed into
    another group's."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="portal-group").dumps(body.id)


def group_of(token: str | None, campaign: Campaign) -> Body | None:
    if not token or len(token) > 100:
        return None
    try:
        body_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="portal-group").loads(token)
    except BadSignature:
        return None
    body = db.session.get(Body, body_id) if isinstance(body_id, int) else None
    return body if body is not None and body.campaign_id == campaign.id and body.kind == BodyKind.WORKING_GROUP else None


def campaign_of(code: str) -> Campaign:
    """The campaign whose problem-number prefix is `code` (letters and digits, as Campaign.check allows), or 404."""
    if not CODE.fullmatch(code):
        abort(404)
    campaign = db.session.scalar(select(Campaign).where(Campaign.code == code))
    if campaign is None:
        abort(404)
    return campaign


def challenge() -> dict | None:
    """A new CAPTCHA for this address when it needs one: its token and its picture (a data: URL, so the answer
    never travels but as pixels)."""
    if not intake.captcha_needed(address()):
        return None
    token, answer = intake.new_challenge()
    picture = base64.b64encode(CAPTCHA.generate(answer).getvalue()).decode()
    return {"token": token, "image": f"data:image/png;base64,{picture}"}


@bp.get("/")
def index():
    """The running campaigns (one: straight to its form)."""
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.start_on.desc(), Campaign.id.desc())).all()
    if len(campaigns) == 1:
        return redirect(url_for(".submit", code=campaigns[0].code))
    return render_template("portal/index.html", campaigns=campaigns)


@bp.route("/<code>/", methods=("GET", "POST"))
def submit(code: str):
    campaign = campaign_of(code)
    group = group_of(request.args.get("g"), campaign)
    categories = terms.values(campaign.id, Vocabulary.CATEGORY)
    error, form, uploads = None, {}, []
    if request.method == "POST":
        if (request.content_length or 0) > intake.MAX_BODY_BYTES:
            abort(413)
        form = request.form.to_dict()
        uploads = [intake.Upload(f.filename or "", f.read(intake.MAX_FILE_BYTES + 1))
                   for f in request.files.getlist("files") if f and f.filename]
        try:
            appeal, seed = intake.submit(campaign, form, uploads, address(), group,
                                               (form.get("captcha_token"), form.get("captcha")))
        except DomainError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            # the seed of the 查询码 (intake.code_of), not the code: Flask's session cookie is signed, not encrypted
            session["portal_done"] = {"number": appeal.number, "seed": seed, "campaign": campaign.name}
            return redirect(url_for(".done"))
    return render_template("portal/submit.html", campaign=campaign, group=group, categories=categories, error=error,
                           form=form, captcha=challenge(), limits=intake, files_lost=bool(error and uploads)), \
        400 if error else 200


@bp.get("/done")
def done():
    """The 受理编号 and 查询码, shown once (the code is kept only hashed): as text, and as a picture to keep."""
    shown = session.pop("portal_done", None)
    if not isinstance(shown, dict) or not isinstance(shown.get("seed"), str):
        return render_template("portal/done.html", shown=None)
    shown = {**shown, "code": intake.code_of(shown["seed"])}
    picture = base64.b64encode(receipt_png(shown["campaign"], shown["number"], shown["code"])).decode()
    return render_template("portal/done.html", shown=shown, picture=f"data:image/png;base64,{picture}")


@bp.route("/track", methods=("GET", "POST"))
def track():
    """Progress by 受理编号 and 查询码: the public timeline, and the rating once the problem is 办结."""
    appeal, error, rated = None, None, False
    number = request.values.get("number", "")
    if request.method == "POST":
        try:
            appeal = intake.find(number, request.form.get("code", ""), address())
            if appeal is None:
                error = "受理编号或查询码不正确，请核对后重新输入（查询码由字母和数字组成，不区分大小写）。"
            elif request.form.get("rating"):
                intake.rate(appeal, request.form["rating"], request.form.get("comment"))
                rated = True
        except DomainError as refused:
            db.session.rollback()
            error = str(refused)
    return render_template("portal/track.html", appeal=appeal, error=error, number=number[:24], rated=rated,
                           code=request.form.get("code", "")[:32] if appeal is not None else "",
                           timeline=intake.public_timeline(appeal) if appeal is not None else [],
                           may_rate=appeal is not None and intake.may_rate(appeal),
                           levels=appeal.campaign.ratings() if appeal is not None else []), 400 if error else 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
