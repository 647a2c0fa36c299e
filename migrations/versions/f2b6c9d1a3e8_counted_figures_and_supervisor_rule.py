"""A figure counted from the names a document lists (stated_figure.counted), and a campaign's rule that 交办 names a
跟踪督办 person (campaign.supervisor_required)

Revision ID: f2b6c9d1a3e8
Revises: d4a9c2e61b37
Create Date: 2026-12-02 02:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f2b6c9d1a3e8'
down_revision = 'd4a9c2e61b37'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('stated_figure', sa.Column('counted', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('campaign', sa.Column('supervisor_required', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('campaign') as batch_op:
        batch_op.drop_column('supervisor_required')
    with op.batch_alter_table('stated_figure') as batch_op:
        batch_op.drop_column('counted')
