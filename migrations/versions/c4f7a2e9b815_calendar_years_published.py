"""The years whose 放假安排 is published (calendar_year): the chinese-calendar package's years, and those the system
administrator marks after typing them in; the years already loaded from the package are marked here. A year not
published gets its statutory days computed (推算) by `flask seed`; going down removes those computed days again.

Revision ID: c4f7a2e9b815
Revises: 3c5e9a7d2b14
Create Date: 2026-12-07 16:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c4f7a2e9b815'
down_revision = '3c5e9a7d2b14'
branch_labels = None
depends_on = None

ESTIMATED = '推算（法定节日）'  # models.calendar.ESTIMATED


def upgrade():
    calendar_year = op.create_table(
        'calendar_year',
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_year')),
        sa.UniqueConstraint('year', name=op.f('uq_calendar_year_year')),
    )
    # The years the package filled in before this revision are published: their days came from it.
    day = sa.table('calendar_day', sa.column('day', sa.Date()), sa.column('source', sa.String()))
    conn = op.get_bind()
    loaded = conn.execute(sa.select(day.c.day, day.c.source).where(day.c.source.like('chinese-calendar%'))).all()
    now = sa.func.now() if conn.dialect.name != 'sqlite' else sa.text("CURRENT_TIMESTAMP")
    sources = {}
    for when, source in loaded:
        sources.setdefault(when.year, source)
    for year, source in sorted(sources.items()):
        conn.execute(calendar_year.insert().values(year=year, source=source, created_at=now, updated_at=now, version=1))


def downgrade():
    day = sa.table('calendar_day', sa.column('source', sa.String()))
    op.execute(day.delete().where(day.c.source == ESTIMATED))
    op.drop_table('calendar_year')
