"""Categories (owners and admins): rename, edit keywords, add, choose who handles each; with their form."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from saas.feedback import categories as service
from saas.feedback import corrections, learned_models, learning
from saas.web.actions import redirect_to, submit
from saas.web.context import current_tenant, tenant_route
from saas.web.forms import member_choices
from tenants.models import Role

bp = Blueprint("categories", __name__, url_prefix="/categories")


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    keywords = TextAreaField(
        _l("Keywords"), validators=[Length(max=10_000)],
        description=_l("Comma-separated words or short phrases, in any form: “courier” also finds couriers, "
                        "“курьер” finds курьера. End a word with * to find every word that begins with it. "
                        "A word taken out no longer counts."),
    )
    assignee_ids = SelectMultipleField(_l("Handled by (in turn)"), coerce=int)

    def values(self) -> tuple:
        """What the category services take, in their order after the tenant (and the category)."""
        return (self.name.data, self.keywords.data, self.assignee_ids.data)


SOURCE_LABELS = {"rules": _l("its keywords"), "learned": _l("what your corrections taught"),
                 "both": _l("its keywords and what your corrections taught")}
DECISION_SOURCE_LABELS = {"rules": _l("the rules (the score and the problem named)"),
                          "learned": _l("what your tasks taught"),
                          "both": _l("the rules and what your tasks taught")}


def _form(category=None, **kwargs) -> CategoryForm:
    form = CategoryForm(**kwargs)
    form.assignee_ids.choices = member_choices(current_tenant())
    if category is not None and not form.is_submitted():
        form.name.data = category.name
        form.keywords.data = service.keywords_shown(category, current_tenant().locale)
        form.assignee_ids.data = list(category.assignee_ids or [])
    return form


def _page(new_form=None, submitted=None, status=200):
    """Each category with its form (`submitted`: the id and the form just sent, shown as sent), and the
    form for a new category."""
    sent_id, sent_form = submitted or (None, None)
    forms = [(category, sent_form if category.id == sent_id else _form(category, prefix=f"c{category.id}"))
             for category in service.categories(current_tenant())]
    tenant = current_tenant()
    rules = service.rules_for([category for category, _form in forms])
    read_by_app_model = set(learned_models.with_app_keywords(rules).values())
    model = learned_models.latest(tenant.id)
    gate = model.report.get(learned_models.TOPIC_GATE) if model else learned_models.app_topic_gate()
    return render_template("categories/index.html", forms=forms, new_form=new_form or _form(prefix="new"),
                           model=model, gate=gate, corrected=corrections.count_since(tenant.id, None),
                           changed_since_model=learned_models.keywords_changed_since(model, rules),
                           needed=learning.MIN_EXAMPLES, sources=SOURCE_LABELS,
                           decision_sources=DECISION_SOURCE_LABELS, read_by_app_model=read_by_app_model,
                           shipped=len(learning.corpus())), status


@bp.route("/")
@tenant_route(Role.ADMIN)
def index():
    return _page()


@bp.route("/<int:category_id>", methods=["POST"])
@tenant_route(Role.ADMIN)
def update(category_id):
    category = service.get_category(current_tenant(), category_id)
    form = _form(category, prefix=f"c{category.id}")
    return submit(
        form, lambda: service.update_category(current_tenant(), category_id, *form.values()),
        done=lambda saved: redirect_to("categories.index", _("“%(name)s” saved.", name=saved.name)),
        again=lambda: _page(submitted=(category_id, form), status=422),
    )


@bp.route("/", methods=["POST"])
@tenant_route(Role.ADMIN)
def create():
    form = _form(prefix="new")
    return submit(
        form, lambda: service.add_category(current_tenant(), *form.values()),
        done=lambda category: redirect_to("categories.index", _("“%(name)s” added.", name=category.name)),
        again=lambda: _page(new_form=form, status=422),
    )
