"""Deleting a business from the admin pages: typed slug, closed at once for customers and staff, a full export,
cancellable for 30 days, then purged by a job: exactly that business's rows, table by table."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import sqlalchemy as sa

from saas.core.extensions import db
from saas.core.outbox import Message, MessageStatus
from saas.core.scoping import unscoped
from saas.core.timeutil import utcnow
from saas.feedback.models import Response
from tenants import deletion
from tenants.admin_actions import AdminAuditEvent
from tenants.models import Membership, Role, Tenant, TenantStatus, User
from tests.support.admin import act, verified_admin
from tests.support.builders import PASSWORD, build_business, complaint, rows, staff_client
from tests.support.http import login
from worker import jobs


def _two_businesses(app) -> tuple[dict, dict]:
    """Zerno (an owner, Dina and Petro) and Lavka (its owner, and Dina too), one answered complaint each."""
    zerno = build_business(app)
    lavka = build_business(app, name="Lavka", slug="lavka", routes={}, team=(("owner@lavka.example", "Ivan", Role.OWNER, "en"),))
    with app.app_context(), unscoped():
        dina = db.session.scalar(sa.select(User).where(User.email == "dina@zerno.example"))
        db.session.add(Membership(tenant_id=lavka["tenant"], user=dina, role=Role.STAFF))
        db.session.commit()
    for business, text in ((zerno, "The courier was rude"), (lavka, "Cold coffee, slow service")):
        complaint(app, business, text=text, email="customer@example.com")
    return zerno, lavka


def _counts(app, tenant_id: int) -> dict[str, int]:
    with app.app_context(), unscoped():
        return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)
                                              .where(table.c.tenant_id == tenant_id))
                for table in deletion.tenant_tables()}


def _status(app, tenant_id: int):
    with app.app_context(), unscoped():
        tenant = db.session.get(Tenant, tenant_id)
        return tenant.status if tenant else None


def test_delete_needs_the_slug_typed_then_closes_the_business_at_once(app):
    zerno, _lavka = _two_businesses(app)
    admin, _secret = verified_admin(app)
    staff = staff_client(app, "petro@zerno.example")  # a member of zerno only
    shared = staff_client(app, "dina@zerno.example")  # a member of both
    wrong = act(admin, zerno["tenant"], "delete", slug="lavka", reason="Asked to close the account")
    assert wrong.status_code == 422 and "to confirm" in wrong.get_data(as_text=True)
    assert _status(app, zerno["tenant"]) == TenantStatus.ACTIVE and rows(app, AdminAuditEvent) == []
    with app.app_context(), unscoped():
        waiting = [m.id for m in db.session.scalars(sa.select(Message).where(
            Message.tenant_id == zerno["tenant"], Message.status == MessageStatus.PENDING))]

    done = act(admin, zerno["tenant"], "delete", slug=" ZERNO ", reason="Asked to close the account")
    assert done.status_code == 302 and _status(app, zerno["tenant"]) == TenantStatus.DELETED
    survey = app.test_client().get(f"/s/{zerno['touchpoint']}?lang=en").get_data(as_text=True)
    assert "Not collecting feedback right now" in survey
    assert staff.get("/tasks/").status_code == 404  # no business any more
    refused = login(app.test_client(), "petro@zerno.example", PASSWORD)
    assert refused.status_code == 422 and "has been deleted" in refused.get_data(as_text=True)
    assert login(app.test_client(), "dina@zerno.example", PASSWORD).status_code == 302  # still in lavka
    assert shared.get("/tasks/").status_code == 200
    with app.app_context(), unscoped():
        assert {db.session.get(Message, i).status for i in waiting} <= {MessageStatus.CANCELLED}
        tenant = db.session.get(Tenant, zerno["tenant"])
        assert timedelta(days=29) < tenant.purge_after - utcnow() <= timedelta(days=30)
    [event] = rows(app, AdminAuditEvent)
    assert (event.action, event.before["status"], event.after["status"]) == ("delete", "active", "deleted")
    assert event.before["rows"]["response"] == 1

    assert act(admin, zerno["tenant"], "cancel_deletion", reason="Changed their mind").status_code == 302
    assert _status(app, zerno["tenant"]) == TenantStatus.ACTIVE
    assert login(app.test_client(), "petro@zerno.example", PASSWORD).status_code == 302


def test_the_export_holds_every_row_of_that_business_and_no_secrets(app):
    zerno, _lavka = _two_businesses(app)
    admin, _secret = verified_admin(app)
    answer = act(admin, zerno["tenant"], "export", reason="The owner asked for their data")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))

    def table(name):
        return list(csv.DictReader(io.TextIOWrapper(archive.open(f"{name}.csv"), encoding="utf-8")))

    assert [row["slug"] for row in table("tenant")] == ["zerno"]
    for name, count in _counts(app, zerno["tenant"]).items():
        assert len(table(name)) == count, name
    assert [row["comment"] for row in table("response")] == ["The courier was rude"]
    users = table("users")
    assert {row["email"] for row in users} == {"owner@zerno.example", "dina@zerno.example", "petro@zerno.example"}
    assert set(users[0]) == {"id", "email", "name", "locale", "verified_at", "created_at"}
    [event] = rows(app, AdminAuditEvent)
    assert (event.action, event.after["rows"]["response"]) == ("export", 1)
    assert event.after["rows"] == {name: count for name, count in _counts(app, zerno["tenant"]).items() if count}


def test_the_purge_removes_exactly_that_business_and_its_lone_accounts(app):
    zerno, lavka = _two_businesses(app)
    admin, _secret = verified_admin(app)
    zerno_before, lavka_before = _counts(app, zerno["tenant"]), _counts(app, lavka["tenant"])
    assert zerno_before["response"] == zerno_before["task"] == 1 and lavka_before["response"] == 1
    act(admin, zerno["tenant"], "delete", slug="zerno", reason="Closed")
    with app.app_context():
        assert jobs.sweep_purges() == 0  # within the 30 days nothing goes
        with unscoped():
            db.session.get(Tenant, zerno["tenant"]).purge_after = utcnow() - timedelta(minutes=1)
            db.session.commit()
        assert jobs.sweep_purges() == 1

    assert _status(app, zerno["tenant"]) is None
    assert set(_counts(app, zerno["tenant"]).values()) == {0}
    assert _counts(app, lavka["tenant"]) == lavka_before
    with app.app_context(), unscoped():
        emails = set(db.session.scalars(sa.select(User.email)))
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1
    assert "owner@zerno.example" not in emails and "petro@zerno.example" not in emails
    assert "dina@zerno.example" in emails  # still a member of lavka
    purge = [event for event in rows(app, AdminAuditEvent) if event.action == "purge"]
    assert [(event.tenant_slug, event.admin_email) for event in purge] == [("zerno", "scheduled job")]
    assert purge[0].before["rows"] == {name: count for name, count in zerno_before.items() if count} | {
        "tenant": 1, "users": 2}
