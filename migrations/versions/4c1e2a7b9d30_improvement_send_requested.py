"""improvements remember when sending was asked for, so a fan-out that never ran is swept

Revision ID: 4c1e2a7b9d30
Revises: 21f89d8ec41b
Create Date: 2026-11-29 17:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4c1e2a7b9d30'
down_revision = '21f89d8ec41b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('improvement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_requested_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('improvement', schema=None) as batch_op:
        batch_op.drop_column('send_requested_at')
