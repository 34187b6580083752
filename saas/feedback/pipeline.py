"""Processing a response: categorise it, decide reply/action, and hand it to a person.

process_response() is what the `process_response` job runs. It is idempotent: it works
only on a response still in state `received`, under a row lock, so running it twice (a
retried job, the sweep re-enqueueing, two workers) changes nothing the second time.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from saas.core.extensions import db
from saas.core.scoping import tenant_scope, unscoped
from saas.core.timeutil import utcnow
from saas.feedback import learned_models, loop_stats, stats
from saas.feedback.categories import ensure_categories, rules_for
from saas.feedback.categoriser import analyse
from saas.feedback.models import (
    Category,
    CategorySource,
    Response,
    ResponseCategory,
    ResponseState,
    Task,
    TaskStatus,
    Touchpoint,
)
from saas.feedback.tasks import notify_assignee, record_event
from tenants.models import Membership, Role, Tenant


def process_response(response_id: int) -> Task | None:
    """Returns the task the response became, if it needed one."""
    with unscoped():
        response = db.session.scalar(
            select(Response).where(Response.id == response_id)
            .options(joinedload(Response.touchpoint).joinedload(Touchpoint.tenant))
            .with_for_update(of=Response)
        )
    if response is None or response.state != ResponseState.RECEIVED:
        return None
    # Everything below is read first and written once at commit: no flush in between.
    with tenant_scope(response.tenant_id), db.session.no_autoflush:
        tenant = response.touchpoint.tenant
        categories = ensure_categories(tenant)
        rules = rules_for(categories)
        analysis = analyse(response.comment, response.score, response.metric, rules,
                           contact_given=response.consent and bool(response.contact_email), locale=response.locale)
        if response.comment:  # the rules alone read a score without words
            learned = learned_models.for_business(tenant.id, rules)
            learned.revise(analysis, response.comment, [category.id for category in categories], response.score,
                           response.metric)
        matched = [category for category in categories if category.id in analysis.categories]
        # Read for the first time: nothing to replace, no task yet (and no queries to find out).
        first_time = response.processed_at is None
        if first_time:
            db.session.add_all(_rule_links(response, matched))
            category_ids = [category.id for category in matched]
        else:
            category_ids = _set_rule_categories(response, matched)
        response.sentiment = analysis.sentiment
        response.needs_reply = analysis.needs_reply
        response.needs_action = analysis.needs_action
        response.state = ResponseState.CATEGORISED
        response.processed_at = utcnow()
        stats.count_processed(response, tenant, category_ids)
        task = None if first_time else response.task
        if task is None and (analysis.needs_reply or analysis.needs_action):
            task = open_task(tenant, response, matched)
        loop_stats.changed(response.id, task, task_known=True)
        return task


def _set_rule_categories(response: Response, matched: list[Category]) -> list[int]:
    """Rules may change their mind (a comment added later); once a person has chosen the
    categories (source `manual`), theirs stand and the rules add nothing. The ids it ends with."""
    if any(link.source == CategorySource.MANUAL for link in response.categories):
        return [link.category_id for link in response.categories]
    response.categories = _rule_links(response, matched)
    return [category.id for category in matched]


def _rule_links(response: Response, matched: list[Category]) -> list[ResponseCategory]:
    return [
        ResponseCategory(tenant_id=response.tenant_id, response_id=response.id, category_id=category.id,
                         source=CategorySource.RULE)
        for category in matched
    ]


def open_task(tenant: Tenant, response: Response, matched: list[Category]) -> Task:
    assignee = choose_assignee(tenant, response, matched)
    now, sla = utcnow(), timedelta(hours=tenant.sla_hours)
    # By id, not through the relationship: setting response.task would first load the old one.
    task = Task(tenant_id=tenant.id, response_id=response.id, assignee=assignee,
                assignee_id=assignee.id if assignee else None, status=TaskStatus.OPEN, due_at=now + sla,
                escalate_at=now + 2 * sla)
    db.session.add(task)
    loop_stats.settle(response, task)
    db.session.flush()
    record_event(task, "created", needs_reply=response.needs_reply, needs_action=response.needs_action)
    if assignee is not None:
        record_event(task, "assigned", assignee_id=assignee.id, rule="automatic")
        notify_assignee(task, matched)
    return task


def _team(tenant: Tenant) -> dict[int, Membership]:
    members = db.session.scalars(
        select(Membership).where(Membership.tenant_id == tenant.id).options(joinedload(Membership.user))
        .order_by(Membership.id)
    )
    return {member.id: member for member in members}


def choose_assignee(tenant: Tenant, response: Response, matched: list[Category]) -> Membership | None:
    """The first rule that names someone still in the team: the category's people (in
    turn), then the touchpoint's default assignee, then the first owner."""
    team = _team(tenant)
    for category in matched:
        people = [member_id for member_id in category.assignee_ids or [] if member_id in team]
        if people:
            return team[people[_take_turn(category) % len(people)]]
    default = response.touchpoint.default_assignee_id
    if default in team:
        return team[default]
    owners = [member for member in team.values() if member.role == Role.OWNER]
    return owners[0] if owners else None


def _take_turn(category: Category) -> int:
    """Whose turn it is, atomically: one turn per response even with many workers. (A plain
    UPDATE, not SELECT … FOR UPDATE: that would deadlock against the key-share locks other
    workers hold on the category by linking responses to it.)"""
    turn = db.session.execute(
        update(Category).where(Category.id == category.id)
        .values(next_assignee=Category.next_assignee + 1).returning(Category.next_assignee)
    ).scalar_one()
    return turn - 1
