"""payment's "дважды"/"двічі" ("twice") become phrases of being charged twice: alone they fired on any
"twice" ("asked twice", "ordered twice")

Revision ID: e6a8c0d2f4b7
Revises: c4e6a8b0d2f4
Create Date: 2026-11-30 05:00:00

Each business's payment category stores its keywords; a stored word that is no longer a default is read
as the owner's own, so the lists are changed here, in any list that holds the word (an owner who typed it
meant the same thing).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6a8c0d2f4b7'
down_revision = 'c4e6a8b0d2f4'
branch_labels = None
depends_on = None

PHRASES = {
    "дважды": "списать дважды, дважды списать, оплатить дважды, заплатить дважды",
    "двічі": "списати двічі, двічі списати, оплатити двічі, заплатити двічі",
}

category = sa.table("category", sa.column("id", sa.Integer), sa.column("key", sa.String),
                    sa.column("keywords", sa.Text))


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(category.c.id, category.c.keywords).where(category.c.key == "payment")).all()
    for row_id, keywords in rows:
        words = [word.strip() for word in (keywords or "").split(",") if word.strip()]
        if set(words) & set(PHRASES):
            replaced = ", ".join(PHRASES.get(word, word) for word in words)
            connection.execute(category.update().where(category.c.id == row_id).values(keywords=replaced))


def downgrade():
    pass  # the phrases are read the same way by the earlier code
