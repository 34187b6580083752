"""Friendly error pages in the reader's language; a bad CSRF token is a 400 with an explanation, never a
500; a LookupError (an id that is not this tenant's, from any service) is a 404 that commits nothing."""
from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from saas.core.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("Something in that request did not make sense to us.")),
    403: (_l("Not allowed"), _l("Your role in this business does not allow that. Ask an owner.")),
    404: (_l("Not found"), _l("We could not find that page.")),
    405: (_l("Not allowed"), _l("That action is not available here.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Slow down"), _l("Too many attempts. Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("We have been told and will look into it. Please try again.")),
}


def render_error(code: int, detail=None):
    title, text = MESSAGES.get(code, (_("Error %(code)s", code=code), ""))
    title, text = str(title), str(detail or text)
    if request.accept_mimetypes.best == "application/json":
        return {"error": title, "detail": text}, code
    return render_template("errors/error.html", code=code, title=title, text=text), code


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:  # the session may be unusable; the page must still render
        db.session.remove()


def install(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("This form has expired or was not sent from our site. "
                              "Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        # Our own abort(400, description=...) explains what was wrong; other descriptions
        # (werkzeug's defaults, the rate limiter's "10 per 1 minute") are not for customers.
        custom = error.description if error.code == 400 and error.description != type(error).description else None
        return render_error(error.code or 500, custom)

    @app.errorhandler(LookupError)
    def not_found(error):
        if isinstance(error, (KeyError, IndexError)):
            raise error  # a bug, not a missing row: it stays a 500 and is reported
        _roll_back()
        return render_error(404)

    @app.errorhandler(500)
    def server_error(error):
        _roll_back()
        return render_error(500)
