"""The one mechanism that scopes tenant-owned rows to the current tenant.

Every model that inherits TenantScoped carries tenant_id. While a tenant scope is
active, every ORM SELECT/UPDATE/DELETE touching such a model gets
`tenant_id = <current>` added (including joins, relationship loads and refreshes),
and new rows are stamped with it. Touching a tenant-owned table with no scope at all
is an error, so a forgotten scope fails loudly instead of leaking; code that really
must cross tenants (sign-in, sweeps, platform admin) says so with `unscoped()`.

The rule services follow: the hook is the guarantee, the query says what it means.
- A service handed a tenant (or a membership) names it in its query: `Model.tenant_id ==
  tenant.id`, or the parent row it already holds (`Response.touchpoint_id == touchpoint.id`).
  It is then correct in any scope, a job's or the CLI's included.
- An id that came from outside (a URL, a form) is fetched with `saas.core.sql.owned()`, which
  names the tenant too: another tenant's id is a LookupError, which pages turn into a 404.
- Code that crosses tenants on purpose (sign-in, token links, sweeps) says `unscoped()` and
  filters by the row it is looking for.
Under all three, the hook adds the current tenant to every query and stamps every new row,
so a forgotten filter returns nothing of another tenant's, and a missing scope is an error.
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import ForeignKey, event, inspect
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria
from sqlalchemy.sql import util as sql_util


class TenantScopeMissing(RuntimeError):
    """A tenant-owned table was queried with no tenant scope and no explicit unscoped()."""


class _Unscoped:
    def __repr__(self) -> str:
        return "UNSCOPED"


UNSCOPED = _Unscoped()
_scope: ContextVar[int | _Unscoped | None] = ContextVar("tenant_scope", default=None)


class TenantScoped:
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)


@contextmanager
def tenant_scope(tenant_id: int):
    token = _scope.set(int(tenant_id))
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def unscoped():
    token = _scope.set(UNSCOPED)
    try:
        yield
    finally:
        _scope.reset(token)


def enter_tenant_scope(tenant_id: int | None):
    """For request hooks, where a with-block cannot span the request; pair with leave_scope()."""
    return _scope.set(tenant_id)


def leave_scope(token) -> None:
    _scope.reset(token)


class ScopedSession(FlaskSession):
    """The app's session class (saas.core.extensions uses it)."""

    def get(self, entity, ident, **kwargs):
        """session.get() answers from the identity map without a query when it can, and
        the tenant scope's criteria only apply to queries: check the row it returns too."""
        return visible_in_scope(super().get(entity, ident, **kwargs))


def visible_in_scope(row):
    """The row if the current scope may see it: None for another tenant's row, an error
    with no scope at all (as for a query)."""
    if not isinstance(row, TenantScoped):
        return row
    scope = _scope.get()
    if scope is UNSCOPED:
        return row
    if scope is None:
        raise TenantScopeMissing("session.get() of a tenant-owned row outside tenant_scope()/unscoped()")
    return row if row.tenant_id == scope else None


def _touches_tenant_rows(state: ORMExecuteState) -> bool:
    # all_mappers only names the entities selected at the top level; a tenant table can
    # also come in through a join, select_from(), a subquery, a count or an eager load
    # option (joinedload): look for those too.
    if any(issubclass(mapper.class_, TenantScoped) for mapper in state.all_mappers):
        return True
    if any(_loads_tenant_rows(option) for option in getattr(state.statement, "_with_options", ())):
        return True
    tables = sql_util.find_tables(
        state.statement, check_columns=True, include_aliases=True, include_joins=True,
        include_selects=True, include_crud=True,
    )
    tenant_tables = _tenant_tables()
    return any(table in tenant_tables for table in tables)


def _loads_tenant_rows(option) -> bool:
    for element in getattr(option, "context", ()):
        for step in getattr(getattr(element, "path", None), "path", ()):
            mapper = getattr(step, "mapper", None)
            if mapper is not None and issubclass(mapper.class_, TenantScoped):
                return True
    return False


@functools.cache
def _tenant_tables() -> frozenset:
    """Computed at the first query, when every model has been imported (create_app does that)."""
    found, pending = set(), list(TenantScoped.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if getattr(cls, "__table__", None) is not None:
            found.add(cls.__table__)
    return frozenset(found)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = _scope.get()
    if scope is UNSCOPED or not _touches_tenant_rows(state):
        return
    if scope is None:
        if state.is_column_load:
            return  # refreshing an object already loaded under some scope
        raise TenantScopeMissing(
            "query on a tenant-owned table outside tenant_scope()/unscoped()"
        )
    tenant_id = scope
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    )


@event.listens_for(Session, "before_flush")
def _refuse_moving_rows(session: Session, flush_context, instances) -> None:
    """A row never changes tenant, whatever the scope: not by its column, not through its
    `tenant` relationship."""
    for obj in session.dirty:
        through = _moved_through(obj) if isinstance(obj, TenantScoped) else None
        if through:
            raise TenantScopeMissing(f"refusing to move a {type(obj).__name__} to another tenant (through {through})")


def _moved_through(obj) -> str | None:
    attributes = inspect(obj).attrs
    column = attributes.tenant_id.history
    before = [value for value in (*column.deleted, *column.unchanged) if value is not None]
    if column.deleted and before and list(column.added) != before:
        return "tenant_id"
    if "tenant" in attributes.keys():
        # The old tenant of a relationship that was never loaded is not in its history;
        # the column still holds it until the flush.
        added = [tenant for tenant in attributes.tenant.history.added if tenant is not None]
        if added and before and added[0].id != before[0]:
            return "tenant"
    return None


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, flush_context, instances) -> None:
    scope = _scope.get()
    if not isinstance(scope, int):
        return
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        tenant = getattr(obj, "tenant", None)
        # Set through the relationship (tenant=...), tenant_id is only filled in by the flush.
        tenant_id = obj.tenant_id if obj.tenant_id is not None else getattr(tenant, "id", None)
        if tenant_id is None and tenant is None:
            obj.tenant_id = scope
        elif tenant_id is not None and tenant_id != scope:
            raise TenantScopeMissing(
                f"refusing to write a {type(obj).__name__} of tenant {tenant_id} "
                f"inside the scope of tenant {scope}"
            )
