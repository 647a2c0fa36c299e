"""The campaign picker: which campaigns the current user may see, and which one a page shows (?campaign=ID)."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from models import Campaign, db
from models.scope import campaigns_of, scope_query

from .ids import parse_id
from .pages import per_request


def user_campaigns() -> list[Campaign]:
    """The campaigns the current user may see (with their settings), read once per request: the account's own
    (models.scope.campaigns_of), or for the system administrator all of them."""
    def read() -> list[Campaign]:
        own = campaigns_of(current_user)
        return own if own is not None else (scope_query(db.session.query(Campaign), Campaign, current_user)
                                            .order_by(Campaign.id).all())
    return per_request("zq.user_campaigns", read)


def chosen_campaign() -> Campaign | None:
    """The campaign a supervision page shows: ?campaign=ID among the user's, else the user's own or the latest."""
    campaigns = user_campaigns()
    wanted = parse_id(request.args.get("campaign"))
    return (next((c for c in campaigns if c.id == wanted), None)
            or next((c for c in campaigns if c.id == current_user.campaign_id), None)
            or (campaigns[-1] if campaigns else None))
