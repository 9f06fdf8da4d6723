"""The validator's view of a request: its area on a map, the quota gauges, the
rules the engine applied, and the decision.

The verdict shown is posted back with the decision; if another validation
changed the quotas in the meantime, the workflow refuses and the view shows
the new verdict (subscribers/workflow.py, quota/service.py).
"""

from belspo.pleiades import _
from belspo.pleiades.content.roles import find_user_group
from belspo.pleiades.quota import service
from belspo.pleiades.quota.engine import QuotaError
from plone import api
from plone.protect import CheckAuthenticator
from Products.CMFCore.WorkflowCore import WorkflowException
from Products.Five import BrowserView
from Products.statusmessages.interfaces import IStatusMessage
from zope.component import getUtility
from zope.schema.interfaces import IVocabularyFactory

import json
import transaction


RULE_LABELS = {
    "yearly-rights": _("Yearly acquisition rights"),
    "priority-share": _("Priority share"),
    "monthly-pacing": _("Monthly pacing"),
    "extraction-rights": _("Catalogue extraction rights"),
}


def gauge(label, used, total, adding=0, warning_only=False) -> dict:
    """A gauge: what the year used, and what this request would add."""
    total = max(total, 0)
    after = used + adding

    def percent(value):
        return min(100.0, 100.0 * value / total) if total else 100.0

    return {
        "label": label,
        "used": used,
        "adding": adding,
        "total": total,
        "used_percent": round(percent(used), 1),
        "adding_percent": round(max(percent(after) - percent(used), 0), 1),
        "over": after > total,
        "warning_only": warning_only,
    }


class ValidationView(BrowserView):
    """``@@validate`` on an AcquisitionRequest."""

    decision = agreement = ledger = candidate = None
    problem = None

    def __call__(self):
        if self.request.method == "POST":
            CheckAuthenticator(self.request)
            action = self.request.form.get("decide")
            if action in ("validate", "reject") and self.decide(action):
                return self.request.response.redirect(self.context.absolute_url())
        self.assess()
        return self.index()

    def decide(self, action: str) -> bool:
        reason = self.request.form.get("reason", "")
        workflow = api.portal.get_tool("portal_workflow")
        try:
            workflow.doActionFor(self.context, action, comment=reason)
        except WorkflowException as refusal:
            transaction.doom()  # nothing of the attempt is kept
            IStatusMessage(self.request).add(str(refusal), type="error")
            return False
        if action == "validate":
            recorded = self.context.quota_decision
            message = _(
                "Validated: ${category}, ${price} ${currency}.",
                mapping={
                    "category": recorded["category"],
                    "price": f"{recorded['price']:.2f}",
                    "currency": recorded["currency"],
                },
            )
        else:
            message = _("Rejected.")
        IStatusMessage(self.request).add(message)
        return True

    def assess(self) -> None:
        if self.context.quota_decision or self.state() != "submitted":
            return
        try:
            self.agreement, self.ledger, self.candidate, self.decision = (
                service.assessment(self.context)
            )
        except QuotaError as error:
            self.problem = str(error)

    def state(self) -> str:
        return api.content.get_state(self.context)

    def can(self, transition: str) -> bool:
        workflow = api.portal.get_tool("portal_workflow")
        return any(
            t["id"] == transition for t in workflow.getTransitionsFor(self.context)
        )

    def recorded(self) -> dict | None:
        return self.context.quota_decision

    def rules(self, decision=None) -> list[dict]:
        """The rules applied, with a translated name."""
        if decision is None:
            rules = [vars(rule) for rule in self.decision.rules]
        else:
            rules = decision["rules"]
        return [
            {**rule, "label": RULE_LABELS.get(rule["rule"], rule["rule"])}
            for rule in rules
        ]

    def gauges(self) -> list[dict]:
        ledger, wanted = self.ledger, self.candidate
        if ledger is None:
            return []
        if wanted.kind == "extraction":
            return [
                gauge(
                    RULE_LABELS["extraction-rights"],
                    ledger.extraction_used,
                    ledger.extraction_rights,
                    wanted.scenes,
                )
            ]
        gauges = [
            gauge(
                RULE_LABELS["yearly-rights"],
                ledger.rights_used,
                ledger.rights,
                wanted.attempts,
            ),
            gauge(
                RULE_LABELS["monthly-pacing"],
                ledger.month_used,
                ledger.month_cap,
                wanted.attempts,
                warning_only=True,
            ),
        ]
        gauges.insert(
            1,
            gauge(
                RULE_LABELS["priority-share"],
                ledger.priority_used,
                ledger.priority_cap,
                wanted.attempts if wanted.mode == "priority" else 0,
            ),
        )
        return gauges

    def category(self, category: str):
        return service.category_title(category)

    def price(self) -> str:
        return f"{self.decision.price:.2f} {self.agreement.currency}"

    def area_geojson(self) -> str:
        return json.dumps(self.context.footprint) if self.context.footprint else ""

    def term(self, vocabulary: str, value):
        """The title a vocabulary gives a stored code."""
        terms = getUtility(IVocabularyFactory, f"belspo.pleiades.{vocabulary}")(
            self.context
        )
        return terms.getTerm(value).title if value in terms else value

    def facts(self) -> list[tuple]:
        """What the validator weighs, as label / value rows."""
        request = self.context
        group = find_user_group(request.user_group)
        rows = [
            (_("Kind of request"), self.term("RequestKinds", request.kind)),
            (_("User group"), group.Title() if group else request.user_group),
            (_("Purpose"), request.purpose),
        ]
        if request.kind == "programming":
            rows += [
                (
                    _("Acquisition window"),
                    f"{request.window_start} – {request.window_end}",
                ),
                (
                    _("Programming mode"),
                    self.term("PriorityModes", request.priority_mode),
                ),
                (
                    _("Processing level wanted"),
                    self.term("ProcessingLevels", request.processing_level),
                ),
                (
                    _("Spectral processing wanted"),
                    self.term("SpectralModes", request.spectral_mode),
                ),
                (_("Maximum cloud cover (%)"), request.max_cloud_cover),
                (_("Maximum incidence angle (°)"), request.max_incidence_angle),
                (_("Estimated acquisition attempts"), request.estimated_attempts),
            ]
        else:
            rows.append((_("Archive scenes"), ", ".join(request.scenes or [])))
        if self.candidate is not None:
            rows.append((_("Area (km²)"), f"{self.candidate.area_km2:,.1f}"))
        return rows
