"""Deleting a business: what it holds (row counts per table), a full export of it (a ZIP of one CSV per table),
and the purge of every one of its rows once the grace after deletion has passed.

A business's rows are found through the metadata, not a list kept by hand: every table with a `tenant_id`
column is the business's (a table added later is exported and purged without a change here), except the
admins' audit log, which outlives the business on purpose. Tables are visited children first, so a purge
never trips a foreign key. Callers run unscoped and commit."""
from __future__ import annotations

import base64
import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from tempfile import SpooledTemporaryFile

from sqlalchemy import Table, delete, exists, func, literal, select, union_all

from saas.core.extensions import db
from saas.core.timeutil import utcnow
from tenants.models import Membership, Tenant, TenantStatus, User

GRACE = timedelta(days=30)
KEPT = {"admin_audit_event"}  # the record of what admins did outlives the business
EXPORT_BATCH = 2000


def tenant_tables() -> list[Table]:
    """The tables holding a business's rows, children before parents (the order a purge deletes in)."""
    return [table for table in reversed(db.metadata.sorted_tables)
            if "tenant_id" in table.c and table.name not in KEPT]


def row_counts(tenant: Tenant) -> dict[str, int]:
    """How many rows of each table are the business's (tables where it has none are left out), in one query."""
    counts = union_all(*(select(literal(table.name), func.count()).select_from(table)
                         .where(table.c.tenant_id == tenant.id) for table in tenant_tables()))
    return {name: count for name, count in sorted(db.session.execute(counts).all()) if count}


def write_export(tenant: Tenant) -> SpooledTemporaryFile:
    """Every row of the business as a ZIP (rewound, ready to send): tenant.csv, one CSV per table with its
    rows, and users.csv with its members' accounts (no password hashes or two-factor secrets). Kept in
    memory up to 32 MB, then on disk."""
    spool = SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        _write_table(archive, Tenant.__table__, Tenant.__table__.c.id == tenant.id)
        for table in tenant_tables():
            _write_table(archive, table, table.c.tenant_id == tenant.id)
        users = User.__table__
        members = select(Membership.user_id).where(Membership.tenant_id == tenant.id)
        _write_table(archive, users, users.c.id.in_(members), columns=[
            column for column in users.c if column.name in {"id", "email", "name", "locale", "verified_at", "created_at"}])
    spool.seek(0)
    return spool


def _write_table(archive: zipfile.ZipFile, table: Table, where, columns=None) -> None:
    columns = columns or list(table.c)
    with archive.open(f"{table.name}.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        writer = csv.writer(text)
        writer.writerow([column.name for column in columns])
        statement = select(*columns).where(where).order_by(*table.primary_key.columns)
        for row in db.session.execute(statement.execution_options(yield_per=EXPORT_BATCH)):
            writer.writerow([_cell(value) for value in row])


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(getattr(value, "value", value))  # an enum's stored value


def mark_deleted(tenant: Tenant, now: datetime | None = None) -> datetime:
    """Closed at once (surveys, log-in, its emails stop); purged after the grace. When it will be."""
    tenant.status = TenantStatus.DELETED
    tenant.purge_after = (now or utcnow()) + GRACE
    return tenant.purge_after


def unmark_deleted(tenant: Tenant) -> None:
    tenant.status, tenant.purge_after = TenantStatus.ACTIVE, None


def due_for_purge(now: datetime | None = None) -> list[int]:
    return list(db.session.scalars(select(Tenant.id).where(Tenant.status == TenantStatus.DELETED,
                                                            Tenant.purge_after <= (now or utcnow()))))


def purge(tenant: Tenant) -> dict[str, int]:
    """Delete every row of the business, then the business, then the accounts that belonged to it alone
    (not platform admins); rows deleted per table."""
    members = [user_id for (user_id,) in db.session.execute(select(Membership.user_id)
                                                             .where(Membership.tenant_id == tenant.id))]
    deleted = {}
    for table in tenant_tables():
        count = db.session.execute(delete(table).where(table.c.tenant_id == tenant.id)).rowcount
        if count:
            deleted[table.name] = count
    db.session.execute(delete(Tenant).where(Tenant.id == tenant.id))
    deleted["tenant"] = 1
    alone = select(User.id).where(User.id.in_(members), User.is_platform_admin.is_(False),
                                  ~exists().where(Membership.user_id == User.id))
    users = db.session.execute(delete(User).where(User.id.in_(alone))).rowcount
    if users:
        deleted["users"] = users
    db.session.expunge(tenant)
    return deleted
