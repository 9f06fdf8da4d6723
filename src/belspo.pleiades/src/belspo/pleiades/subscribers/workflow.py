"""What must be true before a transition fires; a refusal says why.

DCWorkflow guards only say who may fire a transition. What the transition
needs (a reason, a distributor's reference, an approval end date) is checked
here, before the state changes: raising ``WorkflowException`` aborts the
transition, and both the Classic UI and plone.restapi's ``@workflow`` show the
message to the user.
"""

from belspo.pleiades import _
from datetime import date
from plone import api
from Products.CMFCore.WorkflowCore import WorkflowException
from zope.globalrequest import getRequest
from zope.i18n import translate


# (workflow id, transition id) that record a decision someone must explain.
REASON_REQUIRED = {
    ("pleiades_request_workflow", "reject"),
    ("pleiades_request_workflow", "fail"),
    ("pleiades_product_workflow", "withdraw"),
    ("pleiades_usergroup_workflow", "suspend"),
}


def refuse(message) -> None:
    """Abort the transition with a translated message."""
    raise WorkflowException(translate(message, context=getRequest()))


def check_transition(obj, event) -> None:
    """Refuse a transition whose conditions are not met."""
    if event.transition is None:  # the initial state, on creation
        return
    key = (event.workflow.getId(), event.transition.getId())
    if key in REASON_REQUIRED and not (event.kwargs or {}).get("comment", "").strip():
        refuse(_("Give the reason for this decision in the comment."))
    check = CONDITIONS.get(key)
    if check is not None:
        check(obj)


def _submittable(request) -> None:
    if request.kind == "programming" and (
        request.window_start is None or request.window_start < date.today()
    ):
        refuse(_("The acquisition window must start today or later."))
    if request.kind == "programming" and not request.footprint:
        refuse(_("Draw the area of interest before submitting."))


def _programmable(request) -> None:
    if not (request.distributor_reference or "").strip():
        refuse(_("Record the distributor's reference first."))


def _acquirable(request) -> None:
    if not api.relation.get(target=request, relationship="request", unrestricted=True):
        refuse(_("Link the delivered products to the request first."))


def _approvable(group) -> None:
    if group.approval_end is None or group.approval_end < date.today():
        refuse(_("Set an approval end date, today or later, first."))


CONDITIONS = {
    ("pleiades_request_workflow", "submit"): _submittable,
    ("pleiades_request_workflow", "program"): _programmable,
    ("pleiades_request_workflow", "acquire"): _acquirable,
    ("pleiades_usergroup_workflow", "approve"): _approvable,
    ("pleiades_usergroup_workflow", "renew"): _approvable,
}
