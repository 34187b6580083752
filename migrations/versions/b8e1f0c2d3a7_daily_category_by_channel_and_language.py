"""the per-category counts (daily_category) are kept per channel and language too, so the dashboard can be
filtered to one topic and one language at once; recount them with `flask stats rebuild` after upgrading

Revision ID: b8e1f0c2d3a7
Revises: a6d0e3b58c14
Create Date: 2026-11-29 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e1f0c2d3a7'
down_revision = 'a6d0e3b58c14'
branch_labels = None
depends_on = None


def _create(with_channel_and_locale: bool):
    extra = [sa.Column('channel', sa.String(length=10), nullable=False),
             sa.Column('locale', sa.String(length=5), nullable=False)] if with_channel_and_locale else []
    key = ['tenant_id', 'day', 'touchpoint_id', *(['channel', 'locale'] if with_channel_and_locale else []),
           'metric', 'category_id', 'score']
    op.create_table(
        'daily_category',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('touchpoint_id', sa.Integer(), nullable=False),
        *extra,
        sa.Column('metric', sa.String(length=4), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(*key, name='uq_daily_category'),
    )
    with op.batch_alter_table('daily_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_category_tenant_id'), ['tenant_id'], unique=False)


def _start_over(with_channel_and_locale: bool):
    """The counts cannot be split (or merged) in place: the table starts empty and every answer is marked
    as counted under no topic, which is what an empty table says; `flask stats rebuild` recounts."""
    op.drop_table('daily_category')
    _create(with_channel_and_locale)
    op.execute("UPDATE response SET stats_categories = NULL")


def upgrade():
    _start_over(True)


def downgrade():
    _start_over(False)
