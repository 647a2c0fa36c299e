"""Vocabularies and settings as data: a term table per campaign, seeded with the values the CHECK constraints
allowed (which go), and each campaign's settings (yellow window, 7日无进展, 即将到期, ranking minimum)

Revision ID: d4a9c2e61b37
Revises: b7d3e1f04a22
Create Date: 2026-12-02 01:30:00

"""
import re
from datetime import datetime

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd4a9c2e61b37'
down_revision = 'b7d3e1f04a22'
branch_labels = None
depends_on = None

# As of this revision (models.vocab, models.terms): (table, column, CHECK constraint, old length, vocabulary, values).
GOVERNED = (
    ('problem', 'category', 'ck_problem_problem_category', 8, '问题类型',
     ('资金', '用工', '用能', '用地', '供应链', '审批', '政策', '基础设施', '其他')),
    ('problem', 'nature', 'ck_problem_problem_nature', 4, '问题性质', ('个性', '共性')),
    ('problem', 'source', 'ck_problem_problem_source', 10, '问题来源',
     ('走访', '座谈会', '政务窗口', '热线', '服务平台', '政企微信群', '领导交办', '上级交办')),
    ('problem', 'escalation_level', 'ck_problem_escalation_level', 4, '上报层级', ('本级', '市级', '省级')),
    ('problem', 'satisfaction', 'ck_problem_satisfaction', 8, '满意度', ('满意', '基本满意', '不满意')),
    ('visit', 'form', 'ck_visit_visit_form', 8, '走访形式', ('实地走访', '座谈会', '恳谈会', '电话', '其他')),
    ('event', 'kind', 'ck_event_event_kind', 10, '会议类型', ('宣讲会', '启动对接会', '专题督办会', '动员部署会', '其他')),
    ('enterprise', 'ownership', 'ck_enterprise_ownership', 10, '所有制',
     ('民营', '国有', '外资', '港澳台资', '集体', '混合所有制', '其他')),
    ('policy', 'level', 'ck_policy_policy_level', 6, '政策层级', ('国家级', '省级', '市级', '县级')),
)
SATISFIED = ('满意', '基本满意')
LOCKED = {('上报层级', '本级'), ('走访形式', '实地走访')}
NULLABLE = {('problem', 'escalation_level'): False, ('visit', 'form'): False, ('event', 'kind'): False}
VOCABULARIES = ('问题类型', '问题性质', '问题来源', '上报层级', '满意度', '走访形式', '会议类型', '所有制', '政策层级')


SETTINGS = (('yellow_days', '3'), ('stale_days', '7'), ('due_soon_days', '3'), ('ranking_min_problems', '3'))


def upgrade():
    for name, default in SETTINGS:
        op.add_column('campaign', sa.Column(name, sa.Integer(), server_default=default, nullable=False))
    op.create_table(
        'term',
        sa.Column('vocabulary', sa.Enum(*VOCABULARIES, name='vocabulary', native_enum=False, create_constraint=True,
                                        length=8), nullable=False),
        sa.Column('value', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('retired', sa.Boolean(), nullable=False),
        sa.Column('locked', sa.Boolean(), nullable=False),
        sa.Column('satisfied', sa.Boolean(), nullable=True),
        sa.Column('default_days', sa.Integer(), nullable=True),
        sa.Column('former_values', sa.Text(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_term_campaign_id_campaign'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_term')),
        sa.UniqueConstraint('campaign_id', 'vocabulary', 'value', name=op.f('uq_term_campaign_id_vocabulary_value')),
    )
    op.create_index(op.f('ix_term_campaign_id'), 'term', ['campaign_id'], unique=False)
    op.create_index('ix_term_campaign_vocabulary_position', 'term', ['campaign_id', 'vocabulary', 'position'], unique=False)

    # Every campaign starts with the values it was allowed so far, in the same order.
    bind = op.get_bind()
    term = sa.table('term', *(sa.column(c) for c in ('campaign_id', 'vocabulary', 'value', 'position', 'retired', 'locked',
                                                      'satisfied', 'created_at', 'updated_at', 'version')))
    now = datetime.now().replace(microsecond=0)
    rows = [dict(campaign_id=campaign_id, vocabulary=vocabulary, value=value, position=position, retired=False,
                 locked=(vocabulary, value) in LOCKED, satisfied=(value in SATISFIED) if vocabulary == '满意度' else None,
                 created_at=now, updated_at=now, version=1)
            for (campaign_id,) in bind.execute(sa.text('SELECT id FROM campaign ORDER BY id'))
            for _, _, _, _, vocabulary, values in GOVERNED
            for position, value in enumerate(values, start=1)]
    if rows:
        op.bulk_insert(term, rows)

    if bind.dialect.name == 'sqlite':
        _sqlite_rewrite(bind, drop=True)
        return
    for table, column, check, length, _, _ in GOVERNED:
        op.drop_constraint(op.f(check), table, type_='check')
        op.alter_column(table, column, existing_type=sa.String(length), type_=sa.String(64),
                        existing_nullable=NULLABLE.get((table, column), True))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        _sqlite_rewrite(bind, drop=False)
    else:
        for table, column, check, length, _, values in GOVERNED:
            op.alter_column(table, column, existing_type=sa.String(64), type_=sa.String(length),
                            existing_nullable=NULLABLE.get((table, column), True))
            listed = ', '.join(f"'{v}'" for v in values)
            op.create_check_constraint(op.f(check), table, sa.text(f'{column} IN ({listed})'))
    op.drop_index('ix_term_campaign_vocabulary_position', table_name='term')
    op.drop_index(op.f('ix_term_campaign_id'), table_name='term')
    op.drop_table('term')
    with op.batch_alter_table('campaign') as batch_op:
        for name, _ in SETTINGS:
            batch_op.drop_column(name)


def _sqlite_rewrite(bind, drop: bool) -> None:
    """SQLite: the CHECK constraints go (or come back) and the columns' declared lengths change by editing the stored
    CREATE TABLE text, the procedure SQLite documents for removing a CHECK constraint ("Making Other Kinds Of Table
    Schema Changes", sqlite.org/lang_altertable.html): nothing on disk changes, so the tables are not copied and
    their indexes (an expression index and partial ones among them) stay as they are."""
    tables = {}
    for table, column, check, length, _, values in GOVERNED:
        sql = tables.get(table) or bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
        old, new = (f'VARCHAR({length})', 'VARCHAR(64)') if drop else ('VARCHAR(64)', f'VARCHAR({length})')
        sql, found = re.subn(rf'(\n\s*{column} ){re.escape(old)}', rf'\g<1>{new}', sql, count=1)
        assert found == 1, (table, column)
        if drop:
            sql, found = re.subn(rf",\s*CONSTRAINT {check} CHECK \((?:[^()']|'[^']*'|\((?:[^()']|'[^']*')*\))*\)", '', sql, count=1)
            assert found == 1, check
        else:
            listed = ', '.join(f"'{v}'" for v in values)
            sql = sql.rstrip().rstrip(')').rstrip() + f", \n\tCONSTRAINT {check} CHECK ({column} IN ({listed}))\n)"
        tables[table] = sql
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema = ON')
    for table, sql in tables.items():
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    bind.exec_driver_sql(f'PRAGMA schema_version = {version + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema = OFF')
    problems = bind.exec_driver_sql('PRAGMA integrity_check').scalar()
    assert problems == 'ok', problems
