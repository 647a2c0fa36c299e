"""代录: a timeline line may be a step the 推进办 entered on a unit's behalf — the unit it stands for
(problem_update.on_behalf_of_unit_id) and the channel the unit's answer came by (problem_update.channel: 电话, 微信,
纸质, Excel). Lines entered by the unit itself leave both empty. Going down drops the two columns.

Revision ID: c3d0b2e1f222
Revises: a7c31d5e9f42
Create Date: 2026-12-07 23:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c3d0b2e1f222'
down_revision = 'a7c31d5e9f42'
branch_labels = None
depends_on = None

CHANNELS = ('电话', '微信', '纸质', 'Excel')  # models.vocab.PROXY_CHANNELS (a copy: migrations do not import the models)


def upgrade():
    with op.batch_alter_table('problem_update') as batch:
        batch.add_column(sa.Column('on_behalf_of_unit_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('channel', sa.String(length=10), nullable=True))
        batch.create_check_constraint(op.f('ck_problem_update_update_channel'),
                                      sa.text(f"channel IN ({', '.join(repr(c) for c in CHANNELS)})"))
        batch.create_foreign_key(op.f('fk_problem_update_on_behalf_of_unit_id_unit'), 'unit',
                                 ['on_behalf_of_unit_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('problem_update') as batch:
        batch.drop_constraint(op.f('fk_problem_update_on_behalf_of_unit_id_unit'), type_='foreignkey')
        batch.drop_constraint(op.f('ck_problem_update_update_channel'), type_='check')
        batch.drop_column('channel')
        batch.drop_column('on_behalf_of_unit_id')
