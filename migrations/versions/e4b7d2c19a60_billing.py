"""billing: each tenant's billing account (its Stripe customer, the mirror of its subscription, a comp) and
the Stripe webhook events received

Revision ID: e4b7d2c19a60
Revises: d2a9c4e71f05
Create Date: 2026-11-29 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b7d2c19a60'
down_revision = 'd2a9c4e71f05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'billing_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('stripe_customer_id', sa.String(length=255), nullable=True),
        sa.Column('subscription_id', sa.String(length=255), nullable=True),
        sa.Column('status', sa.String(length=30), nullable=True),
        sa.Column('price_id', sa.String(length=255), nullable=True),
        sa.Column('plan', sa.String(length=20), nullable=True),
        sa.Column('interval', sa.String(length=10), nullable=True),
        sa.Column('current_period_end', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
        sa.Column('trial_end', sa.DateTime(timezone=True), nullable=True),
        sa.Column('past_due_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('comp_plan', sa.String(length=20), nullable=True),
        sa.Column('comp_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('stripe_customer_id'),
        sa.UniqueConstraint('tenant_id', name='uq_billing_account_tenant'),
    )
    with op.batch_alter_table('billing_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_account_tenant_id'), ['tenant_id'], unique=False)
    op.create_table(
        'stripe_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stripe_id', sa.String(length=255), nullable=False),
        sa.Column('type', sa.String(length=100), nullable=False),
        sa.Column('created', sa.DateTime(timezone=True), nullable=False),
        sa.Column('customer_id', sa.String(length=255), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('status', sa.Enum('pending', 'processed', 'ignored', name='stripe_event_status',
                                    native_enum=False, length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('stripe_id'),
    )
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_event_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_event_status'), ['status'], unique=False)


def downgrade():
    op.drop_table('stripe_event')
    op.drop_table('billing_account')
