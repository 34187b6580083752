"""the dashboard's counts per category (daily_category) and the categories each answer is counted under
(response.stats_categories); fill them with `flask stats rebuild` once after upgrading

Revision ID: a6d0e3b58c14
Revises: f1c3a8e5d247
Create Date: 2026-11-29 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6d0e3b58c14'
down_revision = 'f1c3a8e5d247'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'daily_category',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('touchpoint_id', sa.Integer(), nullable=False),
        sa.Column('metric', sa.String(length=4), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'day', 'touchpoint_id', 'metric', 'category_id', 'score',
                            name='uq_daily_category'),
    )
    with op.batch_alter_table('daily_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_category_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stats_categories', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('stats_categories')
    op.drop_table('daily_category')
