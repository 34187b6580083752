"""Public pages for customers reached by email: unsubscribe, and "Did this solve it?"."""
from flask import Blueprint, g, render_template, request

from saas.core.extensions import db
from saas.feedback import customers
from saas.web.extensions import csrf
from tenants.tokens import InvalidToken

bp = Blueprint("customers", __name__)


@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: mail clients POST here, with no session of ours
def unsubscribe(token):
    """GET shows one button (link scanners only GET); POST unsubscribes, as mail clients do."""
    done = request.method == "POST"
    try:
        tenant, email = customers.unsubscribe(token) if done else customers.unsubscribe_target(token)
    except InvalidToken:
        db.session.rollback()
        return render_template("customers/invalid.html"), 404
    db.session.commit()
    g.survey_locale = tenant.locale
    return render_template("customers/unsubscribe.html", tenant=tenant, email=email, done=done)


@bp.route("/f/<token>/<any(yes, no):verdict>", methods=["GET", "POST"])
@csrf.exempt  # the customer has no session of ours; the signed token is the key
def answer(token, verdict):
    """GET (the link in the email, which scanners open too) asks "Did this solve it?" with two buttons;
    only pressing one (a POST) records the answer."""
    try:
        if request.method == "GET":
            return _ask(*customers.verdict_question(token), token=token, verdict=verdict)
        tenant, locale = customers.record_verdict(token, solved=verdict == "yes", words=request.form.get("words", ""))
    except InvalidToken:
        db.session.rollback()
        return render_template("customers/invalid.html"), 404
    db.session.commit()
    g.survey_locale = locale
    return render_template("customers/answer.html", tenant=tenant, solved=verdict == "yes")


def _ask(tenant, locale: str, note: str | None, token: str, verdict: str):
    g.survey_locale = locale
    return render_template("customers/ask.html", tenant=tenant, note=note, token=token, chosen=verdict)
