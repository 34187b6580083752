"""A tenant's categories: the default taxonomy seeded in its language (once, by a write: sign-up, the
pipeline, adding a category; never by a page view), and owners tuning names, keywords and who handles each."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.i18n import supported
from saas.core.sql import owned
from saas.feedback.categoriser import CategoryRule, app_keywords, default_keywords
from saas.feedback.models import Category
from saas.feedback.taxonomy import DEFAULT_TAXONOMY, RETIRED_KEYWORDS
from tenants.models import Membership, Tenant

MAX_KEYWORDS = 200


def categories(tenant: Tenant) -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.tenant_id == tenant.id).order_by(Category.id)))


def ensure_categories(tenant: Tenant) -> list[Category]:
    """The tenant's categories, seeding the default taxonomy (in its language) the first time."""
    existing = categories(tenant)
    if existing:
        return existing
    locale = supported(tenant.locale)
    for key, entry in DEFAULT_TAXONOMY.items():
        db.session.add(Category(
            tenant_id=tenant.id, key=key, name=entry["names"][locale],
            keywords=", ".join(entry["keywords"][locale]), assignee_ids=[], next_assignee=0,
        ))
    db.session.flush()
    return categories(tenant)


def relabel_defaults(tenant: Tenant, old_locale: str, new_locale: str) -> None:
    """The business changed its language: default categories nobody renamed or re-worded follow it."""
    old, new = supported(old_locale), supported(new_locale)
    taken = {category.name for category in categories(tenant)}
    for category in categories(tenant):
        entry = DEFAULT_TAXONOMY.get(category.key)
        if entry is None:
            continue
        if category.name == entry["names"][old] and entry["names"][new] not in taken:
            category.name = entry["names"][new]
            taken.add(category.name)
        if category.keywords == ", ".join(entry["keywords"][old]):
            category.keywords = ", ".join(entry["keywords"][new])


def parse_keywords(raw: str) -> str:
    words = [" ".join(word.split()).lower() for word in re.split(r"[,\n;]+", raw or "") if word.strip()]
    if len(words) > MAX_KEYWORDS:
        raise Refusal(_l("At most %(count)s keywords per category.", count=MAX_KEYWORDS), field="keywords")
    for word in words:
        if len(word) > 60 or word.strip("*") == "" or "*" in word.rstrip("*").replace("* ", " "):
            raise Refusal(_l("“%(word)s” is not a keyword: use words, with * only at a word's end.", word=word), field="keywords")
    return ", ".join(dict.fromkeys(words))


def rules_for(categories: list[Category]) -> list[CategoryRule]:
    """A default category matches its default keywords in the comment's language, but those the owner took
    out of its list; the owner's own words (those the app never gave it) are added in the languages their
    letters say."""
    return [CategoryRule(category.id, tuple(word for word in category.keyword_list
                                            if word not in app_keywords(category.key)),
                         key=category.key, dropped=frozenset(category.dropped_keywords or ()))
            for category in categories]


def keywords_shown(category: Category, locale: str) -> str:
    """The keyword list as the owner edits it: what is stored but the words the app retired, and for a
    default category the default keywords in the business's language it does not hold yet (added to the
    app since), unless taken out."""
    retired = RETIRED_KEYWORDS.get(category.key, frozenset())
    words = [word for word in category.keyword_list if word not in retired]
    if category.key:
        dropped = set(category.dropped_keywords or ())
        words += [word for word in default_keywords(category.key, supported(locale))
                  if word not in words and word not in dropped]
    return ", ".join(words)


def _members(tenant: Tenant, ids: list[int]) -> list[int]:
    ids = [int(i) for i in ids or []]
    known = set(db.session.scalars(select(Membership.id).where(Membership.tenant_id == tenant.id, Membership.id.in_(ids))))
    if set(ids) - known:
        raise Refusal(_l("Choose people from your team."), field="assignee_ids")
    return list(dict.fromkeys(ids))


def _name(tenant: Tenant, name: str, category_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Refusal(_l("Give the category a name."), field="name")
    clash = db.session.scalar(select(Category.id).where(Category.tenant_id == tenant.id, Category.name == name))
    if clash and clash != category_id:
        raise Refusal(_l("Another category has this name."), field="name")
    return name


def get_category(tenant: Tenant, category_id: int) -> Category:
    return owned(Category, tenant.id, category_id)


def update_category(tenant: Tenant, category_id: int, name: str, keywords: str, assignee_ids: list[int]) -> Category:
    category = get_category(tenant, category_id)
    category.name = _name(tenant, name, category_id)
    category.keywords = parse_keywords(keywords)
    if category.key:  # the default keywords in the list the owner saw and left out stop matching
        kept = set(category.keyword_list)
        shown = [*(category.dropped_keywords or ()), *default_keywords(category.key, supported(tenant.locale))]
        category.dropped_keywords = [word for word in dict.fromkeys(shown) if word not in kept]
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
