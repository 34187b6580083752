"""responses remember their source (a keyed hash of the client's address), to hold floods from one source

Revision ID: b5d81e0c7a42
Revises: 9a3f6c2d1e84
Create Date: 2026-11-29 17:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d81e0c7a42'
down_revision = '9a3f6c2d1e84'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_response_touchpoint_source_created', ['touchpoint_id', 'source', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_touchpoint_source_created')
        batch_op.drop_column('source')
