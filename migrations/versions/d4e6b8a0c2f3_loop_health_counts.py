"""loop health's kept counts (daily_loop) and what each answer adds to them (response.stats_loop); fill them
with `flask stats rebuild` after upgrading

Revision ID: d4e6b8a0c2f3
Revises: c3f5a7d9e1b2
Create Date: 2026-11-29 22:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e6b8a0c2f3'
down_revision = 'c3f5a7d9e1b2'
branch_labels = None
depends_on = None

COUNTS = ('answers', 'decided', 'need_reply', 'replied', 'tasks', 'resolved', 'resolved_in_time', 'open_tasks',
          'asked', 'solved_yes', 'solved_no', 'reopened', 'reply_within_1h', 'reply_within_2h', 'reply_within_4h',
          'reply_within_8h', 'reply_within_24h', 'reply_within_48h', 'reply_within_72h', 'reply_within_168h',
          'reply_later')


def upgrade():
    op.create_table(
        'daily_loop',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('touchpoint_id', sa.Integer(), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('assignee_id', sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'day', 'touchpoint_id', 'locale', 'category_id', 'assignee_id',
                            name='uq_daily_loop'),
    )
    with op.batch_alter_table('daily_loop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_loop_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stats_loop', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('stats_loop')
    op.drop_table('daily_loop')
