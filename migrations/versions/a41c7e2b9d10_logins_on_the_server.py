"""logins on the server: one row per login (ended by logout, a new password or its age), and the rows that parallel
login attempts take turns on

Revision ID: a41c7e2b9d10
Revises: 5b1f0c2d7a91
Create Date: 2026-11-25 16:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a41c7e2b9d10'
down_revision = '5b1f0c2d7a91'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('password_mark', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_session_user_id_app_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash')),
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)
    op.create_table(
        'login_lock',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_login_lock')),
    )


def downgrade():
    op.drop_table('login_lock')
    op.drop_table('user_session')  # with its indexes (MariaDB keeps the user_id one while the foreign key stands)
