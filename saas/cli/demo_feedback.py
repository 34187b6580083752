"""Sample feedback for the demo business: touchpoints and a few hundred responses in
English, Russian and Ukrainian over the last eight weeks (deterministic, seeded once)."""
from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlalchemy import select

from billing.usage import count_response
from saas.core.extensions import db
from saas.core.timeutil import utcnow
from saas.feedback.categories import ensure_categories
from saas.feedback.metrics import Band, metric
from saas.feedback.models import Channel, Response, ResponseState, Touchpoint, TouchpointKind
from saas.feedback.pipeline import process_response
from tenants.models import Membership, Role, Tenant

DEMO_TOUCHPOINTS = (("Website", TouchpointKind.WEBSITE), ("Café on Main Street", TouchpointKind.STORE),
                    ("Delivery", TouchpointKind.DELIVERY))
RESPONSES = 300
WEEKS = 8

COMMENTS = {
    "en": {
        Band.PROMOTER: ["Best flat white in town, and the staff remember my name.", "Fast delivery, beans were fresh and fragrant.",
                        "Lovely place to work for an hour. Great music.", "The new seasonal blend is fantastic!",
                        "Ordering on the website took a minute. Perfect.", "Friendly barista, spotless tables."],
        Band.PASSIVE: ["Good coffee but a bit pricey for the size.", "Nice, though the queue at 9am is long.",
                       "Delivery was fine, the box was slightly damaged.", "Would love more oat milk options.",
                       "Website works, but I could not find the opening hours."],
        Band.DETRACTOR: ["Waited 25 minutes for a takeaway latte. Nobody apologised.", "The courier left my order at the wrong door.",
                         "Card payment failed twice and I was charged twice.", "The croissant was stale and the table sticky.",
                         "Rude staff at the counter this morning.", "The website kept logging me out during checkout. Can someone call me?"],
    },
    "ru": {
        Band.PROMOTER: ["Лучший кофе в районе, бариста всегда улыбается.", "Доставили быстро, зёрна свежие и ароматные.",
                        "Очень уютно, приятная музыка.", "Новый сезонный бленд просто потрясающий!"],
        Band.PASSIVE: ["Кофе хороший, но дороговато.", "Нормально, но утром большая очередь.",
                       "Хотелось бы больше вариантов растительного молока."],
        Band.DETRACTOR: ["Ждал латте 20 минут, никто не извинился.", "Курьер оставил заказ не у той двери.",
                         "Оплата картой не прошла, а деньги списали дважды.", "Круассан был чёрствый, столы грязные.",
                         "Сайт не даёт оформить заказ. Перезвоните мне, пожалуйста."],
    },
    "uk": {
        Band.PROMOTER: ["Найкраща кава в районі, бариста завжди привітний.", "Швидка доставка, зерна свіжі.",
                        "Дуже затишно, гарна музика.", "Новий сезонний бленд неймовірний!"],
        Band.PASSIVE: ["Кава смачна, але трохи дорого.", "Непогано, але зранку довга черга.",
                       "Хотілося б більше рослинного молока."],
        Band.DETRACTOR: ["Чекала на лате 20 хвилин, ніхто не вибачився.", "Кур'єр залишив замовлення не біля тих дверей.",
                         "Оплата карткою не пройшла, а гроші списали двічі.", "Круасан був черствий, столи брудні.",
                         "Сайт не дає оформити замовлення. Зателефонуйте мені, будь ласка."],
    },
}
CUSTOMER_EMAILS = ["anna.k@example.com", "boris@example.org", "olena.p@example.net", "mark.t@example.com",
                   "irina@example.org", "taras@example.net"]


def seed_feedback(tenant: Tenant) -> list[Touchpoint]:
    """Create the demo touchpoints and responses once; later runs change nothing."""
    touchpoints = list(db.session.scalars(select(Touchpoint).where(Touchpoint.tenant_id == tenant.id)))
    if touchpoints:
        return touchpoints
    tenant.onboarded_at = tenant.onboarded_at or utcnow()
    touchpoints = [
        Touchpoint(tenant_id=tenant.id, name=name, kind=kind, token=secrets.token_urlsafe(16), active=True,
                   hidden_fields="order" if kind == TouchpointKind.DELIVERY else "")
        for name, kind in DEMO_TOUCHPOINTS
    ]
    db.session.add_all(touchpoints)
    db.session.flush()
    _route_categories(tenant)
    for response_id in _seed_responses(tenant, touchpoints, random.Random(20261123)):
        process_response(response_id)  # categorised and assigned like any answer
    return touchpoints


def _route_categories(tenant: Tenant) -> None:
    """Deliveries go to the staff member, complaints about staff to the admin."""
    team = {m.role: m.id for m in db.session.scalars(select(Membership).where(Membership.tenant_id == tenant.id))}
    for category in ensure_categories(tenant):
        if category.key == "delivery":
            category.assignee_ids = [team[Role.STAFF]]
        elif category.key == "staff":
            category.assignee_ids = [team[Role.ADMIN]]


def _score_for(band: Band, rng: random.Random) -> int:
    low, high = metric("nps").band_range(band)
    return rng.randint(low, high)


def _seed_responses(tenant: Tenant, touchpoints: list[Touchpoint], rng: random.Random) -> list[int]:
    now = utcnow()
    responses = []
    for index in range(RESPONSES):
        band = rng.choices([Band.PROMOTER, Band.PASSIVE, Band.DETRACTOR], weights=[55, 25, 20])[0]
        locale = rng.choices(["en", "ru", "uk"], weights=[50, 25, 25])[0]
        touchpoint = rng.choice(touchpoints)
        created = now - timedelta(minutes=rng.randint(5, WEEKS * 7 * 24 * 60))
        comment = rng.choice(COMMENTS[locale][band]) if rng.random() < 0.65 else ""
        consent = bool(comment) and rng.random() < 0.4
        response = Response(
            tenant_id=tenant.id, touchpoint_id=touchpoint.id, metric="nps", score=_score_for(band, rng),
            comment=comment, contact_email=rng.choice(CUSTOMER_EMAILS) if consent else None, consent=consent,
            locale=locale, channel=rng.choice(list(Channel)),
            hidden={"order": f"D-{1000 + index}"} if touchpoint.kind == TouchpointKind.DELIVERY else {},
            state=ResponseState.RECEIVED, submission_key=secrets.token_urlsafe(24), created_at=created,
            updated_at=created,
        )
        db.session.add(response)
        responses.append(response)
        count_response(tenant.id, created)
    db.session.flush()
    return [response.id for response in sorted(responses, key=lambda r: r.created_at)]
