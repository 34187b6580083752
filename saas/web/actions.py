"""The one way a page changes something. Services add to the session; the commit (or the rollback) is here.

- A form, `submit()`: validate, make one service call, commit, then flash and redirect (`redirect_to`);
  a Refusal rolls the change back and is shown at its field on the page shown again.
- A button, `apply_change()`: the same call and commit; the outcome is flashed and the page is the same
  either way.

A LookupError (an id that is not this tenant's) is a 404 wherever it is raised: see saas.web.errors."""
from flask import flash, redirect, url_for

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.web.forms import attach_error


def submit(form, change, done, again):
    """The form round trip. A valid submission makes change() and commits it, and `done(its result)`
    answers (usually with redirect_to). Otherwise (not submitted, not valid, or refused: rolled back and
    shown at its field) `again()` shows the page with the form once more."""
    if form.validate_on_submit():
        try:
            result = _committed(change)
        except Refusal as refusal:
            attach_error(form, refusal)
        else:
            return done(result)
    return again()


def apply_change(change, success_message, back_to: str, then=None, **url_values):
    """A button: make change() and say it is done, or flash why not; then go back to `back_to`.
    `then()` runs once the change is committed (e.g. enqueue the work it asked for)."""
    try:
        _committed(change)
    except Refusal as refusal:
        flash(str(refusal.message), "error")
        return redirect(url_for(back_to, **url_values))
    if then is not None:
        then()
    return redirect_to(back_to, success_message, **url_values)


def redirect_to(endpoint: str, message=None, category: str = "success", **url_values):
    """Flash the message (if there is one), then redirect to the endpoint."""
    if message is not None:
        flash(str(message), category)
    return redirect(url_for(endpoint, **url_values))


def status_of(*forms) -> int:
    """A page shown again with a form's errors is a 422; otherwise a 200."""
    return 422 if any(form is not None and form.errors for form in forms) else 200


def _committed(change):
    """change()'s result, committed; a Refusal rolls the session back and goes on to the caller."""
    try:
        result = change()
    except Refusal:
        db.session.rollback()
        raise
    db.session.commit()
    return result
