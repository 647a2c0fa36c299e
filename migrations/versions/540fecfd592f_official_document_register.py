"""The register of official documents (公文登记): each paper's kind, its 文号 from one sequence per campaign and year
(never given twice), the problems it covers, and its file's checksum; the campaign's 文号 prefix

Revision ID: 540fecfd592f
Revises: 7619598e8f75
Create Date: 2026-12-03 16:36:56.983072

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '540fecfd592f'
down_revision = '7619598e8f75'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('official_document',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('checksum', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_official_document_campaign_id_campaign'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_official_document_created_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_official_document')),
    sa.UniqueConstraint('campaign_id', 'year', 'serial', name=op.f('uq_official_document_campaign_id_year_serial'))
    )
    with op.batch_alter_table('official_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_official_document_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('official_document_problem',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['official_document.id'], name=op.f('fk_official_document_problem_document_id_official_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_official_document_problem_problem_id_problem'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'problem_id', name=op.f('pk_official_document_problem'))
    )
    with op.batch_alter_table('official_document_problem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_official_document_problem_problem_id'), ['problem_id'], unique=False)

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('doc_prefix', sa.String(length=32), nullable=True))



def downgrade():  # a dropped table takes its indexes (MariaDB will not drop one a foreign key needs)
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('doc_prefix')

    op.drop_table('official_document_problem')
    op.drop_table('official_document')
