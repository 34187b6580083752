"""Businesses and their customers' answers for tests and benchmarks, built directly in the database or through the survey pages, and reading rows back."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.scoping import tenant_scope, unscoped
from saas.core.timeutil import utcnow
from saas.feedback.categories import ensure_categories
from saas.feedback.models import Response, ScoreClick, Touchpoint
from saas.feedback.pipeline import process_response
from saas.feedback.surveys import Answer, new_submission_key, record_response
from saas.feedback.touchpoints import create_touchpoint
from tenants.models import Membership, Role, Tenant, User
from tests.support.http import login, post_form
from worker import jobs

PASSWORD = "a long password"
ZERNO_TEAM = (  # (email, name, role, locale)
    ("owner@zerno.example", "Olena", Role.OWNER, "uk"),
    ("dina@zerno.example", "Dina", Role.STAFF, "uk"),
    ("petro@zerno.example", "Petro", Role.STAFF, "en"),
)
ZERNO_ROUTES = {"delivery": ("Dina", "Petro")}  # category key: the people who take its tasks in turn
COURIER_COMPLAINT = "The courier threw my parcel over the fence"
KEY_PATTERN = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')


# --- built directly in the database ------------------------------------------------------------


def build_business(app, locale="uk", plan="starter", *, name="Кав'ярня Зерно", slug="zerno", team=ZERNO_TEAM,
                   touchpoint=("Доставка", "delivery"), routes=ZERNO_ROUTES, password=PASSWORD) -> dict:
    """A business, its team (verified, each with `password`), one touchpoint (name, kind) and the
    people who take each routed category's tasks in turn. By default: an owner, two staff (Dina
    for delivery in turn with Petro) and a delivery touchpoint.

    Returns the tenant's id ("tenant"), the touchpoint's token ("touchpoint") and id
    ("touchpoint_id"), and each person's membership id under their name."""
    with app.app_context(), unscoped():
        tenant = Tenant(name=name, slug=slug, locale=locale, plan=plan)
        db.session.add(tenant)
        people = _add_team(tenant, team, password)
        db.session.flush()
        with tenant_scope(tenant.id):
            created = create_touchpoint(tenant, *touchpoint)
            _route_categories(tenant, routes, people)
        db.session.commit()
        return {"tenant": tenant.id, "touchpoint": created.token, "touchpoint_id": created.id,
                **{person: membership.id for person, membership in people.items()}}


def _add_team(tenant, team, password) -> dict:
    people = {}
    for email, name, role, locale in team:
        user = User(email=email, name=name, locale=locale, verified_at=utcnow())
        user.set_password(password)
        people[name] = Membership(tenant=tenant, user=user, role=role)
        db.session.add(people[name])
    return people


def _route_categories(tenant, routes, people) -> None:
    categories = {category.key: category for category in ensure_categories(tenant)}
    for key, names in routes.items():
        categories[key].assignee_ids = [people[name].id for name in names]


def staff_client(app, email="dina@zerno.example", password=PASSWORD):
    """A test client logged in as a member of a built business."""
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


def submit(app, token, score, comment="", email=None, consent=True, locale="uk") -> int:
    """A customer's answer stored as the survey stores it (not processed yet); its id. The email
    is kept only with consent, and consent only counts with an email."""
    consent = consent and bool(email)
    with app.app_context(), unscoped():
        touchpoint = db.session.scalar(sa.select(Touchpoint).where(Touchpoint.token == token))
        response_id, _ = record_response(touchpoint, Answer(
            score=score, submission_key=new_submission_key(), comment=comment,
            contact_email=email if consent else None, consent=consent, locale=locale,
        ))
        db.session.commit()
        return response_id


def process(app, response_id) -> int | None:
    """The pipeline's job run on a stored answer; the id of the task it became, if any."""
    with app.app_context():
        task = process_response(response_id)
        db.session.commit()
        return task.id if task else None


def complaint(app, business, text=COURIER_COMPLAINT, score=2, **fields) -> int | None:
    """An answer to the business's touchpoint, stored and processed; the id of its task.
    `fields`: submit()'s email, consent and locale."""
    return process(app, submit(app, business["touchpoint"], score, text, **fields))


def rows(app, model, **filters) -> list:
    """The model's rows (all tenants) matching the filters, oldest first, detached."""
    with app.app_context(), unscoped():
        query = sa.select(model).filter_by(**filters).order_by(*sa.inspect(model).primary_key)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return found


# --- through the pages, as an owner and a customer ---------------------------------------------


def add_touchpoint(client, name="Shop counter", kind="store", hidden_fields=""):
    """An owner adds a touchpoint on the Touchpoints page; the response."""
    return post_form(client, "/touchpoints/", {"name": name, "kind": kind, "hidden_fields": hidden_fields,
                                               "default_assignee_id": "0"}, page="/touchpoints/")


def answer(client, token, query="", **fields):
    """Open the survey like a customer, then submit it; the response and the submission key."""
    page = client.get(f"/s/{token}{query}")
    key = KEY_PATTERN.search(page.get_data(as_text=True)).group(1)
    return client.post(f"/s/{token}{query}", data={"submission_key": key, **fields}), key


def touchpoint_named(app, name) -> Touchpoint | None:
    with app.app_context(), unscoped():
        touchpoint = db.session.scalar(sa.select(Touchpoint).where(Touchpoint.name == name))
        db.session.expunge_all()
        return touchpoint


def all_responses(app) -> list[Response]:
    return rows(app, Response)


def settle_score_clicks(app, minutes: int = 1) -> int:
    """What the clock does `minutes` later for one-click scores: the clicks are due (their time moved
    back), the sweep job runs (jobs inline). How many became answers waiting for processing."""
    with app.app_context(), unscoped():
        for click in db.session.scalars(sa.select(ScoreClick)):
            click.created_at -= timedelta(minutes=minutes)
        db.session.commit()
        return jobs.sweep_score_clicks()
