"""the app's categoriser's topic gate, for the Categories page to tell without loading the model

Revision ID: e8a0c2e4f6b9
Revises: d7f9b1c3e5a7
Create Date: 2026-12-01 00:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8a0c2e4f6b9'
down_revision = 'd7f9b1c3e5a7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_categoriser', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic_gate', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('app_categoriser', schema=None) as batch_op:
        batch_op.drop_column('topic_gate')
