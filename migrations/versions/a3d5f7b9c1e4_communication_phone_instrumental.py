"""communication's "телефоном" ("by phone") goes from every stored list: the keyword matches by its lemma,
"телефон", so it fired on every phone, the product of a phone shop included

Revision ID: a3d5f7b9c1e4
Revises: 7de13cbefee1
Create Date: 2026-11-30 06:55:00

A default category's stored word that is no longer a default is read as the owner's own, so the lists are
changed here ("по телефону", "подзвонити", "зателефонувати" stay). An owner who typed it meant the same.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3d5f7b9c1e4'
down_revision = '7de13cbefee1'
branch_labels = None
depends_on = None

RETIRED = "телефоном"

category = sa.table("category", sa.column("id", sa.Integer), sa.column("key", sa.String),
                    sa.column("keywords", sa.Text))


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(category.c.id, category.c.keywords)
                              .where(category.c.key == "communication")).all()
    for row_id, keywords in rows:
        words = [word.strip() for word in (keywords or "").split(",") if word.strip()]
        if RETIRED in words:
            kept = ", ".join(word for word in words if word != RETIRED)
            connection.execute(category.update().where(category.c.id == row_id).values(keywords=kept))


def downgrade():
    pass  # the earlier code reads the lists without the word the same way
