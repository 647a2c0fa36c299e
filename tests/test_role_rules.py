"""The role rules that are not a table's rows, at their home (models.scope): who sees and undoes import batches, who
prints the portal's QR cards, who decides a 诉求 — and that the screens and the access table apply them as said."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from admin.access import PAGES, allows
from models import Body, ImportBatch, db, intake
from models.batches import batches_seen
from models.scope import (APPEAL_DECIDERS, BATCH_OVERSEERS, CARD_PRINTERS, card_groups, may_undo_batch,
                          prints_campaign_card, sees_every_batch)
from models.vocab import ROLES, BodyKind

from .factories import miluo
from .test_batches import imported_firm


def user(role: str, id: int = 7, body_id: int | None = None):
    return SimpleNamespace(role=role, id=id, body_id=body_id, unit_id=None, campaign_id=None, is_authenticated=True)


@pytest.mark.parametrize("role", ROLES)
def test_import_batches_are_seen_and_undone_by_the_office_and_their_maker(role):
    theirs, anothers, command_line = (SimpleNamespace(created_by_id=made_by) for made_by in (7, 8, None))
    office = role in BATCH_OVERSEERS
    assert sees_every_batch(user(role)) is office
    assert may_undo_batch(theirs, user(role)) is True
    assert may_undo_batch(anothers, user(role)) is office
    assert may_undo_batch(command_line, user(role)) is office
    assert may_undo_batch(command_line, user(role, id=None)) is office  # made by no one is no one's own


def test_the_batches_a_user_sees_are_the_ones_they_may_see(seeded, login_as):
    batch_id = imported_firm(seeded)  # made on the command line
    with seeded.app_context():
        seen = {role: db.session.scalar(batches_seen(select(func.count(ImportBatch.id)), user(role))) for role in ROLES}
        assert seen == {role: 1 if role in BATCH_OVERSEERS else 0 for role in ROLES}
    assert "企业.xlsx" in login_as("coordinator").get("/admin/import/").text  # the batch's file, listed
    group = login_as("group")
    assert "企业.xlsx" not in group.get("/admin/import/").text
    assert group.get("/admin/import/file", query_string={"batch": batch_id}).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_qr_cards_the_office_prints_all_a_group_its_own(seeded, login_as, role):
    with seeded.app_context():
        campaign = miluo()
        groups = select(Body).where(Body.campaign_id == campaign.id, Body.kind == BodyKind.WORKING_GROUP)
        every = db.session.scalars(groups).all()
        own = every[0]
        printed = db.session.scalars(card_groups(groups, user(role, body_id=own.id))).all()
        expected = [] if role not in CARD_PRINTERS else [own] if role == "group" else every
        assert sorted(g.id for g in printed) == sorted(g.id for g in expected)
        assert prints_campaign_card(user(role)) is (role in CARD_PRINTERS and role != "group")
        cards = len(expected) + prints_campaign_card(user(role))
        campaign_id = campaign.id
    assert PAGES["portal_cards"] == CARD_PRINTERS
    page = login_as(role).get("/admin/portal_cards/", query_string={"campaign": campaign_id})
    if role not in CARD_PRINTERS:
        assert page.status_code == 403
    else:  # the default account's group is 工作组（循环园）: one card, whatever the first group is
        assert page.status_code == 200
        assert page.text.count('class="qr-card"') == (1 if role == "group" else cards)


@pytest.mark.parametrize("role", ROLES)
def test_a_su_qiu_is_decided_by_the_roles_the_access_table_names(seeded, role):
    assert allows(role, "appeal", "action") is (role in APPEAL_DECIDERS)
    with seeded.app_context():
        nowhere = SimpleNamespace(id=-1, number="SQ0")  # a 诉求 no one's scope holds
        refusal = intake.queue_refusal(nowhere, user(role))
        if role in APPEAL_DECIDERS:
            assert refusal == "诉求SQ0不在您的权限范围内。"
        else:
            assert refusal == "只有推进办和工作组可以受理企业诉求。"
