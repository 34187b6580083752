"""Categories (owners and admins): rename, edit keywords, add, choose who handles each."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.feedback import categories as service
from saas.web.context import current_membership, tenant_route
from saas.web.forms import CategoryForm, attach_error, options
from tenants import services as team_services
from tenants.models import Role

bp = Blueprint("categories", __name__, url_prefix="/categories")


def _tenant():
    return current_membership().tenant


def _form(category=None, **kwargs) -> CategoryForm:
    form = CategoryForm(**kwargs)
    form.assignee_ids.choices = options(
        (member.id, member.user.name or member.user.email) for member in team_services.team_members(_tenant())
    )
    if category is not None and not form.is_submitted():
        form.name.data, form.keywords.data = category.name, category.keywords
        form.assignee_ids.data = list(category.assignee_ids or [])
    return form


def _page(forms, new_form, status=200):
    return render_template("categories/index.html", forms=forms, new_form=new_form), status


@bp.route("/")
@tenant_route(Role.ADMIN)
def index():
    items = service.categories(_tenant())
    db.session.commit()  # the first visit seeds the default taxonomy
    forms = [(category, _form(category, prefix=f"c{category.id}")) for category in items]
    return _page(forms, _form(prefix="new"))


@bp.route("/<int:category_id>", methods=["POST"])
@tenant_route(Role.ADMIN)
def update(category_id):
    try:
        category = service.get_category(_tenant(), category_id)
    except LookupError:
        abort(404)
    form = _form(category, prefix=f"c{category.id}")
    if form.validate_on_submit():
        try:
            service.update_category(_tenant(), category_id, form.name.data, form.keywords.data, form.assignee_ids.data)
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("“%(name)s” saved.", name=category.name), "success")
            return redirect(url_for("categories.index"))
    forms = [(item, form if item.id == category_id else _form(item, prefix=f"c{item.id}"))
             for item in service.categories(_tenant())]
    return _page(forms, _form(prefix="new"), 422)


@bp.route("/", methods=["POST"])
@tenant_route(Role.ADMIN)
def create():
    form = _form(prefix="new")
    if form.validate_on_submit():
        try:
            category = service.add_category(_tenant(), form.name.data, form.keywords.data, form.assignee_ids.data)
        except Refusal as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("“%(name)s” added.", name=category.name), "success")
            return redirect(url_for("categories.index"))
    forms = [(item, _form(item, prefix=f"c{item.id}")) for item in service.categories(_tenant())]
    return _page(forms, form, 422)
