"""the platform admins' overview: each sweep's last run (sweep_run), every change of a tenant's plan
(plan_change) and the subscription's price in the billing mirror (amount, currency) for monthly revenue, and
an extension of a past-due grace period (grace_until); when a deleted business is purged (tenant.purge_after)

Revision ID: a1c3e5f7b9d2
Revises: f6b8d0a2c4e5
Create Date: 2026-11-30 00:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1c3e5f7b9d2'
down_revision = 'f6b8d0a2c4e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sweep_run',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('took_ms', sa.Integer(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sweep_run'))
    )
    op.create_table('plan_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_plan', sa.String(length=20), nullable=False),
    sa.Column('to_plan', sa.String(length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_plan_change_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_change'))
    )
    with op.batch_alter_table('plan_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_change_changed_at'), ['changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_change_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purge_after', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('billing_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('grace_until', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('billing_account', schema=None) as batch_op:
        batch_op.drop_column('grace_until')
        batch_op.drop_column('currency')
        batch_op.drop_column('amount')

    with op.batch_alter_table('plan_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_change_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_plan_change_changed_at'))

    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('purge_after')

    op.drop_table('plan_change')
    op.drop_table('sweep_run')
