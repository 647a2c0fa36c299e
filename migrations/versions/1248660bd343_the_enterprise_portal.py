"""The enterprise portal (诉求直报): an enterprise's 诉求 and its attachments, the portal's rate-limit and CAPTCHA
rows (shared by every worker), and each campaign's 一事一评 scale (the five 好差评 levels, the first three satisfied)

Revision ID: 1248660bd343
Revises: 2239a1a145ac
Create Date: 2026-12-05 11:34:42.746122

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '1248660bd343'
down_revision = '2239a1a145ac'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_challenge',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('answer_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_portal_challenge'))
    )
    with op.batch_alter_table('portal_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_challenge_created_at'), ['created_at'], unique=False)

    op.create_table('portal_hit',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_hit'))
    )
    with op.batch_alter_table('portal_hit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_hit_at'), ['at'], unique=False)
        batch_op.create_index('ix_portal_hit_kind_key_at', ['kind', 'key', 'at'], unique=False)

    op.create_table('appeal',
    sa.Column('number', sa.String(length=24), nullable=True),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('enterprise_name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('contact', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('待受理', '已受理', '不予受理', name='appeal_status', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('problem_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('rating', sa.String(length=16), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(), nullable=True),
    sa.Column('revisit', sa.String(length=8), nullable=True),
    sa.Column('address', sa.String(length=45), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['body.id'], name=op.f('fk_appeal_body_id_body'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_appeal_campaign_id_campaign'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_appeal_decided_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_appeal_enterprise_id_enterprise'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_appeal_problem_id_problem'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal')),
    sa.UniqueConstraint('number', name=op.f('uq_appeal_number'))
    )
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index('ix_appeal_body_status', ['body_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_appeal_campaign_status', ['campaign_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_appeal_enterprise', ['enterprise_id', 'status'], unique=False)
        batch_op.create_index('ix_appeal_problem', ['problem_id'], unique=False)

    op.create_table('appeal_file',
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('mime', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary().with_variant(mysql.LONGBLOB(), 'mariadb').with_variant(mysql.LONGBLOB(), 'mysql'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_appeal_file_appeal_id_appeal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_appeal_file_problem_id_problem'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_file'))
    )
    with op.batch_alter_table('appeal_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_file_appeal_id'), ['appeal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_file_problem_id'), ['problem_id'], unique=False)

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_levels', sa.String(length=200), server_default='非常满意、满意、基本满意、不满意、非常不满意', nullable=False))
        batch_op.add_column(sa.Column('rating_satisfied', sa.Integer(), server_default='3', nullable=False))



def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('rating_satisfied')
        batch_op.drop_column('rating_levels')
    # each table with its indexes (MariaDB refuses to drop an index a foreign key needs before its table goes)
    for table in ('appeal_file', 'appeal', 'portal_hit', 'portal_challenge'):
        op.drop_table(table)
