"""SQLite: the ledger's order index on the rank's expression rather than its generated column, which SQLite never
reads as a covering index (a working group's deep page read the table for every row of the campaign)

Revision ID: b7d3e1f04a22
Revises: af28c268fe42
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# models.problem.URGENCY_SQL as of this revision
URGENCY_SQL = (
    "CASE WHEN status IN ('已交办', '办理中') AND deadline IS NOT NULL THEN 0"
    " WHEN status = '待交办' THEN (CASE WHEN deadline IS NULL THEN 2 ELSE 1 END)"
    " WHEN deadline IS NULL THEN 4 ELSE 3 END"
)
TAIL = ['deadline', sa.text('id DESC'), 'status', 'collected_by_body_id', 'enterprise_id', 'responsible_unit_id']

# revision identifiers, used by Alembic.
revision = 'b7d3e1f04a22'
down_revision = 'af28c268fe42'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.create_index('ix_problem_campaign_urgency_expr', 'problem', ['campaign_id', sa.text(f'({URGENCY_SQL})'), *TAIL])
    op.drop_index('ix_problem_campaign_urgency', table_name='problem')


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.create_index('ix_problem_campaign_urgency', 'problem', ['campaign_id', 'urgency', *TAIL])
    op.drop_index('ix_problem_campaign_urgency_expr', table_name='problem')
