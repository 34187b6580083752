"""The one way a button that changes something is handled (POST → service → redirect)."""
from flask import abort, flash, redirect, url_for

from saas.core.errors import Refusal
from saas.core.extensions import db


def apply_change(change, success_message: str, back_to: str, **url_values):
    """Run change(); commit and say so, or explain why not; then go back to `back_to`.

    A LookupError from the service means the id is not this tenant's: 404."""
    try:
        change()
    except LookupError:
        db.session.rollback()
        abort(404)
    except Refusal as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(str(success_message), "success")
    return redirect(url_for(back_to, **url_values))
