"""A person's corrections of what the rules decided, kept as the business's labelled examples: the
categories and the two decisions a person chose on a task's page, and "needs an action" as it stood when
a person closed the task (resolved with the decisions they saw, or dismissed as needing no work)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, func, or_, select

from saas.core.extensions import db
from saas.core.timeutil import utcnow
from saas.feedback.models import Correction, Response

IS_LABELLED = or_(Correction.category_ids.is_not(None), Correction.needs_action.is_not(None))


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


def action_confirmed(response: Response, needs_action: bool) -> None:
    """A person closed the answer's task: what it needed is known (the reply was not asked)."""
    _correction_of(response).needs_action = needs_action


def labelled(tenant_id: int) -> list[Row]:
    """The business's answers with corrected categories or a known "needs an action", oldest correction
    first: comment, locale, score, metric, category_ids (None: not corrected), needs_action (None: not
    known), corrected_at."""
    return list(db.session.execute(
        select(Response.comment, Response.locale, Response.score, Response.metric, Correction.category_ids,
               Correction.needs_action, Correction.corrected_at)
        .join(Response, Response.id == Correction.response_id)
        .where(Correction.tenant_id == tenant_id, IS_LABELLED)
        .order_by(Correction.corrected_at, Correction.id)))


def count_since(tenant_id: int, moment: datetime | None) -> int:
    query = select(func.count(Correction.id)).where(Correction.tenant_id == tenant_id, IS_LABELLED)
    if moment is not None:
        query = query.where(Correction.corrected_at > moment)
    return db.session.scalar(query)
