"""Tasks: the open ones by deadline, and the task page the assignment email links to."""
from flask import Blueprint, abort, render_template

from saas.feedback import tasks
from saas.feedback.pipeline import local_time
from saas.timeutil import as_utc, utcnow
from saas.web.context import current_membership, tenant_route
from tenants.models import Role

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.route("/")
@tenant_route(Role.STAFF)
def index():
    membership = current_membership()
    return render_template(
        "tasks/index.html", tasks=tasks.open_tasks(membership.tenant_id), now=utcnow(), as_utc=as_utc,
        local_time=lambda moment: local_time(moment, membership.tenant),
    )


@bp.route("/<int:task_id>")
@tenant_route(Role.STAFF)
def show(task_id):
    membership = current_membership()
    try:
        task = tasks.get_task(membership.tenant_id, task_id)
    except LookupError:
        abort(404)
    return render_template(
        "tasks/show.html", task=task, response=task.response, overdue=as_utc(task.due_at) < utcnow(),
        local_time=lambda moment: local_time(moment, membership.tenant),
    )
