"""Friendly error pages; a bad CSRF token is a 400 with an explanation, never a 500."""
from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from saas.core.extensions import db

MESSAGES = {
    400: ("Bad request", "Something in that request did not make sense to us."),
    403: ("Not allowed", "Your role in this business does not allow that. Ask an owner."),
    404: ("Not found", "We could not find that page."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "What you sent is too large."),
    429: ("Slow down", "Too many attempts. Please wait a minute and try again."),
    500: ("Something went wrong", "We have been told and will look into it. Please try again."),
}


def _render(code: int, detail: str | None = None):
    title, text = MESSAGES.get(code, (f"Error {code}", ""))
    if request.accept_mimetypes.best == "application/json":
        return {"error": title, "detail": detail or text}, code
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def install(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, "This form has expired or was not sent from our site. Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error):
        # Our own abort(400, description=...) explains what was wrong; other descriptions
        # (werkzeug's defaults, the rate limiter's "10 per 1 minute") are not for customers.
        custom = error.description if error.code == 400 and error.description != type(error).description else None
        return _render(error.code or 500, custom)

    @app.errorhandler(500)
    def server_error(error):
        try:
            db.session.rollback()
        except Exception:  # the session may be unusable; the page must still render
            db.session.remove()
        return _render(500)
