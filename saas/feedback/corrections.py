"""A person's corrections of what the rules decided, kept as the business's labelled examples."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from saas.core.extensions import db
from saas.core.timeutil import utcnow
from saas.feedback.models import Correction, Response


def _correction_of(response: Response) -> Correction:
    found = db.session.scalar(select(Correction).where(Correction.response_id == response.id))
    if found is None:
        found = Correction(tenant_id=response.tenant_id, response_id=response.id)
        db.session.add(found)
    found.corrected_at = utcnow()
    return found


def categories_corrected(response: Response, category_ids: list[int]) -> None:
    _correction_of(response).category_ids = sorted(category_ids)


def needs_corrected(response: Response, needs_reply: bool, needs_action: bool) -> None:
    correction = _correction_of(response)
    correction.needs_reply, correction.needs_action = needs_reply, needs_action


def labelled(tenant_id: int) -> list[tuple[str, str, list[int], datetime]]:
    """The business's answers with corrected categories, oldest correction first: (comment, its language,
    category ids, when)."""
    return [tuple(row) for row in db.session.execute(
        select(Response.comment, Response.locale, Correction.category_ids, Correction.corrected_at)
        .join(Response, Response.id == Correction.response_id)
        .where(Correction.tenant_id == tenant_id, Correction.category_ids.is_not(None))
        .order_by(Correction.corrected_at, Correction.id))]


def count_since(tenant_id: int, moment: datetime | None) -> int:
    query = select(func.count(Correction.id)).where(Correction.tenant_id == tenant_id,
                                                    Correction.category_ids.is_not(None))
    if moment is not None:
        query = query.where(Correction.corrected_at > moment)
    return db.session.scalar(query)
