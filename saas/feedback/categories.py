"""Owners tune their categories: names, keywords, and who handles each."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import re

from sqlalchemy import select

from saas.extensions import db
from saas.feedback.models import Category
from saas.feedback.pipeline import ensure_categories
from tenants.models import Membership, Tenant
from tenants.scoping import owned
from tenants.services import AccountError

MAX_KEYWORDS = 200


def categories(tenant: Tenant) -> list[Category]:
    return ensure_categories(tenant)


def parse_keywords(raw: str) -> str:
    words = [" ".join(word.split()).lower() for word in re.split(r"[,\n;]+", raw or "") if word.strip()]
    if len(words) > MAX_KEYWORDS:
        raise AccountError(_l("At most %(count)s keywords per category.", count=MAX_KEYWORDS), field="keywords")
    for word in words:
        if len(word) > 60 or word.strip("*") == "" or "*" in word.rstrip("*").replace("* ", " "):
            raise AccountError(_l("“%(word)s” is not a keyword: use words, with * only at a word's end.", word=word), field="keywords")
    return ", ".join(dict.fromkeys(words))


def _members(tenant: Tenant, ids: list[int]) -> list[int]:
    ids = [int(i) for i in ids or []]
    known = set(db.session.scalars(select(Membership.id).where(Membership.tenant_id == tenant.id, Membership.id.in_(ids))))
    if set(ids) - known:
        raise AccountError(_l("Choose people from your team."), field="assignee_ids")
    return list(dict.fromkeys(ids))


def _name(tenant: Tenant, name: str, category_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise AccountError(_l("Give the category a name."), field="name")
    clash = db.session.scalar(select(Category.id).where(Category.tenant_id == tenant.id, Category.name == name))
    if clash and clash != category_id:
        raise AccountError(_l("Another category has this name."), field="name")
    return name


def get_category(tenant: Tenant, category_id: int) -> Category:
    return owned(Category, tenant.id, category_id)


def update_category(tenant: Tenant, category_id: int, name: str, keywords: str, assignee_ids: list[int]) -> Category:
    category = get_category(tenant, category_id)
    category.name = _name(tenant, name, category_id)
    category.keywords = parse_keywords(keywords)
    people = _members(tenant, assignee_ids)
    if people != category.assignee_ids:
        category.assignee_ids, category.next_assignee = people, 0
    return category


def add_category(tenant: Tenant, name: str, keywords: str, assignee_ids: list[int]) -> Category:
    ensure_categories(tenant)
    category = Category(
        tenant_id=tenant.id, key=None, name=_name(tenant, name), keywords=parse_keywords(keywords),
        assignee_ids=_members(tenant, assignee_ids), next_assignee=0,
    )
    db.session.add(category)
    db.session.flush()
    return category
