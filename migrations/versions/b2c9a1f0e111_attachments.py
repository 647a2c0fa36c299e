"""附件: the files a timeline entry, a visit or a report brings (attachment, their content in the database so that a
backup carries them), and each campaign's limits per file and per problem (10 MB and 50 MB by default)

Revision ID: b2c9a1f0e111
Revises: d4e1c3f2a333
Create Date: 2026-12-07 23:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = 'b2c9a1f0e111'
down_revision = 'd4e1c3f2a333'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachment',
    sa.Column('problem_id', sa.Integer(), nullable=True),
    sa.Column('problem_update_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('mime', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary().with_variant(mysql.LONGBLOB(), 'mysql', 'mariadb'), nullable=False),
    sa.Column('thumbnail', sa.LargeBinary().with_variant(mysql.LONGBLOB(), 'mysql', 'mariadb'), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_attachment_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_attachment_problem_id_problem'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['problem_update_id'], ['problem_update.id'], name=op.f('fk_attachment_problem_update_id_problem_update'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_attachment_report_id_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_attachment_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_problem_id'), ['problem_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_problem_update_id'), ['problem_update_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_max_mb', sa.Integer(), server_default='10', nullable=False))
        batch_op.add_column(sa.Column('problem_files_max_mb', sa.Integer(), server_default='50', nullable=False))


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('problem_files_max_mb')
        batch_op.drop_column('file_max_mb')

    # the table with its indexes at once: MariaDB refuses to drop an index a foreign key needs (error 1553)
    op.drop_table('attachment')
