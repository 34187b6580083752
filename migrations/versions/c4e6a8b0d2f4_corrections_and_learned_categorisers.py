"""corrections (what people said an answer is about or needs: the labelled examples) and each business's
learned categoriser, versioned

Revision ID: c4e6a8b0d2f4
Revises: b2d4f6a8c0e1
Create Date: 2026-11-30 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f4'
down_revision = 'b2d4f6a8c0e1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('category_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('corrections_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_category_model_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_model')),
    sa.UniqueConstraint('tenant_id', 'version', name='uq_category_model_version')
    )
    with op.batch_alter_table('category_model', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_model_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('category_ids', sa.JSON(), nullable=True),
    sa.Column('needs_reply', sa.Boolean(), nullable=True),
    sa.Column('needs_action', sa.Boolean(), nullable=True),
    sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_correction_response_id_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_correction_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction')),
    sa.UniqueConstraint('response_id', name='uq_correction_response')
    )
    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_corrected_at'), ['corrected_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_tenant_id'), ['tenant_id'], unique=False)



def downgrade():
    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_correction_corrected_at'))

    op.drop_table('correction')
    with op.batch_alter_table('category_model', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_model_tenant_id'))

    op.drop_table('category_model')
