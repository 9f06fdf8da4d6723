"""What must be true before a transition fires; a refusal says why.

DCWorkflow guards only say who may fire a transition. What the transition
needs (a reason, a distributor's reference, an approval end date) is checked
here, before the state changes: raising ``WorkflowException`` aborts the
transition, and both the Classic UI and plone.restapi's ``@workflow`` show the
message to the user.
"""

from belspo.pleiades import _
from belspo.pleiades.geo.area import area_km2
from belspo.pleiades.quota import config
from belspo.pleiades.quota import service
from belspo.pleiades.quota.engine import ABSURD_FACTOR
from belspo.pleiades.quota.engine import QuotaError
from datetime import date
from plone import api
from Products.CMFCore.WorkflowCore import WorkflowException
from zope.globalrequest import getRequest
from zope.i18n import translate


# The largest area of interest of one request, unless the registry says otherwise.
MAX_AREA_KM2 = 10_000
# The longest acquisition window: one agreement year.
MAX_WINDOW_DAYS = 366

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
    if key == ("pleiades_request_workflow", "validate"):
        _validate(obj, (event.kwargs or {}).get("comment", ""))
    check = CONDITIONS.get(key)
    if check is not None:
        check(obj)


def _validate(request, comment: str) -> None:
    """Record the quota decision; the validation view says what it expects."""
    form = getattr(getRequest(), "form", {})
    expected = None
    if form.get("quota_category"):
        try:
            price = float(form.get("quota_price") or 0)
        except ValueError:
            price = -1.0  # never a verdict: refused below
        expected = {"category": form["quota_category"], "price": price}
    try:
        service.validate(request, comment, expected)
    except service.ReasonNeeded:
        refuse(
            _(
                "This request goes beyond the monthly pacing cap: give the "
                "reason to go ahead in the comment."
            )
        )
    except service.QuotasChanged as changed:
        refuse(
            _(
                "The quotas changed while you were deciding (another request was "
                "validated): the request is now ${category}, priced ${price} "
                "${currency}. Review it again.",
                mapping={
                    "category": changed.category,
                    "price": f"{changed.price:.2f}",
                    "currency": changed.currency,
                },
            )
        )
    except QuotaError as error:
        raise WorkflowException(str(error)) from None


def _submittable(request) -> None:
    if request.kind == "programming":
        if request.window_start is None or request.window_start < date.today():
            refuse(_("The acquisition window must start today or later."))
        if request.window_end is None or request.window_end < request.window_start:
            refuse(_("The acquisition window ends before it starts."))
        if not request.footprint:
            refuse(_("Draw the area of interest before submitting."))
        _sensible_programming(request)
    if request.kind == "extraction":
        scenes = [scene.strip() for scene in request.scenes or [] if scene.strip()]
        if not scenes:
            refuse(_("List the archive scenes the extraction asks for."))
        if len(set(scenes)) != len(scenes):
            refuse(_("An archive scene is listed twice."))


def _sensible_programming(request) -> None:
    """An area a satellite can cover, a number of attempts a person could mean."""
    area = area_km2(request.footprint)
    limit = api.portal.get_registry_record(
        "belspo.pleiades.max_area_km2", default=MAX_AREA_KM2
    )
    if area > limit:
        refuse(
            _(
                "The area of interest covers ${area} km², more than the ${limit} "
                "km² one request may cover: split it into several requests.",
                mapping={"area": f"{area:,.0f}", "limit": f"{limit:,}"},
            )
        )
    if (request.window_end - request.window_start).days > MAX_WINDOW_DAYS:
        refuse(_("The acquisition window is longer than a year: split the request."))
    attempts = request.estimated_attempts
    if not attempts or attempts < 1:
        refuse(_("Give the estimated number of acquisition attempts, at least 1."))
    year = config.year_of(date.today())
    if year is not None:
        most = max(config.agreement(year).rights, 1) * ABSURD_FACTOR
        if attempts > most:
            refuse(
                _(
                    "${attempts} acquisition attempts is more than ${factor} times "
                    "the year's rights: check the number.",
                    mapping={"attempts": attempts, "factor": ABSURD_FACTOR},
                )
            )


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
