"""The work calendar: the days that differ from the Monday–Friday rule (法定节假日 off, 调休 on); `flask seed` loads
them from the chinese-calendar package

Revision ID: a9e3f5b7c2d1
Revises: f2b6c9d1a3e8
Create Date: 2026-12-02 02:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a9e3f5b7c2d1'
down_revision = 'f2b6c9d1a3e8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('working', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=True),
        sa.Column('source', sa.String(length=64), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_day')),
        sa.UniqueConstraint('day', name=op.f('uq_calendar_day_day')),
    )


def downgrade():
    op.drop_table('calendar_day')
