"""the dashboard's counts: scores per business-local day (daily_score), and the score each answer is counted
under (response.stats_score); fill them with `flask stats rebuild` once after upgrading

Revision ID: f1c3a8e5d247
Revises: e4b7d2c19a60
Create Date: 2026-11-29 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1c3a8e5d247'
down_revision = 'e4b7d2c19a60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'daily_score',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('touchpoint_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=False),
        sa.Column('metric', sa.String(length=4), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'day', 'touchpoint_id', 'channel', 'locale', 'metric', 'score',
                            name='uq_daily_score'),
    )
    with op.batch_alter_table('daily_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_score_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stats_score', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('stats_score')
    op.drop_table('daily_score')
