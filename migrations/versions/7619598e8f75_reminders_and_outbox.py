"""Reminders: the automatic ladder's record (提醒/催办/督办 per problem, level and day), the outbox of messages beyond
the panel (e-mail, group robot), a unit's e-mail, and two campaign settings (the default 办理时限 in working days, the
working days overdue before 督办)

Revision ID: 7619598e8f75
Revises: a9e3f5b7c2d1
Create Date: 2026-12-03 16:22:32.235583

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7619598e8f75'
down_revision = 'a9e3f5b7c2d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('delivery',
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['update_id'], ['problem_update.id'], name=op.f('fk_delivery_update_id_problem_update'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery')),
    sa.UniqueConstraint('update_id', 'channel', 'address', name=op.f('uq_delivery_update_id_channel_address'))
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_update_id'), ['update_id'], unique=False)

    op.create_table('reminder',
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_reminder_problem_id_problem'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_reminder_unit_id_unit'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['update_id'], ['problem_update.id'], name=op.f('fk_reminder_update_id_problem_update'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    sa.UniqueConstraint('problem_id', 'level', 'day', name=op.f('uq_reminder_problem_id_level_day'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_problem_id'), ['problem_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('escalate_days', sa.Integer(), server_default='5', nullable=False))

    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))



def downgrade():  # a dropped table takes its indexes (MariaDB will not drop one a foreign key needs)
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('escalate_days')
        batch_op.drop_column('deadline_days')

    op.drop_table('reminder')
    op.drop_table('delivery')
