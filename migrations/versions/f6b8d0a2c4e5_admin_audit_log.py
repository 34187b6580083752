"""the platform admins' audit log (admin_audit_event): append-only, who, when, what, which business, the
reason, before and after

Revision ID: f6b8d0a2c4e5
Revises: e5a7c9b1d3f4
Create Date: 2026-11-29 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f6b8d0a2c4e5'
down_revision = 'e5a7c9b1d3f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'admin_audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=True),
        sa.Column('admin_email', sa.String(length=254), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('tenant_slug', sa.String(length=80), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['admin_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('admin_audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_audit_event_admin_id'), ['admin_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_audit_event_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_audit_event_created_at'), ['created_at'], unique=False)


def downgrade():
    op.drop_table('admin_audit_event')
