"""the app's categoriser, trained once at release and kept in the database for every worker to read

Revision ID: d7f9b1c3e5a7
Revises: a3d5f7b9c1e4
Create Date: 2026-11-30 16:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7f9b1c3e5a7'
down_revision = 'a3d5f7b9c1e4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('app_categoriser',
    sa.Column('digest', sa.String(length=16), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_app_categoriser'))
    )


def downgrade():
    op.drop_table('app_categoriser')
