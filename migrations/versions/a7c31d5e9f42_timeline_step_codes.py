"""Every timeline line names its step by code (problem_update.step, models.steps): the existing lines get the code of
their label (every label any earlier version wrote, 进展说明 and 上报市级 among them); a label no version wrote gets
'unknown' and keeps its text in `action`, which stays as the label the line was written under. The desk's index moves
from the label to the code. Going down drops the code and puts the index back on the label.

Revision ID: a7c31d5e9f42
Revises: c4f7a2e9b815
Create Date: 2026-12-07 19:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a7c31d5e9f42'
down_revision = 'c4f7a2e9b815'
branch_labels = None
depends_on = None

# Every label earlier versions wrote on a timeline, and its step's code (a copy: migrations do not import the models).
CODES = {
    '交办': 'assign', '签收': 'accept', '报告进展': 'progress', '进展说明': 'progress', '申请办结': 'resolve',
    '退回': 'return', '申请延期': 'request_extension', '批准延期': 'approve_extension', '驳回延期': 'reject_extension',
    '销号': 'close', '重新办理': 'reopen', '上报': 'escalate', '上报市级': 'escalate', '上报省级': 'escalate',
    '挂牌督办': 'flag', '取消挂牌督办': 'unflag', '领导批示': 'comment', '催办': 'urge', '撤销': 'withdraw',
    '回访': 'revisit', '录入': 'entered', '企业评价': 'rated', '自动提醒': 'auto_remind', '自动催办': 'auto_urge',
    '蓝色督办': 'blue', '黄色督办': 'yellow', '红色督办': 'red',
}
UNKNOWN = 'unknown'  # models.steps.UNKNOWN

update = sa.table('problem_update', sa.column('action', sa.String(32)), sa.column('step', sa.String(32)))


def upgrade():
    with op.batch_alter_table('problem_update') as batch:
        batch.add_column(sa.Column('step', sa.String(length=32), nullable=True))
    op.execute(update.update().values(step=sa.case(CODES, value=update.c.action, else_=UNKNOWN)))
    with op.batch_alter_table('problem_update') as batch:
        batch.alter_column('step', existing_type=sa.String(length=32), nullable=False)
    op.drop_index('ix_problem_update_action', table_name='problem_update')
    op.create_index('ix_problem_update_step', 'problem_update', ['step', 'problem_id', 'created_at', 'author_id'])


def downgrade():
    op.drop_index('ix_problem_update_step', table_name='problem_update')
    op.create_index('ix_problem_update_action', 'problem_update', ['action', 'problem_id', 'created_at', 'author_id'])
    with op.batch_alter_table('problem_update') as batch:
        batch.drop_column('step')
