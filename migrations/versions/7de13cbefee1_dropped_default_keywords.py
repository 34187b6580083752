"""default keywords an owner takes out of a category stop matching

Revision ID: 7de13cbefee1
Revises: e6a8c0d2f4b7
Create Date: 2026-11-30 06:01:32.310532

Until now a default category matched every default keyword whatever its list said: an owner who took
"cold" out of quality saw no change. Existing rows hold NULL (nothing taken out): which stored lists lack
a default because the owner removed it, and which because the word came to the app later, cannot be told
apart, so the Categories page shows every default word that still matches and removing it now works.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7de13cbefee1'
down_revision = 'e6a8c0d2f4b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dropped_keywords', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_column('dropped_keywords')
