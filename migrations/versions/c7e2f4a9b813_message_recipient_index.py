"""emails counted per address (sign-up and password emails are capped per recipient and hour)

Revision ID: c7e2f4a9b813
Revises: b5d81e0c7a42
Create Date: 2026-11-29 19:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c7e2f4a9b813'
down_revision = 'b5d81e0c7a42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_recipient_created', ['recipient', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_recipient_created')
