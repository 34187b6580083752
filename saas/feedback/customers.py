"""Messages to customers: a reply from a task, "here is what we did" on resolving it, the
customer's answer to "Did this solve it?", and unsubscribing.

Only to customers who ticked "you may contact me" and never unsubscribed from this
business; in their survey language; in the business's name, answers going to its own
mailbox; every one with a one-click unsubscribe link and List-Unsubscribe headers."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.outbox import Message, queue_email, sent_since
from saas.core.scoping import tenant_scope, unscoped
from saas.core.sql import insert
from saas.core.timeutil import utcnow
from saas.core.urls import absolute_url
from saas.feedback.models import Response, Task, Unsubscribe
from saas.feedback.surveys import clean_text
from saas.feedback.tasks import notify_reopened, record_event, reopen, restart_deadline
from tenants import services, tokens
from tenants.models import Membership, Tenant
from tenants.services import require_verified_owner

MAX_REPLY = 5000
ANSWER_MAX_AGE = 90 * 24 * 3600
SAVED_REPLIES = {
    "en": [
        ("Apology", "We are sorry about this, and thank you for telling us. We are looking into it now."),
        ("Fixed", "Thank you for telling us. We have fixed it, and it should not happen again."),
        ("Question", "Thank you for your question. Here is the answer: "),
    ],
    "ru": [
        ("Извинение", "Нам очень жаль, спасибо, что рассказали. Мы уже разбираемся."),
        ("Исправлено", "Спасибо, что рассказали. Мы всё исправили, больше такого не повторится."),
        ("Вопрос", "Спасибо за вопрос. Отвечаем: "),
    ],
    "uk": [
        ("Вибачення", "Нам дуже шкода, дякуємо, що розповіли. Ми вже розбираємося."),
        ("Виправлено", "Дякуємо, що розповіли. Ми все виправили, більше такого не станеться."),
        ("Питання", "Дякуємо за питання. Відповідаємо: "),
    ],
}


def saved_replies(tenant: Tenant, locale: str) -> list[tuple[str, str]]:
    """The business's saved replies in the customer's language (its own, or ours)."""
    own = (tenant.saved_replies or {}).get(locale)
    if own:
        return [tuple(pair) for pair in own]
    return SAVED_REPLIES.get(locale, SAVED_REPLIES["en"])


def parse_saved_replies(text: str, field: str) -> list[list[str]]:
    """One per line, "Title: the reply"."""
    replies = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        title, sep, body = line.partition(":")
        if not sep or not title.strip() or not body.strip():
            raise Refusal(_l("Write each saved reply as “Title: the reply” (not “%(line)s”).", line=line.strip()[:40]), field=field)
        replies.append([title.strip()[:60], body.strip()[:MAX_REPLY]])
    if len(replies) > 20:
        raise Refusal(_l("At most 20 saved replies per language."), field=field)
    return replies


def is_unsubscribed(tenant_id: int, email: str) -> bool:
    return db.session.scalar(
        select(Unsubscribe.id).where(Unsubscribe.tenant_id == tenant_id, Unsubscribe.email == email.lower())
    ) is not None


def why_not_contactable(response: Response) -> str | None:
    """None when the customer may be written to; otherwise the reason, for the task page."""
    if not response.consent or not response.contact_email:
        return _l("The customer did not leave an email with permission to contact them.")
    if is_unsubscribed(response.tenant_id, response.contact_email):
        return _l("The customer unsubscribed from this business's messages.")
    return None


def _send_to_customer(task: Task, kind: str, template: str, **context) -> Message:
    response = task.response
    reason = why_not_contactable(response)
    if reason:
        raise Refusal(reason)
    tenant = response.touchpoint.tenant
    require_verified_owner(tenant)
    if sent_since(tenant.id, PERSONAL_KINDS, utcnow() - timedelta(days=1)) >= PERSONAL_EMAILS_PER_DAY:
        raise Refusal(_l("Your business has written %(count)s personal emails to customers today, the most "
                         "we send in a day. The rest can go tomorrow.", count=PERSONAL_EMAILS_PER_DAY))
    return customer_email(response.touchpoint.tenant, response.contact_email, response.locale, kind, template,
                          response=response, **context)


# Replies and resolutions, written one by one by staff: generous for a busy shop's day, and a ceiling for
# an account that tries to use the app to mail strangers.
PERSONAL_KINDS = ("customer_reply", "resolution")
PERSONAL_EMAILS_PER_DAY = 500


def customer_email(tenant: Tenant, email: str, locale: str, kind: str, template: str, **context) -> Message:
    """An email to a customer, in the business's name, with the unsubscribe link and headers.
    Callers check consent and unsubscribes first."""
    unsubscribe = absolute_url("customers.unsubscribe", token=tokens.sign("unsubscribe", [tenant.id, email]))
    return queue_email(
        kind, email, template, locale=locale, tenant_id=tenant.id,
        sender_name=tenant.name, reply_to=tenant.reply_to or _first_owner_email(tenant),
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        tenant=tenant, unsubscribe=unsubscribe, **context,
    )


def _first_owner_email(tenant: Tenant) -> str | None:
    first = next(iter(services.owners(tenant)), None)
    return first.user.email if first else None


def reply(task: Task, actor: Membership, text: str) -> Message:
    text = (text or "").strip()
    if not text:
        raise Refusal(_l("Write your reply."), field="text")
    if len(text) > MAX_REPLY:
        raise Refusal(_l("Keep it under %(count)s characters.", count=MAX_REPLY), field="text")
    message = _send_to_customer(task, "customer_reply", "customer_reply", text=text, author=actor.user)
    if task.first_reply_at is None:
        task.first_reply_at = utcnow()
    record_event(task, "replied", actor, text=text)
    return message


def tell_resolution(task: Task, actor: Membership) -> Message:
    """"You told us …; here is what we did …", with a one-click "Did this solve it?"."""
    answer = tokens.sign("solved", task.id)
    message = _send_to_customer(
        task, "resolution", "resolution", note=task.resolution_note,
        yes=absolute_url("customers.answer", token=answer, verdict="yes"),
        no=absolute_url("customers.answer", token=answer, verdict="no"),
    )
    if task.first_reply_at is None:
        task.first_reply_at = utcnow()
    record_event(task, "told_customer", actor)
    return message


def verdict_task(token: str) -> Task:
    """The task a "Did this solve it?" link is about."""
    task_id = tokens.unsign("solved", token, ANSWER_MAX_AGE)
    with unscoped():
        task = db.session.get(Task, task_id) if isinstance(task_id, int) else None
    if task is None:
        raise tokens.InvalidToken("no such task")
    return task


def verdict_question(token: str) -> tuple[Tenant, str, str | None]:
    """What the link's page shows before the customer presses a button (it writes nothing): the business,
    the customer's language and what was done."""
    task = verdict_task(token)
    with tenant_scope(task.tenant_id):
        return task.response.touchpoint.tenant, task.response.locale, task.resolution_note


MAX_VERDICT_WORDS = 2000


def record_verdict(token: str, solved: bool, words: str = "") -> tuple[Tenant, str]:
    """The customer's answer, given by pressing a button (a POST: mail scanners only open links), with
    what they wrote beside "No", if anything. "No" reopens the task with a new deadline and tells the
    assignee why. Returns the business and the customer's language, for the thank-you page."""
    task = verdict_task(token)
    words = clean_text(words or "")[:MAX_VERDICT_WORDS].strip() if not solved else ""
    with tenant_scope(task.tenant_id):
        if task.customer_solved is not solved:
            task.customer_solved = solved
            record_event(task, "customer_said", solved=solved, **({"text": words} if words else {}))
            if not solved:
                reopen(task, None, "The customer said it did not solve the problem.")
                restart_deadline(task)
                if task.assignee is not None:
                    notify_reopened(task, words)
        return task.response.touchpoint.tenant, task.response.locale


def unsubscribe_target(token: str) -> tuple[Tenant, str]:
    """The business and the address an unsubscribe link is for (links never expire)."""
    payload = tokens.unsign("unsubscribe", token, max_age=10 * 365 * 24 * 3600)
    if not (isinstance(payload, list) and len(payload) == 2):
        raise tokens.InvalidToken("bad payload")
    tenant_id, email = payload
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise tokens.InvalidToken("no such business")
    return tenant, email


def unsubscribe(token: str) -> tuple[Tenant, str]:
    tenant, email = unsubscribe_target(token)
    tenant_id = tenant.id
    db.session.execute(
        insert(Unsubscribe).values(tenant_id=tenant_id, email=email.lower(), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Unsubscribe.tenant_id, Unsubscribe.email])
    )
    return tenant, email
