"""the weekly digest: whether each person wants it (users.weekly_digest) and the digests sent, one per
business, person and week (digest_sent)

Revision ID: c3f5a7d9e1b2
Revises: b8e1f0c2d3a7
Create Date: 2026-11-29 22:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f5a7d9e1b2'
down_revision = 'b8e1f0c2d3a7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weekly_digest', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        'digest_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'user_id', 'week', name='uq_digest_sent'),
    )
    with op.batch_alter_table('digest_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_sent_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_digest_sent_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('digest_sent')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('weekly_digest')
