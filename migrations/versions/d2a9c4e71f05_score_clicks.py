"""one-click scores are clicks until they settle (mail scanners open every link; a person opens one)

Revision ID: d2a9c4e71f05
Revises: c7e2f4a9b813
Create Date: 2026-11-29 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a9c4e71f05'
down_revision = 'c7e2f4a9b813'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'score_click',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('touchpoint_id', sa.Integer(), nullable=False),
        sa.Column('submission_key', sa.String(length=64), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('changes', sa.Integer(), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=False),
        sa.Column('channel', sa.Enum('link', 'qr', 'email', name='response_channel', native_enum=False,
                                     length=20), nullable=False),
        sa.Column('hidden', sa.JSON(), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=True),
        sa.Column('network', sa.String(length=32), nullable=True),
        sa.Column('outcome', sa.Enum('answer', 'scanner', name='click_outcome', native_enum=False, length=20),
                  nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('touchpoint_id', 'submission_key', name='uq_score_click_touchpoint_submission'),
    )
    with op.batch_alter_table('score_click', schema=None) as batch_op:
        batch_op.create_index('ix_score_click_outcome_created', ['outcome', 'created_at'], unique=False)
        batch_op.create_index('ix_score_click_touchpoint_created', ['touchpoint_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_click_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    op.drop_table('score_click')
