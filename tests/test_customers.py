"""Closing the loop with the customer: replies, "here is what we did" with "Did this solve
it?", and unsubscribing, always with consent and in the customer's language."""
from __future__ import annotations

from saas.core.outbox import Message
from saas.feedback.models import Task, TaskEvent, TaskStatus, Unsubscribe
from tests.support.builders import build_business, complaint, rows, staff_client
from tests.support.http import link_in, path_of, post_form
from worker.mail import build_email

COMPLAINT = "Курьер бросил посылку через забор <script>alert(1)</script>"


def complaint_with_contact(app, business, email="klient@example.com", consent=True):
    """A Russian-speaking customer's complaint, stored and processed; the id of its task."""
    return complaint(app, business, COMPLAINT, score=1, email=email, consent=consent, locale="ru")


def test_reply_goes_to_a_consenting_customer_in_their_language(app):
    business = build_business(app)
    task_id = complaint_with_contact(app, business)
    dina = staff_client(app)
    page = dina.get(f"/tasks/{task_id}?saved=0").get_data(as_text=True)
    assert "Нам очень жаль" in page  # the saved reply in the customer's language, prefilled
    post_form(dina, f"/tasks/{task_id}/reply", {"text": "Простите! <b>Курьера</b> заменили."}, page=f"/tasks/{task_id}")
    [message] = rows(app, Message, kind="customer_reply")
    assert (message.recipient, message.locale, message.sender_name) == ("klient@example.com", "ru", "Кав'ярня Зерно")
    assert message.reply_to == "owner@zerno.example"
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Простите! <b>Курьера</b> заменили." in message.body_text
    assert "&lt;b&gt;Курьера&lt;/b&gt;" in message.body_html and "&lt;script&gt;" in message.body_html
    email = build_email(message, "Loopline <no-reply@loopline.local>")
    assert email["From"] == "Кав'ярня Зерно <no-reply@loopline.local>" and email["Reply-To"] == "owner@zerno.example"
    assert email["List-Unsubscribe"].startswith("<http://localhost/u/")
    [task] = rows(app, Task)
    assert task.first_reply_at is not None
    assert rows(app, TaskEvent)[-1].kind == "replied"


def test_no_reply_without_consent(app):
    business = build_business(app)
    task_id = complaint_with_contact(app, business, consent=False)
    dina = staff_client(app)
    assert "не залишив email із дозволом" in dina.get(f"/tasks/{task_id}").get_data(as_text=True)
    refused = post_form(dina, f"/tasks/{task_id}/reply", {"text": "Hello"}, page=f"/tasks/{task_id}")
    assert "не залишив email із дозволом" in dina.get(refused.headers["Location"]).get_data(as_text=True)
    assert rows(app, Message, kind="customer_reply") == []
    assert rows(app, Task)[0].first_reply_at is None


def test_resolve_and_tell_then_the_customer_says_no(app):
    business = build_business(app)
    task_id = complaint_with_contact(app, business)
    dina = staff_client(app)
    post_form(dina, f"/tasks/{task_id}/resolve", {"note": "Сменили курьерскую службу", "root_cause": "Supplier",
                                                   "tell_customer": "y"}, page=f"/tasks/{task_id}")
    [message] = rows(app, Message, kind="resolution")
    assert "Сменили курьерскую службу" in message.body_text and "Курьер бросил посылку" in message.body_text
    no = path_of(link_in(message.body_text, "/no"))
    customer = app.test_client()
    question = customer.get(no)  # what a mail scanner does too: it only asks
    assert question.status_code == 200 and "Сменили курьерскую службу" in question.get_data(as_text=True)
    assert customer.get(path_of(link_in(message.body_text, "/yes"))).status_code == 200  # a scanner opens both
    assert (rows(app, Task)[0].status, rows(app, Task)[0].customer_solved) == (TaskStatus.RESOLVED, None)
    [before] = rows(app, Task)
    page = customer.post(no, data={"words": "Посылка снова\r\nпод забором"})  # the customer presses "No"
    assert page.status_code == 200 and '<html lang="ru">' in page.get_data(as_text=True)
    [task] = rows(app, Task)
    assert task.status == TaskStatus.OPEN and task.customer_solved is False
    assert task.due_at > before.due_at and task.reminded_at is None and task.escalated_at is None  # a new deadline
    assert len(rows(app, Message, kind="assignment")) == 1  # the first assignment email is not sent again
    [reopened] = rows(app, Message, kind="reopened")
    assert reopened.recipient == "dina@zerno.example"
    assert "Посылка снова\nпод забором" in reopened.body_text and "Сменили курьерскую службу" in reopened.body_text
    assert "Новий термін" in reopened.body_text or "New deadline" in reopened.body_text
    task_page = dina.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Клієнт каже, що проблему не вирішено" in task_page and "Посылка снова" in task_page
    customer.post(path_of(link_in(message.body_text, "/yes")))
    assert rows(app, Task)[0].customer_solved is True
    assert app.test_client().get("/f/forged-token/yes").status_code == 404
    assert app.test_client().post("/f/forged-token/yes").status_code == 404


def test_unsubscribe_is_honoured_forever(app):
    business = build_business(app)
    task_id = complaint_with_contact(app, business)
    dina = staff_client(app)
    post_form(dina, f"/tasks/{task_id}/reply", {"text": "Sorry!"}, page=f"/tasks/{task_id}")
    [message] = rows(app, Message, kind="customer_reply")
    link = path_of(link_in(message.body_text, "/u/"))
    customer = app.test_client()
    assert "Відписатися" in customer.get(link).get_data(as_text=True)  # the business speaks Ukrainian
    assert rows(app, Unsubscribe) == []  # looking is not unsubscribing (link scanners only GET)
    assert customer.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert customer.post(link).status_code == 200  # twice is fine
    assert [u.email for u in rows(app, Unsubscribe)] == ["klient@example.com"]
    later = complaint_with_contact(app, business)  # consent again, on a new response
    refused = post_form(dina, f"/tasks/{later}/reply", {"text": "Hello again"}, page=f"/tasks/{later}")
    assert "відписався" in dina.get(refused.headers["Location"]).get_data(as_text=True)
    assert len(rows(app, Message, kind="customer_reply")) == 1
    assert app.test_client().post("/u/forged").status_code == 404


def test_the_business_chooses_where_answers_go(app):
    business = build_business(app)
    owner = staff_client(app, "owner@zerno.example")
    settings = {"metric": "nps", "question": "", "locale": "uk", "brand_color": "#123456", "sla_hours": "24",
                "review_url": ""}
    bad = post_form(owner, "/settings/survey", {**settings, "reply_to": "not an email"}, page="/settings/survey")
    assert bad.status_code == 422
    post_form(owner, "/settings/survey", {**settings, "reply_to": "Hello@Zerno.example"}, page="/settings/survey")
    task_id = complaint_with_contact(app, business)
    post_form(owner, f"/tasks/{task_id}/reply", {"text": "Sorry!"}, page=f"/tasks/{task_id}")
    [message] = rows(app, Message, kind="customer_reply")
    assert message.reply_to == "hello@zerno.example"


def test_the_business_keeps_its_own_saved_replies_and_root_causes(app):
    business = build_business(app)
    owner = staff_client(app, "owner@zerno.example")
    bad = post_form(owner, "/settings/replies", {"root_causes": "", "replies_en": "no colon here", "replies_ru": "",
                                                  "replies_uk": ""}, page="/settings/replies")
    assert bad.status_code == 422
    post_form(owner, "/settings/replies", {
        "root_causes": "Courier\nOven\n", "replies_en": "Sorry: We are so sorry.",
        "replies_ru": "Извините: Нам очень жаль, мы всё исправим.", "replies_uk": "",
    }, page="/settings/replies")
    task_id = complaint_with_contact(app, business)
    page = owner.get(f"/tasks/{task_id}?saved=0").get_data(as_text=True)
    assert "Нам очень жаль, мы всё исправим." in page and ">Courier<" in page and ">Supplier<" not in page
    refused = post_form(owner, f"/tasks/{task_id}/resolve", {"note": "Done", "root_cause": "Supplier"},
                        page=f"/tasks/{task_id}")
    assert refused.status_code == 422
    post_form(owner, f"/tasks/{task_id}/resolve", {"note": "New courier", "root_cause": "Courier"}, page=f"/tasks/{task_id}")
    assert rows(app, Task)[0].status == TaskStatus.RESOLVED
