"""The public survey at /s/<token>: the form, one-click scores, thank-you page, QR codes.

Public by design (the token is the key), so no login and no CSRF token: a customer
opening the link from an email or a QR code has no session with us. Abuse is held off
by a rate limit per client and touchpoint and a honeypot field."""
from __future__ import annotations

import io

import segno
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask import Response as HttpResponse
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from wtforms import BooleanField, EmailField, Form, HiddenField, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional

from saas.core.extensions import db
from saas.core.scoping import tenant_scope
from saas.core.urls import absolute_url
from saas.feedback import clicks, metrics, surveys
from saas.feedback.surveys import Answer, InvalidSubmission
from saas.feedback.touchpoints import question_for
from saas.web.extensions import csrf, limiter
from saas.web.forms import attach_error
from worker.jobs import process_response
from worker.queue import enqueue

bp = Blueprint("survey", __name__, url_prefix="/s")
ANSWER_COOKIE = "lp_answer"


class SurveyForm(Form):
    """The public survey. A plain WTForms form: customers have no session, so no CSRF token.
    The score's range depends on the tenant's metric and is checked by the survey service."""

    score = StringField(_l("Score"))
    comment = TextAreaField(_l("Comment"), validators=[
        Optional(), Length(max=5000, message=_l("Please keep your comment under %(max)s characters.", max=5000)),
    ])
    email = EmailField(
        _l("Your email (optional)"),
        validators=[Optional(), Length(max=254), Email(message=_l("That email address does not look right."))],
    )
    consent = BooleanField(_l("You may contact me about my feedback"))
    website = StringField(_l("Leave this field empty"))  # honeypot
    submission_key = HiddenField()


def _per_client_and_touchpoint() -> str:
    return f"{get_remote_address()}|{request.view_args.get('token', '')}"


def _submit_limit() -> str:
    return current_app.config["SURVEY_RATE_LIMIT"]


@bp.errorhandler(404)
def survey_not_found(error):
    """A customer who followed a wrong survey link meets a page of the survey's kind: no app header, no
    log-in link, no business named."""
    return render_template("survey/not_found.html"), 404


def _touchpoint(token: str):
    touchpoint = surveys.touchpoint_for_token(token)
    if touchpoint is None:
        abort(404)
    g.survey_locale = surveys.survey_locale(request.args.get("lang"), request.accept_languages, touchpoint.tenant.locale)
    return touchpoint


def _render_form(touchpoint, form, saved_score=None, status=200):
    """The survey page; `saved_score`: the one-click score it follows, which the page says is saved."""
    tenant = touchpoint.tenant
    scale = metrics.metric(tenant.metric)
    band = scale.band(saved_score) if saved_score is not None else None
    return render_template(
        "survey/survey.html",
        touchpoint=touchpoint,
        tenant=tenant,
        scale=scale,
        question=question_for(tenant, g.survey_locale),
        comment_prompt=metrics.comment_prompt(band),
        form=form,
        saved_score=saved_score,
        action=url_for("survey.submit", token=touchpoint.token, **_carried_parameters(touchpoint)),
    ), status


def _closed(touchpoint, status=200):
    return render_template("survey/closed.html", tenant=touchpoint.tenant), status


def _carried_parameters(touchpoint) -> dict:
    """What the form's action keeps from the link: language, channel and hidden fields."""
    names = ("lang", "c", *touchpoint.hidden_field_names)
    return {name: request.args[name] for name in names if request.args.get(name)}


@bp.route("/<token>", methods=["GET"])
@limiter.limit(_submit_limit, key_func=_per_client_and_touchpoint, exempt_when=lambda: "score" not in request.args)
def show(token):
    touchpoint = _touchpoint(token)
    if not surveys.is_collecting(touchpoint):
        return _closed(touchpoint)
    if "score" in request.args:
        return _one_click(touchpoint)
    key = request.cookies.get(ANSWER_COOKIE, "")
    if surveys.SUBMISSION_KEY_PATTERN.match(key):  # this browser answered here a moment ago
        page = _continued(touchpoint, key)
        if page is not None:
            return page
    return _render_form(touchpoint, SurveyForm(submission_key=surveys.new_submission_key()))


def _remembered(response, token: str, key: str):
    """The response, with a cookie naming this browser's answer for the edit window: coming back (the back
    button, the link opened again) continues that answer instead of storing a second one. The cookie's
    path is the survey's own, so each survey has its own."""
    response.set_cookie(
        ANSWER_COOKIE, key, max_age=int(surveys.EDIT_WINDOW.total_seconds()), path=f"/s/{token}",
        httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def _continued(touchpoint, key: str):
    """The survey page for the answer with this key while it may still be changed (a response, or a
    one-click score not yet settled), prefilled; None if there is no such answer."""
    with tenant_scope(touchpoint.tenant_id):
        response = surveys.find_submission(touchpoint, key)
        if response is not None:
            if not surveys.can_still_edit(response):
                return None
            form = SurveyForm(score=response.score, comment=response.comment, submission_key=key)
            return _render_form(touchpoint, form, response.score)
        click = clicks.pending_click(touchpoint, key)
        if click is None:
            return None
        return _render_form(touchpoint, SurveyForm(score=click.score, submission_key=key), click.score)


def _one_click(touchpoint):
    """A score link from an email: noted as a click, which becomes an answer once it has settled and
    was not part of a mail scanner's burst (saas.feedback.clicks); the page asks for a comment."""
    try:
        score = surveys.parse_score(touchpoint, request.args["score"])
    except InvalidSubmission:
        return _render_form(touchpoint, SurveyForm(submission_key=surveys.new_submission_key()))
    if not _is_a_visit():
        return _render_form(touchpoint, SurveyForm(score=score, submission_key=surveys.new_submission_key()))
    key = request.cookies.get(ANSWER_COOKIE, "")
    if not surveys.SUBMISSION_KEY_PATTERN.match(key):
        key = surveys.new_submission_key()
    clicks.record_click(
        touchpoint, score, key, locale=g.survey_locale, channel=surveys.channel_from(request.args.get("c")),
        hidden=surveys.hidden_values(touchpoint, request.args), address=request.remote_addr,
    )
    token = touchpoint.token  # read before the commit expires it
    db.session.commit()
    return _remembered(redirect(url_for("survey.answer", token=token, key=key, lang=g.survey_locale)), token, key)


def _is_a_visit() -> bool:
    """A browser opening the link as a page. Browsers say what a request is for (Fetch Metadata): an
    image or a frame on another site, a script's fetch or a prefetch is not a person choosing a score.
    A client too old to say is taken as a visit."""
    if "prefetch" in request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", ""):
        return False
    return (request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"
            and request.headers.get("Sec-Fetch-Dest", "document") == "document")


@bp.route("/<token>/r/<key>")
def answer(token, key):
    """The page after a one-click score (opening it again records nothing new): the score is saved,
    a comment may follow."""
    touchpoint = _touchpoint(token)
    page = _continued(touchpoint, key) if surveys.SUBMISSION_KEY_PATTERN.match(key) else None
    if page is not None:
        return page
    with tenant_scope(touchpoint.tenant_id):
        if surveys.find_submission(touchpoint, key) is not None:  # answered, and too long ago to change
            return redirect(url_for("survey.thanks", token=token, k=key, lang=g.survey_locale))
    # dropped with a scanner's burst, or a made-up key: the survey as it starts
    return redirect(url_for("survey.show", token=token, lang=g.survey_locale))


@bp.route("/<token>", methods=["POST"])
@csrf.exempt
@limiter.limit(_submit_limit, key_func=_per_client_and_touchpoint)
def submit(token):
    touchpoint = _touchpoint(token)
    if not surveys.is_collecting(touchpoint):
        return _closed(touchpoint, status=409)  # a form left open while the business stopped collecting
    form = SurveyForm(request.form)
    if form.website.data:  # the honeypot: only bots fill it in
        return redirect(url_for("survey.thanks", token=token, lang=g.survey_locale))
    if form.validate():
        try:
            answer = Answer(
                score=surveys.parse_score(touchpoint, form.score.data),
                submission_key=form.submission_key.data or "",
                comment=form.comment.data or "",
                contact_email=(form.email.data or "").strip().lower() or None,
                consent=form.consent.data,
                locale=g.survey_locale,
                channel=surveys.channel_from(request.args.get("c")),
                hidden=surveys.hidden_values(touchpoint, request.args),
                source=surveys.source_of(touchpoint, request.remote_addr),
            )
            _store(touchpoint, answer)
        except InvalidSubmission as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            thanks_page = url_for("survey.thanks", token=token, k=answer.submission_key, lang=g.survey_locale)
            return _remembered(redirect(thanks_page), token, answer.submission_key)
    return _render_form(touchpoint, form, status=422)


def _store(touchpoint, answer: Answer) -> None:
    """Commit the answer, then hand it to the pipeline (the sweep retries if Redis is down)."""
    response_id, waiting = surveys.record_response(touchpoint, answer)
    db.session.commit()
    if waiting:
        enqueue(process_response, response_id)


@bp.route("/<token>/thanks")
def thanks(token):
    """Every respondent, whatever their score, is offered the public review link (if the business has one):
    offering it only to the happy ones is review gating, which review platforms forbid."""
    touchpoint = _touchpoint(token)
    review_url = None
    key = request.args.get("k", "")
    if key and touchpoint.tenant.review_url:
        with tenant_scope(touchpoint.tenant_id):
            if surveys.find_submission(touchpoint, key) is not None:
                review_url = touchpoint.tenant.review_url
    return render_template("survey/thanks.html", tenant=touchpoint.tenant, review_url=review_url)


@bp.route("/<token>/theme.css")
def theme(token):
    touchpoint = _touchpoint(token)
    css = f":root{{--brand:{touchpoint.tenant.brand_color};}}\n"
    return HttpResponse(css, mimetype="text/css", headers={"Cache-Control": "public, max-age=300"})


@bp.route("/<token>/logo")
def logo(token):
    touchpoint = _touchpoint(token)
    tenant = touchpoint.tenant
    if not tenant.logo_type:
        abort(404)
    return HttpResponse(tenant.logo, mimetype=tenant.logo_type, headers={"Cache-Control": "public, max-age=300"})


def survey_link(touchpoint, **params) -> str:
    return absolute_url("survey.show", token=touchpoint.token, **params)


@bp.route("/<token>/qr.<any(png, svg):kind>")
def qr_code(token, kind):
    touchpoint = _touchpoint(token)
    code = segno.make(survey_link(touchpoint, c="qr"), error="m")
    buffer = io.BytesIO()
    if kind == "png":
        code.save(buffer, kind="png", scale=12, border=2)
        mimetype = "image/png"
    else:
        code.save(buffer, kind="svg", scale=10, border=2, xmldecl=False)
        mimetype = "image/svg+xml"
    download = request.args.get("download") == "1"
    headers = {"Cache-Control": "public, max-age=3600"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="survey-qr-{touchpoint.id}.{kind}"'
    return HttpResponse(buffer.getvalue(), mimetype=mimetype, headers=headers)
