"""Import batches (导入记录): each import that wrote something, who made it, when, from which file (kept, with its
SHA-256) and what it created and updated, so that it can be undone while none of its rows has changed since

Revision ID: 2239a1a145ac
Revises: 540fecfd592f
Create Date: 2026-12-05 05:42:19.298670

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '2239a1a145ac'
down_revision = '540fecfd592f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_file',
    sa.Column('data', sa.LargeBinary().with_variant(mysql.LONGBLOB(), 'mariadb').with_variant(mysql.LONGBLOB(), 'mysql'), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_file'))
    )
    op.create_table('import_batch',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('unchanged_count', sa.Integer(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_import_batch_campaign_id_campaign'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_import_batch_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['file_id'], ['import_file.id'], name=op.f('fk_import_batch_file_id_import_file'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['undone_by_id'], ['app_user.id'], name=op.f('fk_import_batch_undone_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_batch_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('import_batch_row',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(length=32), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('created', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('updates', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_batch_row_batch_id_import_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch_row'))
    )
    with op.batch_alter_table('import_batch_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_row_batch_id'), ['batch_id'], unique=False)



def downgrade():  # a dropped table takes its indexes (MariaDB will not drop one a foreign key needs)
    op.drop_table('import_batch_row')
    op.drop_table('import_batch')
    op.drop_table('import_file')
