"""Tasks: the inbox (mine, all, unassigned, overdue, resolved) and the task page with
everything staff do on it. Staff may do all of it; the views only parse and call services.
Their forms are in saas/web/tasks_forms.py."""
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from saas.core.timeutil import as_utc, utcnow
from saas.feedback import customers, tasks
from saas.feedback.categories import categories as tenant_categories
from saas.feedback.models import TaskStatus
from saas.web.actions import apply_change
from saas.web.context import current_membership, current_tenant, tenant_route
from saas.web.forms import member_choices, options
from saas.web.tasks_forms import (
    CorrectionForm,
    DismissForm,
    InboxFilterForm,
    NoteForm,
    ReassignForm,
    ReplyForm,
    ResolveForm,
)
from tenants import services as team_services
from tenants.models import Role

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.route("/")
@tenant_route(Role.STAFF)
def index():
    me, tenant = current_membership(), current_tenant()
    view = request.args.get("view", "mine")
    if view not in tasks.VIEWS:
        view = "mine"
    form = InboxFilterForm(tenant, request.args)
    form.category.choices = options([(0, _l("All categories")), *((c.id, c.name) for c in tenant_categories(tenant))])
    chosen = tasks.InboxFilter(view=view)
    if form.validate():
        chosen = tasks.InboxFilter(
            view=view, touchpoint_id=form.touchpoint.data or None, category_id=form.category.data or None,
            band=form.chosen_band(), status=form.chosen_status(), period=form.period.data or None,
        )
    pagination = tasks.inbox(me, chosen, request.args.get("page", 1, type=int))
    query_args = {k: v for k, v in request.args.items() if k not in ("page", "view")}
    return render_template(
        "tasks/index.html", pagination=pagination, counts=tasks.view_counts(me), view=view, form=form,
        query_args=query_args, now=utcnow(), as_utc=as_utc,
    )


def _task(task_id):
    return tasks.get_task(current_membership().tenant_id, task_id)


def _forms(task, **submitted):
    tenant = current_tenant()
    reassign = submitted.get("reassign") or ReassignForm(assignee_id=task.assignee_id or 0)
    reassign.assignee_id.choices = member_choices(tenant)
    correction = submitted.get("correction") or CorrectionForm(
        category_ids=[link.category_id for link in task.response.categories],
        needs_reply=task.response.needs_reply, needs_action=task.response.needs_action,
    )
    correction.category_ids.choices = options((c.id, c.name) for c in tenant_categories(tenant))
    resolve = submitted.get("resolve") or ResolveForm()
    # No preset answer: a root cause or a reason nobody chose is never recorded silently.
    resolve.root_cause.choices = options([("", _l("Choose…"))] + [(cause, tasks.root_cause_label(cause))
                                                                   for cause in tasks.root_causes(tenant)])
    dismiss = submitted.get("dismiss") or DismissForm()
    dismiss.reason.choices = options([("", _l("Choose…")), *tasks.DISMISS_REASONS.items()])
    reply = submitted.get("reply") or ReplyForm()
    replies = customers.saved_replies(tenant, task.response.locale)
    chosen = request.args.get("saved", type=int)
    if not reply.is_submitted() and chosen is not None and 0 <= chosen < len(replies):
        reply.text.data = replies[chosen][1]
    return {"reassign": reassign, "correction": correction, "resolve": resolve, "dismiss": dismiss,
            "note": submitted.get("note") or NoteForm(), "reply": reply, "saved_replies": replies}


@bp.route("/<int:task_id>")
@tenant_route(Role.STAFF)
def show(task_id):
    return _page(_task(task_id))


def _page(task, status=200, **submitted):
    return render_template(
        "tasks/show.html", task=task, response=task.response, overdue=as_utc(task.due_at) < utcnow(),
        forms=_forms(task, **submitted), open=task.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS),
        cannot_contact=customers.why_not_contactable(task.response),
        members={m.id: m for m in team_services.team_members(current_tenant())},
        dismiss_reason=tasks.dismiss_reason_label, root_cause=tasks.root_cause_label,
    ), status


def _act(task_id, name, form_class, change, message):
    """Validate the named form, apply the change to the task, or show the page with errors."""
    task = _task(task_id)
    form = _forms(task, **{name: form_class()})[name] if form_class else None
    if form is not None and not form.validate_on_submit():
        return _page(task, 422, **{name: form})
    return apply_change(lambda: change(task, current_membership(), form), message, "tasks.show", task_id=task_id)


@bp.route("/<int:task_id>/start", methods=["POST"])
@tenant_route(Role.STAFF)
def start(task_id):
    return _act(task_id, None, None, lambda task, me, _: tasks.start_work(task, me), _l("Work started."))


@bp.route("/<int:task_id>/note", methods=["POST"])
@tenant_route(Role.STAFF)
def note(task_id):
    return _act(task_id, "note", NoteForm, lambda task, me, form: tasks.add_note(task, me, form.text.data), _l("Note added."))


@bp.route("/<int:task_id>/reassign", methods=["POST"])
@tenant_route(Role.STAFF)
def reassign(task_id):
    return _act(task_id, "reassign", ReassignForm,
                lambda task, me, form: tasks.reassign(task, me, form.assignee_id.data), _l("Reassigned; they have been told."))


@bp.route("/<int:task_id>/correct", methods=["POST"])
@tenant_route(Role.STAFF)
def correct(task_id):
    def change(task, me, form):
        tasks.correct_categories(task, me, form.category_ids.data or [])
        tasks.override_needs(task, me, form.needs_reply.data, form.needs_action.data)

    return _act(task_id, "correction", CorrectionForm, change, _l("Corrected. Your choice is kept for learning."))


@bp.route("/<int:task_id>/resolve", methods=["POST"])
@tenant_route(Role.STAFF)
def resolve(task_id):
    def change(task, me, form):
        tasks.resolve(task, me, form.note.data, form.root_cause.data)
        if form.tell_customer.data:
            customers.tell_resolution(task, me)

    return _act(task_id, "resolve", ResolveForm, change, _l("Resolved."))


@bp.route("/<int:task_id>/reply", methods=["POST"])
@tenant_route(Role.STAFF)
def reply(task_id):
    return _act(task_id, "reply", ReplyForm, lambda task, me, form: customers.reply(task, me, form.text.data),
                _l("Your reply is on its way to the customer."))


@bp.route("/<int:task_id>/dismiss", methods=["POST"])
@tenant_route(Role.STAFF)
def dismiss(task_id):
    return _act(task_id, "dismiss", DismissForm,
                lambda task, me, form: tasks.dismiss(task, me, form.reason.data), _l("Dismissed."))
