"""A figure counted from the names a document lists (stated_figure.counted), and a campaign's rule that 交办 names a
跟踪督办 person (campaign.supervisor_required); the rows seeded before that said more than the documents say are
corrected (only rows still as seeded: found by their source excerpt); `flask seed` adds the facts now recorded

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


MEMBERS = ("汨罗高新区、市政府办、市发改局、市教体局、市科技局、市工信局、市民政局、市财政局、市人社局、市自然资源局、"
           "市生态环境分局、市住建局、市交通运输局、市水利局、市农业农村局、市商务粮食局、市文旅广电局、市卫健局、市统计局、"
           "金融监管汨罗支局、市林业局、市市场监管局、市委宣传部、市数据局、市工商联、市国资中心、市供销联社等为成员单位")
GROUPS = ("成立6个工作组,由循环园、配套园、市发改局、市科技局、市工信局、市财政局6个部门单位各派1名副科级领导担任组长,"
          "各成员单位抽调一批熟悉业务的干部任成员,其中每组均由市发改局、市工信局各派1名干部参加")
FULL_TARGETS = ("增发国债项目,年底前完成全部国债资金使用……2024年9月", "专项债券项目,9月底前完成全年发行……2024年9月")
JOINER = "……2024年9月"
GUANGMING = "针对省政府交办的7个重难点问题,分别组织7场专题督办会……在专题督办安徽光明槐祥反映问题时"


def upgrade():
    op.add_column('stated_figure', sa.Column('counted', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('campaign', sa.Column('supervisor_required', sa.Boolean(), server_default=sa.false(), nullable=False))
    bind = op.get_bind()
    run = lambda sql, **values: bind.execute(sa.text(sql), values)  # noqa: E731
    # 27 is the count of the names the document lists (…等为成员单位), not a figure it states
    run("UPDATE stated_figure SET label = :label, counted = :yes WHERE label = '成员单位数量' AND source_excerpt = :excerpt",
        label="成员单位（所列名称数）", yes=True, excerpt=MEMBERS)
    # the six units send each working group's 组长; the text does not make them its 牵头单位
    run("UPDATE body SET lead_unit_id = NULL WHERE kind = '工作组' AND source_excerpt = :excerpt", excerpt=GROUPS)
    # 全部 and 全年 are no 100 %: the text gives no number
    for excerpt in FULL_TARGETS:
        run("UPDATE task SET target_value = NULL, target_unit = NULL WHERE source_excerpt = :excerpt AND target_value = 100",
            excerpt=excerpt)
    # a task's content is what to do, without the passage that only gives the date's year
    for pk, content in bind.execute(sa.text("SELECT id, content FROM task WHERE content = source_excerpt")).all():
        if content.endswith(JOINER):
            run("UPDATE task SET content = :content WHERE id = :pk", content=content[:-len(JOINER)], pk=pk)
    # assigned by the province and under 专题督办, as the summary tells it (while nobody has touched it since)
    run("UPDATE problem SET status = '已交办', flagged = :yes WHERE source_excerpt = :excerpt AND status = '待交办' "
        "AND version = 1", yes=True, excerpt=GUANGMING)
    run("UPDATE campaign SET supervisor_required = :yes WHERE code = 'SSYF' AND name = :name", yes=True,
        name="“四送一服”双千工程“六稳”集中活动")


def downgrade():
    with op.batch_alter_table('campaign') as batch_op:
        batch_op.drop_column('supervisor_required')
    with op.batch_alter_table('stated_figure') as batch_op:
        batch_op.drop_column('counted')
