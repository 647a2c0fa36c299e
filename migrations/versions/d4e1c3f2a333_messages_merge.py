"""留言 and 合并: a message table (a thread per problem between the 推进办, the unit and the group); a problem's link to
the problem it was merged into (problem.merged_into_id); and 已合并 allowed as a problem's status (problem.status, the
timeline's from/to statuses) and as a 诉求's (appeal.status). Going down, merged problems and 诉求 go back to what they
were before the merge (待交办, 待受理) and the link and the table go.

On SQLite the CHECK constraints are edited in the stored CREATE TABLE text (as d4a9c2e61b37 does, the procedure SQLite
documents), so the problem table, with its expression and partial indexes, is not copied.

Revision ID: d4e1c3f2a333
Revises: c3d0b2e1f222
Create Date: 2026-12-08 00:00:00

"""
import re

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd4e1c3f2a333'
down_revision = 'c3d0b2e1f222'
branch_labels = None
depends_on = None

MERGED = '已合并'
STATUSES = ('待交办', '已交办', '办理中', '已办结', '已销号', '已撤销')  # models.vocab.PROBLEM_STATUSES before this revision
APPEAL_STATUSES = ('待受理', '已受理', '不予受理')
# (table, column, CHECK constraint, the values before this revision)
CHECKS = (
    ('problem', 'status', 'ck_problem_problem_status', STATUSES),
    ('problem_update', 'from_status', 'ck_problem_update_update_from_status', STATUSES),
    ('problem_update', 'to_status', 'ck_problem_update_update_to_status', STATUSES),
    ('appeal', 'status', 'ck_appeal_appeal_status', APPEAL_STATUSES),
)
LINK = 'CONSTRAINT fk_problem_merged_into_id_problem FOREIGN KEY(merged_into_id) REFERENCES problem (id) ON DELETE SET NULL'
SIDES = ('推进办', '责任单位', '工作组', '领导')


def listed(values) -> str:
    return ', '.join(f"'{v}'" for v in values)


def upgrade():
    op.create_table(
        'message',
        sa.Column('problem_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('side', sa.Enum(*SIDES, name='message_side', native_enum=False, create_constraint=True, length=8),
                  nullable=False),
        sa.Column('speaker', sa.String(length=200), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_message_author_id_app_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_message_problem_id_problem'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    )
    op.create_index(op.f('ix_message_author_id'), 'message', ['author_id'])
    op.create_index(op.f('ix_message_created_at'), 'message', ['created_at'])
    op.create_index('ix_message_problem_created', 'message', ['problem_id', 'created_at'])
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        bind.exec_driver_sql('ALTER TABLE problem ADD COLUMN merged_into_id INTEGER')
        _sqlite_checks(bind, merged=True)
    else:
        op.add_column('problem', sa.Column('merged_into_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_problem_merged_into_id_problem'), 'problem', 'problem', ['merged_into_id'], ['id'],
                              ondelete='SET NULL')
        for table, column, check, values in CHECKS:
            op.drop_constraint(op.f(check), table, type_='check')
            op.create_check_constraint(op.f(check), table, sa.text(f'{column} IN ({listed((*values, MERGED))})'))
    op.create_index(op.f('ix_problem_merged_into_id'), 'problem', ['merged_into_id'])


def downgrade():
    problem = sa.table('problem', sa.column('status', sa.String(6)), sa.column('merged_into_id', sa.Integer()))
    update = sa.table('problem_update', sa.column('from_status', sa.String(6)), sa.column('to_status', sa.String(6)))
    appeal = sa.table('appeal', sa.column('status', sa.String(8)), sa.column('problem_id', sa.Integer()))
    op.execute(problem.update().where(problem.c.status == MERGED).values(status='待交办'))
    op.execute(update.update().where(update.c.from_status == MERGED).values(from_status='待交办'))
    op.execute(update.update().where(update.c.to_status == MERGED).values(to_status='待交办'))
    op.execute(appeal.update().where(appeal.c.status == MERGED).values(status='待受理', problem_id=None))
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        op.drop_index(op.f('ix_problem_merged_into_id'), table_name='problem')
        _sqlite_checks(bind, merged=False)  # (and the link's foreign key, which would stop DROP COLUMN)
        bind.exec_driver_sql('ALTER TABLE problem DROP COLUMN merged_into_id')
    else:
        for table, column, check, values in CHECKS:
            op.drop_constraint(op.f(check), table, type_='check')
            op.create_check_constraint(op.f(check), table, sa.text(f'{column} IN ({listed(values)})'))
        op.drop_constraint(op.f('fk_problem_merged_into_id_problem'), 'problem', type_='foreignkey')  # (MariaDB: first)
        op.drop_index(op.f('ix_problem_merged_into_id'), table_name='problem')
        op.drop_column('problem', 'merged_into_id')
    op.drop_table('message')  # its indexes with it (MariaDB will not drop one a foreign key needs)


def _sqlite_checks(bind, merged: bool) -> None:
    """SQLite: 已合并 joins (or leaves) the CHECK constraints' lists by editing the stored CREATE TABLE text; nothing on
    disk changes."""
    tables = {}
    for table, column, check, values in CHECKS:
        sql = tables.get(table) or bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
        old, new = listed(values), listed((*values, MERGED))
        if not merged:
            old, new = new, old
        sql, found = re.subn(rf'(CONSTRAINT {check} CHECK \({column} IN \(){re.escape(old)}\)', rf'\g<1>{new})', sql,
                             count=1)
        assert found == 1, check
        if table == 'problem' and merged:  # the link's foreign key, named as the models name it
            sql = sql.rstrip().rstrip(')').rstrip() + f", \n\t{LINK}\n)"
        elif table == 'problem':
            sql, found = re.subn(rf',\s*{re.escape(LINK)}', '', sql, count=1)
            assert found == 1, 'merged_into_id'
        tables[table] = sql
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema = ON')
    for table, sql in tables.items():
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    bind.exec_driver_sql(f'PRAGMA schema_version = {version + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema = OFF')
    problems = bind.exec_driver_sql('PRAGMA integrity_check').scalar()
    assert problems == 'ok', problems
